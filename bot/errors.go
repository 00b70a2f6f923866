package bot

import "errors"

// Sentinel errors of the runtime; stores wrap them with %w so callers can use errors.Is
// whatever the backend.
var (
	// ErrNotFound: no such session or ticket (or it expired).
	ErrNotFound = errors.New("bot: not found")
	// ErrUnavailable: the store cannot be reached right now (e.g. Redis restarting).
	ErrUnavailable = errors.New("bot: store unavailable")
	// ErrLocked: the per-session lock could not be taken before the context ended.
	ErrLocked = errors.New("bot: session busy")
	// ErrBadTransition: a ticket status change the lifecycle does not allow.
	ErrBadTransition = errors.New("bot: ticket status transition not allowed")
	// ErrBadMode: an agent operation on a session that is not in the required mode.
	ErrBadMode = errors.New("bot: session is not in the required mode")
	// ErrBadInput: an empty session id, unknown ticket kind or status, malformed data file.
	ErrBadInput = errors.New("bot: bad input")
	// ErrClosed: the store or bus was closed.
	ErrClosed = errors.New("bot: closed")
)
