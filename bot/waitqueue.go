package bot

import (
	"context"
	"time"
)

// Queue is the handoff queue as the engine sees it. It is the one source of a waiting
// customer's position and estimated wait, so the handoff event of the turn and the queue's
// later updates never disagree; queue.ForEngine adapts the memory and Redis queues.
type Queue interface {
	// Enqueue adds a waiting session, or updates its priority, reason and summary, and
	// returns its place. A session an agent is taking gives an error wrapping ErrBadMode
	// (unless Fresh).
	Enqueue(ctx context.Context, w Waiting) (Place, error)
	// Place returns the place of a waiting session, or an error wrapping ErrNotFound.
	Place(ctx context.Context, sessionID string) (Place, error)
	// Remove takes a session out of the queue (the customer left).
	Remove(ctx context.Context, sessionID string) error
}

// Waiting is a session asking for a human.
type Waiting struct {
	Session  string
	Priority string
	Reason   string
	Summary  string
	// Fresh marks a new handoff, which replaces a claim left from an earlier hold.
	Fresh bool
}

// Place is a waiting session's 1-based position and estimated wait.
type Place struct {
	Position int
	ETA      time.Duration
}
