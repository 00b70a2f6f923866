package dialogs

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/nlu"
)

// fakeWorld is an in-memory World; World is this package's own interface.
type fakeWorld struct {
	outages  []Outage
	accounts []Account
	tickets  []TicketView
	agents   bool
}

func (w *fakeWorld) Outages(address string, now time.Time, horizon time.Duration) []Outage {
	var out []Outage
	for _, o := range w.outages {
		hit := strings.Contains(address, o.Area)
		for _, m := range o.Match {
			hit = hit || strings.Contains(address, m)
		}
		inForce := !o.Start.After(now) && now.Before(o.ETA)
		soon := o.Start.After(now) && !o.Start.After(now.Add(horizon))
		if hit && (inForce || soon) {
			out = append(out, o)
		}
	}
	return out
}

func (w *fakeWorld) Account(key string) (Account, bool) {
	for _, a := range w.accounts {
		if a.Account == key || a.Phone == key {
			return a, true
		}
	}
	return Account{}, false
}

func (w *fakeWorld) Ticket(id string) (TicketView, bool) {
	for _, t := range w.tickets {
		if t.ID == id {
			return t, true
		}
	}
	return TicketView{}, false
}

func (w *fakeWorld) TicketsByPhone(phone string) []TicketView {
	var out []TicketView
	for _, t := range w.tickets {
		if t.Fields["phone"] == phone {
			out = append(out, t)
		}
	}
	return out
}

func (w *fakeWorld) AgentsAvailable() bool { return w.agents }

// testNow is a Monday afternoon in China Standard Time.
var testNow = time.Date(2026, 11, 23, 14, 30, 0, 0, chinaTime)

func newWorld() *fakeWorld {
	return &fakeWorld{
		outages: []Outage{
			{ID: "P-001", Kind: "planned", Area: "翠湖小区", Match: []string{"翠湖小区", "翠湖"}, Cause: "线路检修",
				Start: testNow.Add(-30 * time.Minute), ETA: testNow.Add(150 * time.Minute)},
			{ID: "P-002", Kind: "planned", Area: "阳光花园", Match: []string{"阳光花园"}, Cause: "变压器更换",
				Start: testNow.Add(48 * time.Hour), ETA: testNow.Add(54 * time.Hour)},
		},
		accounts: []Account{
			{Account: "3100123456", Name: "张三", Phone: "13800138000", Address: "解放路88号", Meter: "postpaid",
				Balance: 0, Arrears: 56.7, LastBill: Bill{Month: "2026-10", KWh: 213, Amount: 112.3}},
			{Account: "3100999999", Name: "李四", Phone: "13911112222", Address: "阳光花园3栋", Meter: "prepaid",
				Balance: 12.5, LastBill: Bill{Month: "2026-10", KWh: 98, Amount: 51.2}},
		},
		tickets: []TicketView{
			{ID: "R20261120001", Kind: KindRepair, Status: "dispatched", Created: testNow.Add(-time.Hour),
				Due: testNow.Add(10 * time.Minute), Fields: map[string]string{"phone": "13700000000"}},
		},
	}
}

// utt builds a hand-made parse: intent with confidence 0.9 unless told otherwise.
func utt(text, intent string, opts ...func(*nlu.Result)) nlu.Result {
	r := nlu.Result{Text: text, Normalized: text, Intent: intent, Confidence: 0.9}
	if intent == "" {
		r.Intent, r.Confidence = nlu.IntentOutOfScope, 0.3
	}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func ent(typ, value string) func(*nlu.Result) {
	return func(r *nlu.Result) { r.Entities = append(r.Entities, nlu.Entity{Type: typ, Value: value}) }
}

func pol(p string) func(*nlu.Result) { return func(r *nlu.Result) { r.Polarity = p } }

func conf(c float64) func(*nlu.Result) { return func(r *nlu.Result) { r.Confidence = c } }

func agit(a float64) func(*nlu.Result) { return func(r *nlu.Result) { r.Agitation = a } }

// realNLU is the real parser shared by the tests that drive conversations through it:
// its dictionaries load once per test binary, and TestMain closes it.
var realNLU struct {
	once sync.Once
	p    *nlu.Parser
	err  error
}

func realParser(t testing.TB) *nlu.Parser {
	t.Helper()
	realNLU.once.Do(func() { realNLU.p, realNLU.err = nlu.New(nlu.Config{}) })
	require.NoError(t, realNLU.err)
	return realNLU.p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if realNLU.p != nil {
		realNLU.p.Close()
	}
	os.Exit(code)
}

func newMachine(t testing.TB) *Machine {
	t.Helper()
	m, err := New(Config{Commitments: DefaultCommitments()})
	require.NoError(t, err)
	return m
}

// session drives a machine like the runtime does: it fills {ticket_id} and {due} from the
// ticket created in the same step and renders a readable transcript.
type session struct {
	t     testing.TB
	m     *Machine
	w     *fakeWorld
	st    State
	now   time.Time
	seq   int
	lines []string
	last  []Action
	all   []Action
	tix   []CreateTicket
}

func newSession(t testing.TB, w *fakeWorld) *session {
	s := &session{t: t, m: newMachine(t), w: w, now: testNow}
	s.step(Turn{Kind: TurnOpen})
	return s
}

func (s *session) step(turn Turn) []Action {
	s.t.Helper()
	turn.Now, turn.World = s.now, s.w
	// the state must survive a JSON round trip between turns, as in the store
	b, err := json.Marshal(s.st)
	require.NoError(s.t, err)
	var st State
	require.NoError(s.t, json.Unmarshal(b, &st))
	st, acts := s.m.Step(st, turn)
	s.st = st
	s.last = acts
	s.all = append(s.all, acts...)
	var id, due string
	for _, a := range acts {
		switch a := a.(type) {
		case Say:
			text := strings.NewReplacer("{ticket_id}", id, "{due}", due).Replace(a.Text)
			line := "小保: " + text + " [expect=" + a.Expect + "]"
			if len(a.Choices) > 0 {
				var labels []string
				for _, c := range a.Choices {
					labels = append(labels, c.Label)
				}
				line += " {" + strings.Join(labels, "|") + "}"
			}
			s.lines = append(s.lines, line)
		case CreateTicket:
			s.seq++
			id = fmt.Sprintf("T%04d", s.seq)
			due = s.m.cfg.Commitments.Due(a.Kind, a.Fields, s.now).In(chinaTime).Format("01-02 15:04")
			s.tix = append(s.tix, a)
			keys := make([]string, 0, len(a.Fields))
			for k := range a.Fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var kv []string
			for _, k := range keys {
				kv = append(kv, k+"="+a.Fields[k])
			}
			s.lines = append(s.lines, fmt.Sprintf("<ticket %s %s> %s", id, a.Kind, strings.Join(kv, "; ")))
		case Handoff:
			s.lines = append(s.lines, fmt.Sprintf("<handoff %s %s> %s", a.Priority, a.Reason, a.Summary))
		case ShowOutage:
			s.lines = append(s.lines, fmt.Sprintf("<outage %s %s>", a.Outage.ID, a.Outage.Kind))
		case Resolved:
			s.lines = append(s.lines, "<resolved "+a.How+">")
		case RateTicket:
			s.lines = append(s.lines, fmt.Sprintf("<rate %s %d>", a.TicketID, a.Rating))
		case End:
			s.lines = append(s.lines, "<end>")
		}
	}
	return acts
}

func (s *session) say(r nlu.Result) []Action {
	s.t.Helper()
	s.lines = append(s.lines, "客户: "+r.Text)
	return s.step(Turn{Parse: r})
}

// expect is the expect slot of the last message of the last step.
func (s *session) expect() string {
	for i := len(s.last) - 1; i >= 0; i-- {
		if m, ok := s.last[i].(Say); ok {
			return m.Expect
		}
	}
	return "<no message>"
}

func (s *session) text() string {
	var b strings.Builder
	for _, a := range s.last {
		if m, ok := a.(Say); ok {
			b.WriteString(m.Text)
		}
	}
	return b.String()
}

func (s *session) transcript() string { return strings.Join(s.lines, "\n") + "\n" }

// check asserts the expect slot (unless anyExpect) and the wording of the last step.
func (s *session) check(turn int, said, expect string, has, not []string) {
	s.t.Helper()
	msg := "turn " + itoa(turn) + " " + said + "\n" + s.transcript()
	if expect != anyExpect {
		require.Equal(s.t, expect, s.expect(), msg)
	}
	for _, h := range has {
		require.Contains(s.t, s.text(), h, msg)
	}
	for _, n := range not {
		require.NotContains(s.t, s.text(), n, msg)
	}
}

// requireOutcome asserts the kinds of the tickets created, in order, and the priority of
// the last handoff ("" for none).
func (s *session) requireOutcome(tickets []string, handoff string) {
	s.t.Helper()
	var got []string
	for _, tk := range s.tix {
		got = append(got, tk.Kind)
	}
	var prio string
	for _, a := range s.all {
		if h, ok := a.(Handoff); ok {
			prio = h.Priority
		}
	}
	transcript := s.transcript()
	require.Equal(s.t, tickets, got, transcript)
	require.Equal(s.t, handoff, prio, transcript)
}

// exch is one customer turn and what must follow it.
type exch struct {
	in     nlu.Result
	expect string   // expect slot of the last message; anyExpect to skip
	has    []string // substrings of the step's messages
	not    []string // substrings that must not appear
	acts   []string // the non-message actions, exactly and in order
}

const anyExpect = "*"

// runScenario plays the turns in a new session and checks each step.
func runScenario(t *testing.T, w *fakeWorld, turns []exch) *session {
	t.Helper()
	s := newSession(t, w)
	for i, x := range turns {
		acts := s.say(x.in)
		var effects []string
		for _, k := range kinds(acts) {
			if k != "say" {
				effects = append(effects, k)
			}
		}
		s.check(i, x.in.Text, x.expect, x.has, x.not)
		require.Equal(t, x.acts, effects, "turn "+itoa(i)+" "+x.in.Text+"\n"+s.transcript())
	}
	return s
}

// scenario is one row of a table of conversations.
type scenario struct {
	name   string
	agents bool // a human agent is free
	turns  []exch
}

// runScenarios plays each scenario as a subtest, in a fresh world.
func runScenarios(t *testing.T, tests []scenario) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			w.agents = tc.agents
			runScenario(t, w, tc.turns)
		})
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func kinds(acts []Action) []string {
	var out []string
	for _, a := range acts {
		switch a := a.(type) {
		case Say:
			out = append(out, "say")
		case CreateTicket:
			out = append(out, "ticket:"+a.Kind)
		case Handoff:
			out = append(out, "handoff:"+a.Priority)
		case ShowOutage:
			out = append(out, "outage")
		case Resolved:
			out = append(out, "resolved:"+a.How)
		case RateTicket:
			out = append(out, "rate")
		case End:
			out = append(out, "end")
		}
	}
	return out
}
