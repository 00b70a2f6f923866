package bot

import (
	"context"
	"time"
)

// SessionStore keeps sessions with an idle expiry and serialises the turns of one session.
type SessionStore interface {
	// Session returns a stored session or an error wrapping ErrNotFound.
	Session(ctx context.Context, id string) (Session, error)
	// PutSession stores s; it expires ttl after this write.
	PutSession(ctx context.Context, s Session, ttl time.Duration) error
	// Sessions lists the live sessions (for the agent queue), in no particular order.
	Sessions(ctx context.Context) ([]Session, error)
	// Lock takes the per-session lock, waiting until ctx ends (then ErrLocked). The lock
	// frees itself after ttl should its holder die; unlock releases it.
	Lock(ctx context.Context, id string, ttl time.Duration) (unlock func(), err error)
}

// TicketStore keeps work orders and the daily id sequences.
type TicketStore interface {
	Ticket(ctx context.Context, id string) (Ticket, error)
	PutTicket(ctx context.Context, t Ticket) error
	// Tickets lists the tickets matching f, newest first.
	Tickets(ctx context.Context, f TicketFilter) ([]Ticket, error)
	// CreateTicket increments the counter named seqKey (1 for a new key) and stores the
	// ticket build makes from it, in one durable write where the backend allows: a new
	// work order costs the bolt store one fsync, not two.
	CreateTicket(ctx context.Context, seqKey string, build func(seq int64) Ticket) (Ticket, error)
}

// Store is what the engine needs from a backend; store.Open picks one by URL.
type Store interface {
	SessionStore
	TicketStore
	Close() error
}

// TicketFilter selects tickets for operators; zero fields match everything.
type TicketFilter struct {
	Kind    string
	Status  string
	Phone   string
	Session string
	// FollowUp selects by 回访 state (with Phone or Session, whose indexes keep it cheap).
	FollowUp string
	Since    time.Time // created at or after
	Until    time.Time // created before
	Limit    int
}

// Match reports whether t passes the filter (Limit aside); stores share it.
func (f TicketFilter) Match(t Ticket) bool {
	switch {
	case f.Kind != "" && t.Kind != f.Kind,
		f.Status != "" && t.Status != f.Status,
		f.Phone != "" && t.Fields["phone"] != f.Phone,
		f.Session != "" && t.Session != f.Session,
		f.FollowUp != "" && t.FollowUp != f.FollowUp,
		!f.Since.IsZero() && t.Created.Before(f.Since),
		!f.Until.IsZero() && !t.Created.Before(f.Until):
		return false
	}
	return true
}
