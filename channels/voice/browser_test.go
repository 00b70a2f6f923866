package voice_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"dianbao/channels/voice"
	"dianbao/channels/web/browsertest"
)

// TestChromiumWidgetCall calls the bot from the real /voice page in headless Chromium with
// a fake microphone: Chrome's own Opus and RTCDTMFSender (RFC 4733, PT 126) against the
// server, the events data channel, captions and choices in the page.
func TestChromiumWidgetCall(t *testing.T) {
	b := newScriptBot()
	cfg := engines(t, b)
	cfg.IncludeLoopback = true
	srv, err := voice.NewServer(cfg, nil, nil)
	require.NoError(t, err)
	web, err := filepath.Abs("../web")
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/ws/voice", srv)
	mux.HandleFunc("/voice", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(web, "voice.html"))
	})
	mux.HandleFunc("/voice.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(web, "voice.js"))
	})
	mux.HandleFunc("/voice.css", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(web, "voice.css"))
	})
	hs := httptest.NewServer(mux)
	defer hs.Close()
	defer func() { require.NoError(t, srv.Close()) }()

	bctx := browsertest.New(t, append(browsertest.MediaFlags(""), chromedp.WindowSize(390, 844))...)
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	page := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, steps...))
	}
	key := func(k string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			browsertest.EvalTrue(fmt.Sprintf(`document.querySelector('#keypad [data-key=%q]').click(), true`, k)),
			chromedp.Sleep(250*time.Millisecond))
	}
	page(chromedp.Navigate(hs.URL+"/voice"),
		chromedp.Click(chromedp.CSS("#dial"), chromedp.NodeVisible),
		browsertest.WaitJS(`window.dianbaoVoice.state() && window.dianbaoVoice.state().connected`),
		browsertest.WaitJS(fmt.Sprintf(`document.querySelector('#captions').textContent.includes(%q)`, b.greeting)),
		browsertest.WaitJS(`document.querySelectorAll('#choices .choice').length === 2`),
		// No server ASR here: the page says which way speech is taken.
		browsertest.WaitJS(`['当前使用浏览器语音识别','拨号键盘'].some(s => document.querySelector('#asr-mode').textContent.includes(s))`),
		// The bot's voice reaches Chrome.
		browsertest.WaitJS(`window.__s = null, window.dianbaoVoice.stats().then(s => window.__s = s), true`),
		browsertest.WaitJS(`window.__s && window.__s.packets > 20 || (window.dianbaoVoice.stats().then(s => window.__s = s), false)`),
		key("1"))

	// Chrome's RTCDTMFSender key press picks the first choice.
	require.Equal(t, voice.Input{Text: "是", Choice: "是"}, waitInput(t, b))
	page(browsertest.WaitJS(`document.querySelector('#captions').textContent.includes('请输入您的手机号码')`))
	for _, k := range "13800138000#" {
		page(key(string(k)))
	}
	require.Equal(t, voice.Input{Text: "13800138000"}, waitInput(t, b))

	// A choice button works too, over the data channel.
	page(browsertest.WaitJS(`document.querySelectorAll('#choices .choice').length === 2`),
		chromedp.Click(chromedp.CSS(`#choices .choice[data-value="不是"]`), chromedp.NodeVisible))
	require.Equal(t, voice.Input{Text: "不是", Choice: "不是"}, waitInput(t, b))
	page(chromedp.Click(chromedp.CSS("#hangup"), chromedp.NodeVisible),
		browsertest.WaitJS(`window.dianbaoVoice.state() === null`),
		browsertest.WaitJS(`document.querySelector('#status').textContent.includes('通话已结束')`))
	require.Eventually(t, func() bool { return len(srv.ActiveCalls()) == 0 }, 10*time.Second, 50*time.Millisecond,
		"hanging up in the page ends the server's call")
}
