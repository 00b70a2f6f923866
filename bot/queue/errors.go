package queue

import "errors"

// Sentinel errors of the handoff queue; callers check them with errors.Is.
var (
	ErrNotQueued   = errors.New("queue: session is not waiting")
	ErrTaken       = errors.New("queue: session already taken by another agent")
	ErrBadPriority = errors.New("queue: unknown priority")
	ErrBadSession  = errors.New("queue: empty session id")
	ErrNoAgents    = errors.New("queue: no agent online")
	ErrClosed      = errors.New("queue: outside service hours")
	ErrWaitTooLong = errors.New("queue: estimated wait exceeds the limit")
	ErrBadHours    = errors.New("queue: bad service hours")
)

// ErrUnavailable: the shared queue's Redis cannot be reached right now.
var ErrUnavailable = errors.New("queue: redis unavailable")
