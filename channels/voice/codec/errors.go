package codec

import "errors"

var (
	// ErrDecode is returned when an Opus packet cannot be decoded.
	ErrDecode = errors.New("codec: opus decode failed")
	// ErrEncode is returned when libopus refuses a frame.
	ErrEncode = errors.New("codec: opus encode failed")
	// ErrFrameSize is returned when a frame does not hold exactly the expected samples.
	ErrFrameSize = errors.New("codec: wrong frame size")
	// ErrRate is returned for a sample rate the component cannot handle.
	ErrRate = errors.New("codec: unsupported sample rate")
	// ErrUnknownCodec is returned for a downlink codec other than Opus or PCMU.
	ErrUnknownCodec = errors.New("codec: unknown codec")
)
