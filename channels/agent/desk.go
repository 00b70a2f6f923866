// Package agent is the human side of dianbao: the agent console (login, presence, the
// handoff queue, accepting a session, replying, notes, returning it to the bot or ending
// it) over /agent and /ws/agent, and the operators' bearer-token API under /api. The Desk
// keeps who is online and who holds which session; the engine keeps the conversation.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"dianbao/bot"
	"dianbao/bot/queue"
)

// Engine is what the console needs of the runtime: reading sessions and tickets and the
// agent operations, which publish their events on the bus.
type Engine interface {
	Session(ctx context.Context, id string) (bot.Session, error)
	Ticket(ctx context.Context, id string) (bot.Ticket, error)
	Assign(ctx context.Context, sessionID, agentID string) error
	AgentSay(ctx context.Context, sessionID, agentID, text string) error
	Return(ctx context.Context, sessionID, agentID string) error
	End(ctx context.Context, sessionID, agentID, disposition string) error
}

// Bus is the event bus (bot.Bus satisfies it).
type Bus interface {
	Publish(ctx context.Context, sessionID string, events []bot.Event) error
	Subscribe(sessionID string) (<-chan bot.Event, func())
}

// Queue is the handoff queue (*queue.MemoryQueue satisfies it).
type Queue interface {
	Enqueue(queue.Entry) (queue.Entry, error)
	Remove(session string) bool
	Claim(session, agent string) (queue.Entry, error)
	Done(session string, d time.Duration)
	SetAgents(n int)
	List() []queue.Entry
	Get(session string) (queue.Entry, bool)
	Admit(priority string) error
	Overdue() []queue.Entry
}

// Presence statuses.
const (
	StatusOnline  = "online"
	StatusBusy    = "busy"
	StatusAway    = "away"
	StatusOffline = "offline"
)

// Dispositions an agent may end a session with.
var Dispositions = []string{"resolved", "ticket_created", "callback", "transferred", "no_response", "abusive", "other"}

// Canned is one 话术 (scripted reply) offered to agents.
type Canned struct {
	Title string `json:"title" yaml:"title"`
	Text  string `json:"text" yaml:"text"`
}

// Note is an agent's private note on a session; customers never see it.
type Note struct {
	Agent string    `json:"agent"`
	Text  string    `json:"text"`
	Time  time.Time `json:"time"`
}

// DeskConfig configures the desk.
type DeskConfig struct {
	Canned []Canned
	// OverdueText is offered to a customer who waited past the limit.
	OverdueText string
	// Tick is how often waits are re-checked (5 s when zero).
	Tick time.Duration
	Now  func() time.Time
}

// Desk tracks agents, their connections and held sessions, and mirrors the engine's
// handoffs into the queue.
type Desk struct {
	cfg    DeskConfig
	engine Engine
	bus    Bus
	queue  Queue
	logger *slog.Logger

	mu     sync.Mutex
	agents map[string]*agentState
	held   map[string]hold // session → holder
	notes  map[string][]Note

	accepted *prometheus.CounterVec
	online   prometheus.Gauge
	voice    atomic.Pointer[voiceRef]
}

type hold struct {
	agent string
	since time.Time
}

type agentState struct {
	id, name string
	status   string
	conns    map[*consoleConn]struct{}
}

// AgentView is an agent as the console lists them.
type AgentView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// NewDesk builds the desk; reg may be nil.
func NewDesk(cfg DeskConfig, engine Engine, bus Bus, q Queue, logger *slog.Logger, reg prometheus.Registerer) (*Desk, error) {
	if cfg.Tick <= 0 {
		cfg.Tick = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OverdueText == "" {
		cfg.OverdueText = "非常抱歉让您久等了，目前人工客服仍然繁忙。如您不便继续等待，可以留下联系电话，我们将尽快给您回电；您也可以继续等待。"
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Desk{
		cfg: cfg, engine: engine, bus: bus, queue: q, logger: logger,
		agents: map[string]*agentState{}, held: map[string]hold{}, notes: map[string][]Note{},
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dianbao", Subsystem: "agent", Name: "accepted_total",
			Help: "Sessions accepted by agents, by handoff priority.",
		}, []string{"priority"}),
		online: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "dianbao", Subsystem: "agent", Name: "online",
			Help: "Agents online or busy with the console open.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{d.accepted, d.online} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("agent: register metrics: %w", err)
			}
		}
	}
	return d, nil
}

// AgentsAvailable reports whether a new customer should wait for a human rather than be
// offered a callback (agents online, within hours, wait under the limit).
func (d *Desk) AgentsAvailable() bool { return d.queue.Admit(queue.PriorityNormal) == nil }

// Run mirrors the bus into the queue and the consoles until ctx ends.
func (d *Desk) Run(ctx context.Context) error {
	events, cancel := d.bus.Subscribe("")
	defer cancel()
	tick := time.NewTicker(d.cfg.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			d.observe(ctx, ev)
		case <-tick.C:
			d.offerCallbacks(ctx)
			d.broadcastQueue()
		}
	}
}

// QueueChanged is the queue's OnChange hook: customers hear their new position and
// estimated wait, agents see the new queue.
func (d *Desk) QueueChanged(entries []queue.Entry) {
	now := d.cfg.Now()
	for _, e := range entries {
		ev := bot.Event{Type: bot.EventHandoff, Status: bot.HandoffQueued, Priority: e.Priority,
			Reason: e.Reason, Position: e.Position, ETASeconds: max(e.ETASeconds, 1), Time: now, Session: e.Session}
		if err := d.bus.Publish(context.Background(), e.Session, []bot.Event{ev}); err != nil {
			d.logger.Warn("publish queue position", "session_id", e.Session, "err", err)
		}
	}
	d.broadcastQueue()
}

func (d *Desk) observe(ctx context.Context, ev bot.Event) {
	id := ev.Session
	if id == "" {
		return
	}
	switch {
	case ev.Type == bot.EventHandoff && ev.Status == bot.HandoffQueued:
		if d.holder(id) == "" {
			d.enqueue(ctx, id, ev)
		}
	case ev.Type == bot.EventHandoff && (ev.Status == bot.HandoffReturned || ev.Status == bot.HandoffEnded),
		ev.Type == bot.EventEnd:
		d.queue.Remove(id)
		d.release(id, ev.Status)
		if ev.Type == bot.EventEnd {
			d.mu.Lock()
			delete(d.notes, id) // the conversation is over; notes lived for its handling
			d.mu.Unlock()
		}
	}
	if agent := d.holder(id); agent != "" {
		d.toAgent(agent, map[string]any{"type": "event", "session": id, "event": ev})
	}
}

func (d *Desk) enqueue(ctx context.Context, id string, ev bot.Event) {
	if _, ok := d.queue.Get(id); ok {
		return // our own position update coming back
	}
	e := queue.Entry{Session: id, Priority: ev.Priority, Reason: ev.Reason}
	if s, err := d.engine.Session(ctx, id); err == nil {
		if s.Mode != bot.ModeQueued {
			return
		}
		if s.Handoff != nil {
			e.Summary = s.Handoff.Summary
		}
	}
	if e.Summary == "" {
		e.Summary = d.summary(ctx, id)
	}
	if _, err := d.queue.Enqueue(e); err != nil {
		d.logger.Warn("enqueue handoff", "session_id", id, "err", err)
	}
}

// summary falls back to the customer's last words when the dialogs gave none.
func (d *Desk) summary(ctx context.Context, id string) string {
	s, err := d.engine.Session(ctx, id)
	if err != nil {
		return ""
	}
	for i := len(s.Transcript) - 1; i >= 0; i-- {
		if ev := s.Transcript[i]; ev.Type == bot.EventMessage && ev.From == bot.FromCustomer {
			return truncate(ev.Text, 40)
		}
	}
	return ""
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func (d *Desk) offerCallbacks(ctx context.Context) {
	for _, e := range d.queue.Overdue() {
		ev := bot.Message(bot.FromSystem, d.cfg.OverdueText, "phone", nil)
		ev.Time, ev.Session = d.cfg.Now(), e.Session
		if err := d.bus.Publish(ctx, e.Session, []bot.Event{ev}); err != nil {
			d.logger.Warn("offer callback", "session_id", e.Session, "err", err)
		}
	}
}

func (d *Desk) holder(session string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held[session].agent
}

// release forgets a held session and feeds its handling time to the queue estimate.
func (d *Desk) release(session, how string) {
	d.mu.Lock()
	h, ok := d.held[session]
	delete(d.held, session)
	d.mu.Unlock()
	if !ok {
		return
	}
	d.queue.Done(session, d.cfg.Now().Sub(h.since))
	d.toAgent(h.agent, map[string]any{"type": "released", "session": session, "how": how})
}

// Accept gives a waiting session to agentID; of two agents accepting the same session
// exactly one succeeds, the other gets queue.ErrTaken.
func (d *Desk) Accept(ctx context.Context, agentID, session string) (SessionView, error) {
	e, err := d.queue.Claim(session, agentID)
	if errors.Is(err, queue.ErrNotQueued) {
		// The engine may have queued the session a moment before the desk saw its event.
		switch s, serr := d.engine.Session(ctx, session); {
		case serr == nil && s.Mode == bot.ModeQueued && s.Handoff != nil:
			d.enqueue(ctx, session, bot.Event{Priority: s.Handoff.Priority, Reason: s.Handoff.Reason})
			e, err = d.queue.Claim(session, agentID)
		case serr == nil && s.Mode == bot.ModeAgent:
			// Another agent's accept finished first and already left the queue: say so.
			err = queue.ErrTaken
		}
	}
	if err != nil {
		return SessionView{}, err
	}
	d.mu.Lock()
	d.held[session] = hold{agent: agentID, since: d.cfg.Now()}
	d.mu.Unlock()
	if err := d.engine.Assign(ctx, session, agentID); err != nil {
		d.mu.Lock()
		delete(d.held, session)
		d.mu.Unlock()
		if !errors.Is(err, bot.ErrBadMode) && !errors.Is(err, bot.ErrNotFound) {
			_, _ = d.queue.Enqueue(e) // give it back to the others
		} else {
			d.queue.Done(session, 0)
		}
		return SessionView{}, fmt.Errorf("assign: %w", err)
	}
	d.accepted.WithLabelValues(e.Priority).Inc()
	d.logger.Info("session accepted", "session_id", session, "agent_id", agentID)
	d.broadcastQueue()
	return d.View(ctx, agentID, session)
}

// SessionView is everything the agent sees of a session, so the customer never repeats
// anything: transcript, collected slots, tickets and notes.
type SessionView struct {
	Type       string            `json:"type"` // "session"
	Session    string            `json:"session"`
	Mode       string            `json:"mode"`
	Handoff    *bot.HandoffInfo  `json:"handoff,omitempty"`
	Slots      map[string]string `json:"slots"`
	Tickets    []bot.Ticket      `json:"tickets"`
	Transcript []bot.Event       `json:"transcript"`
	Notes      []Note            `json:"notes"`
	// Voice marks a phone call: the console joins its audio (/ws/agent/voice).
	Voice bool `json:"voice,omitempty"`
}

// View returns a held session's details.
func (d *Desk) View(ctx context.Context, agentID, session string) (SessionView, error) {
	if d.holder(session) != agentID {
		return SessionView{}, ErrNotHeld
	}
	s, err := d.engine.Session(ctx, session)
	if err != nil {
		return SessionView{}, fmt.Errorf("load session: %w", err)
	}
	v := SessionView{Type: "session", Session: session, Mode: string(s.Mode), Handoff: s.Handoff,
		Slots: map[string]string{}, Tickets: []bot.Ticket{}, Transcript: s.Transcript}
	for k, val := range s.State.Slots {
		v.Slots[k] = val
	}
	for _, tid := range s.Tickets {
		if t, err := d.engine.Ticket(ctx, tid); err == nil {
			v.Tickets = append(v.Tickets, t)
		}
	}
	if v.Transcript == nil {
		v.Transcript = []bot.Event{}
	}
	v.Voice = d.isVoice(session)
	d.mu.Lock()
	v.Notes = append([]Note{}, d.notes[session]...)
	d.mu.Unlock()
	return v, nil
}

// Reply sends an agent's words to the customer.
func (d *Desk) Reply(ctx context.Context, agentID, session, text string) error {
	if d.holder(session) != agentID {
		return ErrNotHeld
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return fmt.Errorf("%w: empty reply", ErrBadRequest)
	}
	return d.engine.AgentSay(ctx, session, agentID, text)
}

// AddNote records a private note.
func (d *Desk) AddNote(agentID, session, text string) (Note, error) {
	if d.holder(session) != agentID {
		return Note{}, ErrNotHeld
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Note{}, fmt.Errorf("%w: empty note", ErrBadRequest)
	}
	n := Note{Agent: agentID, Text: text, Time: d.cfg.Now()}
	d.mu.Lock()
	d.notes[session] = append(d.notes[session], n)
	d.mu.Unlock()
	return n, nil
}

// Return hands the session back to the bot.
func (d *Desk) Return(ctx context.Context, agentID, session string) error {
	if d.holder(session) != agentID {
		return ErrNotHeld
	}
	if err := d.engine.Return(ctx, session, agentID); err != nil {
		return err
	}
	d.release(session, bot.HandoffReturned)
	return nil
}

// End closes the session with a disposition.
func (d *Desk) End(ctx context.Context, agentID, session, disposition string) error {
	if d.holder(session) != agentID {
		return ErrNotHeld
	}
	if !slices.Contains(Dispositions, disposition) {
		return fmt.Errorf("%w: disposition %q", ErrBadRequest, disposition)
	}
	if err := d.engine.End(ctx, session, agentID, disposition); err != nil {
		return err
	}
	d.release(session, bot.HandoffEnded)
	return nil
}

// Held lists the sessions an agent holds.
func (d *Desk) Held(agentID string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for s, h := range d.held {
		if h.agent == agentID {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// SetStatus changes an agent's presence.
func (d *Desk) SetStatus(agentID, status string) error {
	switch status {
	case StatusOnline, StatusBusy, StatusAway:
	default:
		return fmt.Errorf("%w: status %q", ErrBadRequest, status)
	}
	d.mu.Lock()
	if a, ok := d.agents[agentID]; ok {
		a.status = status
	}
	d.mu.Unlock()
	d.presenceChanged()
	return nil
}

func (d *Desk) attach(c *consoleConn) {
	d.mu.Lock()
	a, ok := d.agents[c.agent.ID]
	if !ok {
		a = &agentState{id: c.agent.ID, name: c.agent.Name, status: StatusOnline, conns: map[*consoleConn]struct{}{}}
		d.agents[c.agent.ID] = a
	}
	if len(a.conns) == 0 && a.status == StatusOffline {
		a.status = StatusOnline
	}
	a.conns[c] = struct{}{}
	d.mu.Unlock()
	d.presenceChanged()
}

func (d *Desk) detach(c *consoleConn) {
	d.mu.Lock()
	if a, ok := d.agents[c.agent.ID]; ok {
		delete(a.conns, c)
		if len(a.conns) == 0 {
			a.status = StatusOffline
		}
	}
	d.mu.Unlock()
	d.presenceChanged()
}

// Agents lists agents with the console open.
func (d *Desk) Agents() []AgentView {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]AgentView, 0, len(d.agents))
	for _, a := range d.agents {
		out = append(out, AgentView{ID: a.id, Name: a.name, Status: a.status})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (d *Desk) presenceChanged() {
	n := 0
	d.mu.Lock()
	for _, a := range d.agents {
		if len(a.conns) > 0 && (a.status == StatusOnline || a.status == StatusBusy) {
			n++
		}
	}
	d.mu.Unlock()
	d.online.Set(float64(n))
	d.queue.SetAgents(n)
	d.broadcast(map[string]any{"type": "agents", "agents": d.Agents()})
}

func (d *Desk) broadcastQueue() {
	d.broadcast(map[string]any{"type": "queue", "entries": d.entryViews(d.queue.List())})
}

func (d *Desk) broadcast(v any) {
	d.mu.Lock()
	var conns []*consoleConn
	for _, a := range d.agents {
		for c := range a.conns {
			conns = append(conns, c)
		}
	}
	d.mu.Unlock()
	for _, c := range conns {
		c.push(v)
	}
}

func (d *Desk) toAgent(agentID string, v any) {
	d.mu.Lock()
	var conns []*consoleConn
	if a, ok := d.agents[agentID]; ok {
		for c := range a.conns {
			conns = append(conns, c)
		}
	}
	d.mu.Unlock()
	for _, c := range conns {
		c.push(v)
	}
}
