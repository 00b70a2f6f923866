package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"dianbao/bot"
)

// MemoryStore keeps everything in the process. Sessions are kept as clones and tickets
// as JSON, so callers never alias stored data, exactly as with the other backends.
type MemoryStore struct {
	opt      Options
	locks    localLocks
	mu       sync.Mutex
	sessions map[string]memSession
	tickets  map[string][]byte
	seq      map[string]int64
}

type memSession struct {
	s       bot.Session
	expires time.Time
}

// NewMemoryStore returns an empty store.
func NewMemoryStore(opt Options) *MemoryStore {
	return &MemoryStore{opt: opt.withDefaults(), sessions: map[string]memSession{},
		tickets: map[string][]byte{}, seq: map[string]int64{}}
}

// Session implements bot.SessionStore.
func (m *MemoryStore) Session(ctx context.Context, id string) (bot.Session, error) {
	m.mu.Lock()
	rec, ok := m.sessions[id]
	if ok && !m.opt.Now().Before(rec.expires) {
		delete(m.sessions, id)
		ok = false
	}
	m.mu.Unlock()
	if !ok {
		return bot.Session{}, fmt.Errorf("session %s: %w", id, bot.ErrNotFound)
	}
	return rec.s.Clone(), nil
}

// PutSession implements bot.SessionStore.
func (m *MemoryStore) PutSession(ctx context.Context, s bot.Session, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.ID] = memSession{s: s.Clone(), expires: m.opt.Now().Add(ttl)}
	return nil
}

// Sessions implements bot.SessionStore.
func (m *MemoryStore) Sessions(ctx context.Context) ([]bot.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opt.Now()
	out := make([]bot.Session, 0, len(m.sessions))
	for id, rec := range m.sessions {
		if !now.Before(rec.expires) {
			delete(m.sessions, id)
			continue
		}
		out = append(out, rec.s.Clone())
	}
	return out, nil
}

// Lock implements bot.SessionStore; ttl is moot inside one process.
func (m *MemoryStore) Lock(ctx context.Context, id string, ttl time.Duration) (func(), error) {
	return m.locks.lock(ctx, id)
}

// Ticket implements bot.TicketStore.
func (m *MemoryStore) Ticket(ctx context.Context, id string) (bot.Ticket, error) {
	m.mu.Lock()
	b, ok := m.tickets[id]
	m.mu.Unlock()
	if !ok {
		return bot.Ticket{}, fmt.Errorf("ticket %s: %w", id, bot.ErrNotFound)
	}
	var t bot.Ticket
	return t, json.Unmarshal(b, &t)
}

// PutTicket implements bot.TicketStore.
func (m *MemoryStore) PutTicket(ctx context.Context, t bot.Ticket) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tickets[t.ID] = b
	return nil
}

// Tickets implements bot.TicketStore.
func (m *MemoryStore) Tickets(ctx context.Context, f bot.TicketFilter) ([]bot.Ticket, error) {
	m.mu.Lock()
	all := make([]bot.Ticket, 0, len(m.tickets))
	for _, b := range m.tickets {
		var t bot.Ticket
		if err := json.Unmarshal(b, &t); err != nil {
			m.mu.Unlock()
			return nil, err
		}
		all = append(all, t)
	}
	m.mu.Unlock()
	bot.SortTickets(all)
	return bot.FilterTickets(all, f), nil
}

// CreateTicket implements bot.TicketStore.
func (m *MemoryStore) CreateTicket(ctx context.Context, seqKey string, build func(int64) bot.Ticket) (bot.Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq[seqKey]++
	t := build(m.seq[seqKey])
	b, err := json.Marshal(t)
	if err != nil {
		m.seq[seqKey]--
		return bot.Ticket{}, err
	}
	m.tickets[t.ID] = b
	return t, nil
}

// Close implements bot.Store.
func (m *MemoryStore) Close() error { return nil }
