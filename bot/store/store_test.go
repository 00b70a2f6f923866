package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"dianbao/bot"
	"dianbao/dialogs"
)

// fakeClock is a settable clock for expiry in the memory and bolt stores.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type backend struct {
	name string
	open func(t *testing.T, clk *fakeClock) bot.Store
	// expire makes a session written with ttl expire (moving the fake clock, or waiting
	// for Redis' real one).
	expire func(clk *fakeClock, ttl time.Duration)
}

func backends(t *testing.T) []backend {
	return []backend{
		{"memory", func(t *testing.T, clk *fakeClock) bot.Store { return NewMemoryStore(Options{Now: clk.Now}) },
			func(clk *fakeClock, ttl time.Duration) { clk.Add(ttl) }},
		{"bolt", func(t *testing.T, clk *fakeClock) bot.Store {
			s, err := OpenBolt(filepath.Join(t.TempDir(), "d.db"), Options{Now: clk.Now})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		}, func(clk *fakeClock, ttl time.Duration) { clk.Add(ttl) }},
		{"redis", func(t *testing.T, clk *fakeClock) bot.Store { return openRedisT(t, startRedis(t)) },
			func(clk *fakeClock, ttl time.Duration) { time.Sleep(ttl + 50*time.Millisecond) }},
	}
}

func TestStoreSessions(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			clk := &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			s := b.open(t, clk)

			_, err := s.Session(ctx, "nobody")
			require.ErrorIs(t, err, bot.ErrNotFound)

			want := bot.Session{ID: "s1", Mode: bot.ModeQueued, Expect: "phone", Created: clk.Now(), Updated: clk.Now(),
				Handoff:    &bot.HandoffInfo{Priority: "high", Reason: "agitation", QueuedAt: clk.Now()},
				Transcript: []bot.Event{bot.Message(bot.FromBot, "您好", "menu", nil)}}
			require.NoError(t, s.PutSession(ctx, want, 200*time.Millisecond))
			got, err := s.Session(ctx, "s1")
			require.NoError(t, err)
			require.Equal(t, want.Mode, got.Mode)
			require.Equal(t, want.Handoff.Reason, got.Handoff.Reason)
			require.Equal(t, "您好", got.Transcript[0].Text)
			require.True(t, want.Created.Equal(got.Created))

			require.NoError(t, s.PutSession(ctx, bot.Session{ID: "s2", Mode: bot.ModeBot}, time.Hour))
			all, err := s.Sessions(ctx)
			require.NoError(t, err)
			require.Len(t, all, 2)

			b.expire(clk, 200*time.Millisecond)
			_, err = s.Session(ctx, "s1")
			require.ErrorIs(t, err, bot.ErrNotFound, "an idle session expires")
			all, err = s.Sessions(ctx)
			require.NoError(t, err)
			require.Len(t, all, 1)
			require.Equal(t, "s2", all[0].ID)
		})
	}
}

func TestStoreLock(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := b.open(t, &fakeClock{t: time.Now()})
			unlock, err := s.Lock(ctx, "s1", 5*time.Second)
			require.NoError(t, err)

			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			_, err = s.Lock(short, "s1", 5*time.Second)
			require.ErrorIs(t, err, bot.ErrLocked, "a held lock is not taken twice")

			other, err := s.Lock(ctx, "s2", 5*time.Second)
			require.NoError(t, err, "locks are per session")
			other()

			unlock()
			unlock() // idempotent
			again, err := s.Lock(ctx, "s1", 5*time.Second)
			require.NoError(t, err)
			again()

			// Many goroutines incrementing under the lock never overlap.
			var inside, maxInside atomic.Int32
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 5 {
						u, err := s.Lock(ctx, "s3", 5*time.Second)
						if err != nil {
							t.Error(err)
							return
						}
						if n := inside.Add(1); n > maxInside.Load() {
							maxInside.Store(n)
						}
						time.Sleep(time.Millisecond)
						inside.Add(-1)
						u()
					}
				}()
			}
			wg.Wait()
			require.Equal(t, int32(1), maxInside.Load())
		})
	}
}

func TestStoreTickets(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := b.open(t, &fakeClock{t: time.Now()})
			day := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
			tickets := []bot.Ticket{
				{ID: "RP202611230001", Kind: "repair", Status: bot.StatusOpen, Created: day, Fields: map[string]string{"phone": "13712345678", "address": "解放路88号"}},
				{ID: "CP202611230001", Kind: "complaint", Status: bot.StatusOpen, Created: day.Add(time.Hour), Fields: map[string]string{"phone": "13712345678"}},
				{ID: "EM202611230001", Kind: "emergency", Status: bot.StatusDispatched, Created: day.Add(2 * time.Hour), Fields: map[string]string{"phone": "13900000000"}},
			}
			for _, tk := range tickets {
				require.NoError(t, s.PutTicket(ctx, tk))
			}
			got, err := s.Ticket(ctx, "RP202611230001")
			require.NoError(t, err)
			require.Equal(t, "解放路88号", got.Fields["address"])
			_, err = s.Ticket(ctx, "RP209901010001")
			require.ErrorIs(t, err, bot.ErrNotFound)

			tests := []struct {
				name string
				f    bot.TicketFilter
				want []string
			}{
				{"all newest first", bot.TicketFilter{}, []string{"EM202611230001", "CP202611230001", "RP202611230001"}},
				{"by phone", bot.TicketFilter{Phone: "13712345678"}, []string{"CP202611230001", "RP202611230001"}},
				{"by kind", bot.TicketFilter{Kind: "emergency"}, []string{"EM202611230001"}},
				{"by status", bot.TicketFilter{Status: bot.StatusOpen}, []string{"CP202611230001", "RP202611230001"}},
				{"since", bot.TicketFilter{Since: day.Add(time.Hour)}, []string{"EM202611230001", "CP202611230001"}},
				{"limit", bot.TicketFilter{Limit: 1}, []string{"EM202611230001"}},
				{"unknown phone", bot.TicketFilter{Phone: "10000000000"}, nil},
			}
			for _, tt := range tests {
				list, err := s.Tickets(ctx, tt.f)
				require.NoError(t, err, tt.name)
				var ids []string
				for _, x := range list {
					ids = append(ids, x.ID)
				}
				require.Equal(t, tt.want, ids, tt.name)
			}

			// A pending 回访 is found through its index, alone or with the phone, until asked.
			cp, err := s.Ticket(ctx, "CP202611230001")
			require.NoError(t, err)
			cp.Status, cp.FollowUp, cp.Session = bot.StatusResolved, bot.FollowUpPending, "sess-9"
			require.NoError(t, s.PutTicket(ctx, cp))
			for _, f := range []bot.TicketFilter{{FollowUp: bot.FollowUpPending}, {FollowUp: bot.FollowUpPending, Phone: "13712345678"},
				{FollowUp: bot.FollowUpPending, Session: "sess-9"}} {
				list, err := s.Tickets(ctx, f)
				require.NoError(t, err)
				require.Len(t, list, 1, "%+v", f)
				require.Equal(t, "CP202611230001", list[0].ID)
			}
			list, err := s.Tickets(ctx, bot.TicketFilter{FollowUp: bot.FollowUpPending, Session: "other"})
			require.NoError(t, err)
			require.Empty(t, list)
			cp.FollowUp = bot.FollowUpAsked
			require.NoError(t, s.PutTicket(ctx, cp))
			list, err = s.Tickets(ctx, bot.TicketFilter{FollowUp: bot.FollowUpPending})
			require.NoError(t, err)
			require.Empty(t, list, "an asked 回访 leaves the pending index")

			// Changing a ticket's phone moves it in the phone index.
			got.Fields["phone"] = "13900000000"
			require.NoError(t, s.PutTicket(ctx, got))
			list, err = s.Tickets(ctx, bot.TicketFilter{Phone: "13712345678"})
			require.NoError(t, err)
			require.Len(t, list, 1)

			for want := int64(1); want <= 3; want++ {
				require.Equal(t, want, createTicket(t, s, "ticket:CS20261123"))
			}
			require.Equal(t, int64(1), createTicket(t, s, "ticket:CS20261124"), "each day has its own sequence")
			list, err = s.Tickets(ctx, bot.TicketFilter{Phone: "13600000000"})
			require.NoError(t, err)
			require.Len(t, list, 4, "created tickets are indexed")
		})
	}
}

func TestBoltSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := OpenBolt(path, Options{})
	require.NoError(t, err)
	require.NoError(t, s.PutSession(ctx, bot.Session{ID: "s1", Mode: bot.ModeAgent, Expect: "address"}, time.Hour))
	require.NoError(t, s.PutTicket(ctx, bot.Ticket{ID: "RP202611230001", Kind: "repair", Status: "open", Fields: map[string]string{"phone": "13712345678"}}))
	require.Equal(t, int64(1), createTicket(t, s, "k"))

	_, err = OpenBolt(path, Options{})
	require.Error(t, err, "a second process must not open the same file")
	require.Contains(t, err.Error(), "in use")

	require.NoError(t, s.Close())
	s, err = OpenBolt(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	sess, err := s.Session(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, bot.ModeAgent, sess.Mode)
	require.Equal(t, "address", sess.Expect)
	tk, err := s.Ticket(ctx, "RP202611230001")
	require.NoError(t, err)
	require.Equal(t, "repair", tk.Kind)
	require.Equal(t, int64(2), createTicket(t, s, "k"), "sequences continue after a restart")
}

func TestBoltCorruptSessionsFileStartsEmpty(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	require.NoError(t, writeFile(path+"-sessions", []byte("this is not a bolt file at all, just garbage bytes")))
	s, err := OpenBolt(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Session(ctx, "x")
	require.ErrorIs(t, err, bot.ErrNotFound)
}

func TestRedisRestart(t *testing.T) {
	ctx := context.Background()
	r := startRedis(t)
	s := openRedisT(t, r)
	require.NoError(t, s.PutSession(ctx, bot.Session{ID: "s1"}, time.Minute))

	r.Stop()
	_, err := s.Session(ctx, "s1")
	require.ErrorIs(t, err, bot.ErrUnavailable, "a clear error while Redis is down")
	require.NotErrorIs(t, err, bot.ErrNotFound)
	_, err = s.Lock(ctx, "s1", time.Second)
	require.ErrorIs(t, err, bot.ErrUnavailable)
	_, err = s.CreateTicket(ctx, "k", func(n int64) bot.Ticket { return bot.Ticket{ID: "x"} })
	require.ErrorIs(t, err, bot.ErrUnavailable)

	r.Start() // same port, empty data (--save '')
	var got error
	require.Eventually(t, func() bool {
		got = s.PutSession(ctx, bot.Session{ID: "s2"}, time.Minute)
		return got == nil
	}, 5*time.Second, 20*time.Millisecond, "the store recovers once Redis is back: %v", got)
	sess, err := s.Session(ctx, "s2")
	require.NoError(t, err)
	require.Equal(t, "s2", sess.ID)
	unlock, err := s.Lock(ctx, "s2", time.Second)
	require.NoError(t, err)
	unlock()
}

func TestRedisLockExpiresAndTokenProtects(t *testing.T) {
	ctx := context.Background()
	s := openRedisT(t, startRedis(t))
	unlockA, err := s.Lock(ctx, "s1", 100*time.Millisecond)
	require.NoError(t, err)
	// A dead holder's lock frees itself after its ttl.
	unlockB, err := s.Lock(ctx, "s1", 5*time.Second)
	require.NoError(t, err)
	unlockA() // the stale holder must not release B's lock
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = s.Lock(short, "s1", time.Second)
	require.ErrorIs(t, err, bot.ErrLocked)
	unlockB()
}

func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	r := startRedis(t)
	tests := []struct {
		url     string
		wantErr error
		want    string
	}{
		{"memory", nil, "*store.MemoryStore"},
		{"bolt:" + filepath.Join(t.TempDir(), "x.db"), nil, "*store.BoltStore"},
		{r.URL(), nil, "*store.RedisStore"},
		{"postgres://x", bot.ErrBadInput, ""},
		{"redis://127.0.0.1:1/0", bot.ErrUnavailable, ""},
	}
	for _, tt := range tests {
		s, err := Open(ctx, tt.url, Options{})
		if tt.wantErr != nil {
			require.ErrorIs(t, err, tt.wantErr, tt.url)
			continue
		}
		require.NoError(t, err, tt.url)
		require.Equal(t, tt.want, typeName(s))
		require.NoError(t, s.Close())
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *MemoryStore:
		return "*store.MemoryStore"
	case *BoltStore:
		return "*store.BoltStore"
	case *RedisStore:
		return "*store.RedisStore"
	}
	return "?"
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

func TestBoltWritesSessionsBehind(t *testing.T) {
	ctx := context.Background()
	before := runtime.NumGoroutine()
	s, err := OpenBolt(filepath.Join(t.TempDir(), "d.db"), Options{SessionFlush: 10 * time.Millisecond})
	require.NoError(t, err)
	defer s.Close()
	in := bot.Session{ID: "s1", Mode: bot.ModeQueued, Handoff: &bot.HandoffInfo{Priority: "normal"},
		State: dialogs.State{Slots: map[string]string{"phone": "13712345678"}}, Tickets: []string{"RP1"}}
	require.NoError(t, s.PutSession(ctx, in, time.Hour))

	// The store keeps its own copy: neither the writer's nor a reader's changes leak in.
	in.State.Slots["phone"] = "changed"
	in.Handoff.Priority = "changed"
	got, err := s.Session(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, "13712345678", got.State.Slots["phone"])
	require.Equal(t, "normal", got.Handoff.Priority)
	got.State.Slots["phone"] = "changed"
	got.Handoff.Priority = "changed"
	got.Tickets = append(got.Tickets, "RP2")
	again, err := s.Session(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, "13712345678", again.State.Slots["phone"])
	require.Equal(t, []string{"RP1"}, again.Tickets)

	// The flusher writes it to the file without waiting for Close.
	require.Eventually(t, func() bool {
		var found bool
		require.NoError(t, s.sdb.View(func(tx *bolt.Tx) error {
			found = tx.Bucket(bucketSessions).Get([]byte("s1")) != nil
			return nil
		}))
		return found
	}, 2*time.Second, 10*time.Millisecond)
	// An idle session leaves memory (after 100 flush intervals) and is read back from the file.
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.cache["s1"] == nil
	}, 5*time.Second, 20*time.Millisecond)
	got, err = s.Session(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, bot.ModeQueued, got.Mode)
	all, err := s.Sessions(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	requireGoroutinesBack(t, before, "Close stops the flusher")
	require.ErrorIs(t, s.PutSession(ctx, in, time.Hour), bot.ErrClosed)
}

// createTicket numbers a consult ticket on seqKey, checks it was stored under the id
// built from the number, and returns the number.
func createTicket(t *testing.T, s bot.Store, seqKey string) int64 {
	t.Helper()
	ctx := context.Background()
	var got int64
	tk, err := s.CreateTicket(ctx, seqKey, func(n int64) bot.Ticket {
		got = n
		return bot.Ticket{ID: fmt.Sprintf("%s-%04d", seqKey, n), Kind: "consult", Status: bot.StatusOpen,
			Created: time.Now(), Fields: map[string]string{"phone": "13600000000"}, Session: "seq"}
	})
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("%s-%04d", seqKey, got), tk.ID)
	stored, err := s.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "consult", stored.Kind)
	return got
}
