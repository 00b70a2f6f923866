package voice

import (
	"context"

	"dianbao/bot"
)

// Choice is a quick reply offered with a bot message (contract §3).
type Choice = bot.Choice

// Input is one customer turn handed to the bot: free text (speech, typed text, a keyed
// number) or the value of a chosen quick reply. It is the runtime's own type, so
// *bot.Engine is a Bot as it stands.
type Input = bot.Input

// Bot is what a call needs of the runtime: open a session (the greeting) and run a turn.
type Bot interface {
	Open(ctx context.Context, sessionID string) ([]bot.Event, error)
	Handle(ctx context.Context, sessionID string, in Input) ([]bot.Event, error)
}

// The runtime's engine is the production Bot.
var _ Bot = (*bot.Engine)(nil)

// Subscriber delivers the events published for one session (bot.Bus satisfies it).
type Subscriber interface {
	Subscribe(sessionID string) (<-chan bot.Event, func())
}

// Synthesizer turns a reply into speech; rate is the sample rate of the mono PCM returned.
type Synthesizer interface {
	Synthesize(ctx context.Context, text, voice string) (pcm []int16, rate int, err error)
}

// Recognizer transcribes one finished utterance of 16 kHz mono PCM. An empty transcript
// with a nil error means the audio was not understood.
type Recognizer interface {
	Transcribe(ctx context.Context, pcm []int16) (string, error)
}

// Decoder turns the caller's Opus packets into 16 kHz mono PCM. One per call: Opus
// decoding is stateful.
type Decoder interface {
	Decode(payload []byte) ([]int16, error)
}

// Encoder compresses one 20 ms frame of 48 kHz mono PCM (960 samples) into an Opus
// packet. One per call: Opus encoding is stateful.
type Encoder interface {
	Encode(frame []int16) ([]byte, error)
}

// Resampler converts mono PCM between sample rates (TTS output to 48 kHz).
type Resampler func(pcm []int16, fromRate, toRate int) []int16

// VADEventKind tells what an endpointer found in the caller's audio.
type VADEventKind int

// Endpointer event kinds.
const (
	VADSpeechStart VADEventKind = iota + 1
	VADSpeechEnd
)

// VADEvent is one speech boundary; Utterance (with pre-roll) is set on VADSpeechEnd.
type VADEvent struct {
	Kind      VADEventKind
	Utterance []int16
}

// Endpointer finds the start and end of the caller's turns in 16 kHz mono PCM. One per
// call; Process is called from the call's media goroutine only.
type Endpointer interface {
	Process(pcm []int16) []VADEvent
}

// BargeInDetector reports, once per prompt, that the caller has talked over the bot long
// enough to mean it (a cough does not count). One per call, fed from the media goroutine.
type BargeInDetector interface {
	SetBotSpeaking(on bool)
	Write(pcm []int16) bool
}
