package voice_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dianbao/channels/voice"
	"dianbao/channels/voice/asr"
	"dianbao/channels/voice/asr/funasrtest"
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
	reg := prometheus.NewRegistry()
	_, url := testServerReg(t, engines(t, b), reg)
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

	// A microphone sends silence before the caller talks; then two seconds of speech.
	speech := callerSpeech(t, "不是，我要报修，我家停电了", 300*time.Millisecond)
	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{})
	require.NoError(t, err)
	c.speak(context.Background(), enc, make([]int16, 48*400))
	started := time.Now()
	c.speak(context.Background(), enc, speech)

	// The bot's audio stopped while the caller talked: no packet for a while although the
	// long prompt would still be playing.
	n0, last, _ := c.stats()
	require.Greater(t, n0, 50)
	require.Greater(t, time.Since(last), 300*time.Millisecond, "bot audio still flowing after the caller spoke over it")
	t.Logf("bot audio stopped %v after the caller started speaking", last.Sub(started))
	// Well before the caller finished (≈ 0.5 s on an idle machine; loose for loaded CI).
	require.Less(t, last.Sub(started), 3*time.Second, "barge-in took too long")
	require.Equal(t, 1.0, counter(t, reg, "dianbao_voice_barge_ins_total"), "stopped by barge-in")

	// The call's metrics: one active call, the caller's RTCP receiver reports (jitter and
	// loss of the bot's audio).
	require.Equal(t, 1.0, gauge(t, reg, "dianbao_voice_calls_active"))
	require.Positive(t, histCount(t, reg, "dianbao_voice_jitter_seconds"))
	require.Positive(t, histCount(t, reg, "dianbao_voice_fraction_lost_ratio"))
	time.Sleep(500 * time.Millisecond)
	n1, _, _ := c.stats()
	require.Equal(t, n0, n1, "no more bot audio after barge-in")
}

func TestSpeechReachesBotThroughVADAndASR(t *testing.T) {
	var mu sync.Mutex
	reply := "我家停电了"
	fun, err := funasrtest.New(funasrtest.Config{Transcript: func(u funasrtest.Utterance) string {
		mu.Lock()
		defer mu.Unlock()
		if u.RMS() > 200 && u.Duration() > 500*time.Millisecond {
			return reply
		}
		return ""
	}})
	require.NoError(t, err)
	defer fun.Close()
	rec, err := asr.NewFunASR(asr.FunASRConfig{URL: fun.URL()}, nil, nil)
	require.NoError(t, err)

	b := newScriptBot()
	b.greeting = "您好，请讲。"
	cfg := engines(t, b)
	cfg.Recognizer = rec
	_, url := testServer(t, cfg)
	c := dial(t, url)
	defer c.hangup()
	require.Equal(t, true, c.hello["asr"], "the widget learns that server ASR is on")
	c.call(clientAPI(t))
	c.waitEvent(10*time.Second, isMessage)

	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{})
	require.NoError(t, err)
	speech := callerSpeech(t, "我家停电了", 1200*time.Millisecond)
	c.speak(context.Background(), enc, speech)

	// The transcript reaches the bot and comes back as the caller's caption.
	require.Equal(t, voice.Input{Text: "我家停电了"}, waitInput(t, b))
	cap := c.waitEvent(5*time.Second, func(ev map[string]any) bool { return ev["type"] == "caption" })
	require.Equal(t, "customer", cap["from"])
	require.Equal(t, "我家停电了", cap["text"])

	// The FunASR server got one 16 kHz utterance of about the spoken length, with energy.
	utts := fun.Utterances()
	require.Len(t, utts, 1)
	u := utts[0]
	require.Equal(t, 16000, u.AudioFS)
	require.Equal(t, "2pass", u.Mode)
	require.True(t, u.Ended)
	spoken := time.Duration(len(speech)-1200*48) * time.Second / 48000
	require.InDelta(t, spoken.Seconds(), u.Duration().Seconds(), 0.8, "utterance length vs speech")
	require.Greater(t, u.RMS(), 300.0)

	mu.Lock()
	reply = "" // the next utterance is unclear
	mu.Unlock()
	// Unclear audio (empty transcript): the bot asks again, politely, and the bot runtime
	// is not bothered.
	c.speak(context.Background(), enc, speech)
	again := c.waitEvent(10*time.Second, func(ev map[string]any) bool {
		return isMessage(ev) && ev["from"] == "system"
	})
	require.Equal(t, voice.DefaultPrompts().Repeat, again["text"])
	select {
	case in := <-b.inputCh:
		t.Fatalf("the bot got %+v for unclear audio", in)
	case <-time.After(300 * time.Millisecond):
	}
}

func gauge(tb testing.TB, reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	require.NoError(tb, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}

func histCount(tb testing.TB, reg *prometheus.Registry, name string) uint64 {
	mfs, err := reg.Gather()
	require.NoError(tb, err)
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
