package tts

import "errors"

var (
	// ErrEngineMissing means the TTS engine binary is not installed or does not run.
	ErrEngineMissing = errors.New("tts: engine not available")
	// ErrEmptyText is returned for text with nothing to speak.
	ErrEmptyText = errors.New("tts: empty text")
	// ErrTextTooLong is returned for text over the configured limit.
	ErrTextTooLong = errors.New("tts: text too long")
	// ErrUnknownVoice is returned for a voice name the engine does not offer.
	ErrUnknownVoice = errors.New("tts: unknown voice")
	// ErrSynthesis is returned when the engine fails or produces unusable audio.
	ErrSynthesis = errors.New("tts: synthesis failed")
	// ErrBadWAV is returned for audio that is not 16-bit PCM WAV.
	ErrBadWAV = errors.New("tts: bad wav")
)
