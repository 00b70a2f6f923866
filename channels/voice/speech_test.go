package voice_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/channels/voice"
	"dianbao/channels/voice/codec"
)

// callerSpeech is real espeak-ng speech at 48 kHz followed by trailing silence, what a
// caller's microphone would carry.
func callerSpeech(t testing.TB, text string, silence time.Duration) []int16 {
	cfg := engines(t, newScriptBot())
	pcm, rate, err := cfg.Synthesizer.Synthesize(context.Background(), text, "")
	require.NoError(t, err)
	out := voice.Resample(pcm, rate, 48000)
	return append(out, make([]int16, int(silence/time.Millisecond)*48)...)
}

func TestBargeInStopsBotAudio(t *testing.T) {
	b := newScriptBot()
	_, url := testServer(t, engines(t, b))
	c := dial(t, url)
	defer c.hangup()
	c.call(clientAPI(t))
	c.waitEvent(10*time.Second, isMessage)
	<-c.dcOpen
	// A long answer keeps the bot talking for many seconds.
	require.NoError(t, c.dc.SendText(`{"type":"message","text":"长提示"}`))
	require.Equal(t, "长提示", waitInput(t, b).Text)
	require.Eventually(t, func() bool { n, last, _ := c.stats(); return n > 50 && time.Since(last) < 100*time.Millisecond },
		10*time.Second, 20*time.Millisecond, "the bot is speaking")

	speech := callerSpeech(t, "不是，我要报修", 300*time.Millisecond)
	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{})
	require.NoError(t, err)
	started := time.Now()
	c.speak(context.Background(), enc, speech)

	// The bot's audio stopped while the caller talked: no packet for a while although the
	// long prompt would still be playing.
	n0, last, _ := c.stats()
	require.Greater(t, n0, 50)
	require.Greater(t, time.Since(last), 300*time.Millisecond, "bot audio still flowing after the caller spoke over it")
	t.Logf("bot audio stopped %v after the caller started speaking", last.Sub(started))
	require.Less(t, last.Sub(started), 1500*time.Millisecond, "barge-in took too long")
	time.Sleep(500 * time.Millisecond)
	n1, _, _ := c.stats()
	require.Equal(t, n0, n1, "no more bot audio after barge-in")
}
