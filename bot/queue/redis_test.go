package queue

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"dianbao/bot/store/redistest"
)

// fleetQueue is one instance's view of the queue shared on r.
func fleetQueue(t *testing.T, r *redistest.Server, cfg RedisConfig) *RedisQueue {
	t.Helper()
	q, err := NewRedisQueue(cfg, redis.NewClient(&redis.Options{Addr: r.Addr()}), nil, prometheus.NewRegistry())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, q.Close()) })
	return q
}

// queueAPI is the method set MemoryQueue and RedisQueue share (the desk's Queue).
type queueAPI interface {
	Enqueue(Entry) (Entry, error)
	Reenter(Entry) (Entry, error)
	Remove(string) bool
	Claim(session, agent string) (Entry, error)
	Done(string, time.Duration)
	SetAgents(int)
	List() []Entry
	Get(string) (Entry, bool)
	Admit(string) error
	Overdue() []Entry
}

var (
	_ queueAPI = (*MemoryQueue)(nil)
	_ queueAPI = (*RedisQueue)(nil)
)

// Both implementations answer the same sequence of operations identically.
func TestMemoryAndRedisAgree(t *testing.T) {
	r := redistest.Start(t)
	c := newClock()
	mem := newQueue(t, Config{Now: c.Now, WaitLimit: 5 * time.Minute})
	red := fleetQueue(t, r, RedisConfig{Config: Config{Now: c.Now, WaitLimit: 5 * time.Minute}})
	steps := []struct {
		name string
		do   func(q queueAPI) any
	}{
		{"no agents", func(q queueAPI) any { return errors.Is(q.Admit(PriorityNormal), ErrNoAgents) }},
		{"agents", func(q queueAPI) any { q.SetAgents(2); return q.Admit(PriorityNormal) }},
		{"a", func(q queueAPI) any {
			e, err := q.Enqueue(Entry{Session: "a", Reason: "human", Summary: "停电"})
			return pair(e, err)
		}},
		{"b", func(q queueAPI) any { e, err := q.Enqueue(Entry{Session: "b"}); return pair(e, err) }},
		{"c high", func(q queueAPI) any {
			e, err := q.Enqueue(Entry{Session: "c", Priority: PriorityHigh})
			return pair(e, err)
		}},
		{"a again keeps place", func(q queueAPI) any { e, err := q.Enqueue(Entry{Session: "a", Reason: "again"}); return pair(e, err) }},
		{"b raised", func(q queueAPI) any {
			e, err := q.Enqueue(Entry{Session: "b", Priority: PriorityEmergency})
			return pair(e, err)
		}},
		{"bad priority", func(q queueAPI) any {
			_, err := q.Enqueue(Entry{Session: "x", Priority: "urgent"})
			return errors.Is(err, ErrBadPriority)
		}},
		{"list", func(q queueAPI) any { return sessions(q.List()) }},
		{"claim b", func(q queueAPI) any { e, err := q.Claim("b", "wang"); return pair(e, err) }},
		{"claim b again", func(q queueAPI) any { _, err := q.Claim("b", "li"); return errors.Is(err, ErrTaken) }},
		{"mirror of b refused", func(q queueAPI) any { _, err := q.Enqueue(Entry{Session: "b"}); return errors.Is(err, ErrTaken) }},
		{"done b", func(q queueAPI) any { q.Done("b", 4*time.Minute); return sessions(q.List()) }},
		{"estimate uses handling time", func(q queueAPI) any { e, _ := q.Get("a"); return e.ETASeconds }},
		{"b comes back", func(q queueAPI) any { e, err := q.Reenter(Entry{Session: "b"}); return pair(e, err) }},
		{"remove c", func(q queueAPI) any { return []any{q.Remove("c"), q.Remove("c"), sessions(q.List())} }},
		{"overdue", func(q queueAPI) any { c.Add(6 * time.Minute); return sessions(q.Overdue()) }},
		{"overdue once", func(q queueAPI) any { return sessions(q.Overdue()) }},
	}
	for _, st := range steps {
		m, rd := st.do(mem), st.do(red)
		require.Equal(t, m, rd, st.name)
		if st.name == "overdue" {
			c.Add(-6 * time.Minute) // the second queue sees the same clock
		}
	}
}

func pair(e Entry, err error) any {
	return fmt.Sprintf("%s %s %q %q pos=%d eta=%d err=%v", e.Session, e.Priority, e.Reason, e.Summary, e.Position, e.ETASeconds, err)
}

func sessions(es []Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s@%d", e.Session, e.Position))
	}
	return out
}

// Instances of a fleet see one queue: positions, agent counts, claims and overdue offers
// are shared, and each instance hears about the others' changes.
func TestFleetSharesOneQueue(t *testing.T) {
	r := redistest.Start(t)
	c := newClock()
	var remote atomic.Int32
	var changes sync.Map
	cfg := func(name string) RedisConfig {
		return RedisConfig{Config: Config{Now: c.Now, WaitLimit: time.Minute, OnChange: func(es []Entry) {
			for _, e := range es {
				changes.Store(name+"/"+e.Session, e.Position)
			}
		}}, Instance: name, OnRemoteChange: func() { remote.Add(1) }}
	}
	a, b := fleetQueue(t, r, cfg("a")), fleetQueue(t, r, cfg("b"))
	a.SetAgents(1)
	b.SetAgents(2)
	for i, q := range []*RedisQueue{a, b, a, b} {
		e, err := q.Enqueue(Entry{Session: fmt.Sprint("s", i)})
		require.NoError(t, err)
		require.Equal(t, i+1, e.Position, "one sequence across instances")
		require.Equal(t, time.Duration((i+3)/3)*3*time.Minute, e.ETA, "3 agents online in the fleet serve a round at a time")
	}
	require.Equal(t, a.List(), b.List())
	require.Eventually(t, func() bool { return remote.Load() > 0 }, 3*time.Second, 10*time.Millisecond)

	// Many agents on both instances race for every customer: each is taken exactly once.
	var wg sync.WaitGroup
	var won sync.Map
	var wins atomic.Int32
	for i := range 8 {
		q := []*RedisQueue{a, b}[i%2]
		for s := range 4 {
			wg.Go(func() {
				if _, err := q.Claim(fmt.Sprint("s", s), fmt.Sprint("agent", i)); err == nil {
					wins.Add(1)
					_, dup := won.LoadOrStore(s, i)
					require.False(t, dup)
				} else {
					require.ErrorIs(t, err, ErrTaken)
				}
			})
		}
	}
	wg.Wait()
	require.EqualValues(t, 4, wins.Load())
	require.Empty(t, b.List())

	// A crashed instance's agents stop counting once its count is stale.
	b.SetAgents(0)
	c.Add(time.Minute)
	require.ErrorIs(t, b.Admit(PriorityNormal), ErrNoAgents)

	// The overdue offer goes out once for the fleet.
	_, err := a.Enqueue(Entry{Session: "late"})
	require.NoError(t, err)
	c.Add(2 * time.Minute)
	got := append(a.Overdue(), b.Overdue()...)
	require.Len(t, got, 1)
	v, ok := changes.Load("a/late")
	require.True(t, ok)
	require.Equal(t, 1, v)
}

// While Redis is away mutations fail with ErrUnavailable and reads are empty; nothing
// panics and the queue works again when Redis is back.
func TestRedisQueueOutage(t *testing.T) {
	r := redistest.Start(t)
	q := fleetQueue(t, r, RedisConfig{Timeout: 500 * time.Millisecond})
	r.Stop()
	_, err := q.Enqueue(Entry{Session: "a"})
	require.ErrorIs(t, err, ErrUnavailable)
	_, err = q.Claim("a", "wang")
	require.ErrorIs(t, err, ErrUnavailable)
	require.Empty(t, q.List())
	require.False(t, q.Remove("a"))
	require.Error(t, q.Admit(PriorityNormal))
	r.Start()
	require.Eventually(t, func() bool {
		_, err := q.Enqueue(Entry{Session: "a"})
		return err == nil
	}, 5*time.Second, 50*time.Millisecond)
	e, ok := q.Get("a")
	require.True(t, ok)
	require.Equal(t, 1, e.Position)
}
