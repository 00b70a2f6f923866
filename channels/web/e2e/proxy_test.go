package e2e

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"dianbao/channels/web/browsertest"
)

// flakyProxy sits between the browser and the server so a test can cut the network: it
// closes every open connection and refuses new ones until restored.
type flakyProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	down    bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	stopped bool
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &flakyProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *flakyProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *flakyProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down || p.stopped {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// cut drops the network: open connections die, new ones are refused.
func (p *flakyProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *flakyProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

func (p *flakyProxy) close() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.cut()
	p.ln.Close()
	p.wg.Wait()
}

func TestNetworkDropResumesAndLosesNothing(t *testing.T) {
	base := startApp(t)
	proxy := newFlakyProxy(t, strings.TrimPrefix(base, "http://"))
	page := newPage(t, newBrowser(t))
	run(t, page,
		chromedp.Navigate(proxy.URL()+"/"),
		chromedp.Click(chromedp.CSS("#db-launcher"), chromedp.NodeVisible),
		greeted,
	)
	answer(t, page, "我家停电了")
	session := eval[string](t, page, `window.dianbao.session()`)
	botBefore := eval[float64](t, page, `document.querySelectorAll("#db-log .db-bot").length`)
	reply := map[string]string{"scope": "只有我家", "breaker": "跳闸了"}[eval[string](t, page, `document.getElementById("db-panel").dataset.expect`)]
	require.NotEmpty(t, reply, "the bot asks about the range or the breaker first")

	proxy.cut()
	run(t, page,
		waitText("#db-conn", "网络已断开"),
		say(reply), // typed while offline: kept, shown as pending
		browsertest.WaitJS(`document.querySelectorAll("#db-log .db-pending").length === 1`),
	)
	proxy.restore()
	run(t, page,
		waitText("#db-conn", "在线"),
		browsertest.WaitJS(settled),
	)
	require.Equal(t, session, eval[string](t, page, `window.dianbao.session()`), "the same session resumed")
	// History shown again, nothing lost or doubled: one greeting, both customer lines once,
	// and the bot answered the message typed offline.
	require.Equal(t, 1.0, eval[float64](t, page, `document.querySelectorAll("#db-log .db-bot")[0].textContent.includes("您好") ? 1 : 0`))
	require.Equal(t, 2.0, eval[float64](t, page, `document.querySelectorAll("#db-log .db-customer").length`))
	require.Greater(t, eval[float64](t, page, `document.querySelectorAll("#db-log .db-bot").length`), botBefore)
	texts := eval[[]string](t, page, `[...document.querySelectorAll("#db-log .db-bot")].map(e => e.textContent)`)
	seen := map[string]bool{}
	for _, x := range texts {
		require.False(t, seen[x], "bot message shown twice: %s", x)
		seen[x] = true
	}
}
