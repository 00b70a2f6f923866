package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/server"
	"dianbao/channels/voice/asr/funasrtest"
	"dianbao/channels/voice/mount"
	"dianbao/channels/voice/tts"
	"dianbao/channels/web/browsertest"
)

// voiceApp is the real serve application (NewApp, real engine and NLU, memory store) with
// the voice channel mounted exactly as `dianbao serve` mounts it.
type voiceApp struct {
	url   string
	app   *server.App
	voice *mount.Voice
}

func startVoiceApp(t *testing.T, asrURL string) *voiceApp {
	t.Helper()
	var v *mount.Voice
	url, app := startAppWith(t, func(app *server.App) {
		var err error
		v, err = mount.Mount(app, mount.Options{ASRURL: asrURL, IncludeLoopback: true, SilenceTimeout: time.Minute}, nil)
		require.NoError(t, err)
	})
	// Dial once the fixed prompts are cached, as a caller after start-up would.
	select {
	case <-v.Prewarmed():
	case <-time.After(90 * time.Second):
		t.Fatal("prompts not prewarmed")
	}
	return &voiceApp{url: url, app: app, voice: v}
}

// callerWAV makes the caller's microphone: 2 s of silence, "我家停电了" spoken by
// espeak-ng, 4 s of silence, as 48 kHz mono. It returns the file and the spoken span.
func callerWAV(t *testing.T) (string, time.Duration) {
	t.Helper()
	dir := t.TempDir()
	raw, out := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "caller.wav")
	py := tts.NewPinyin().Convert("我家停电了")
	b, err := exec.Command("espeak-ng", "-v", "cmn-latn-pinyin", "-s", "140", "-w", raw, py).CombinedOutput()
	require.NoError(t, err, string(b))
	b, err = exec.Command("sox", raw, "-r", "48000", "-c", "1", "-b", "16", out, "pad", "2", "4").CombinedOutput()
	require.NoError(t, err, string(b))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	pcm, rate, err := tts.ParseWAV(data)
	require.NoError(t, err)
	first, last := -1, -1
	for i, v := range pcm {
		if v > 300 || v < -300 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	require.Positive(t, last-first)
	return out, time.Duration(last-first) * time.Second / time.Duration(rate)
}

// voiceBrowser starts headless Chromium with a fake microphone playing wav.
func voiceBrowser(t *testing.T, wav string, loop bool) context.Context {
	t.Helper()
	capture := wav
	if !loop {
		capture += "%noloop"
	}
	return browsertest.New(t, append(browsertest.MediaFlags(capture), chromedp.WindowSize(430, 860))...)
}

// stats reads the bot audio the widget received (inbound-rtp getStats).
type rtpStats struct {
	Packets float64 `json:"packets"`
	Energy  float64 `json:"energy"`
}

func widgetStats(t *testing.T, page context.Context) rtpStats {
	return eval[rtpStats](t, page, `window.dianbaoVoice.stats()`)
}

// dialWidget opens /voice, dials and waits for the greeting.
func dialWidget(t *testing.T, page context.Context, url string) string {
	t.Helper()
	run(t, page, chromedp.Navigate(url),
		chromedp.Click(chromedp.CSS("#dial"), chromedp.NodeVisible),
		browsertest.WaitJS(`!!window.dianbaoVoice.state() && window.dianbaoVoice.state().connected`),
		browsertest.WaitJS(`!!window.dianbaoVoice.state() && window.dianbaoVoice.state().expect === "menu"`))
	return eval[string](t, page, `window.dianbaoVoice.state().session`)
}

func pressKeys(keys string) chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for _, k := range keys {
		steps = append(steps, browsertest.WaitJS(fmt.Sprintf(`(document.querySelector('#keypad [data-key=%q]').click(), true)`, string(k))),
			chromedp.Sleep(300*time.Millisecond))
	}
	return chromedp.Steps(steps...)
}

func waitExpect(slot string) chromedp.Action[chromedp.Void] {
	return browsertest.WaitJS(fmt.Sprintf(`!!window.dianbaoVoice.state() && window.dianbaoVoice.state().expect === %q`, slot))
}

func metric(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			sum := 0.0
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	return 0
}

// TestVoiceKeypadTriageToRepairTicket: with no server ASR the widget says how speech is
// taken, Chrome's RTCDTMFSender key presses walk the real fault triage to a repair ticket,
// and the caller hears the bot (inbound RTP with audio energy).
func TestVoiceKeypadTriageToRepairTicket(t *testing.T) {
	wav, _ := callerWAV(t)
	va := startVoiceApp(t, "")
	page := newPage(t, voiceBrowser(t, wav, false))
	id := dialWidget(t, page, va.url+"/voice")
	run(t, page, browsertest.WaitJS(`['当前使用浏览器语音识别','拨号键盘'].some(s => document.querySelector('#asr-mode').textContent.includes(s))`))
	require.Eventually(t, func() bool { s := widgetStats(t, page); return s.Packets > 20 && s.Energy > 0 },
		30*time.Second, 200*time.Millisecond, "the bot's greeting reaches the browser with audio energy")
	run(t, page, browsertest.WaitJS(`(document.querySelector('#keypad').hidden && document.querySelector('#keypad-toggle').click(), true)`))
	require.True(t, eval[bool](t, page, `window.dianbaoVoice.state().dtmf`), "keys go as RFC 4733 events (RTCDTMFSender), not the data channel")

	steps := []struct{ keys, next string }{
		{"1", "scope"},    // 停电报修
		{"1", "breaker"},  // 只有我家
		{"2", "fuse"},     // 没有跳闸
		{"2", "prepaid"},  // 没有烧断
		{"2", "address"},  // 不是预付费表
		{"1#", "address"}, // no address by keypad: asked once more …
		{"1#", "name"},    // … then registered without it
		{"1#", "name"},    // no name by keypad …
		{"1#", "phone"},   // … then without it
		{"13800138000#", "confirm"},
	}
	for i, s := range steps {
		run(t, page, pressKeys(s.keys), waitExpect(s.next))
		if i == 2 {
			screenshot(t, page, "voice-call.png") // mid-call: captions, choices, keypad
		}
	}
	// Each bot line is shown once: the bus echo of the call's own turns is not repeated.
	require.Equal(t, 1, eval[int](t, page, `[...document.querySelectorAll('#captions .caption')].filter(e => e.textContent.includes('只有您家没电')).length`))
	run(t, page, pressKeys("1"), waitText("#captions", "已为您登记抢修工单"))

	ctx := context.Background()
	sess, err := va.app.Engine.Session(ctx, id)
	require.NoError(t, err)
	require.Len(t, sess.Tickets, 1)
	tk, err := va.app.Engine.Ticket(ctx, sess.Tickets[0])
	require.NoError(t, err)
	require.Equal(t, "repair", tk.Kind)
	require.Equal(t, "13800138000", tk.Fields["phone"])
	require.Equal(t, "self", tk.Fields["scope"])

	run(t, page, chromedp.Click(chromedp.CSS("#hangup"), chromedp.NodeVisible),
		waitText("#status", "通话已结束"))
	require.Eventually(t, func() bool { return len(va.voice.Server.ActiveCalls()) == 0 }, 10*time.Second, 50*time.Millisecond)
}

// TestVoiceSpeechThroughFunASRAndBargeIn: the caller speaks over the greeting; the VAD
// stops the bot (barge-in), sends the utterance to a FunASR-protocol server, and the
// transcript drives the dialog to its next question (the outage scope).
func TestVoiceSpeechThroughFunASRAndBargeIn(t *testing.T) {
	wav, spoken := callerWAV(t)
	fa, err := funasrtest.New(funasrtest.Config{Text: "我家停电了"})
	require.NoError(t, err)
	defer fa.Close()
	va := startVoiceApp(t, fa.URL())
	page := newPage(t, voiceBrowser(t, wav, false))

	// Record when bot packets arrive, to see them stall at the barge-in.
	id := dialWidget(t, page, va.url+"/voice")
	run(t, page, browsertest.WaitJS(`document.querySelector('#asr-mode').textContent.includes('语音识别已开启')`),
		browsertest.WaitJS(`(window.__series = [], window.__timer = setInterval(() => window.dianbaoVoice.stats().then(s => window.__series.push([performance.now(), s.packets])), 50), true)`))
	run(t, page, waitText("#captions", "我家停电了"), waitExpect("scope"))

	require.GreaterOrEqual(t, metric(t, va.app.Registry, "dianbao_voice_barge_ins_total"), 1.0, "the caller's speech stopped the greeting")
	utts := fa.Utterances()
	require.NotEmpty(t, utts)
	u := utts[0]
	require.Equal(t, 16000, u.AudioFS)
	require.True(t, u.Ended)
	// The VAD cut the spoken part (plus its pre-roll and hangover), not the silence around it.
	require.Greater(t, u.Duration(), spoken*7/10, "utterance %v, spoken %v", u.Duration(), spoken)
	require.Less(t, u.Duration(), spoken+1500*time.Millisecond, "utterance %v, spoken %v", u.Duration(), spoken)
	require.Greater(t, u.RMS(), 300.0, "speech energy reached the ASR")

	sess, err := va.app.Engine.Session(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, "scope", sess.Expect)

	// The bot's audio stalled after the barge-in: a gap of ≥ 300 ms without new packets
	// while the (much longer) greeting would still have been playing.
	series := eval[[][2]float64](t, page, `clearInterval(window.__timer), window.__series`)
	// A stall still running when the series ends counts too: the reply may not be out yet.
	gap, since := 0.0, -1.0
	for i := 1; i < len(series); i++ {
		switch {
		case series[i][1] != series[i-1][1]:
			since = -1
		case series[i][1] > 0 && since < 0:
			since = series[i-1][0]
		}
		if since >= 0 {
			gap = math.Max(gap, series[i][0]-since)
		}
	}
	require.GreaterOrEqual(t, gap, 300.0, "inbound bot packets stalled after the barge-in")
}

// TestVoiceAgentTakesCall: a caller asks for a human by key; the call shows in the console
// queue as a phone call; the agent clicks 接听 and their browser joins over WebRTC; audio
// flows both ways while the bot is silent; the agent returns the call and the bot speaks.
func TestVoiceAgentTakesCall(t *testing.T) {
	wav, _ := callerWAV(t)
	va := startVoiceApp(t, "")
	browser := voiceBrowser(t, wav, true) // looping: both microphones keep talking
	caller := newPage(t, browser)
	id := dialWidget(t, caller, va.url+"/voice")
	run(t, caller, pressKeys("6"), waitText("#captions", "转接人工客服"))

	agentPage := newPage(t, browser)
	run(t, agentPage, chromedp.Navigate(va.url+"/agent"), agentLogin("demo", "dianbao-demo"),
		browsertest.WaitJS(fmt.Sprintf(`!!document.querySelector('#queue li[data-session=%q] .voice-tag')`, id)))
	// Logged in is not enough: only the agent holding the session may join its audio.
	require.Equal(t, 403, eval[int](t, agentPage, fmt.Sprintf(`fetch('/ws/agent/voice?session=%s').then(r => r.status)`, id)))
	run(t, agentPage,
		waitText(fmt.Sprintf(`#queue li[data-session=%q] .accept`, id), "接听"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#queue li[data-session=%q] .accept`, id)), chromedp.NodeVisible),
		browsertest.WaitJS(`!!window.dianbaoAgentVoice.state() && window.dianbaoAgentVoice.state().connected`),
		waitText("#voice-state", "语音通话中"))
	call := va.voice.Server.ActiveCalls()
	require.Len(t, call, 1)
	require.Eventually(t, call[0].Bridged, 10*time.Second, 50*time.Millisecond)

	// Both sides hear each other; the bot's own frames stop while the agent talks.
	frames0 := metric(t, va.app.Registry, "dianbao_voice_frames_sent_total")
	c0, a0 := widgetStats(t, caller), eval[rtpStats](t, agentPage, `window.dianbaoAgentVoice.stats()`)
	require.Eventually(t, func() bool {
		c, a := widgetStats(t, caller), eval[rtpStats](t, agentPage, `window.dianbaoAgentVoice.stats()`)
		return c.Packets > c0.Packets+50 && c.Energy > c0.Energy && a.Packets > a0.Packets+50 && a.Energy > 0
	}, 30*time.Second, 200*time.Millisecond, "agent's voice reaches the caller and the caller's reaches the agent")
	require.Equal(t, frames0, metric(t, va.app.Registry, "dianbao_voice_frames_sent_total"), "the bot is silent while bridged")
	run(t, agentPage, browsertest.WaitJS(`(document.activeElement.blur(), document.getElementById('session').scrollIntoView(), true)`))
	screenshot(t, agentPage, "voice-agent.png")

	// Returned to the bot: the agent's leg closes and the bot speaks again.
	run(t, agentPage, chromedp.Click(chromedp.CSS("#return"), chromedp.NodeVisible),
		browsertest.WaitJS(`window.dianbaoAgentVoice.state() === null`))
	run(t, caller, waitText("#captions", "智能客服小保继续为您服务"))
	require.Eventually(t, func() bool { return !call[0].Bridged() }, 10*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool {
		return metric(t, va.app.Registry, "dianbao_voice_frames_sent_total") > frames0+10
	}, 20*time.Second, 100*time.Millisecond, "the bot speaks again after the return")
	sess, err := va.app.Engine.Session(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, bot.ModeBot, sess.Mode)
}

// TestVoiceBadSignalling: garbage offers and messages get clear errors, the agent voice
// endpoint is behind the console login, and a bad language is refused politely.
func TestVoiceBadSignalling(t *testing.T) {
	va := startVoiceApp(t, "")
	ws := "ws" + strings.TrimPrefix(va.url, "http") + "/ws/voice"
	c, _, err := websocket.DefaultDialer.Dial(ws, nil)
	require.NoError(t, err)
	defer c.Close()
	read := func() map[string]any {
		var m map[string]any
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		require.NoError(t, c.ReadJSON(&m))
		return m
	}
	hello := read()
	require.Equal(t, "hello", hello["type"])
	require.ElementsMatch(t, []any{"cmn", "yue"}, hello["langs"])
	for _, tc := range []struct {
		send, code, text string
	}{
		{`{"type":"offer","sdp":"v=0\r\nthis is not SDP"}`, "bad_offer", "SDP"},
		{`{"type":"offer","sdp":""}`, "bad_offer", "SDP"},
		{`{"type":"offer","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"}`, "bad_offer", "SDP"},
		{`}{`, "bad_message", "无法识别"},
		{`{"type":"dance"}`, "bad_message", "不支持"},
		{`{"type":"hello","lang":"klingon"}`, "bad_lang", "普通话"},
	} {
		require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(tc.send)))
		m := read()
		require.Equal(t, "error", m["type"], tc.send)
		require.Equal(t, tc.code, m["code"], tc.send)
		require.Contains(t, m["message"], tc.text, tc.send)
	}
	require.Empty(t, va.voice.Server.ActiveCalls())

	// The agent's voice join needs a logged-in agent holding the session.
	resp, err := http.Get(va.url + "/ws/agent/voice?session=x")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
