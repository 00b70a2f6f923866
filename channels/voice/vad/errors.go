package vad

import "errors"

// ErrConfig is returned for an impossible configuration.
var ErrConfig = errors.New("vad: invalid config")
