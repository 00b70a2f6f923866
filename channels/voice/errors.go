package voice

import "errors"

// Sentinel errors of the voice channel; wrap them with %w and test with errors.Is.
var (
	// ErrConfig reports a missing or invalid dependency at construction time.
	ErrConfig = errors.New("voice: invalid configuration")
	// ErrBadOffer reports an SDP offer that cannot be parsed or has no audio.
	ErrBadOffer = errors.New("voice: bad SDP offer")
	// ErrBadMessage reports a signalling or data-channel message that cannot be understood.
	ErrBadMessage = errors.New("voice: bad message")
	// ErrCallClosed reports an operation on a call that has already hung up.
	ErrCallClosed = errors.New("voice: call closed")
	// ErrServerClosed reports a new call arriving while the server shuts down.
	ErrServerClosed = errors.New("voice: server closed")
	// ErrBadDTMF reports a malformed RFC 4733 telephone-event payload.
	ErrBadDTMF = errors.New("voice: bad telephone-event payload")
	// ErrBridged reports an attempt to attach a second agent to a bridged call.
	ErrBridged = errors.New("voice: call already bridged")
)
