package asr

import "context"

// Recognizer starts recognition sessions. Implementations are safe for concurrent use.
type Recognizer interface {
	Start(ctx context.Context, opts StartOptions) (Session, error)
}

// StartOptions describe one utterance.
type StartOptions struct {
	// ID names the utterance on the server (FunASR wav_name); a call or session ID plus a
	// counter makes server logs traceable.
	ID string
	// Hotwords add to the recognizer's configured hotwords for this utterance (word → weight),
	// e.g. the street names of the caller's area.
	Hotwords map[string]int
}

// Session is one utterance. Write, Finish and Close may be called from one goroutine while
// another reads Results.
type Session interface {
	// Write sends 16 kHz mono s16 PCM.
	Write(pcm []int16) error
	// Results delivers partial and final results as they arrive; it is closed when the
	// session ends. Reading it is optional.
	Results() <-chan Result
	// Finish ends the utterance and waits for the final result.
	Finish(ctx context.Context) (Result, error)
	// Close releases the session; it is safe to call more than once and after Finish.
	Close() error
}

// Result is a recognition hypothesis.
type Result struct {
	Text  string
	Final bool   // the corrected end-of-utterance result
	Mode  string // "2pass-online" (partial) or "2pass-offline" (final) for FunASR
	ID    string // the utterance ID echoed by the server
}
