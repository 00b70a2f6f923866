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

	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844))
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	page := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, steps...))
	}
	key := func(k string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			evalTrue(fmt.Sprintf(`document.querySelector('#keypad [data-key=%q]').click(), true`, k)),
			chromedp.Sleep(250*time.Millisecond))
	}
	page(chromedp.Navigate(hs.URL+"/voice"),
		chromedp.Click(chromedp.CSS("#dial"), chromedp.NodeVisible),
		waitFor(`window.dianbaoVoice.state() && window.dianbaoVoice.state().connected`),
		waitFor(fmt.Sprintf(`document.querySelector('#captions').textContent.includes(%q)`, b.greeting)),
		waitFor(`document.querySelectorAll('#choices .choice').length === 2`),
		// No server ASR here: the page says which way speech is taken.
		waitFor(`['当前使用浏览器语音识别','拨号键盘'].some(s => document.querySelector('#asr-mode').textContent.includes(s))`),
		// The bot's voice reaches Chrome.
		waitFor(`window.__s = null, window.dianbaoVoice.stats().then(s => window.__s = s), true`),
		waitFor(`window.__s && window.__s.packets > 20 || (window.dianbaoVoice.stats().then(s => window.__s = s), false)`),
		key("1"))

	// Chrome's RTCDTMFSender key press picks the first choice.
	require.Equal(t, voice.Input{Text: "是", Choice: "是"}, waitInput(t, b))
	page(waitFor(`document.querySelector('#captions').textContent.includes('请输入您的手机号码')`))
	for _, k := range "13800138000#" {
		page(key(string(k)))
	}
	require.Equal(t, voice.Input{Text: "13800138000"}, waitInput(t, b))

	// A choice button works too, over the data channel.
	page(waitFor(`document.querySelectorAll('#choices .choice').length === 2`),
		chromedp.Click(chromedp.CSS(`#choices .choice[data-value="不是"]`), chromedp.NodeVisible))
	require.Equal(t, voice.Input{Text: "不是", Choice: "不是"}, waitInput(t, b))
	page(chromedp.Click(chromedp.CSS("#hangup"), chromedp.NodeVisible),
		waitFor(`window.dianbaoVoice.state() === null`),
		waitFor(`document.querySelector('#status').textContent.includes('通话已结束')`))
	require.Eventually(t, func() bool { return len(srv.ActiveCalls()) == 0 }, 10*time.Second, 50*time.Millisecond,
		"hanging up in the page ends the server's call")
}

func evalTrue(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		ok, err := chromedp.Evaluate[bool](js)(ctx, tg)
		if err == nil && !ok {
			err = fmt.Errorf("%s is false", js)
		}
		return chromedp.Void{}, err
	}
}

// waitFor polls a JavaScript predicate until it holds or 30 s pass.
func waitFor(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(30 * time.Second)
		var last error
		for time.Now().Before(deadline) {
			ok, err := chromedp.Evaluate[bool](js)(ctx, tg)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			last = err
			select {
			case <-ctx.Done():
				return chromedp.Void{}, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		return chromedp.Void{}, fmt.Errorf("timed out waiting for %s (last error: %v)", js, last)
	}
}
