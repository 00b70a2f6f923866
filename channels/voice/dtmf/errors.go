package dtmf

import "errors"

var (
	// ErrShortPayload is returned for a telephone-event payload under 4 bytes.
	ErrShortPayload = errors.New("dtmf: telephone-event payload shorter than 4 bytes")
	// ErrUnknownEvent is returned for an event code that is not a DTMF key (RFC 4733 §3.2).
	ErrUnknownEvent = errors.New("dtmf: not a DTMF event")
	// ErrPayloadType is returned for a packet whose payload type is not telephone-event.
	ErrPayloadType = errors.New("dtmf: wrong payload type")
	// ErrUnknownKey is returned when generating a key that DTMF does not have.
	ErrUnknownKey = errors.New("dtmf: unknown key")
)
