package voice

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// Config holds a Server's dependencies and every tunable; zero durations take the defaults
// below so a caller sets only what differs.
type Config struct {
	// Bot runs the conversation (required).
	Bot Bot
	// Synthesizer speaks the bot's replies (required).
	Synthesizer Synthesizer
	// Resample converts TTS output to 48 kHz (required unless TTS already gives 48 kHz).
	Resample Resampler
	// NewDecoder, NewEncoder and NewEndpointer build one engine per call (required).
	NewDecoder    func() (Decoder, error)
	NewEncoder    func() (Encoder, error)
	NewEndpointer func() (Endpointer, error)
	// NewBargeIn builds the per-call barge-in detector; nil counts the endpointer's speech
	// against BargeIn instead.
	NewBargeIn func() (BargeInDetector, error)
	// Recognizer transcribes speech; nil means no server ASR: the widget falls back to the
	// browser's speech recognition or the keypad.
	Recognizer Recognizer
	// Voice is the TTS voice name passed to the Synthesizer ("" for its default).
	Voice string
	// Languages maps the language a caller may pick in the widget (signalling hello
	// "lang", e.g. "yue") to the TTS voice spoken in that call; nil offers Voice only.
	Languages map[string]string
	// Events, when set, delivers the events published for a call's session (agent
	// messages, handoff changes), so agents' words and a return to the bot reach the call.
	Events Subscriber

	// ICEServers are offered to the browser and used by the server's own agent.
	ICEServers []webrtc.ICEServer
	// NAT1To1IPs are public addresses announced as host candidates (behind 1:1 NAT).
	NAT1To1IPs []string
	// UDPPortMin and UDPPortMax bound the ICE ports (0 = any).
	UDPPortMin, UDPPortMax uint16
	// IncludeLoopback gathers 127.0.0.1 candidates (tests, single-host setups).
	IncludeLoopback bool

	// SilenceTimeout is how long a caller may stay silent (no speech, key or text) after
	// the bot finished speaking before the bot asks whether the caller can hear it.
	SilenceTimeout time.Duration
	// SilencePrompts is how many times it asks before saying goodbye and hanging up.
	SilencePrompts int
	// BargeIn is how much continuous caller speech, counted from the endpointer's speech
	// start, stops the bot's audio.
	BargeIn time.Duration
	// LateFrame is how far behind its schedule a paced frame may go before it counts late:
	// the caller's jitter buffer plays it still in time within this tolerance.
	LateFrame time.Duration
	// PaceLead lets a frame leave up to this long before its deadline, so a short stall of
	// the sending thread (a busy machine) does not make it late; the jitter buffer holds
	// an early frame. It is also the most audio still heard after a barge-in stop.
	PaceLead time.Duration
	// TurnTimeout bounds one bot turn plus its ASR and TTS.
	TurnTimeout time.Duration
	// MaxMessageBytes limits one signalling message and one data-channel message.
	MaxMessageBytes int64
	// MaxEntryDigits bounds a keyed entry (phone, account) before '#'.
	MaxEntryDigits int
	// PromptCacheSize bounds the server-wide cache of encoded-ready 48 kHz prompts.
	PromptCacheSize int
	// AllowedOrigins lists the Origin headers accepted on /ws/voice; empty accepts the
	// same host only.
	AllowedOrigins []string

	// Prompts are the channel's own spoken texts (the bot's wording lives in dialogs).
	Prompts Prompts
	// NewSessionID names a new call's session; nil uses random ids.
	NewSessionID func() string
}

// Prompts are the texts the voice channel says on its own, in the 95598 manner.
type Prompts struct {
	// StillThere asks a silent caller whether they can hear the bot.
	StillThere string
	// SilentGoodbye closes a call after the caller stayed silent through every StillThere.
	SilentGoodbye string
	// Repeat asks the caller to say it again when speech was not understood.
	Repeat string
	// Unavailable apologises when the bot cannot answer.
	Unavailable string
	// KeyOption reads one keypad option: %[1]s is the label, %[2]d the key.
	KeyOption string
}

// DefaultPrompts returns the 95598-style texts used where Config.Prompts leaves one empty.
func DefaultPrompts() Prompts {
	return Prompts{
		StillThere:    "您好，请问能听到吗？",
		SilentGoodbye: "您好，由于长时间没有听到您的声音，本次通话先到这里。如您还需要帮助，欢迎再次来电，感谢您的来电，再见！",
		Repeat:        "不好意思，刚才没有听清楚，麻烦您再说一遍，好吗？",
		Unavailable:   "非常抱歉，系统暂时繁忙，请您稍后再试，给您带来不便敬请谅解。",
		KeyOption:     "%[1]s请按%[2]d",
	}
}

func (c *Config) withDefaults() (Config, error) {
	out := *c
	switch {
	case out.Bot == nil:
		return out, fmt.Errorf("%w: Bot is required", ErrConfig)
	case out.Synthesizer == nil:
		return out, fmt.Errorf("%w: Synthesizer is required (is espeak-ng installed?)", ErrConfig)
	case out.NewDecoder == nil || out.NewEncoder == nil:
		return out, fmt.Errorf("%w: NewDecoder and NewEncoder are required", ErrConfig)
	case out.NewEndpointer == nil:
		return out, fmt.Errorf("%w: NewEndpointer is required", ErrConfig)
	}
	dur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	dur(&out.SilenceTimeout, 8*time.Second)
	dur(&out.BargeIn, 300*time.Millisecond)
	dur(&out.LateFrame, 20*time.Millisecond)
	if out.PaceLead < 0 {
		out.PaceLead = 0
	} else if out.PaceLead == 0 {
		out.PaceLead = 40 * time.Millisecond
	}
	dur(&out.TurnTimeout, 15*time.Second)
	if out.SilencePrompts <= 0 {
		out.SilencePrompts = 2
	}
	if out.MaxMessageBytes <= 0 {
		out.MaxMessageBytes = 64 << 10
	}
	if out.MaxEntryDigits <= 0 {
		out.MaxEntryDigits = 24
	}
	if out.PromptCacheSize <= 0 {
		out.PromptCacheSize = 256
	}
	p, def := &out.Prompts, DefaultPrompts()
	str := func(s *string, def string) {
		if *s == "" {
			*s = def
		}
	}
	str(&p.StillThere, def.StillThere)
	str(&p.SilentGoodbye, def.SilentGoodbye)
	str(&p.Repeat, def.Repeat)
	str(&p.Unavailable, def.Unavailable)
	str(&p.KeyOption, def.KeyOption)
	return out, nil
}
