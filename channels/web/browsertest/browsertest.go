// Package browsertest launches Debian's headless Chromium for tests with the flags this
// machine needs (--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
// --disable-background-networking --disable-component-update --disable-sync
// --no-default-browser-check) and a fresh user-data-dir, so every browser test starts the
// same quiet, isolated browser.
package browsertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian's chromium package installs the browser.
const ExecPath = "/usr/bin/chromium"

// waitTimeout bounds WaitJS so a broken page fails the test instead of hanging it.
const waitTimeout = 30 * time.Second

// New starts a headless Chromium with a fresh profile and returns its browser context; the
// browser is stopped when the test ends. extra options (window size, media flags) are
// applied after the defaults and so may override them.
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ExecPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	// Start the browser on a context without timeout, so a caller's per-step timeout
	// does not end the browser with it.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", ExecPath, err)
	}
	return bctx
}

// MediaFlags gives the page a fake microphone and camera without a permission prompt and
// lets it play audio without a user gesture. captureWAV, when not empty, is the file the
// fake microphone plays (append "%noloop" to play it once); empty keeps Chrome's beep.
func MediaFlags(captureWAV string) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
	}
	if captureWAV != "" {
		opts = append(opts, chromedp.Flag("use-file-for-fake-audio-capture", captureWAV))
	}
	return append(opts, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
}

// EvalTrue evaluates a JavaScript predicate once and fails unless it is true.
func EvalTrue(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		ok, err := chromedp.Evaluate[bool](js)(ctx, tg)
		if err == nil && !ok {
			err = fmt.Errorf("%s is false", js)
		}
		return chromedp.Void{}, err
	}
}

// WaitJS polls a JavaScript predicate, riding out page navigations (a form post, a
// reload), until it holds or 30 s pass.
func WaitJS(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(waitTimeout)
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
