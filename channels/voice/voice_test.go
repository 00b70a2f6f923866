package voice_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dianbao/channels/voice"
	"dianbao/channels/voice/tts"
	"dianbao/channels/voice/vad"
)

var (
	ttsOnce sync.Once
	ttsSyn  voice.Synthesizer
	ttsErr  error
)

// engines returns a Config with the real media engines: espeak-ng TTS (cached), Opus
// through the codec package and the VAD endpointer.
func engines(t testing.TB, b voice.Bot) voice.Config {
	ttsOnce.Do(func() {
		var sp *tts.Espeak
		sp, ttsErr = tts.NewEspeak(tts.EspeakConfig{}, nil)
		if ttsErr == nil {
			ttsSyn = tts.NewCache(sp, tts.CacheConfig{Entries: 128}, nil)
		}
	})
	require.NoError(t, ttsErr)
	return voice.Config{Bot: b, Synthesizer: ttsSyn, Resample: voice.Resample,
		NewDecoder: voice.NewOpusDecoder, NewEncoder: voice.NewOpusEncoder,
		NewEndpointer: voice.NewVADEndpointer(vad.Config{}),
		NewBargeIn:    voice.NewVADBargeIn(vad.BargeInConfig{})}
}

func TestKeypadDrivesBot(t *testing.T) {
	b := newScriptBot()
	reg := prometheus.NewRegistry()
	_, url := testServerReg(t, engines(t, b), reg)
	c := dial(t, url)
	defer c.hangup()
	c.call(clientAPI(t))

	// The greeting arrives as an event with its choices, and as audio.
	greet := c.waitEvent(10*time.Second, isMessage)
	require.Equal(t, b.greeting, greet["text"])
	require.Len(t, greet["choices"], 2)
	require.Eventually(t, func() bool { n, _, rms := c.stats(); return n > 25 && rms > 300 },
		10*time.Second, 50*time.Millisecond, "bot audio with energy reaches the caller")

	// Key 1 picks the first choice's value.
	c.pressKey('1')
	in := waitInput(t, b)
	require.Equal(t, voice.Input{Text: "是", Choice: "是"}, in)
	ask := c.waitEvent(5*time.Second, isMessage)
	require.Equal(t, "phone", ask["expect"])
	// The key press's answer was timed to its first audio packet.
	require.Eventually(t, func() bool { return histCount(t, reg, "dianbao_voice_response_seconds") > 0 },
		10*time.Second, 20*time.Millisecond)

	// A phone number keyed digit by digit and closed with '#' arrives as text; '*' clears.
	for _, k := range []byte("99*13800138000#") {
		c.pressKey(k)
		time.Sleep(30 * time.Millisecond)
	}
	in = waitInput(t, b)
	require.Equal(t, voice.Input{Text: "13800138000"}, in)

	// Keys and text from the widget's data channel work the same way.
	<-c.dcOpen
	require.NoError(t, c.dc.SendText(`{"type":"message","text":"我家停电了"}`))
	require.Equal(t, voice.Input{Text: "我家停电了"}, waitInput(t, b))
	require.NoError(t, c.dc.SendText(`{"type":"dtmf","digit":"2"}`))
	require.Equal(t, voice.Input{Text: "不是", Choice: "不是"}, waitInput(t, b))

	// Bad data-channel input gets a clear answer, not silence.
	require.NoError(t, c.dc.SendText(`{"type":"dtmf","digit":"x"}`))
	bad := c.waitEvent(5*time.Second, func(ev map[string]any) bool { return ev["type"] == "error" })
	require.Equal(t, "bad_digit", bad["code"])
}

func waitInput(t *testing.T, b *scriptBot) voice.Input {
	t.Helper()
	select {
	case in := <-b.inputCh:
		return in
	case <-time.After(10 * time.Second):
		t.Fatal("the bot got no input")
		return voice.Input{}
	}
}

func TestSignallingRejectsBadInput(t *testing.T) {
	_, url := testServer(t, engines(t, newScriptBot()))
	c := dial(t, url)
	defer c.hangup()

	tests := []struct {
		name string
		send string
		code string
	}{
		{"garbage sdp", `{"type":"offer","sdp":"this is not sdp"}`, "bad_offer"},
		{"empty sdp", `{"type":"offer","sdp":""}`, "bad_offer"},
		{"video only", `{"type":"offer","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n"}`, "bad_offer"},
		{"not json", `{"type":`, "bad_message"},
		{"unknown type", `{"type":"dance"}`, "bad_message"},
		{"empty candidate", `{"type":"candidate"}`, "bad_candidate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, c.ws.WriteMessage(websocket.TextMessage, []byte(tt.send)))
			var msg map[string]any
			require.NoError(t, c.ws.ReadJSON(&msg))
			require.Equal(t, "error", msg["type"])
			require.Equal(t, tt.code, msg["code"])
			require.NotEmpty(t, msg["message"])
		})
	}
	// The socket stays sane: a real offer after all that still gets a call.
	c.call(clientAPI(t))
	c.waitEvent(10*time.Second, isMessage)
}

func TestSignallingMessageLimit(t *testing.T) {
	cfg := engines(t, newScriptBot())
	cfg.MaxMessageBytes = 1024
	_, url := testServer(t, cfg)
	c := dial(t, url)
	defer c.hangup()
	big := `{"type":"offer","sdp":"` + string(make([]byte, 4096)) + `"}`
	// The write itself may already fail: the server drops the connection mid-message.
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(big))
	var msg map[string]any
	err := c.ws.ReadJSON(&msg)
	if err == nil {
		require.Equal(t, "too_large", msg["code"])
		err = c.ws.ReadJSON(&msg)
	}
	require.Error(t, err, "the server closes an oversized signalling connection")
}

func TestSilentCallerGetsPromptsThenGoodbye(t *testing.T) {
	b := newScriptBot()
	b.greeting = "您好。" // short prompts keep the test quick; the flow is what is tested
	cfg := engines(t, b)
	cfg.SilenceTimeout = 300 * time.Millisecond
	cfg.Prompts.SilentGoodbye = "感谢您的来电，再见！"
	_, url := testServer(t, cfg)
	c := dial(t, url)
	defer c.hangup()
	c.call(clientAPI(t))

	var texts []string
	deadline := time.After(60 * time.Second)
	for len(texts) < 4 {
		select {
		case ev := <-c.events:
			if isMessage(ev) {
				texts = append(texts, ev["text"].(string))
			}
		case <-deadline:
			t.Fatalf("prompts so far: %q", texts)
		}
	}
	def := voice.DefaultPrompts()
	require.Equal(t, []string{b.greeting, def.StillThere, def.StillThere, cfg.Prompts.SilentGoodbye}, texts)
	select {
	case msg := <-c.signals:
		require.Equal(t, "hangup", msg["type"])
		require.Equal(t, "silence", msg["reason"])
	case <-time.After(30 * time.Second):
		t.Fatal("the bot did not hang up after the goodbye")
	}
	// The whole goodbye was played before hanging up.
	n, _, _ := c.stats()
	require.Greater(t, n, 150)
}
