// Package queue is the handoff queue between the bot and the human agents: customers wait in
// priority order (emergency > high > normal, first come first served within a priority), an
// agent claims exactly one waiting session atomically, and the queue estimates each
// customer's wait from recent handling times so the widget can show it. MemoryQueue keeps
// everything in process; RedisQueue, with the same method set, is shared by a fleet (a
// sorted set scored by priority and arrival, claims with a Lua compare-and-delete).
package queue

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Priorities of contract §3.
const (
	PriorityEmergency = "emergency"
	PriorityHigh      = "high"
	PriorityNormal    = "normal"
)

func rank(p string) (int, error) {
	switch p {
	case PriorityEmergency:
		return 0, nil
	case PriorityHigh:
		return 1, nil
	case PriorityNormal, "":
		return 2, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrBadPriority, p)
}

// Entry is one waiting customer as agents and the widget see it.
type Entry struct {
	Session  string        `json:"session"`
	Priority string        `json:"priority"`
	Reason   string        `json:"reason"`
	Summary  string        `json:"summary"`
	Enqueued time.Time     `json:"enqueued"`
	Position int           `json:"position"` // 1 is next
	ETA      time.Duration `json:"-"`
	// ETASeconds mirrors ETA for JSON consumers.
	ETASeconds int `json:"eta_seconds"`
}

// Config tunes the queue; zero fields take the defaults of DefaultConfig.
type Config struct {
	// WaitLimit is the longest estimated (or actual) wait before a callback is offered.
	WaitLimit time.Duration
	// Hours are the agents' service hours.
	Hours Hours
	// DefaultHandle is the assumed handling time until real ones are measured.
	DefaultHandle time.Duration
	// Window is how many recent handling times the estimate averages.
	Window int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OnChange is told about every entry whose position or estimated wait changed, after
	// the change. It runs synchronously and must not call back into the queue.
	OnChange func([]Entry)
}

// DefaultConfig returns a 10-minute wait limit, a 3-minute assumed handling time averaged
// over the last 20 conversations, and no hour restriction.
func DefaultConfig() Config {
	return Config{WaitLimit: 10 * time.Minute, DefaultHandle: 3 * time.Minute, Window: 20}
}

type item struct {
	Entry
	rank    int
	seq     uint64
	offered bool
}

// MemoryQueue is the in-process handoff queue. It is safe for concurrent use.
type MemoryQueue struct {
	cfg    Config
	logger *slog.Logger

	notifyMu sync.Mutex // serialises mutations with their notifications so they arrive in order
	mu       sync.Mutex
	items    map[string]*item
	claimed  map[string]string // session → agent
	seq      uint64
	handled  []time.Duration // ring of recent handling times
	next     int
	agents   int
	last     map[string]Entry // what was last announced per session

	waiting *prometheus.GaugeVec
	waits   prometheus.Histogram
}

// NewMemoryQueue builds an empty queue; reg may be nil.
func NewMemoryQueue(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*MemoryQueue, error) {
	def := DefaultConfig()
	if cfg.WaitLimit <= 0 {
		cfg.WaitLimit = def.WaitLimit
	}
	if cfg.DefaultHandle <= 0 {
		cfg.DefaultHandle = def.DefaultHandle
	}
	if cfg.Window <= 0 {
		cfg.Window = def.Window
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.Hours.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	q := &MemoryQueue{
		cfg: cfg, logger: logger,
		items: map[string]*item{}, claimed: map[string]string{}, last: map[string]Entry{},
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "dianbao", Subsystem: "queue", Name: "waiting",
			Help: "Customers waiting for a human agent, by priority.",
		}, []string{"priority"}),
		waits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "dianbao", Subsystem: "queue", Name: "wait_seconds",
			Help:    "Time customers waited before an agent accepted them.",
			Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1200},
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{q.waiting, q.waits} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("queue: register metrics: %w", err)
			}
		}
	}
	return q, nil
}

// Enqueue adds a waiting session, or updates its priority, reason and summary when it is
// already waiting (keeping its place unless the priority rises). It returns the entry with
// its position and estimated wait. A session an agent has claimed is refused with ErrTaken
// (a late mirror of its handoff must not put it back); Reenter starts a new wait.
func (q *MemoryQueue) Enqueue(e Entry) (Entry, error) { return q.enqueue(e, false) }

// Reenter is Enqueue for a new handoff: it first drops a claim left from an earlier hold.
func (q *MemoryQueue) Reenter(e Entry) (Entry, error) { return q.enqueue(e, true) }

func (q *MemoryQueue) enqueue(e Entry, fresh bool) (Entry, error) {
	if e.Session == "" {
		return Entry{}, ErrBadSession
	}
	r, err := rank(e.Priority)
	if err != nil {
		return Entry{}, err
	}
	if e.Priority == "" {
		e.Priority = PriorityNormal
	}
	var taken string
	list := q.mutate(func() {
		if holder, held := q.claimed[e.Session]; held && !fresh {
			taken = holder
			return
		}
		delete(q.claimed, e.Session)
		it, ok := q.items[e.Session]
		if !ok {
			q.seq++
			e.Enqueued = q.cfg.Now()
			it = &item{Entry: e, rank: r, seq: q.seq}
			q.items[e.Session] = it
			q.waiting.WithLabelValues(e.Priority).Inc()
		} else {
			if r < it.rank {
				q.waiting.WithLabelValues(it.Priority).Dec()
				q.waiting.WithLabelValues(e.Priority).Inc()
				it.rank, it.Priority = r, e.Priority
			}
			if e.Reason != "" {
				it.Reason = e.Reason
			}
			if e.Summary != "" {
				it.Summary = e.Summary
			}
		}
	})
	if taken != "" {
		return Entry{}, fmt.Errorf("%w (%s)", ErrTaken, taken)
	}
	for _, x := range list {
		if x.Session == e.Session {
			return x, nil
		}
	}
	return Entry{}, ErrNotQueued
}

// Remove takes a session out of the queue (the customer left or chose a callback).
func (q *MemoryQueue) Remove(session string) bool {
	var ok bool
	q.mutate(func() {
		var it *item
		if it, ok = q.items[session]; ok {
			delete(q.items, session)
			q.waiting.WithLabelValues(it.Priority).Dec()
		}
		delete(q.claimed, session)
		delete(q.last, session)
	})
	return ok
}

// Claim gives a waiting session to agent. Exactly one of several agents claiming the same
// session concurrently succeeds; the others get ErrTaken.
func (q *MemoryQueue) Claim(session, agent string) (Entry, error) {
	var (
		out Entry
		err error
	)
	q.mutate(func() {
		it, ok := q.items[session]
		if !ok {
			if holder, held := q.claimed[session]; held && holder != agent {
				err = fmt.Errorf("%w (%s)", ErrTaken, holder)
			} else {
				err = ErrNotQueued
			}
			return
		}
		out = it.Entry
		delete(q.items, session)
		delete(q.last, session)
		q.claimed[session] = agent
		q.waiting.WithLabelValues(it.Priority).Dec()
		q.waits.Observe(q.cfg.Now().Sub(it.Enqueued).Seconds())
	})
	return out, err
}

// Done records that an agent finished a claimed session after handling it for d, which
// feeds the wait estimate.
func (q *MemoryQueue) Done(session string, d time.Duration) {
	q.mutate(func() {
		delete(q.claimed, session)
		if d <= 0 {
			return
		}
		if len(q.handled) < q.cfg.Window {
			q.handled = append(q.handled, d)
		} else {
			q.handled[q.next] = d
			q.next = (q.next + 1) % q.cfg.Window
		}
	})
}

// SetAgents tells the queue how many agents are online, which scales the estimate.
func (q *MemoryQueue) SetAgents(n int) {
	q.mutate(func() { q.agents = max(n, 0) })
}

// Get returns a waiting session's entry.
func (q *MemoryQueue) Get(session string) (Entry, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.items[session]; !ok {
		return Entry{}, false
	}
	for _, e := range q.listLocked() {
		if e.Session == session {
			return e, true
		}
	}
	return Entry{}, false
}

// List returns the waiting sessions in service order.
func (q *MemoryQueue) List() []Entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.listLocked()
}

// Len reports how many customers wait.
func (q *MemoryQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Admit decides whether a new customer of the given priority should wait for a human or be
// offered a callback instead: it returns ErrClosed outside service hours, ErrNoAgents when
// nobody is online and ErrWaitTooLong when the estimated wait exceeds the limit.
func (q *MemoryQueue) Admit(priority string) error {
	r, err := rank(priority)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.cfg.Hours.Contains(q.cfg.Now()) {
		return ErrClosed
	}
	if q.agents == 0 {
		return ErrNoAgents
	}
	pos := 1
	for _, it := range q.items {
		if it.rank <= r {
			pos++
		}
	}
	if eta := q.etaLocked(pos); eta > q.cfg.WaitLimit {
		return fmt.Errorf("%w: about %s", ErrWaitTooLong, eta.Round(time.Minute))
	}
	return nil
}

// Overdue returns, once each, the entries that have waited longer than the wait limit, so
// the caller can offer them a callback.
func (q *MemoryQueue) Overdue() []Entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Now()
	var out []Entry
	for _, e := range q.listLocked() {
		it := q.items[e.Session]
		if !it.offered && now.Sub(it.Enqueued) > q.cfg.WaitLimit {
			it.offered = true
			out = append(out, e)
		}
	}
	return out
}

// AverageHandle is the handling time the estimate currently uses.
func (q *MemoryQueue) AverageHandle() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.avgLocked()
}

func (q *MemoryQueue) avgLocked() time.Duration {
	if len(q.handled) == 0 {
		return q.cfg.DefaultHandle
	}
	var sum time.Duration
	for _, d := range q.handled {
		sum += d
	}
	return sum / time.Duration(len(q.handled))
}

// etaLocked estimates the wait at a position: the customers ahead are served by all online
// agents in parallel, one average handling time per round.
func (q *MemoryQueue) etaLocked(pos int) time.Duration {
	return estimate(pos, q.agents, q.avgLocked())
}

// estimate is the wait at a position with agents online handling one customer per avg
// each; MemoryQueue and RedisQueue share it so their figures agree.
func estimate(pos, agents int, avg time.Duration) time.Duration {
	agents = max(agents, 1)
	rounds := (pos + agents - 1) / agents
	return time.Duration(rounds) * avg
}

func (q *MemoryQueue) sortedLocked() []*item {
	out := make([]*item, 0, len(q.items))
	for _, it := range q.items {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b *item) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out
}

func (q *MemoryQueue) listLocked() []Entry {
	items := q.sortedLocked()
	out := make([]Entry, len(items))
	for i, it := range items {
		e := it.Entry
		e.Position = i + 1
		e.ETA = q.etaLocked(e.Position)
		e.ETASeconds = int(e.ETA / time.Second)
		out[i] = e
	}
	return out
}

// mutate runs f under the lock and then reports the entries whose position or estimate
// changed, in order with other mutations. It returns the queue after f.
func (q *MemoryQueue) mutate(f func()) []Entry {
	q.notifyMu.Lock()
	defer q.notifyMu.Unlock()
	q.mu.Lock()
	f()
	var changed []Entry
	list := q.listLocked()
	for _, e := range list {
		if prev, ok := q.last[e.Session]; !ok || prev.Position != e.Position || prev.ETASeconds != e.ETASeconds {
			changed = append(changed, e)
			q.last[e.Session] = e
		}
	}
	q.mu.Unlock()
	if len(changed) > 0 && q.cfg.OnChange != nil {
		q.cfg.OnChange(changed)
	}
	return list
}
