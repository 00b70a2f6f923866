package queue

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// 10:00 China time.
func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)} }

func newQueue(t *testing.T, cfg Config) *MemoryQueue {
	t.Helper()
	q, err := NewMemoryQueue(cfg, nil, prometheus.NewRegistry())
	require.NoError(t, err)
	return q
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name string
		in   []Entry
		want []string
	}{
		{"fcfs", []Entry{{Session: "a"}, {Session: "b"}, {Session: "c"}}, []string{"a", "b", "c"}},
		{"priority first", []Entry{
			{Session: "n1", Priority: PriorityNormal}, {Session: "h1", Priority: PriorityHigh},
			{Session: "e1", Priority: PriorityEmergency}, {Session: "n2", Priority: PriorityNormal},
			{Session: "h2", Priority: PriorityHigh}, {Session: "e2", Priority: PriorityEmergency},
		}, []string{"e1", "e2", "h1", "h2", "n1", "n2"}},
		{"re-enqueue keeps place, raise moves up", []Entry{
			{Session: "a"}, {Session: "b"}, {Session: "a", Reason: "again"}, {Session: "b", Priority: PriorityHigh},
		}, []string{"b", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			q := newQueue(t, Config{Now: c.Now})
			for _, e := range tc.in {
				c.Add(time.Second)
				_, err := q.Enqueue(e)
				require.NoError(t, err)
			}
			var got []string
			for i, e := range q.List() {
				require.Equal(t, i+1, e.Position)
				got = append(got, e.Session)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestBadInput(t *testing.T) {
	q := newQueue(t, Config{})
	_, err := q.Enqueue(Entry{})
	require.ErrorIs(t, err, ErrBadSession)
	_, err = q.Enqueue(Entry{Session: "x", Priority: "urgent!!"})
	require.ErrorIs(t, err, ErrBadPriority)
	_, err = q.Claim("missing", "agent1")
	require.ErrorIs(t, err, ErrNotQueued)
	_, err = NewMemoryQueue(Config{Hours: Hours{Open: "8点", Close: "20:00"}}, nil, nil)
	require.ErrorIs(t, err, ErrBadHours)
}

func TestClaimIsAtomic(t *testing.T) {
	for round := range 50 {
		q := newQueue(t, Config{})
		s := fmt.Sprintf("s%d", round)
		_, err := q.Enqueue(Entry{Session: s})
		require.NoError(t, err)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins []string
		)
		for a := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				agent := fmt.Sprintf("agent%d", a)
				if _, err := q.Claim(s, agent); err == nil {
					mu.Lock()
					wins = append(wins, agent)
					mu.Unlock()
				} else {
					require.True(t, errors.Is(err, ErrTaken), err)
				}
			}()
		}
		wg.Wait()
		require.Len(t, wins, 1)
		require.Zero(t, q.Len())
	}
}

func TestEstimateFromHandlingTimes(t *testing.T) {
	c := newClock()
	q := newQueue(t, Config{Now: c.Now, DefaultHandle: 3 * time.Minute, Window: 2})
	q.SetAgents(1)
	for _, s := range []string{"a", "b", "c"} {
		_, err := q.Enqueue(Entry{Session: s})
		require.NoError(t, err)
	}
	etas := func() []int {
		var out []int
		for _, e := range q.List() {
			out = append(out, e.ETASeconds)
		}
		return out
	}
	require.Equal(t, []int{180, 360, 540}, etas())
	q.Done("x", 60*time.Second)
	require.Equal(t, []int{60, 120, 180}, etas())
	q.Done("y", 120*time.Second)
	q.Done("z", 120*time.Second) // window of 2: the 60 s falls out
	require.Equal(t, 2*time.Minute, q.AverageHandle())
	q.SetAgents(2)
	require.Equal(t, []int{120, 120, 240}, etas())
}

func TestAdmit(t *testing.T) {
	tests := []struct {
		name   string
		hours  Hours
		agents int
		queued int
		at     time.Time
		want   error
	}{
		{"open", Hours{}, 1, 0, time.Time{}, nil},
		{"no agent", Hours{}, 0, 0, time.Time{}, ErrNoAgents},
		{"closed at night", Hours{Open: "08:00", Close: "20:00"}, 1, 0, time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), ErrClosed},
		{"open by day", Hours{Open: "08:00", Close: "20:00"}, 1, 0, time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), nil},
		{"night shift spans midnight", Hours{Open: "20:00", Close: "08:00"}, 1, 0, time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), nil},
		{"queue too long", Hours{}, 1, 4, time.Time{}, ErrWaitTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			if !tc.at.IsZero() {
				c.t = tc.at
			}
			q := newQueue(t, Config{Now: c.Now, Hours: tc.hours, WaitLimit: 10 * time.Minute, DefaultHandle: 3 * time.Minute})
			q.SetAgents(tc.agents)
			for i := range tc.queued {
				_, err := q.Enqueue(Entry{Session: fmt.Sprint(i)})
				require.NoError(t, err)
			}
			err := q.Admit(PriorityNormal)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestChangesAndOverdue(t *testing.T) {
	c := newClock()
	var (
		mu   sync.Mutex
		seen []Entry
	)
	q := newQueue(t, Config{Now: c.Now, WaitLimit: time.Minute, OnChange: func(es []Entry) {
		mu.Lock()
		seen = append(seen, es...)
		mu.Unlock()
	}})
	q.SetAgents(1)
	for _, s := range []string{"a", "b"} {
		_, err := q.Enqueue(Entry{Session: s})
		require.NoError(t, err)
	}
	require.Len(t, seen, 2)
	seen = nil
	_, err := q.Claim("a", "agent1")
	require.NoError(t, err)
	require.Len(t, seen, 1, "only b moved")
	require.Equal(t, "b", seen[0].Session)
	require.Equal(t, 1, seen[0].Position)

	require.Empty(t, q.Overdue())
	c.Add(2 * time.Minute)
	over := q.Overdue()
	require.Len(t, over, 1)
	require.Equal(t, "b", over[0].Session)
	require.Empty(t, q.Overdue(), "offered once")
}
