package agent

import "errors"

// Sentinel errors of the agent console and operator API.
var (
	ErrNotHeld     = errors.New("agent: session is not held by this agent")
	ErrBadRequest  = errors.New("agent: bad request")
	ErrUnavailable = errors.New("agent: operation not available")
)
