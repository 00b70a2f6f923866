package auth

import "errors"

// Sentinel errors of agent and operator authentication.
var (
	ErrBadCredentials = errors.New("auth: wrong agent id or password")
	ErrNoSession      = errors.New("auth: not logged in")
	ErrBadOrigin      = errors.New("auth: cross-site request refused")
	ErrBadToken       = errors.New("auth: missing or wrong bearer token")
	ErrBadConfig      = errors.New("auth: bad configuration")
	ErrThrottled      = errors.New("auth: too many failed logins, try again later")
)
