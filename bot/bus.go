package bot

import (
	"context"
	"sync"
)

// Bus carries published events to whoever watches a session (its other channels, the
// agent console) or all sessions. MemoryBus serves one process; store.RedisBus a fleet.
type Bus interface {
	// Publish sends the events of one session, in order.
	Publish(ctx context.Context, sessionID string, events []Event) error
	// Subscribe delivers the events of sessionID, or of every session when sessionID is
	// "". The channel is closed by cancel; a subscriber that falls behind loses events
	// rather than stalling turns.
	Subscribe(sessionID string) (events <-chan Event, cancel func())
}

// Fanout hands events to the in-process subscribers of a key (a session id, or "" for
// all sessions). It is the delivery half of every Bus, so each backend only moves events
// between processes. It starts no goroutines and never blocks a publisher.
type Fanout struct {
	mu      sync.Mutex
	subs    map[string]map[chan Event]struct{}
	buffer  int
	closed  bool
	dropped int64
}

// NewFanout returns a fanout whose subscriber channels hold buffer events (64 when <= 0).
func NewFanout(buffer int) *Fanout {
	if buffer <= 0 {
		buffer = 64
	}
	return &Fanout{subs: map[string]map[chan Event]struct{}{}, buffer: buffer}
}

// Deliver gives events to the subscribers of key; a full subscriber channel drops the
// event (counted in Dropped).
func (f *Fanout) Deliver(key string, events []Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	for ch := range f.subs[key] {
		for _, ev := range events {
			select {
			case ch <- ev:
			default:
				f.dropped++
			}
		}
	}
	return nil
}

// Subscribe registers a subscriber of key; cancel (idempotent) closes its channel.
func (f *Fanout) Subscribe(key string) (<-chan Event, func()) {
	ch := make(chan Event, f.buffer)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		close(ch)
		return ch, func() {}
	}
	if f.subs[key] == nil {
		f.subs[key] = map[chan Event]struct{}{}
	}
	f.subs[key][ch] = struct{}{}
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[key][ch]; ok {
			delete(f.subs[key], ch)
			if len(f.subs[key]) == 0 {
				delete(f.subs, key)
			}
			close(ch)
		}
	}
}

// Dropped returns how many events slow subscribers missed.
func (f *Fanout) Dropped() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dropped
}

// Close closes every subscriber channel; later deliveries fail with ErrClosed.
func (f *Fanout) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	for key, set := range f.subs {
		for ch := range set {
			close(ch)
		}
		delete(f.subs, key)
	}
	return nil
}

// MemoryBus is the in-process Bus: publishing delivers straight to the session's and
// the global subscribers.
type MemoryBus struct{ *Fanout }

var _ Bus = (*MemoryBus)(nil)

// NewMemoryBus returns a bus whose subscriber channels hold buffer events (64 when <= 0).
func NewMemoryBus(buffer int) *MemoryBus { return &MemoryBus{NewFanout(buffer)} }

// Publish never blocks: a full subscriber channel drops the event.
func (b *MemoryBus) Publish(ctx context.Context, sessionID string, events []Event) error {
	if sessionID != "" {
		if err := b.Deliver(sessionID, events); err != nil {
			return err
		}
	}
	return b.Deliver("", events)
}
