package voice_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/channels/voice"
)

// panickyBot panics on every turn after the greeting, like a runtime bug would.
type panickyBot struct{ *scriptBot }

func (p panickyBot) Handle(context.Context, string, voice.Input) ([]bot.Event, error) {
	panic("engine bug")
}

// TestGarbageAudioAndBotPanicKeepTheServerUp: random bytes as Opus packets and a bot that
// panics mid-turn cost the caller an apology, never the process or other calls.
func TestGarbageAudioAndBotPanicKeepTheServerUp(t *testing.T) {
	b := newScriptBot()
	srv, url := testServer(t, engines(t, panickyBot{b}))
	c := dial(t, url)
	defer c.hangup()
	c.call(clientAPI(t))
	c.waitEvent(10*time.Second, isMessage)

	rng := rand.New(rand.NewPCG(7, 9))
	for i := range 200 {
		junk := make([]byte, 1+rng.IntN(300))
		for j := range junk {
			junk[j] = byte(rng.Uint32())
		}
		c.mu.Lock()
		c.seq++
		c.ts += 960
		h := rtp.Header{PayloadType: clientOpusPT, SequenceNumber: c.seq, Timestamp: c.ts}
		c.mu.Unlock()
		require.NoError(t, c.mic.write(h, junk), "packet %d", i)
	}
	c.pressKey('1')
	sorry := c.waitEvent(10*time.Second, func(ev map[string]any) bool {
		return ev["type"] == "message" && ev["from"] == "system"
	})
	require.Equal(t, voice.DefaultPrompts().Unavailable, sorry["text"])
	require.Len(t, srv.ActiveCalls(), 1, "the call survives")

	// Another caller is served as usual.
	c2 := dial(t, url)
	defer c2.hangup()
	c2.call(clientAPI(t))
	require.Equal(t, b.greeting, c2.waitEvent(10*time.Second, isMessage)["text"])
}
