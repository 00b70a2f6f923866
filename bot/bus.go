package bot

import (
	"context"
	"sync"
)

// Bus carries published events to whoever watches a session (its other channels, the
// agent console) or all sessions. A Redis-backed bus can implement it for a fleet.
type Bus interface {
	// Publish sends the events of one session, in order.
	Publish(ctx context.Context, sessionID string, events []Event) error
	// Subscribe delivers the events of sessionID, or of every session when sessionID is
	// "". The channel is closed by cancel; a subscriber that falls behind loses events
	// rather than stalling turns.
	Subscribe(sessionID string) (events <-chan Event, cancel func())
}

// MemoryBus is the in-process Bus. It starts no goroutines.
type MemoryBus struct {
	mu     sync.Mutex
	subs   map[string]map[*subscriber]struct{}
	buffer int
	closed bool
	// Dropped counts events a slow subscriber missed; tests and metrics read it.
	dropped int64
}

type subscriber struct{ ch chan Event }

var _ Bus = (*MemoryBus)(nil)

// NewMemoryBus returns a bus whose subscriber channels hold buffer events (64 when <= 0).
func NewMemoryBus(buffer int) *MemoryBus {
	if buffer <= 0 {
		buffer = 64
	}
	return &MemoryBus{subs: map[string]map[*subscriber]struct{}{}, buffer: buffer}
}

// Publish never blocks: a full subscriber channel drops the event.
func (b *MemoryBus) Publish(ctx context.Context, sessionID string, events []Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	for _, key := range []string{sessionID, ""} {
		for s := range b.subs[key] {
			for _, ev := range events {
				select {
				case s.ch <- ev:
				default:
					b.dropped++
				}
			}
		}
	}
	return nil
}

// Subscribe registers a subscriber; see Bus.
func (b *MemoryBus) Subscribe(sessionID string) (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, b.buffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	if b.subs[sessionID] == nil {
		b.subs[sessionID] = map[*subscriber]struct{}{}
	}
	b.subs[sessionID][s] = struct{}{}
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if _, ok := b.subs[sessionID][s]; ok {
				delete(b.subs[sessionID], s)
				if len(b.subs[sessionID]) == 0 {
					delete(b.subs, sessionID)
				}
				close(s.ch)
			}
		})
	}
}

// Dropped returns how many events slow subscribers missed.
func (b *MemoryBus) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Close closes every subscriber channel; later publishes fail with ErrClosed.
func (b *MemoryBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	for key, set := range b.subs {
		for s := range set {
			close(s.ch)
		}
		delete(b.subs, key)
	}
	return nil
}
