package webchat

import "errors"

// Sentinel errors of the web chat channel, each answered to the customer as an error event.
var (
	ErrTooLong     = errors.New("webchat: message too long")
	ErrBadJSON     = errors.New("webchat: malformed JSON")
	ErrBadEncoding = errors.New("webchat: text is not valid UTF-8")
	ErrBadType     = errors.New("webchat: unknown message type")
	ErrEmpty       = errors.New("webchat: empty message")
	ErrBadSession  = errors.New("webchat: malformed session id")
	ErrRateLimited = errors.New("webchat: too many messages")
	ErrNoSession   = errors.New("webchat: no conversation to rate")
)
