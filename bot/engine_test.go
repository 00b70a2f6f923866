package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/store"
	"dianbao/dialogs"
	"dianbao/nlu"
)

// tableParser is a stand-in for the NLU: exact utterances map to intents.
type tableParser map[string]string

func (p tableParser) Parse(text string) nlu.Result {
	r := nlu.Result{Text: text, Intent: nlu.IntentOutOfScope, Confidence: 0.9}
	if in, ok := p[text]; ok {
		r.Intent = in
	}
	if _, err := strconv.Atoi(text); err == nil && len(text) == 11 {
		r.Intent = "phone"
		r.Entities = []nlu.Entity{{Type: nlu.EntityPhone, Value: text, End: 11}}
	}
	return r
}

var parser = tableParser{
	"家里没电": "repair", "转人工": nlu.IntentHumanAgent, "电线掉地上了": nlu.IntentSafetyHazard,
	"炸了": "boom", "再见": nlu.IntentGoodbye, "满意": "rate", "查工单": nlu.IntentTicketStatus, "停电查询": nlu.IntentOutageInfo,
}

// scriptDialogs is a small deterministic machine, so engine behaviour is tested apart
// from the real dialogs (which have their own tests). It counts its steps in the state.
type scriptDialogs struct{ steps int }

func (d *scriptDialogs) Step(st dialogs.State, t dialogs.Turn) (dialogs.State, []dialogs.Action) {
	d.steps++
	if st.Slots == nil {
		st.Slots = map[string]string{}
	}
	n, _ := strconv.Atoi(st.Slots["n"])
	st.Slots["n"] = strconv.Itoa(n + 1)
	switch t.Kind {
	case dialogs.TurnOpen:
		return st, []dialogs.Action{dialogs.Say{Text: "您好，请问有什么可以帮您？", Expect: dialogs.ExpectMenu,
			Choices: []dialogs.Choice{{Label: "停电报修", Value: "家里没电"}, {Label: "转人工", Value: "转人工"}}}}
	case dialogs.TurnReturned:
		return st, []dialogs.Action{dialogs.Say{Text: "您好，小保继续为您服务。", Expect: dialogs.ExpectMenu}}
	case dialogs.TurnFollowUp:
		st.FollowUp = t.Ticket.ID
		return st, []dialogs.Action{dialogs.Say{Text: "您反映的工单" + t.Ticket.ID + "已处理完毕，请您评价。", Expect: dialogs.ExpectSatisfaction}}
	}
	if t.Parse.Intent == "rate" && st.FollowUp != "" {
		id := st.FollowUp
		st.FollowUp = ""
		return st, []dialogs.Action{dialogs.RateTicket{TicketID: id, Rating: 5}, dialogs.Say{Text: "感谢您的评价！", Expect: dialogs.ExpectMenu}}
	}
	switch t.Parse.Intent {
	case "repair":
		return st, []dialogs.Action{
			dialogs.CreateTicket{Kind: dialogs.KindRepair, Fields: map[string]string{"address": "解放路88号", "phone": "13712345678"}},
			dialogs.Say{Text: "已为您登记报修，工单号{ticket_id}，抢修人员预计{due}前到达。", Expect: dialogs.ExpectMenu},
			dialogs.Resolved{How: dialogs.HowTicket},
		}
	case nlu.IntentHumanAgent:
		return st, []dialogs.Action{
			dialogs.Handoff{Priority: dialogs.PriorityNormal, Reason: "request", Summary: "客户要求人工"},
			dialogs.Say{Text: "正在为您转接人工客服，如不便等待，可留下联系电话。", Expect: dialogs.ExpectPhone},
		}
	case "phone":
		st.Slots[dialogs.SlotPhone] = t.Parse.Text
		return st, []dialogs.Action{
			dialogs.CreateTicket{Kind: dialogs.KindCallback, Fields: map[string]string{"phone": t.Parse.Text}},
			dialogs.Say{Text: "已记录，稍后回电，工单号{ticket_id}。"},
		}
	case nlu.IntentSafetyHazard:
		return st, []dialogs.Action{
			dialogs.Say{Text: "请远离至少8米。", Expect: dialogs.ExpectAddress},
			dialogs.CreateTicket{Kind: dialogs.KindEmergency, Fields: map[string]string{"phone": "13900000000"}},
			dialogs.Handoff{Priority: dialogs.PriorityEmergency, Reason: "emergency"},
		}
	case nlu.IntentTicketStatus:
		views := t.World.TicketsByPhone("13712345678")
		text := "没有查到工单。"
		if len(views) > 0 {
			text = fmt.Sprintf("您的工单%s状态为%s。", views[0].ID, views[0].Status)
		}
		return st, []dialogs.Action{dialogs.Say{Text: text, Expect: dialogs.ExpectMenu}}
	case nlu.IntentOutageInfo:
		var acts []dialogs.Action
		for _, o := range t.World.Outages("阳光花园3栋", t.Now, 7*24*time.Hour) {
			acts = append(acts, dialogs.ShowOutage{Outage: o})
		}
		return st, append(acts, dialogs.Say{Text: "已为您查询。"}, dialogs.Resolved{How: dialogs.HowInfo})
	case "boom":
		var m map[string]int
		m["x"]++ // a bug in a dialog: nil map write
	case nlu.IntentGoodbye:
		return st, []dialogs.Action{dialogs.Say{Text: "感谢来电，再见。"}, dialogs.End{}}
	}
	return st, []dialogs.Action{dialogs.Say{Text: "请问还有什么可以帮您？", Expect: dialogs.ExpectMenu}}
}

// dueIn is a commitments stand-in: every kind is due 45 minutes after creation.
type dueIn time.Duration

func (d dueIn) Due(kind string, fields map[string]string, from time.Time) time.Time {
	return from.Add(time.Duration(d))
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	e       *bot.Engine
	dl      *scriptDialogs
	clk     *clock
	reg     *prometheus.Registry
	logs    *bytes.Buffer
	store   bot.Store
	records *bot.Directory
}

var cst = time.FixedZone("CST", 8*3600)

func newHarness(t *testing.T, st bot.Store) *harness { return newHarnessBus(t, st, nil) }

// newHarnessBus builds the engine over st (a memory store when nil) publishing on bus (a
// MemoryBus when nil).
func newHarnessBus(t *testing.T, st bot.Store, bus bot.Bus) *harness {
	t.Helper()
	h := &harness{dl: &scriptDialogs{}, clk: &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, cst)},
		reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}}
	if st == nil {
		st = store.NewMemoryStore(store.Options{Now: h.clk.Now})
	}
	h.store = st
	dir, err := bot.NewDirectory([]dialogs.Outage{
		{ID: "P1", Kind: "planned", Area: "阳光花园", Match: []string{"阳光花园"}, Cause: "检修",
			Start: h.clk.Now().Add(-time.Hour), ETA: h.clk.Now().Add(3 * time.Hour)},
	}, nil)
	require.NoError(t, err)
	h.records = dir
	ids := 0
	h.e, err = bot.New(bot.Config{
		Parser: parser, Dialogs: h.dl, Commitments: dueIn(45 * time.Minute), Store: st, Records: dir, Bus: bus,
		Now: h.clk.Now, NewID: func() string { ids++; return fmt.Sprintf("S%03d", ids) },
		Logger:     slog.New(slog.NewTextHandler(&syncWriter{w: h.logs}, nil)),
		Registerer: h.reg,
	})
	require.NoError(t, err)
	return h
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func texts(evs []bot.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == bot.EventMessage {
			out = append(out, e.From+":"+e.Text)
		} else {
			out = append(out, "<"+e.Type+">")
		}
	}
	return out
}

func TestOpenGreetsOnce(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	id := h.e.NewSessionID()
	require.Equal(t, "S001", id)
	evs, err := h.e.Open(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []string{"bot:您好，请问有什么可以帮您？"}, texts(evs))
	require.Equal(t, "menu", *evs[0].Expect)
	require.Len(t, evs[0].Choices, 2)
	require.Equal(t, id, evs[0].Session)
	require.True(t, h.clk.Now().Equal(evs[0].Time))

	evs, err = h.e.Open(ctx, id)
	require.NoError(t, err)
	require.Empty(t, evs, "a live session is not greeted twice")
	hist, err := h.e.History(ctx, id)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	require.Equal(t, 1, h.dl.steps)
}

func TestHandleTicketFlow(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	_, err := h.e.Open(ctx, "a")
	require.NoError(t, err)

	evs, err := h.e.Handle(ctx, "a", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, []string{"<ticket>", "bot:已为您登记报修，工单号RP202611230001，抢修人员预计11月23日10:45前到达。", "<resolved>"}, texts(evs))
	tk := evs[0].Ticket
	require.Equal(t, "RP202611230001", tk.ID)
	require.Equal(t, bot.StatusOpen, tk.Status)
	require.Equal(t, "repair", tk.Kind)
	require.Equal(t, "解放路88号", tk.Fields["address"])
	require.True(t, tk.Due.Equal(h.clk.Now().Add(45*time.Minute)))
	require.Equal(t, "ticket", evs[2].How)

	// A choice is handled as its value; the daily sequence goes on.
	evs, err = h.e.Handle(ctx, "a", bot.Input{Choice: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, "RP202611230002", evs[0].Ticket.ID)

	// The transcript keeps the customer's words too.
	hist, err := h.e.History(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "customer:家里没电", texts(hist)[1])

	// The next day starts at 0001 again.
	h.clk.Add(24 * time.Hour)
	_, err = h.e.Open(ctx, "b")
	require.NoError(t, err)
	evs, err = h.e.Handle(ctx, "b", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, "RP202611240001", evs[0].Ticket.ID)

	// Stored, findable by id and by phone through the dialogs' World.
	got, err := h.store.Ticket(ctx, "RP202611230001")
	require.NoError(t, err)
	require.Equal(t, "a", got.Session)
	evs, err = h.e.Handle(ctx, "b", bot.Input{Text: "查工单"})
	require.NoError(t, err)
	require.Equal(t, []string{"bot:您的工单RP202611240001状态为open。"}, texts(evs))

	require.Equal(t, 3.0, metricValue(t, h.reg, "dianbao_tickets_created_total", "kind", "repair"))
	require.Equal(t, 4.0, metricValue(t, h.reg, "dianbao_turns_total", "", ""))

}

func TestOutageEvent(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	evs, err := h.e.Handle(ctx, "o", bot.Input{Text: "停电查询"})
	require.NoError(t, err)
	// A first Handle without Open greets, then answers.
	require.Equal(t, []string{"bot:您好，请问有什么可以帮您？", "<outage>", "bot:已为您查询。", "<resolved>"}, texts(evs))
	require.Equal(t, "P1", evs[1].Outage.ID)
	require.Equal(t, "阳光花园", evs[1].Outage.Area)
	require.Equal(t, 1.0, metricValue(t, h.reg, "dianbao_sessions_resolved_total", "how", "info"))
}

func TestHandoffQueueAndAgent(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	for _, id := range []string{"q1", "q2"} {
		_, err := h.e.Open(ctx, id)
		require.NoError(t, err)
		h.clk.Add(time.Second)
		evs, err := h.e.Handle(ctx, id, bot.Input{Text: "转人工"})
		require.NoError(t, err)
		require.Equal(t, bot.EventHandoff, evs[0].Type)
		require.Equal(t, bot.HandoffQueued, evs[0].Status)
		require.Equal(t, "normal", evs[0].Priority)
		require.Equal(t, "request", evs[0].Reason)
	}
	s, err := h.e.Session(ctx, "q2")
	require.NoError(t, err)
	require.Equal(t, bot.ModeQueued, s.Mode)

	// An emergency jumps the queue.
	_, err = h.e.Open(ctx, "q3")
	require.NoError(t, err)
	evs, err := h.e.Handle(ctx, "q3", bot.Input{Text: "电线掉地上了"})
	require.NoError(t, err)
	require.Equal(t, []string{"bot:请远离至少8米。", "<ticket>", "<handoff>"}, texts(evs))
	require.Equal(t, "EM202611230001", evs[1].Ticket.ID)
	require.Equal(t, 1, evs[2].Position)
	require.Equal(t, 120, evs[2].ETASeconds)
	q, err := h.e.Queue(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"q3", "q1", "q2"}, ids(q))

	// While queued the dialogs may finish what they asked alongside the handoff (phone)…
	steps := h.dl.steps
	evs, err = h.e.Handle(ctx, "q2", bot.Input{Text: "13712345678"})
	require.NoError(t, err)
	require.Equal(t, []string{"<ticket>", "bot:已记录，稍后回电，工单号CB202611230001。"}, texts(evs))
	require.Equal(t, steps+1, h.dl.steps)
	// …but then the customer waits: no dialog step, a position message instead.
	evs, err = h.e.Handle(ctx, "q2", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, []string{"system:您好，正在为您转接人工客服，您当前排在第3位，预计等待约6分钟，请您稍候。"}, texts(evs))
	require.Equal(t, steps+1, h.dl.steps, "the dialogs are not stepped while queued")

	// Only one of two agents racing for a session gets it.
	var wg sync.WaitGroup
	results := make([]error, 2)
	for i, agent := range []string{"agent1", "agent2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = h.e.Assign(ctx, "q1", agent)
		}()
	}
	wg.Wait()
	require.True(t, (results[0] == nil) != (results[1] == nil), "exactly one assign succeeds: %v", results)
	failed := results[0]
	if failed == nil {
		failed = results[1]
	}
	require.ErrorIs(t, failed, bot.ErrBadMode)
	s, err = h.e.Session(ctx, "q1")
	require.NoError(t, err)
	agent := s.Handoff.AgentID

	// The bot never answers over the agent; the agent sees the customer on the bus.
	sub, cancel := h.e.Bus().Subscribe("q1")
	defer cancel()
	steps = h.dl.steps
	evs, err = h.e.Handle(ctx, "q1", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Empty(t, evs)
	require.Equal(t, steps, h.dl.steps)
	got := <-sub
	require.Equal(t, "customer:家里没电", texts([]bot.Event{got})[0])

	// A safety hazard still gets its advice at once.
	evs, err = h.e.Handle(ctx, "q1", bot.Input{Text: "电线掉地上了"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Contains(t, evs[0].Text, "8米")
	require.Equal(t, steps, h.dl.steps)

	_, err = h.e.AgentSay(ctx, "q1", "someone-else", "您好")
	require.ErrorIs(t, err, bot.ErrBadMode)
	evs, err = h.e.AgentSay(ctx, "q1", agent, "您好，我是客服小王")
	require.NoError(t, err)
	require.Equal(t, []string{"agent:您好，我是客服小王"}, texts(evs))

	evs, err = h.e.Return(ctx, "q1", agent)
	require.NoError(t, err)
	require.Equal(t, []string{"<handoff>", "bot:您好，小保继续为您服务。"}, texts(evs))
	require.Equal(t, bot.HandoffReturned, evs[0].Status)
	s, err = h.e.Session(ctx, "q1")
	require.NoError(t, err)
	require.Equal(t, bot.ModeBot, s.Mode)

	// End with a disposition, from the queue.
	evs, err = h.e.End(ctx, "q2", bot.DispositionResolved)
	require.NoError(t, err)
	require.Equal(t, []string{"<handoff>", "system:感谢您的来电，本次服务已结束，祝您生活愉快，再见。", "<resolved>", "<end>"}, texts(evs))
	_, err = h.e.End(ctx, "q2", bot.DispositionResolved)
	require.ErrorIs(t, err, bot.ErrBadMode)
	_, err = h.e.Assign(ctx, "nobody", "agent1")
	require.ErrorIs(t, err, bot.ErrNotFound)

	require.Equal(t, 2.0, metricValue(t, h.reg, "dianbao_escalations_total", "reason", "request"))
	require.Equal(t, 1.0, metricValue(t, h.reg, "dianbao_sessions_resolved_total", "how", "agent"))
}

func ids(ss []bot.Session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	_, err := h.e.Open(ctx, "x")
	require.NoError(t, err)
	tests := []struct {
		name string
		in   bot.Input
		want string
	}{
		{"empty", bot.Input{}, "没有收到您的内容"},
		{"blank", bot.Input{Text: " \t "}, "没有收到您的内容"},
		{"invalid utf-8", bot.Input{Text: "停电\xff\xfe了"}, "无法识别的字符"},
		{"too long", bot.Input{Text: strings.Repeat("停", 2001)}, "超过2000字"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := h.dl.steps
			evs, err := h.e.Handle(ctx, "x", tt.in)
			require.NoError(t, err)
			require.Len(t, evs, 1)
			require.Contains(t, evs[0].Text, tt.want)
			require.Equal(t, "menu", *evs[0].Expect, "the pending question is asked again")
			require.Len(t, evs[0].Choices, 2)
			require.Equal(t, steps, h.dl.steps)
		})
	}
	evs, err := h.e.Handle(ctx, "x", bot.Input{Text: strings.Repeat("停", 2000)})
	require.NoError(t, err)
	require.Equal(t, "bot:请问还有什么可以帮您？", texts(evs)[0], "2000 runes are fine")

	_, err = h.e.Handle(ctx, "", bot.Input{Text: "hi"})
	require.ErrorIs(t, err, bot.ErrBadInput)
	_, err = h.e.Handle(ctx, "\xff", bot.Input{Text: "hi"})
	require.ErrorIs(t, err, bot.ErrBadInput)
}

func TestPanicBecomesApology(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	_, err := h.e.Open(ctx, "p")
	require.NoError(t, err)
	evs, err := h.e.Handle(ctx, "p", bot.Input{Text: "炸了"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, bot.FromSystem, evs[0].From)
	require.Contains(t, evs[0].Text, "非常抱歉")
	require.Contains(t, h.logs.String(), "turn panicked")
	require.Contains(t, h.logs.String(), "session_id=p")
	hist, err := h.e.History(ctx, "p")
	require.NoError(t, err)
	require.Len(t, hist, 1, "a panicked turn leaves the session as it was")
	// The session still works afterwards.
	evs, err = h.e.Handle(ctx, "p", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, "<ticket>", texts(evs)[0])
}

func TestIdleSessionStartsOver(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	_, err := h.e.Open(ctx, "e")
	require.NoError(t, err)
	_, err = h.e.Handle(ctx, "e", bot.Input{Text: "转人工"})
	require.NoError(t, err)
	_, err = h.e.Handle(ctx, "e", bot.Input{Text: "13712345678"})
	require.NoError(t, err)

	h.clk.Add(29 * time.Minute)
	evs, err := h.e.Handle(ctx, "e", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, []string{"system:您好，正在为您转接人工客服，您当前排在第1位，预计等待约2分钟，请您稍候。"}, texts(evs), "still queued within the idle TTL")

	h.clk.Add(31 * time.Minute)
	evs, err = h.e.Handle(ctx, "e", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, []string{"system:您好，由于较长时间没有收到您的消息，本次会话已重新开始。", "bot:您好，请问有什么可以帮您？", "<ticket>",
		"bot:已为您登记报修，工单号RP202611230001，抢修人员预计11月23日11:45前到达。", "<resolved>"}, texts(evs))
	s, err := h.e.Session(ctx, "e")
	require.NoError(t, err)
	require.Equal(t, bot.ModeBot, s.Mode)
	require.Equal(t, "2", s.State.Slots["n"], "a fresh dialog state: the greeting and this turn only")
}

func TestEndThenNewNeed(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	evs, err := h.e.Handle(ctx, "g", bot.Input{Text: "再见"})
	require.NoError(t, err)
	require.Equal(t, "<end>", texts(evs)[len(evs)-1])
	evs, err = h.e.Handle(ctx, "g", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, "<ticket>", texts(evs)[0])
	s, err := h.e.Session(ctx, "g")
	require.NoError(t, err)
	require.False(t, s.Ended)
}

func TestGlobalBus(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	all, cancel := h.e.Bus().Subscribe("")
	one, cancelOne := h.e.Bus().Subscribe("b2")
	defer cancelOne()
	_, err := h.e.Handle(ctx, "b1", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	var got []string
	for range 5 {
		ev := <-all
		require.Equal(t, "b1", ev.Session)
		got = append(got, texts([]bot.Event{ev})[0])
	}
	require.Equal(t, []string{"bot:您好，请问有什么可以帮您？", "customer:家里没电", "<ticket>",
		"bot:已为您登记报修，工单号RP202611230001，抢修人员预计11月23日10:45前到达。", "<resolved>"}, got)
	require.Empty(t, one, "a session subscriber sees only its session")
	cancel()
	cancel()
	_, open := <-all
	require.False(t, open, "cancel closes the channel")
}

func metricValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
			if label == "" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestUpdateTicketFollowUp(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	evs, err := h.e.Handle(ctx, "f", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	id := evs[1].Ticket.ID

	_, _, err = h.e.UpdateTicket(ctx, id, bot.StatusClosed)
	require.ErrorIs(t, err, bot.ErrBadTransition)
	_, _, err = h.e.UpdateTicket(ctx, "RP209901010001", bot.StatusDispatched)
	require.ErrorIs(t, err, bot.ErrNotFound)
	for _, st := range []string{bot.StatusDispatched, bot.StatusOnSite} {
		tk, evs, err := h.e.UpdateTicket(ctx, id, st)
		require.NoError(t, err)
		require.Equal(t, st, tk.Status)
		require.Empty(t, evs)
	}
	steps := h.dl.steps
	tk, evs, err := h.e.UpdateTicket(ctx, id, bot.StatusResolved)
	require.NoError(t, err)
	require.Equal(t, bot.StatusResolved, tk.Status)
	require.Equal(t, steps+1, h.dl.steps, "a resolved ticket asks the 回访 question in its live session")
	require.NotEmpty(t, evs)
	require.Equal(t, bot.FollowUpAsked, tk.FollowUp)
	stored, err := h.e.Ticket(ctx, id)
	require.NoError(t, err)
	require.Equal(t, bot.FollowUpAsked, stored.FollowUp, "asked live, so not again on return")
	list, err := h.e.Tickets(ctx, bot.TicketFilter{Status: bot.StatusResolved})
	require.NoError(t, err)
	require.Len(t, list, 1)
}
