package server

import "errors"

// ErrNotReady is what /readyz reports while a readiness check fails.
var ErrNotReady = errors.New("server: not ready")
