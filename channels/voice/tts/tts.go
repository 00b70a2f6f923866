package tts

import "context"

// Synthesizer speaks text. Implementations are safe for concurrent use. The PCM is mono s16
// at the returned rate (Hz); voice "" selects the engine's default (Mandarin).
type Synthesizer interface {
	Synthesize(ctx context.Context, text, voice string) (pcm []int16, rate int, err error)
}

// Voice names accepted by every Synthesizer in this package.
const (
	VoiceMandarin  = "mandarin"
	VoiceCantonese = "cantonese"
)
