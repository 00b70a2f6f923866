// Package bot is the dianbao runtime: one customer turn goes lock + load the session →
// parse → dialog step → effects (tickets, outages, handoff) → save → publish. Channels call
// Engine.Open and Engine.Handle; the agent console uses the agent operations and the Bus.
package bot

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"dianbao/dialogs"
	"dianbao/nlu"
)

// Parser understands one utterance; *nlu.Parser satisfies it.
type Parser interface {
	Parse(text string) nlu.Result
}

// Dialogs steps the conversations; *dialogs.Machine satisfies it.
type Dialogs interface {
	Step(st dialogs.State, t dialogs.Turn) (dialogs.State, []dialogs.Action)
}

// Commitments computes a ticket's due time; dialogs.Commitments satisfies it.
type Commitments interface {
	Due(kind string, fields map[string]string, from time.Time) time.Time
}

// Records answers outage and account lookups; *Directory satisfies it.
type Records interface {
	Outages(address string, now time.Time, horizon time.Duration) []dialogs.Outage
	Account(accountOrPhone string) (dialogs.Account, bool)
}

// Input is one customer input; a Choice (the value of a quick reply) is handled as text.
type Input struct {
	Text   string `json:"text,omitempty"`
	Choice string `json:"choice,omitempty"`
}

// Config holds the engine's dependencies and settings; zero settings get defaults.
type Config struct {
	Parser      Parser      // required
	Dialogs     Dialogs     // required
	Commitments Commitments // required
	Store       Store       // required
	Records     Records     // outages and accounts; none when nil
	Bus         Bus         // a MemoryBus when nil
	// Queue places handoffs and answers positions. When nil (a lone `dianbao chat`) the
	// position is counted from the stored sessions.
	Queue Queue
	// AgentsAvailable reports whether a human could take a handoff now (false when nil).
	AgentsAvailable func() bool

	Now   func() time.Time // time.Now when nil
	NewID func() string    // random 128-bit hex when nil

	IdleTTL         time.Duration  // 30 min: an idle session starts over
	LockTTL         time.Duration  // 10 s: a dead holder's lock frees itself
	MaxInputRunes   int            // 2000
	MaxTranscript   int            // 5000 events kept per session, oldest dropped beyond
	WaitPerPosition time.Duration  // 2 min of estimated wait per place in the queue
	Location        *time.Location // ticket dates and {due}: China Standard Time (+08:00)
	DueFormat       string         // "1月2日15:04"
	Texts           Texts

	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Engine runs turns. It is safe for concurrent use; turns of one session are serialised
// by the store's per-session lock, so any instance of a fleet may serve any turn.
type Engine struct {
	cfg Config
	log *slog.Logger
	m   *metrics
}

// New checks cfg, fills defaults and registers the metrics.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Parser == nil:
		return nil, fmt.Errorf("%w: engine needs a parser", ErrBadInput)
	case cfg.Dialogs == nil:
		return nil, fmt.Errorf("%w: engine needs the dialogs", ErrBadInput)
	case cfg.Commitments == nil:
		return nil, fmt.Errorf("%w: engine needs the commitments", ErrBadInput)
	case cfg.Store == nil:
		return nil, fmt.Errorf("%w: engine needs a store", ErrBadInput)
	}
	if cfg.Bus == nil {
		cfg.Bus = NewMemoryBus(0)
	}
	if cfg.AgentsAvailable == nil {
		cfg.AgentsAvailable = func() bool { return false }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = randomID
	}
	if cfg.IdleTTL <= 0 {
		cfg.IdleTTL = 30 * time.Minute
	}
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = 10 * time.Second
	}
	if cfg.MaxInputRunes <= 0 {
		cfg.MaxInputRunes = 2000
	}
	if cfg.MaxTranscript <= 0 {
		cfg.MaxTranscript = 5000
	}
	if cfg.WaitPerPosition <= 0 {
		cfg.WaitPerPosition = 2 * time.Minute
	}
	if cfg.Location == nil {
		cfg.Location = time.FixedZone("CST", 8*3600)
	}
	if cfg.DueFormat == "" {
		cfg.DueFormat = "1月2日15:04"
	}
	cfg.Texts = cfg.Texts.withDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return &Engine{cfg: cfg, log: cfg.Logger, m: m}, nil
}

// NewSessionID returns a fresh session id from the configured ID source.
func (e *Engine) NewSessionID() string { return e.cfg.NewID() }

// Bus returns the bus the engine publishes on, for channels and agents to subscribe.
func (e *Engine) Bus() Bus { return e.cfg.Bus }

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Open greets a new (or expired) session and asks a pending 回访 of a returning
// customer. For a live session it returns nothing new (channels re-show History), unless
// a 回访 waits and the bot is free to ask it.
func (e *Engine) Open(ctx context.Context, sessionID string) ([]Event, error) {
	return e.turn(ctx, sessionID, true, func(s *Session, tc *turnCtx) ([]Event, error) {
		if tc.fresh || tc.expired {
			out, err := e.greet(ctx, s, tc)
			if err != nil {
				return out, err
			}
			return append(out, e.offerFollowUp(ctx, s, tc, true)...), nil
		}
		if s.Mode == ModeBot && (s.Ended || resting(s)) {
			if evs := e.offerFollowUp(ctx, s, tc, true); len(evs) > 0 {
				return evs, nil
			}
		}
		tc.noSave = true
		return nil, nil
	})
}

// Handle runs one customer turn and returns the events for the customer's channel. On a
// store failure it returns an apology message together with the error.
func (e *Engine) Handle(ctx context.Context, sessionID string, in Input) ([]Event, error) {
	start := time.Now()
	defer func() {
		e.m.turns.Inc()
		e.m.turnSeconds.Observe(time.Since(start).Seconds())
	}()
	text := in.Text
	if in.Choice != "" {
		text = in.Choice
	}
	return e.turn(ctx, sessionID, true, func(s *Session, tc *turnCtx) ([]Event, error) {
		var out []Event
		if tc.fresh || tc.expired {
			evs, err := e.greet(ctx, s, tc)
			if err != nil {
				return nil, err
			}
			out = append(out, evs...)
		}
		if s.Ended { // a new need after a finished conversation starts a fresh dialog
			s.startOver()
		}
		if notice := e.checkInput(text); notice != "" {
			out = append(out, customerMessage(strings.ToValidUTF8(truncateRunes(text, e.cfg.MaxInputRunes), "\uFFFD")))
			return append(out, Message(FromSystem, notice, s.Expect, s.Choices)), nil
		}
		out = append(out, customerMessage(text))
		tc.said = text
		tc.log.Info("customer", "mode", s.Mode, "text", Mask(text))
		p := e.parse(text)
		switch s.Mode {
		case ModeAgent:
			if p.Intent == nlu.IntentSafetyHazard {
				out = append(out, e.safety(ctx, s, tc)...)
			}
			return out, nil
		case ModeQueued:
			switch {
			case p.Intent == nlu.IntentSafetyHazard:
				return append(out, e.safety(ctx, s, tc)...), nil
			case p.Intent == nlu.IntentGoodbye:
				// The customer may leave the queue: the dialogs say goodbye (and End
				// takes the session out of the queue).
			case s.Expect == "":
				pos, eta, err := e.position(ctx, s, tc)
				if err != nil {
					return nil, err
				}
				msg := fmt.Sprintf(e.cfg.Texts.Waiting, pos, max(1, int(eta.Round(time.Minute)/time.Minute)))
				return append(out, Message(FromSystem, msg, "", nil)), nil
			}
			// The dialogs asked something alongside the handoff (e.g. a callback phone):
			// they may finish collecting it while the customer waits.
		}
		evs, err := e.step(ctx, s, tc, dialogs.Turn{Kind: dialogs.TurnUtterance, Parse: p})
		out = append(out, evs...)
		if err != nil {
			return out, err
		}
		if resting(s) { // e.g. the caller just gave a phone with a pending 回访
			out = append(out, e.offerFollowUp(ctx, s, tc, false)...)
		}
		return out, nil
	})
}

func (e *Engine) greet(ctx context.Context, s *Session, tc *turnCtx) ([]Event, error) {
	var out []Event
	if tc.expired {
		out = append(out, Message(FromSystem, e.cfg.Texts.Expired, "", nil))
	}
	evs, err := e.step(ctx, s, tc, dialogs.Turn{Kind: dialogs.TurnOpen})
	return append(out, evs...), err
}

// checkInput returns the polite notice for input the dialogs should not see, or "".
func (e *Engine) checkInput(text string) string {
	switch {
	case !utf8.ValidString(text):
		return e.cfg.Texts.BadEncoding
	case strings.TrimSpace(text) == "":
		return e.cfg.Texts.Empty
	case utf8.RuneCountInString(text) > e.cfg.MaxInputRunes:
		return fmt.Sprintf(e.cfg.Texts.TooLong, e.cfg.MaxInputRunes)
	}
	return ""
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func customerMessage(text string) Event {
	return Message(FromCustomer, text, "", nil)
}

func (e *Engine) parse(text string) nlu.Result {
	start := time.Now()
	p := e.cfg.Parser.Parse(text)
	e.m.nluSeconds.Observe(time.Since(start).Seconds())
	return p
}

// safety answers a hazard reported while a human holds or is awaited: the advice at once
// and the session moved to the front of the queue.
func (e *Engine) safety(ctx context.Context, s *Session, tc *turnCtx) []Event {
	out := []Event{Message(FromSystem, e.cfg.Texts.Safety, "", nil)}
	tc.log.Warn("safety hazard reported to a human-held session", "mode", s.Mode)
	if s.Handoff != nil && s.Handoff.Priority != dialogs.PriorityEmergency {
		s.Handoff.Priority = dialogs.PriorityEmergency
		e.m.escalations.WithLabelValues("emergency").Inc()
		if s.Mode == ModeQueued {
			// The advice stands even if the queue cannot be told right now; the desk
			// re-queues from the handoff event.
			pos, eta, err := e.enqueue(ctx, s, tc, false)
			if err != nil {
				tc.log.Warn("raise queue priority", "err", err)
				return out
			}
			out = append(out, handoffEvent(HandoffQueued, s.Handoff, pos, eta))
		}
	}
	return out
}

// step runs the dialogs on one turn and performs their actions in order.
func (e *Engine) step(ctx context.Context, s *Session, tc *turnCtx, t dialogs.Turn) ([]Event, error) {
	t.Now = tc.now
	t.World = &turnWorld{ctx: ctx, e: e, log: tc.log}
	before := s.State.Satisfaction
	st, actions := e.cfg.Dialogs.Step(s.State, t)
	s.State = st
	out, err := e.perform(ctx, s, tc, actions)
	if r := st.Satisfaction; err == nil && r != before && r >= 1 && r <= 5 {
		out = append(out, e.recordRating(s, tc, r)...)
	}
	return out, err
}

// recordRating keeps the satisfaction on the session and returns the transcript record;
// the same rating given again (widget stars after the spoken answer) is not counted twice.
func (e *Engine) recordRating(s *Session, tc *turnCtx, r int) []Event {
	if s.Satisfaction == r {
		return nil
	}
	s.Satisfaction, s.RatedAt = r, tc.now
	e.m.satisfied.WithLabelValues(strconv.Itoa(r)).Inc()
	tc.log.Info("satisfaction", "rating", r)
	return []Event{{Type: EventRating, From: FromCustomer, Rating: r}}
}

// Rate records the customer's end-of-chat rating (the widget's stars), 1–5, on an
// existing session and in its transcript.
func (e *Engine) Rate(ctx context.Context, sessionID string, rating int) error {
	if rating < 1 || rating > 5 {
		return fmt.Errorf("%w: rating must be 1 to 5", ErrBadInput)
	}
	_, err := e.turn(ctx, sessionID, false, func(s *Session, tc *turnCtx) ([]Event, error) {
		evs := e.recordRating(s, tc, rating)
		if len(evs) == 0 {
			tc.noSave = true
		}
		return evs, nil
	})
	return err
}

// perform turns actions into events. A failed ticket write fails the turn, so the session
// is not saved and the customer's retry repeats the step.
func (e *Engine) perform(ctx context.Context, s *Session, tc *turnCtx, actions []dialogs.Action) ([]Event, error) {
	var out []Event
	var last *Ticket
	for _, a := range actions {
		switch a := a.(type) {
		case dialogs.Say:
			text, err := e.fill(ctx, s, a.Text, last)
			if err != nil {
				return out, err
			}
			out = append(out, Message(FromBot, text, a.Expect, a.Choices))
			s.Expect, s.Choices = a.Expect, a.Choices
		case dialogs.CreateTicket:
			t, err := e.createTicket(ctx, s, tc, a)
			if err != nil {
				return out, err
			}
			last = &t
			out = append(out, Event{Type: EventTicket, Ticket: &t})
		case dialogs.Handoff:
			ev, err := e.handoff(ctx, s, tc, a)
			if err != nil {
				return out, err
			}
			out = append(out, ev)
		case dialogs.ShowOutage:
			o := a.Outage
			out = append(out, Event{Type: EventOutage, Outage: &OutageInfo{ID: o.ID, Kind: o.Kind, Area: o.Area, Cause: o.Cause, Start: o.Start, ETA: o.ETA}})
		case dialogs.Resolved:
			s.Resolved = a.How
			e.m.resolved.WithLabelValues(a.How).Inc()
			out = append(out, Event{Type: EventResolved, How: a.How})
		case dialogs.RateTicket:
			e.rate(ctx, tc, a)
		case dialogs.End:
			s.Ended = true
			if s.Mode == ModeQueued { // the customer left the queue
				s.Mode = ModeBot
				if e.cfg.Queue != nil {
					if err := e.cfg.Queue.Remove(ctx, s.ID); err != nil {
						tc.log.Warn("leave the queue", "err", err)
					}
				}
			}
			out = append(out, Event{Type: EventEnd})
		default:
			tc.log.Error("unknown dialog action", "action", fmt.Sprintf("%T", a))
		}
	}
	return out, nil
}

// fill replaces {ticket_id} and {due} with the ticket created earlier in the step, or
// else the session's latest ticket.
func (e *Engine) fill(ctx context.Context, s *Session, text string, last *Ticket) (string, error) {
	if !strings.Contains(text, "{ticket_id}") && !strings.Contains(text, "{due}") {
		return text, nil
	}
	if last == nil && len(s.Tickets) > 0 {
		t, err := e.cfg.Store.Ticket(ctx, s.Tickets[len(s.Tickets)-1])
		if err != nil && !errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("load ticket for reply: %w", err)
		}
		if err == nil {
			last = &t
		}
	}
	id, due := "", ""
	if last != nil {
		id, due = last.ID, last.Due.In(e.cfg.Location).Format(e.cfg.DueFormat)
	}
	return strings.NewReplacer("{ticket_id}", id, "{due}", due).Replace(text), nil
}

func (e *Engine) createTicket(ctx context.Context, s *Session, tc *turnCtx, a dialogs.CreateTicket) (Ticket, error) {
	prefix, ok := TicketPrefix(a.Kind)
	if !ok {
		return Ticket{}, fmt.Errorf("%w: ticket kind %q", ErrBadInput, a.Kind)
	}
	day := tc.now.In(e.cfg.Location)
	fields := maps.Clone(a.Fields)
	if fields == nil {
		fields = map[string]string{}
	}
	now := tc.now.Truncate(time.Second)
	due := e.cfg.Commitments.Due(a.Kind, fields, now).Truncate(time.Second)
	t, err := e.cfg.Store.CreateTicket(ctx, "ticket:"+prefix+day.Format("20060102"), func(seq int64) Ticket {
		return Ticket{ID: ticketID(prefix, day, seq), Kind: a.Kind, Status: StatusOpen, Created: now, Due: due,
			Fields: fields, Session: s.ID, Updated: now}
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("save ticket: %w", err)
	}
	s.Tickets = append(s.Tickets, t.ID)
	e.m.tickets.WithLabelValues(t.Kind).Inc()
	tc.log.Info("ticket created", "ticket_id", t.ID, "kind", t.Kind, "phone", Mask(fields["phone"]))
	return t, nil
}

// handoff queues the session for a human. The queue is written within the turn, so a
// failure fails the turn (the customer's retry repeats the request) rather than leaving a
// session that believes it waits in a queue that never heard of it.
func (e *Engine) handoff(ctx context.Context, s *Session, tc *turnCtx, a dialogs.Handoff) (Event, error) {
	prio := a.Priority
	if prio == "" {
		prio = dialogs.PriorityNormal
	}
	fresh := s.Mode == ModeBot || s.Handoff == nil
	switch {
	case s.Mode == ModeBot || s.Handoff == nil:
		s.Mode = ModeQueued
		s.Handoff = &HandoffInfo{Priority: prio, Reason: a.Reason, Summary: a.Summary, QueuedAt: tc.now}
		e.m.escalations.WithLabelValues(a.Reason).Inc()
		tc.log.Info("handoff queued", "priority", prio, "reason", a.Reason)
	case priorityRank(prio) < priorityRank(s.Handoff.Priority):
		s.Handoff.Priority = prio
	}
	if s.Mode == ModeAgent {
		return handoffEvent(HandoffAssigned, s.Handoff, 0, 0), nil
	}
	pos, eta, err := e.enqueue(ctx, s, tc, fresh)
	if err != nil {
		return Event{}, err
	}
	return handoffEvent(HandoffQueued, s.Handoff, pos, eta), nil
}

// enqueue puts the queued session (or its raised priority) into the queue and returns
// the queue's own position and estimate.
// An agent already taking the session (claimed, not yet assigned) counts as first place.
func (e *Engine) enqueue(ctx context.Context, s *Session, tc *turnCtx, fresh bool) (int, time.Duration, error) {
	if e.cfg.Queue == nil {
		pos, eta := e.countPosition(ctx, s, tc)
		return pos, eta, nil
	}
	// Without a summary from the dialogs the agent sees the customer's words.
	summary := cmp.Or(s.Handoff.Summary, truncateRunes(tc.said, 40))
	p, err := e.cfg.Queue.Enqueue(ctx, Waiting{Session: s.ID, Priority: s.Handoff.Priority, Reason: s.Handoff.Reason, Summary: summary, Fresh: fresh})
	switch {
	case errors.Is(err, ErrBadMode):
		return 1, 0, nil
	case err != nil:
		return 0, 0, err
	}
	return p.Position, p.ETA, nil
}

func handoffEvent(status string, h *HandoffInfo, pos int, eta time.Duration) Event {
	return Event{Type: EventHandoff, Status: status, Priority: h.Priority, Reason: h.Reason,
		Position: pos, ETASeconds: int(eta / time.Second)}
}

// position is the queue's place for a waiting session; one the queue lost (an in-memory
// queue after a restart) is queued again, keeping its priority.
func (e *Engine) position(ctx context.Context, s *Session, tc *turnCtx) (int, time.Duration, error) {
	if e.cfg.Queue == nil {
		pos, eta := e.countPosition(ctx, s, tc)
		return pos, eta, nil
	}
	p, err := e.cfg.Queue.Place(ctx, s.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return e.enqueue(ctx, s, tc, false)
	case err != nil:
		return 0, 0, err
	}
	return p.Position, p.ETA, nil
}

// countPosition is the 1-based place of s among the stored waiting sessions (priority
// first, then first come first served), used only without a Queue. A failing listing is
// logged and counts s as first.
func (e *Engine) countPosition(ctx context.Context, s *Session, tc *turnCtx) (int, time.Duration) {
	all, err := e.cfg.Store.Sessions(ctx)
	if err != nil {
		tc.log.Warn("list sessions for queue position", "err", err)
	}
	pos := 1
	for _, o := range e.live(all) {
		if o.ID != s.ID && o.Mode == ModeQueued && o.Handoff != nil && queuedBefore(o, *s) {
			pos++
		}
	}
	return pos, time.Duration(pos) * e.cfg.WaitPerPosition
}

// live drops sessions past the idle TTL that the store still retains.
func (e *Engine) live(all []Session) []Session {
	now := e.cfg.Now()
	return slices.DeleteFunc(all, func(s Session) bool { return now.Sub(s.Updated) >= e.cfg.IdleTTL })
}

func queuedBefore(a, b Session) bool {
	ra, rb := priorityRank(a.Handoff.Priority), priorityRank(b.Handoff.Priority)
	if ra != rb {
		return ra < rb
	}
	if !a.Handoff.QueuedAt.Equal(b.Handoff.QueuedAt) {
		return a.Handoff.QueuedAt.Before(b.Handoff.QueuedAt)
	}
	return a.ID < b.ID
}

// rate records a 回访 rating; a resolved ticket is thereby closed. A missing ticket is
// logged, not fatal: the customer's answer must not fail their turn.
func (e *Engine) rate(ctx context.Context, tc *turnCtx, a dialogs.RateTicket) {
	if a.TicketID == "" {
		return
	}
	t, err := e.cfg.Store.Ticket(ctx, a.TicketID)
	if err != nil {
		tc.log.Warn("rate ticket", "ticket_id", a.TicketID, "err", err)
		return
	}
	t.Rating = min(max(a.Rating, 1), 5)
	t.Updated = tc.now
	if t.Status == StatusResolved {
		_ = t.Transition(StatusClosed, tc.now)
	}
	if err := e.cfg.Store.PutTicket(ctx, t); err != nil {
		tc.log.Warn("rate ticket", "ticket_id", a.TicketID, "err", err)
	}
}

// turnCtx is what one locked turn knows besides the session.
type turnCtx struct {
	now            time.Time
	fresh, expired bool
	noSave         bool
	said           string // the customer's words this turn
	log            *slog.Logger
}

// turn runs fn on the locked, loaded session, then stamps and records the events, saves
// and publishes. create says whether a missing or expired session starts afresh
// (customer turns) or is an ErrNotFound (agent operations, which get no apology either).
// A panic in fn becomes an apology and an error log, and the session is left as it was
// before the turn.
func (e *Engine) turn(ctx context.Context, id string, create bool, fn func(*Session, *turnCtx) ([]Event, error)) (reply []Event, err error) {
	if id == "" || !utf8.ValidString(id) || len(id) > 200 {
		return nil, fmt.Errorf("%w: session id must be 1–200 bytes of UTF-8", ErrBadInput)
	}
	log := e.log.With("session_id", id)
	fail := func(what string, err error) ([]Event, error) {
		log.Error(what, "err", err)
		err = fmt.Errorf("%s: %w", what, err)
		if !create {
			return nil, err
		}
		return e.apology(id), err
	}
	unlock, err := e.cfg.Store.Lock(ctx, id, e.cfg.LockTTL)
	if err != nil {
		return fail("lock session", err)
	}
	defer unlock()
	tc := &turnCtx{now: e.cfg.Now(), log: log}
	s, err := e.cfg.Store.Session(ctx, id)
	expired := err == nil && tc.now.Sub(s.Updated) >= e.cfg.IdleTTL
	switch {
	case err != nil && !errors.Is(err, ErrNotFound):
		return fail("load session", err)
	case !create && (err != nil || expired):
		return nil, fmt.Errorf("session %s: %w", id, ErrNotFound)
	case err != nil:
		s, tc.fresh = e.newSession(id, tc.now), true
	case expired:
		s, tc.expired = e.newSession(id, tc.now), true
	}
	events, err, panicked := e.call(fn, &s, tc)
	if panicked {
		return e.apology(id), nil
	}
	if err != nil {
		if !create { // an agent operation refused (wrong mode, bad input): not a failure
			return nil, err
		}
		log.Error("turn failed", "err", err)
		return e.apology(id), err
	}
	if tc.noSave {
		return nil, nil
	}
	for i := range events {
		events[i].Time, events[i].Session = tc.now, id
	}
	s.Transcript = append(s.Transcript, events...)
	if over := len(s.Transcript) - e.cfg.MaxTranscript; over > 0 {
		s.Transcript = s.Transcript[over:] // no shifting in place: the array may be shared
	}
	s.Updated = tc.now
	// The store keeps a session twice the idle TTL, so a returning customer is told the
	// conversation started over (and agents can still read a recent transcript).
	if err := e.cfg.Store.PutSession(ctx, s, 2*e.cfg.IdleTTL); err != nil {
		return fail("save session", err)
	}
	if err := e.cfg.Bus.Publish(ctx, id, events); err != nil {
		log.Warn("publish events", "err", err)
	}
	for _, ev := range events {
		if (ev.Type != EventMessage || ev.From != FromCustomer) && ev.Type != EventRating {
			reply = append(reply, ev)
		}
	}
	return reply, nil
}

func (e *Engine) call(fn func(*Session, *turnCtx) ([]Event, error), s *Session, tc *turnCtx) (events []Event, err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			panicked = true
			e.m.panics.Inc()
			tc.log.Error("turn panicked", "panic", Mask(fmt.Sprint(r)), "stack", string(debug.Stack()))
		}
	}()
	events, err = fn(s, tc)
	return events, err, false
}

func (e *Engine) newSession(id string, now time.Time) Session {
	return Session{ID: id, Mode: ModeBot, Created: now, Updated: now}
}

func (e *Engine) apology(id string) []Event {
	ev := Message(FromSystem, e.cfg.Texts.Apology, "", nil)
	ev.Time, ev.Session = e.cfg.Now(), id
	return []Event{ev}
}

// turnWorld is the dialogs' read-only view during one step. It holds the turn's ctx
// because dialogs.World has no ctx parameters; it never outlives the step.
type turnWorld struct {
	ctx context.Context
	e   *Engine
	log *slog.Logger
}

var _ dialogs.World = (*turnWorld)(nil)

func (w *turnWorld) Outages(address string, now time.Time, horizon time.Duration) []dialogs.Outage {
	if w.e.cfg.Records == nil {
		return nil
	}
	return w.e.cfg.Records.Outages(address, now, horizon)
}

func (w *turnWorld) Account(accountOrPhone string) (dialogs.Account, bool) {
	if w.e.cfg.Records == nil {
		return dialogs.Account{}, false
	}
	return w.e.cfg.Records.Account(accountOrPhone)
}

func (w *turnWorld) Ticket(id string) (dialogs.TicketView, bool) {
	t, err := w.e.cfg.Store.Ticket(w.ctx, strings.ToUpper(strings.TrimSpace(id)))
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			w.log.Warn("ticket lookup", "ticket_id", Mask(id), "err", err)
		}
		return dialogs.TicketView{}, false
	}
	return t.view(), true
}

func (w *turnWorld) TicketsByPhone(phone string) []dialogs.TicketView {
	phone = digits(phone)
	if phone == "" {
		return nil
	}
	ts, err := w.e.cfg.Store.Tickets(w.ctx, TicketFilter{Phone: phone, Limit: 20})
	if err != nil {
		w.log.Warn("tickets by phone", "phone", Mask(phone), "err", err)
		return nil
	}
	out := make([]dialogs.TicketView, len(ts))
	for i, t := range ts {
		out[i] = t.view()
	}
	return out
}

func (w *turnWorld) AgentsAvailable() bool { return w.e.cfg.AgentsAvailable() }
