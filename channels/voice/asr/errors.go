package asr

import "errors"

var (
	// ErrUnreachable means the ASR server could not be reached after all attempts.
	ErrUnreachable = errors.New("asr: server unreachable")
	// ErrTimeout means the server did not deliver the final result in time.
	ErrTimeout = errors.New("asr: timed out waiting for the result")
	// ErrClosed is returned when a session is used after Close or Finish.
	ErrClosed = errors.New("asr: session closed")
	// ErrProtocol is returned for a message that does not follow the protocol.
	ErrProtocol = errors.New("asr: protocol error")
	// ErrConfig is returned for an invalid configuration.
	ErrConfig = errors.New("asr: invalid config")
	// ErrTooLong is returned when an utterance exceeds the configured maximum.
	ErrTooLong = errors.New("asr: utterance too long")
)
