package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"dianbao/bot/auth"
	"dianbao/bot/server"
	"dianbao/channels/web/browsertest"
	"dianbao/deploy"
	"dianbao/nlu"
)

var (
	parserOnce sync.Once
	parser     *nlu.Parser
	parserErr  error
)

const (
	agentID2 = "wang"
	agentPW2 = "wang-pass-2026"
)

// startApp serves the real application with the embedded default configuration plus a
// second agent, on a free port.
func startApp(t *testing.T) string {
	t.Helper()
	url, _ := startAppWith(t, nil)
	return url
}

// startAppWith is startApp with a hook that mounts more channels (as `dianbao serve` mounts
// voice) after the app listens and before it runs; it returns the URL and the app.
func startAppWith(t *testing.T, mountFn func(*server.App)) (string, *server.App) {
	t.Helper()
	parserOnce.Do(func() { parser, parserErr = nlu.New(nlu.Config{}) })
	require.NoError(t, parserErr)
	cfg, err := server.LoadConfig("")
	require.NoError(t, err)
	h, err := auth.HashPassword(agentPW2)
	require.NoError(t, err)
	cfg.Agents = append(cfg.Agents, auth.Agent{ID: agentID2, Name: "王工", PasswordHash: h})
	ctx, cancel := context.WithCancel(context.Background())
	app, err := server.NewApp(ctx, server.AppConfig{Addr: "127.0.0.1:0", StoreURL: "memory", Data: deploy.SampleData(), File: cfg, Parser: parser})
	require.NoError(t, err)
	addr, err := app.Listen()
	require.NoError(t, err)
	if mountFn != nil {
		mountFn(app)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return "http://" + addr.String(), app
}

// newBrowser starts a headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t, chromedp.WindowSize(1280, 860))
}

// newPage opens a tab in its own browser context (separate cookies and storage), like a
// second person on another computer.
func newPage(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	require.NoError(t, chromedp.Do(ctx))
	t.Cleanup(cancel)
	return ctx
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(tctx, steps...))
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return v
}

// waitText waits until the element matching css contains text.
func waitText(css, text string) chromedp.Action[chromedp.Void] {
	return browsertest.WaitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, css, text))
}

func choice(value string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(fmt.Sprintf(`#db-quick button[data-value=%q]`, value)), chromedp.NodeVisible)
}

func say(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(chromedp.CSS("#db-input"), text, chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS("#db-send")),
	)
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "screenshots"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

func agentLogin(id, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(chromedp.CSS("#id"), id, chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		waitText("#conn", "已连接"),
	)
}

// settled is true when every customer message is acknowledged: the server acknowledges a
// message after all the events of its turn, so the bot's answer is on screen.
const settled = `document.querySelectorAll("#db-log .db-customer").length > 0 && !document.querySelector("#db-log .db-pending")`

// answer replies to the slot the bot waits for (the contract's expect), clicking the quick
// reply when one carries the answer, and waits for the turn to settle.
func answer(t *testing.T, page context.Context, text string) {
	t.Helper()
	has := eval[bool](t, page, fmt.Sprintf(`!!document.querySelector('#db-quick button[data-value=%q]')`, text))
	if has {
		run(t, page, choice(text), browsertest.WaitJS(settled))
	} else {
		run(t, page, say(text), browsertest.WaitJS(settled))
	}
}

// converse answers the bot from a table keyed by expect slot until done holds; the
// dialogs may ask in any order, as a customer would experience it.
func converse(t *testing.T, page context.Context, answers map[string]string, done string) {
	t.Helper()
	for range 15 {
		if eval[bool](t, page, done) {
			return
		}
		expect := eval[string](t, page, `document.getElementById("db-panel").dataset.expect || ""`)
		text, ok := answers[expect]
		if !ok {
			last := eval[string](t, page, `[...document.querySelectorAll("#db-log .db-bot")].pop().textContent`)
			t.Fatalf("no answer for expect %q (bot said %q)", expect, last)
		}
		answer(t, page, text)
	}
	t.Fatalf("conversation did not reach %s", done)
}

// greeted waits for the open widget's greeting.
var greeted = browsertest.WaitJS(`!!document.querySelector("#db-log .db-bot") && document.getElementById("db-panel").dataset.expect === "menu"`)

func TestCustomerCompletesFaultTriage(t *testing.T) {
	base := startApp(t)
	page := newPage(t, newBrowser(t))
	run(t, page,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS("#db-launcher"), chromedp.NodeVisible),
		greeted,
		waitText("#db-conn", "在线"),
	)
	answer(t, page, "我家停电了")
	// Only this home is dark and the breaker had tripped: the self-check fixes it.
	converse(t, page, map[string]string{
		"scope": "只有我家", "breaker": "跳闸了", "fuse": "没有", "prepaid": "不是",
		"restored": "来电了",
	}, `document.getElementById("db-panel").dataset.resolved === "self_service"`)
	// Accessible: the log is a polite live region and the input has a label.
	require.Equal(t, "polite", eval[string](t, page, `document.getElementById("db-log").getAttribute("aria-live")`))
	require.Equal(t, "db-input", eval[string](t, page, `document.querySelector("label[for=db-input]").htmlFor`))
	screenshot(t, page, "widget-desktop.png")

	converse(t, page, map[string]string{"menu": "没有了，谢谢", "satisfaction": "非常满意", "": "没有了，谢谢"},
		`[...document.querySelectorAll("#db-log .db-customer")].some(e => e.textContent.includes("非常满意"))`)
	run(t, page, browsertest.WaitJS(settled))

	// The same widget at phone width: the panel fills the screen.
	phone := newPage(t, newBrowser(t))
	run(t, phone,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS("#db-launcher"), chromedp.NodeVisible),
		greeted,
		say("家里跳闸了，推不上去"),
		browsertest.WaitJS(settled),
	)
	width := eval[float64](t, phone, `document.getElementById("db-panel").getBoundingClientRect().width`)
	require.InDelta(t, 390, width, 1)
	screenshot(t, phone, "widget-phone.png")
}

func TestEscalationAgentReplyReloadAndXSS(t *testing.T) {
	base := startApp(t)
	browser := newBrowser(t)
	agent := newPage(t, browser)
	run(t, agent,
		chromedp.Navigate(base+"/agent"),
		waitText("h1", "坐席工作台登录"),
		agentLogin("demo", "dianbao-demo"),
	)
	// Any script the customer's text could run would flip this flag.
	eval[bool](t, agent, `window.__alerted = false; window.alert = () => { window.__alerted = true; }; true`)

	customer := newPage(t, browser)
	xss := `<img src=x onerror=alert(1)>`
	run(t, customer,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS("#db-launcher"), chromedp.NodeVisible),
		greeted,
		say(xss),
		browsertest.WaitJS(settled),
		say("我要转人工"),
		waitText("#db-queue", "排在第1位"),
	)
	session := eval[string](t, customer, `window.dianbao.session()`)
	require.NotEmpty(t, session)

	run(t, agent,
		waitText("#queue", "客户要求人工"),
		chromedp.Click(chromedp.CSS(`#queue li[data-session="`+session+`"] button.accept`), chromedp.NodeVisible),
		waitText("#transcript", xss),
		waitText("#session-id", session),
	)
	require.False(t, eval[bool](t, agent, `window.__alerted`))
	require.Zero(t, eval[int](t, agent, `document.querySelectorAll("#work img, #queue img").length`))
	run(t, customer, waitText("#db-queue", "人工客服已接入"))

	run(t, agent,
		chromedp.SendKeys(chromedp.CSS("#reply"), "您好，我是人工客服小李，您前面的情况我都看到了。", chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS("#send")),
		waitText("#transcript", "我是人工客服小李"),
	)
	run(t, customer, waitText("#db-log .db-agent", "我是人工客服小李"))
	screenshot(t, agent, "console.png")
	screenshot(t, customer, "widget-agent.png")

	// A page reload resumes the same session with its history, and live events keep coming.
	run(t, customer,
		chromedp.Reload(),
		waitText("#db-log", "我是人工客服小李"),
		waitText("#db-log", xss),
	)
	require.Equal(t, session, eval[string](t, customer, `window.dianbao.session()`))
	require.Zero(t, eval[int](t, customer, `document.querySelectorAll("#db-log img").length`))
	run(t, customer, say("好的，谢谢"))
	run(t, agent,
		waitText("#transcript", "好的，谢谢"),
		chromedp.SendKeys(chromedp.CSS("#reply"), "不客气，问题已为您记录。", chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS("#send")),
	)
	run(t, customer, waitText("#db-log", "问题已为您记录"))

	// The agent ends the session; the customer is asked for a rating.
	run(t, agent,
		chromedp.SetValue(chromedp.CSS("#disposition"), "resolved"),
		chromedp.Click(chromedp.CSS("#end")),
		waitText("#alert", "会话已结束"),
	)
	run(t, customer,
		chromedp.WaitVisible(chromedp.CSS("#db-rating")),
		chromedp.Click(chromedp.CSS("#db-rating button:last-child")),
		waitText("#db-log", "感谢您的评价"),
	)
	require.False(t, eval[bool](t, agent, `window.__alerted`))
}

func TestTwoAgentsCannotAcceptTheSameSession(t *testing.T) {
	base := startApp(t)
	browser := newBrowser(t)
	a1, a2, customer := newPage(t, browser), newPage(t, browser), newPage(t, browser)
	run(t, a1, chromedp.Navigate(base+"/agent/login"), agentLogin("demo", "dianbao-demo"))
	run(t, a2, chromedp.Navigate(base+"/agent/login"), agentLogin(agentID2, agentPW2))
	// The customer first reports a fault and gets a repair ticket, then asks for a human.
	run(t, customer,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS("#db-launcher"), chromedp.NodeVisible),
		greeted,
	)
	answer(t, customer, "我家停电了")
	converse(t, customer, map[string]string{
		"scope": "整栋楼都停了", "address": "星河湾小区8栋2单元", "name": "张先生",
		"phone": "13812345678", "confirm": "正确", "breaker": "没有跳闸",
	}, `document.getElementById("db-panel").dataset.resolved === "ticket"`)
	run(t, customer,
		waitText("#db-log .db-ticket", "RP"),
		say("转人工"),
		waitText("#db-queue", "转接人工客服"),
	)
	for _, a := range []context.Context{a1, a2} {
		run(t, a, chromedp.WaitVisible(chromedp.CSS("#queue button.accept")))
	}
	screenshot(t, a1, "console-queue.png")
	// Both click as close together as two browsers can. The winner's accept is pushed to
	// the other console at once, so a slower console may find its button already gone: then
	// it never asked, and must simply no longer offer the session.
	var wg sync.WaitGroup
	clicked := make([]bool, 2)
	for i, a := range []context.Context{a1, a2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clicked[i], _ = chromedp.Run(a, chromedp.Evaluate[bool](`(() => { const b = document.querySelector("#queue button.accept"); if (!b) return false; b.click(); return true; })()`))
		}()
	}
	wg.Wait()
	require.True(t, clicked[0] || clicked[1], "neither console could click accept")
	outcome := func(a context.Context, clicked bool) string {
		if !clicked {
			run(t, a, browsertest.WaitJS(`!document.querySelector("#queue button.accept")`))
			return "gone"
		}
		run(t, a, browsertest.WaitJS(`!document.getElementById("session").hidden || !document.getElementById("alert").hidden`))
		if eval[bool](t, a, `!document.getElementById("session").hidden`) {
			return "won"
		}
		return eval[string](t, a, `document.getElementById("alert").textContent`)
	}
	got := []string{outcome(a1, clicked[0]), outcome(a2, clicked[1])}
	require.Contains(t, got, "won")
	if clicked[0] && clicked[1] {
		require.Contains(t, got, "该会话已被其他坐席接入。")
	} else {
		require.Contains(t, got, "gone")
	}

	// The winner sees everything collected, so the customer repeats nothing.
	winner := a1
	if got[0] != "won" {
		winner = a2
	}
	run(t, winner,
		waitText("#slots", "13812345678"),
		waitText("#tickets", "RP"),
		waitText("#transcript", "星河湾小区8栋2单元"),
		waitText("#transcript", "工单 RP"),
	)
	screenshot(t, winner, "console-session.png")
}

func TestUnauthenticatedRefused(t *testing.T) {
	base := startApp(t)
	page := newPage(t, newBrowser(t))
	run(t, page, chromedp.Navigate(base+"/agent"), waitText("h1", "坐席工作台登录"))
	require.True(t, strings.HasSuffix(eval[string](t, page, `location.pathname`), "/agent/login"))
	status := eval[float64](t, page, `fetch("/api/tickets").then(r => r.status)`)
	require.Equal(t, float64(401), status)
	status = eval[float64](t, page, `fetch("/api/outages", {method: "POST", body: "{}"}).then(r => r.status)`)
	require.Equal(t, float64(401), status)
	opened := eval[string](t, page, `new Promise(res => {
		const ws = new WebSocket(location.origin.replace("http", "ws") + "/ws/agent");
		ws.onopen = () => res("opened"); ws.onerror = () => res("refused");
	})`)
	require.Equal(t, "refused", opened)
	// A wrong password stays on the login page with a message.
	run(t, page,
		chromedp.SendKeys(chromedp.CSS("#id"), "demo", chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")),
	)
}
