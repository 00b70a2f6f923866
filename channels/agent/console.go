package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"dianbao/bot"
	"dianbao/bot/auth"
	"dianbao/bot/queue"
)

// Console serves the agent pages and the console WebSocket.
type Console struct {
	desk     *Desk
	auth     *auth.Authenticator
	logger   *slog.Logger
	login    http.Handler // the login page
	page     http.Handler // the console page
	upgrader websocket.Upgrader

	mu      sync.Mutex
	conns   map[*consoleConn]struct{}
	closing bool
	wg      sync.WaitGroup
}

// NewConsole builds the console; loginPage and consolePage serve the static pages.
func NewConsole(desk *Desk, a *auth.Authenticator, loginPage, consolePage http.Handler, logger *slog.Logger) *Console {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{desk: desk, auth: a, logger: logger, login: loginPage, page: consolePage, conns: map[*consoleConn]struct{}{}}
	c.upgrader = websocket.Upgrader{
		ReadBufferSize: 4096, WriteBufferSize: 4096,
		// The handshake is checked in serveWS before upgrading; this is the last line.
		CheckOrigin: a.SameOrigin,
	}
	return c
}

// Mount registers the console routes.
func (c *Console) Mount(mux interface {
	Handle(string, http.Handler)
}) {
	mux.Handle("GET /agent", http.HandlerFunc(c.serveConsole))
	mux.Handle("GET /agent/login", http.HandlerFunc(c.serveLogin))
	mux.Handle("POST /agent/login", http.HandlerFunc(c.postLogin))
	mux.Handle("POST /agent/logout", http.HandlerFunc(c.postLogout))
	mux.Handle("GET /ws/agent", http.HandlerFunc(c.serveWS))
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'")
}

func (c *Console) serveConsole(w http.ResponseWriter, r *http.Request) {
	if _, err := c.auth.Session(r); err != nil {
		http.Redirect(w, r, "/agent/login", http.StatusSeeOther)
		return
	}
	noStore(w)
	c.page.ServeHTTP(w, r)
}

func (c *Console) serveLogin(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	c.login.ServeHTTP(w, r)
}

func (c *Console) postLogin(w http.ResponseWriter, r *http.Request) {
	if !c.auth.SameOrigin(r) {
		http.Error(w, "跨站请求已拒绝", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "请求格式有误", http.StatusBadRequest)
		return
	}
	s, err := c.auth.Login(r.PostForm.Get("id"), r.PostForm.Get("password"))
	if errors.Is(err, auth.ErrThrottled) {
		http.Redirect(w, r, "/agent/login?error=throttled", http.StatusSeeOther)
		return
	}
	if err != nil {
		http.Redirect(w, r, "/agent/login?error=1", http.StatusSeeOther)
		return
	}
	c.auth.SetCookie(w, r, s)
	http.Redirect(w, r, "/agent", http.StatusSeeOther)
}

func (c *Console) postLogout(w http.ResponseWriter, r *http.Request) {
	s, err := c.auth.Session(r)
	if err != nil {
		http.Error(w, "未登录", http.StatusUnauthorized)
		return
	}
	if err := c.auth.CheckCSRF(r, s); err != nil {
		http.Error(w, "跨站请求已拒绝", http.StatusForbidden)
		return
	}
	c.auth.Logout(s.Token)
	c.auth.ClearCookie(w)
	http.Redirect(w, r, "/agent/login", http.StatusSeeOther)
}

// Close disconnects every console and waits for them.
func (c *Console) Close() {
	c.mu.Lock()
	c.closing = true
	for cc := range c.conns {
		cc.stop()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *Console) serveWS(w http.ResponseWriter, r *http.Request) {
	s, err := c.auth.Session(r)
	if err != nil {
		http.Error(w, "未登录", http.StatusUnauthorized)
		return
	}
	if !c.auth.SameOrigin(r) {
		http.Error(w, "跨站请求已拒绝", http.StatusForbidden)
		return
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()
	ws, err := c.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	cc := &consoleConn{agent: s.Agent, ws: ws, out: make(chan any, 256), done: make(chan struct{})}
	c.mu.Lock()
	c.conns[cc] = struct{}{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.conns, cc)
		c.mu.Unlock()
	}()
	c.run(r.Context(), cc, s)
}

// consoleFrame is what the console sends.
type consoleFrame struct {
	Type        string `json:"type"` // status | accept | open | reply | note | return | end
	Session     string `json:"session,omitempty"`
	Text        string `json:"text,omitempty"`
	Status      string `json:"status,omitempty"`
	Disposition string `json:"disposition,omitempty"`
}

type consoleConn struct {
	agent auth.Agent
	ws    *websocket.Conn
	out   chan any
	done  chan struct{}
	once  sync.Once
}

func (cc *consoleConn) stop() { cc.once.Do(func() { close(cc.done) }) }

// push never blocks: a console too slow to read loses updates (the next queue broadcast
// repairs its view) rather than stalling the desk.
func (cc *consoleConn) push(v any) {
	select {
	case cc.out <- v:
	default:
	}
}

func (c *Console) run(ctx context.Context, cc *consoleConn, s auth.Session) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cc.writeLoop(ctx)
		cancel()
		_ = cc.ws.Close()
	}()
	defer func() {
		cancel()
		_ = cc.ws.Close()
		wg.Wait()
	}()
	d := c.desk
	d.attach(cc)
	defer d.detach(cc)
	cc.push(map[string]any{"type": "hello", "agent": AgentView{ID: s.Agent.ID, Name: s.Agent.Name, Status: StatusOnline}, "csrf": s.CSRF, "canned": d.cfg.Canned,
		"dispositions": Dispositions, "held": nonNilStrings(d.Held(s.Agent.ID))})
	cc.push(map[string]any{"type": "queue", "entries": d.entryViews(d.queue.List())})
	cc.push(map[string]any{"type": "agents", "agents": d.Agents()})
	for _, id := range d.Held(s.Agent.ID) {
		if v, err := d.View(ctx, s.Agent.ID, id); err == nil {
			cc.push(v)
		}
	}
	cc.ws.SetReadLimit(64 << 10)
	for {
		mt, raw, err := cc.ws.ReadMessage()
		if err != nil {
			return
		}
		if _, still := c.auth.Session(requestWithCookie(s.Token)); still != nil {
			cc.push(errorMsg("logged_out", "登录已失效，请重新登录。"))
			return
		}
		var f consoleFrame
		if mt != websocket.TextMessage || !utf8.Valid(raw) || json.Unmarshal(raw, &f) != nil {
			cc.push(errorMsg("bad_request", "消息格式有误。"))
			continue
		}
		if utf8.RuneCountInString(f.Text) > 2000 {
			cc.push(errorMsg("too_long", "内容过长，请控制在2000字以内。"))
			continue
		}
		c.handle(ctx, cc, f)
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func requestWithCookie(token string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: token})
	return r
}

func errorMsg(code, text string) map[string]any {
	return map[string]any{"type": "error", "code": code, "text": text}
}

func (c *Console) handle(ctx context.Context, cc *consoleConn, f consoleFrame) {
	d, id := c.desk, cc.agent.ID
	var err error
	switch f.Type {
	case "status":
		err = d.SetStatus(id, f.Status)
	case "accept":
		var v SessionView
		if v, err = d.Accept(ctx, id, f.Session); err == nil {
			cc.push(v)
		}
	case "open":
		var v SessionView
		if v, err = d.View(ctx, id, f.Session); err == nil {
			cc.push(v)
		}
	case "reply":
		err = d.Reply(ctx, id, f.Session, f.Text)
	case "note":
		var n Note
		if n, err = d.AddNote(id, f.Session, f.Text); err == nil {
			cc.push(map[string]any{"type": "note", "session": f.Session, "note": n})
		}
	case "return":
		err = d.Return(ctx, id, f.Session)
	case "end":
		err = d.End(ctx, id, f.Session, f.Disposition)
	default:
		err = fmt.Errorf("%w: type %q", ErrBadRequest, f.Type)
	}
	if err != nil {
		c.logger.Info("console request refused", "agent_id", id, "session_id", f.Session, "type", f.Type, "err", err)
		cc.push(describe(f, err))
	}
}

func describe(f consoleFrame, err error) map[string]any {
	m := errorMsg("failed", "操作未成功，请稍后重试。")
	switch {
	case errors.Is(err, queue.ErrTaken):
		m = errorMsg("taken", "该会话已被其他坐席接入。")
	case errors.Is(err, queue.ErrNotQueued), errors.Is(err, bot.ErrBadMode), errors.Is(err, bot.ErrNotFound):
		m = errorMsg("not_waiting", "该会话已不在排队中。")
	case errors.Is(err, ErrNotHeld):
		m = errorMsg("not_held", "您当前未接待该会话。")
	case errors.Is(err, ErrBadRequest):
		m = errorMsg("bad_request", "请求内容有误："+err.Error())
	}
	m["session"] = f.Session
	m["request"] = f.Type
	return m
}

func (cc *consoleConn) writeLoop(ctx context.Context) {
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cc.done:
			_ = cc.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, "server restarting"), time.Now().Add(time.Second))
			return
		case <-ping.C:
			if err := cc.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
				return
			}
		case v := <-cc.out:
			_ = cc.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := cc.ws.WriteJSON(v); err != nil {
				return
			}
		}
	}
}
