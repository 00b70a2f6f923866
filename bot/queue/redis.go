package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Redis keys of the shared queue. The waiting set is scored rank·1e12 + arrival sequence,
// so ZRANK is the service order every instance agrees on.
const (
	keyWaiting   = "dianbao:queue:waiting"   // zset session by rank and arrival
	keyEntries   = "dianbao:queue:entries"   // hash session → entry JSON
	keyClaimed   = "dianbao:queue:claimed"   // hash session → agent
	keySeq       = "dianbao:queue:seq"       // arrival counter
	keyHandled   = "dianbao:queue:handled"   // list of recent handling times (ms), newest first
	keyAgents    = "dianbao:queue:agents"    // hash instance → "online:unix_ms"
	keyAnnounced = "dianbao:queue:announced" // hash session → "position:eta_seconds" last told
	keyOffered   = "dianbao:queue:offered"   // hash session → 1 once a callback was offered
	chanChanged  = "dianbao:queue:changed"   // pub/sub: an instance changed the queue
	rankScale    = 1e12
)

// enqueueScript adds a session or updates its entry, keeping its place unless the priority
// rises, in one atomic step; a claimed session is refused ({2, holder}) unless ARGV[4] is
// "1" (Reenter).
var enqueueScript = redis.NewScript(`
local holder = redis.call('HGET', KEYS[3], ARGV[1])
if holder and ARGV[4] ~= '1' then return {2, holder} end
redis.call('HDEL', KEYS[3], ARGV[1])
local r = tonumber(ARGV[2])
local cur = redis.call('HGET', KEYS[2], ARGV[1])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not cur or not score then
  local seq = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[1], r * 1000000000000 + seq, ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  return {1, ''}
end
local e = cjson.decode(cur)
local n = cjson.decode(ARGV[3])
score = tonumber(score)
local oldr = math.floor(score / 1000000000000)
if r < oldr then
  e.priority = n.priority
  redis.call('ZADD', KEYS[1], r * 1000000000000 + (score - oldr * 1000000000000), ARGV[1])
end
if n.reason ~= nil and n.reason ~= '' then e.reason = n.reason end
if n.summary ~= nil and n.summary ~= '' then e.summary = n.summary end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(e))
return {0, ''}`)

// claimScript is the compare-and-delete that lets exactly one agent of the fleet take a
// waiting session: {1, entry} won, {2, holder} taken by another, {0, ”} not waiting.
var claimScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if not cur then
  local h = redis.call('HGET', KEYS[3], ARGV[1])
  if h and h ~= ARGV[2] then return {2, h} end
  return {0, ''}
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return {1, cur}`)

// storedEntry is an entry as kept in Redis; positions are derived, never stored.
type storedEntry struct {
	Session  string    `json:"session"`
	Priority string    `json:"priority"`
	Reason   string    `json:"reason"`
	Summary  string    `json:"summary"`
	Enqueued time.Time `json:"enqueued"`
}

// RedisConfig adds the fleet settings to Config.
type RedisConfig struct {
	Config
	// Instance names this process among the fleet's agent counts (random when empty).
	Instance string
	// AgentTTL is how long an instance's agent count stands without a refresh (30 s), so a
	// crashed instance's agents stop counting.
	AgentTTL time.Duration
	// Timeout bounds each Redis round trip of the ctx-less methods (2 s).
	Timeout time.Duration
	// OnRemoteChange is called when another instance changed the queue, so local agent
	// consoles can refresh their view. It runs on the queue's own goroutine.
	OnRemoteChange func()
}

// RedisQueue is the handoff queue shared by a fleet of instances on one Redis: every
// instance sees the same order, positions and estimates, and a claim is atomic across the
// fleet. Its method set matches MemoryQueue. Methods without a ctx use Timeout; a Redis
// failure is logged and reads as an empty queue, while mutations return an error wrapping
// ErrUnavailable.
type RedisQueue struct {
	cfg    RedisConfig
	logger *slog.Logger
	rdb    *redis.Client

	notifyMu sync.Mutex // keeps this instance's change notifications in order
	agentsMu sync.Mutex
	agents   int

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	waiting *prometheus.GaugeVec
	waits   prometheus.Histogram
}

// NewRedisQueue takes ownership of rdb (closed by Close) and starts the goroutine that
// refreshes this instance's agent count and listens for other instances' changes.
func NewRedisQueue(cfg RedisConfig, rdb *redis.Client, logger *slog.Logger, reg prometheus.Registerer) (*RedisQueue, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: redis queue needs a client", ErrUnavailable)
	}
	mq, err := NewMemoryQueue(cfg.Config, logger, nil) // validates and fills the shared defaults
	if err != nil {
		return nil, err
	}
	cfg.Config = mq.cfg
	if cfg.Instance == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.Instance = hex.EncodeToString(b[:])
	}
	if cfg.AgentTTL <= 0 {
		cfg.AgentTTL = 30 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	q := &RedisQueue{cfg: cfg, logger: logger, rdb: rdb, waiting: mq.waiting, waits: mq.waits, done: make(chan struct{})}
	if reg != nil {
		for _, c := range []prometheus.Collector{q.waiting, q.waits} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("queue: register metrics: %w", err)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	q.cancel = cancel
	ps := rdb.Subscribe(ctx, chanChanged)
	go q.run(ctx, ps)
	return q, nil
}

// Close stops the goroutine, withdraws this instance's agents and closes the client.
func (q *RedisQueue) Close() error {
	var err error
	q.once.Do(func() {
		q.cancel()
		<-q.done
		ctx, cancel := context.WithTimeout(context.Background(), q.cfg.Timeout)
		defer cancel()
		_ = q.rdb.HDel(ctx, keyAgents, q.cfg.Instance).Err()
		err = q.rdb.Close()
	})
	return err
}

func (q *RedisQueue) run(ctx context.Context, ps *redis.PubSub) {
	defer close(q.done)
	defer ps.Close()
	msgs := ps.Channel()
	tick := time.NewTicker(q.cfg.AgentTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			q.publishAgents(ctx)
		case m, ok := <-msgs:
			if !ok {
				return
			}
			if m.Payload != q.cfg.Instance && q.cfg.OnRemoteChange != nil {
				q.cfg.OnRemoteChange()
			}
		}
	}
}

func (q *RedisQueue) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), q.cfg.Timeout)
}

func unavailable(err error) error {
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// Enqueue adds a waiting session, or updates it (see MemoryQueue.Enqueue).
func (q *RedisQueue) Enqueue(e Entry) (Entry, error) {
	ctx, cancel := q.ctx()
	defer cancel()
	return q.enqueue(ctx, e, false)
}

// Reenter is Enqueue for a new handoff: it first drops a claim left from an earlier hold.
func (q *RedisQueue) Reenter(e Entry) (Entry, error) {
	ctx, cancel := q.ctx()
	defer cancel()
	return q.enqueue(ctx, e, true)
}

func (q *RedisQueue) enqueue(ctx context.Context, e Entry, fresh bool) (Entry, error) {
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
	raw, err := json.Marshal(storedEntry{Session: e.Session, Priority: e.Priority, Reason: e.Reason, Summary: e.Summary, Enqueued: q.cfg.Now().UTC()})
	if err != nil {
		return Entry{}, err
	}
	q.notifyMu.Lock()
	defer q.notifyMu.Unlock()
	force := "0"
	if fresh {
		force = "1"
	}
	res, err := enqueueScript.Run(ctx, q.rdb, []string{keyWaiting, keyEntries, keyClaimed, keySeq}, e.Session, r, raw, force).Slice()
	if err != nil {
		return Entry{}, unavailable(err)
	}
	if len(res) == 2 && res[0] == int64(2) {
		return Entry{}, fmt.Errorf("%w (%v)", ErrTaken, res[1])
	}
	list, err := q.changed(ctx)
	if err != nil {
		return Entry{}, err
	}
	for _, x := range list {
		if x.Session == e.Session {
			return x, nil
		}
	}
	return Entry{}, ErrNotQueued
}

// Remove takes a session out of the queue.
func (q *RedisQueue) Remove(session string) bool {
	ctx, cancel := q.ctx()
	defer cancel()
	q.notifyMu.Lock()
	defer q.notifyMu.Unlock()
	var zrem *redis.IntCmd
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		zrem = p.ZRem(ctx, keyWaiting, session)
		p.HDel(ctx, keyEntries, session)
		p.HDel(ctx, keyClaimed, session)
		p.HDel(ctx, keyAnnounced, session)
		p.HDel(ctx, keyOffered, session)
		return nil
	})
	if err != nil {
		q.logger.Warn("queue: remove", "session_id", session, "err", err)
		return false
	}
	if _, err := q.changed(ctx); err != nil {
		q.logger.Warn("queue: announce changes", "err", err)
	}
	return zrem.Val() > 0
}

// Claim gives a waiting session to agent; of several agents of the fleet claiming it at
// once exactly one succeeds, the others get ErrTaken.
func (q *RedisQueue) Claim(session, agent string) (Entry, error) {
	ctx, cancel := q.ctx()
	defer cancel()
	q.notifyMu.Lock()
	defer q.notifyMu.Unlock()
	res, err := claimScript.Run(ctx, q.rdb, []string{keyWaiting, keyEntries, keyClaimed, keyAnnounced, keyOffered}, session, agent).Slice()
	if err != nil {
		return Entry{}, unavailable(err)
	}
	if len(res) != 2 {
		return Entry{}, fmt.Errorf("%w: unexpected claim reply %v", ErrUnavailable, res)
	}
	code, _ := res[0].(int64)
	arg, _ := res[1].(string)
	switch code {
	case 0:
		return Entry{}, ErrNotQueued
	case 2:
		return Entry{}, fmt.Errorf("%w (%s)", ErrTaken, arg)
	}
	var se storedEntry
	if err := json.Unmarshal([]byte(arg), &se); err != nil {
		return Entry{}, fmt.Errorf("%w: bad entry: %v", ErrUnavailable, err)
	}
	q.waits.Observe(q.cfg.Now().Sub(se.Enqueued).Seconds())
	if _, err := q.changed(ctx); err != nil {
		q.logger.Warn("queue: announce changes", "err", err)
	}
	return Entry{Session: se.Session, Priority: se.Priority, Reason: se.Reason, Summary: se.Summary, Enqueued: se.Enqueued}, nil
}

// Done records a finished claimed session's handling time for the estimate.
func (q *RedisQueue) Done(session string, d time.Duration) {
	ctx, cancel := q.ctx()
	defer cancel()
	q.notifyMu.Lock()
	defer q.notifyMu.Unlock()
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, keyClaimed, session)
		if d > 0 {
			p.LPush(ctx, keyHandled, d.Milliseconds())
			p.LTrim(ctx, keyHandled, 0, int64(q.cfg.Window-1))
		}
		return nil
	})
	if err != nil {
		q.logger.Warn("queue: done", "session_id", session, "err", err)
		return
	}
	if _, err := q.changed(ctx); err != nil {
		q.logger.Warn("queue: announce changes", "err", err)
	}
}

// SetAgents records how many agents are online on this instance; the estimate uses the
// sum over the fleet's live instances.
func (q *RedisQueue) SetAgents(n int) {
	q.agentsMu.Lock()
	q.agents = max(n, 0)
	q.agentsMu.Unlock()
	ctx, cancel := q.ctx()
	defer cancel()
	q.notifyMu.Lock()
	defer q.notifyMu.Unlock()
	q.publishAgents(ctx)
	if _, err := q.changed(ctx); err != nil {
		q.logger.Warn("queue: announce changes", "err", err)
	}
}

func (q *RedisQueue) publishAgents(ctx context.Context) {
	q.agentsMu.Lock()
	n := q.agents
	q.agentsMu.Unlock()
	v := fmt.Sprintf("%d:%d", n, q.cfg.Now().UnixMilli())
	if err := q.rdb.HSet(ctx, keyAgents, q.cfg.Instance, v).Err(); err != nil && ctx.Err() == nil {
		q.logger.Warn("queue: publish agent count", "err", err)
	}
}

// snapshot is one consistent read of the shared queue.
type snapshot struct {
	entries []storedEntry // service order
	agents  int
	avg     time.Duration
}

func (q *RedisQueue) read(ctx context.Context) (snapshot, error) {
	var (
		ids     *redis.StringSliceCmd
		entries *redis.MapStringStringCmd
		agents  *redis.MapStringStringCmd
		handled *redis.StringSliceCmd
	)
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		ids = p.ZRange(ctx, keyWaiting, 0, -1)
		entries = p.HGetAll(ctx, keyEntries)
		agents = p.HGetAll(ctx, keyAgents)
		handled = p.LRange(ctx, keyHandled, 0, int64(q.cfg.Window-1))
		return nil
	})
	if err != nil {
		return snapshot{}, unavailable(err)
	}
	var s snapshot
	for _, id := range ids.Val() {
		raw, ok := entries.Val()[id]
		if !ok {
			continue
		}
		var se storedEntry
		if err := json.Unmarshal([]byte(raw), &se); err != nil {
			q.logger.Warn("queue: undecodable entry skipped", "session_id", id, "err", err)
			continue
		}
		s.entries = append(s.entries, se)
	}
	now := q.cfg.Now()
	for _, v := range agents.Val() {
		n, ms, ok := strings.Cut(v, ":")
		count, err1 := strconv.Atoi(n)
		at, err2 := strconv.ParseInt(ms, 10, 64)
		if !ok || err1 != nil || err2 != nil || now.Sub(time.UnixMilli(at)) > q.cfg.AgentTTL {
			continue
		}
		s.agents += count
	}
	s.avg = q.cfg.DefaultHandle
	if hs := handled.Val(); len(hs) > 0 {
		var sum time.Duration
		for _, h := range hs {
			ms, _ := strconv.ParseInt(h, 10, 64)
			sum += time.Duration(ms) * time.Millisecond
		}
		s.avg = sum / time.Duration(len(hs))
	}
	return s, nil
}

func (s snapshot) list() []Entry {
	out := make([]Entry, len(s.entries))
	for i, se := range s.entries {
		e := Entry{Session: se.Session, Priority: se.Priority, Reason: se.Reason, Summary: se.Summary, Enqueued: se.Enqueued, Position: i + 1}
		e.ETA = estimate(e.Position, s.agents, s.avg)
		e.ETASeconds = int(e.ETA / time.Second)
		out[i] = e
	}
	return out
}

// changed announces, to OnChange here and to the other instances, the entries whose
// position or estimate differs from what was last announced anywhere in the fleet. It
// returns the current list.
func (q *RedisQueue) changed(ctx context.Context) ([]Entry, error) {
	s, err := q.read(ctx)
	if err != nil {
		return nil, err
	}
	list := s.list()
	counts := map[string]int{PriorityEmergency: 0, PriorityHigh: 0, PriorityNormal: 0}
	for _, e := range list {
		counts[e.Priority]++
	}
	for p, n := range counts {
		q.waiting.WithLabelValues(p).Set(float64(n))
	}
	last, err := q.rdb.HGetAll(ctx, keyAnnounced).Result()
	if err != nil {
		return list, unavailable(err)
	}
	var changed []Entry
	fields := []any{}
	for _, e := range list {
		v := fmt.Sprintf("%d:%d", e.Position, e.ETASeconds)
		if last[e.Session] != v {
			changed = append(changed, e)
			fields = append(fields, e.Session, v)
		}
	}
	if len(changed) > 0 {
		if err := q.rdb.HSet(ctx, keyAnnounced, fields...).Err(); err != nil {
			return list, unavailable(err)
		}
		if q.cfg.OnChange != nil {
			q.cfg.OnChange(changed)
		}
	}
	if err := q.rdb.Publish(ctx, chanChanged, q.cfg.Instance).Err(); err != nil {
		q.logger.Warn("queue: notify the fleet", "err", err)
	}
	return list, nil
}

// Get returns a waiting session's entry.
func (q *RedisQueue) Get(session string) (Entry, bool) {
	for _, e := range q.List() {
		if e.Session == session {
			return e, true
		}
	}
	return Entry{}, false
}

// List returns the waiting sessions in service order (empty while Redis is away).
func (q *RedisQueue) List() []Entry {
	ctx, cancel := q.ctx()
	defer cancel()
	s, err := q.read(ctx)
	if err != nil {
		q.logger.Warn("queue: list", "err", err)
		return nil
	}
	return s.list()
}

// Len reports how many customers wait.
func (q *RedisQueue) Len() int { return len(q.List()) }

// Admit decides whether a new customer should wait (see MemoryQueue.Admit); while Redis
// is away it answers ErrUnavailable, so a callback is offered.
func (q *RedisQueue) Admit(priority string) error {
	r, err := rank(priority)
	if err != nil {
		return err
	}
	if !q.cfg.Hours.Contains(q.cfg.Now()) {
		return ErrClosed
	}
	ctx, cancel := q.ctx()
	defer cancel()
	s, err := q.read(ctx)
	if err != nil {
		return err
	}
	if s.agents == 0 {
		return ErrNoAgents
	}
	pos := 1
	for _, se := range s.entries {
		if rr, _ := rank(se.Priority); rr <= r {
			pos++
		}
	}
	if eta := estimate(pos, s.agents, s.avg); eta > q.cfg.WaitLimit {
		return fmt.Errorf("%w: about %s", ErrWaitTooLong, eta.Round(time.Minute))
	}
	return nil
}

// Overdue returns the entries waiting past the limit, each once across the fleet.
func (q *RedisQueue) Overdue() []Entry {
	ctx, cancel := q.ctx()
	defer cancel()
	s, err := q.read(ctx)
	if err != nil {
		q.logger.Warn("queue: overdue", "err", err)
		return nil
	}
	now := q.cfg.Now()
	var out []Entry
	for _, e := range s.list() {
		if now.Sub(e.Enqueued) <= q.cfg.WaitLimit {
			continue
		}
		first, err := q.rdb.HSetNX(ctx, keyOffered, e.Session, 1).Result()
		if err != nil {
			q.logger.Warn("queue: overdue", "err", err)
			return out
		}
		if first {
			out = append(out, e)
		}
	}
	return out
}

// AverageHandle is the handling time the estimate currently uses.
func (q *RedisQueue) AverageHandle() time.Duration {
	ctx, cancel := q.ctx()
	defer cancel()
	s, err := q.read(ctx)
	if err != nil {
		return q.cfg.DefaultHandle
	}
	return s.avg
}
