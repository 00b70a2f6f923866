package voice_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/channels/voice"
)

// voiceLog records which voice every synthesised text was spoken in.
type voiceLog struct {
	next voice.Synthesizer
	mu   sync.Mutex
	used map[string]string // text → voice
}

func (v *voiceLog) Synthesize(ctx context.Context, text, name string) ([]int16, int, error) {
	v.mu.Lock()
	v.used[text] = name
	v.mu.Unlock()
	return v.next.Synthesize(ctx, text, name)
}

func (v *voiceLog) voiceOf(text string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	name, ok := v.used[text]
	return name, ok
}

// publishingBot publishes its answers on the bus, as the runtime does.
type publishingBot struct {
	voice.Bot
	bus *bot.MemoryBus
}

func (p publishingBot) Open(ctx context.Context, id string) ([]bot.Event, error) {
	evs, err := p.Bot.Open(ctx, id)
	if err == nil {
		_ = p.bus.Publish(ctx, id, evs)
	}
	return evs, err
}

// TestCallerPicksCantonese: the widget's hello chooses the call's language; the bot then
// speaks that call in the Cantonese voice while other calls keep Mandarin.
func TestCallerPicksCantonese(t *testing.T) {
	b := newScriptBot()
	cfg := engines(t, b)
	log := &voiceLog{next: cfg.Synthesizer, used: map[string]string{}}
	cfg.Synthesizer = log
	cfg.Voice = "mandarin"
	cfg.Languages = map[string]string{"cmn": "mandarin", "yue": "cantonese"}
	_, url := testServer(t, cfg)

	c := dial(t, url)
	defer c.hangup()
	require.ElementsMatch(t, []any{"cmn", "yue"}, c.hello["langs"])
	require.NoError(t, c.send(map[string]string{"type": "hello", "lang": "yue"}))
	c.call(clientAPI(t))
	c.waitEvent(10*time.Second, isMessage)
	spoken := spokenGreeting(b)
	require.Eventually(t, func() bool { v, ok := log.voiceOf(spoken); return ok && v == "cantonese" },
		15*time.Second, 20*time.Millisecond, "the greeting is spoken in Cantonese")
	require.Eventually(t, func() bool { n, _, rms := c.stats(); return n > 25 && rms > 300 },
		15*time.Second, 50*time.Millisecond, "Cantonese audio reaches the caller")
}

func spokenGreeting(b *scriptBot) string {
	// The voice channel reads the choices as a keypad menu after the text.
	return b.greeting + "是请按1，不是请按2。"
}

// TestBusEventsReachTheCall: events published for the session by others (an agent's
// words) are shown and spoken; the bus echo of the call's own turn is not repeated.
func TestBusEventsReachTheCall(t *testing.T) {
	bus := bot.NewMemoryBus(64)
	defer bus.Close()
	b := newScriptBot()
	cfg := engines(t, publishingBot{Bot: b, bus: bus})
	cfg.Events = bus
	srv, url := testServer(t, cfg)
	c := dial(t, url)
	defer c.hangup()
	c.call(clientAPI(t))
	greet := c.waitEvent(10*time.Second, isMessage)
	require.Equal(t, b.greeting, greet["text"])
	calls := srv.ActiveCalls()
	require.Len(t, calls, 1)

	agentSays := bot.Message(bot.FromAgent, "您好，我是人工客服小王，请问有什么可以帮您？", "", nil)
	require.NoError(t, bus.Publish(context.Background(), calls[0].ID(), []bot.Event{agentSays}))
	got := c.waitEvent(10*time.Second, isMessage)
	require.Equal(t, "agent", got["from"], "the greeting's echo was not delivered again")
	require.Equal(t, agentSays.Text, got["text"])
}
