// Package webchat is the customer's WebSocket channel (/ws/chat): it turns widget frames
// into engine turns and streams the contract events back, including those other parties
// publish for the session (an agent's replies, queue positions, outage announcements). A
// session id kept by the widget lets a reconnect or a page reload resume the same
// conversation with its history.
package webchat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"dianbao/bot"
)

// Engine is what the chat needs of the bot runtime.
type Engine interface {
	// Open greets a new session and returns nothing for one that exists.
	Open(ctx context.Context, sessionID string) ([]bot.Event, error)
	// Turn handles one customer message (choice is the value of a quick reply, if any).
	Turn(ctx context.Context, sessionID, text, choice string) ([]bot.Event, error)
	// History returns the session's transcript, customer messages included.
	History(ctx context.Context, sessionID string) ([]bot.Event, error)
	// Rate records the end-of-chat satisfaction (1–5 stars) on the session.
	Rate(ctx context.Context, sessionID string, rating int) error
}

// Subscriber delivers the events published for one session (bot.Bus satisfies it).
type Subscriber interface {
	Subscribe(sessionID string) (<-chan bot.Event, func())
}

// Config bounds what a widget may send.
type Config struct {
	// MaxBytes is the largest frame answered normally (8 KiB when zero); larger frames up
	// to 1 MiB get a too_long error, beyond that the socket is closed by the protocol.
	MaxBytes int
	// MaxRunes is the longest message text (2000 when zero).
	MaxRunes int
	// PingInterval keeps proxies from closing idle sockets (30 s when zero).
	PingInterval time.Duration
	// AllowedOrigins restricts which sites may embed the widget; empty allows any, since a
	// chat session carries no ambient credentials.
	AllowedOrigins []string
	// TurnTimeout bounds one turn (30 s). A turn runs to the end even if the socket drops or
	// the server drains, so a customer's message is never half handled.
	TurnTimeout time.Duration
	// ConnRate and ConnBurst are each connection's token bucket for frames that reach the
	// engine (3 per second, burst 15); IPRate and IPBurst the bucket shared by all
	// connections from one address (10 per second, burst 60). A frame over either gets a
	// polite rate_limited error and is not handled.
	ConnRate  rate.Limit
	ConnBurst int
	IPRate    rate.Limit
	IPBurst   int
	// TrustForwardedFor takes the client address from X-Forwarded-For (set it only behind
	// a proxy that overwrites that header, like the nginx of deploy/).
	TrustForwardedFor bool
}

// Handler serves /ws/chat.
type Handler struct {
	cfg      Config
	engine   Engine
	bus      Subscriber
	logger   *slog.Logger
	upgrader websocket.Upgrader

	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool
	wg      sync.WaitGroup
	seen    map[string][]string // session → recent client message ids, for resend dedupe
	ips     map[string]*ipLimiter
	pruned  time.Time

	active  prometheus.Gauge
	inbound *prometheus.CounterVec
	errs    *prometheus.CounterVec
}

// Frame is what the widget sends.
type Frame struct {
	Type    string `json:"type"` // message | choice | resume | ping
	Text    string `json:"text,omitempty"`
	Value   string `json:"value,omitempty"`
	Session string `json:"session,omitempty"`
	ID      string `json:"id,omitempty"` // client message id, acknowledged and deduplicated
}

var sessionRe = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// New builds the handler; reg may be nil.
func New(cfg Config, engine Engine, bus Subscriber, logger *slog.Logger, reg prometheus.Registerer) (*Handler, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 8 << 10
	}
	if cfg.MaxRunes <= 0 {
		cfg.MaxRunes = 2000
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.TurnTimeout <= 0 {
		cfg.TurnTimeout = 30 * time.Second
	}
	if cfg.ConnRate <= 0 {
		cfg.ConnRate = 3
	}
	if cfg.ConnBurst <= 0 {
		cfg.ConnBurst = 15
	}
	if cfg.IPRate <= 0 {
		cfg.IPRate = 10
	}
	if cfg.IPBurst <= 0 {
		cfg.IPBurst = 60
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		cfg: cfg, engine: engine, bus: bus, logger: logger,
		conns: map[*conn]struct{}{}, seen: map[string][]string{}, ips: map[string]*ipLimiter{},
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "dianbao", Subsystem: "webchat", Name: "connections",
			Help: "Open web chat WebSockets.",
		}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dianbao", Subsystem: "webchat", Name: "frames_total",
			Help: "Frames received from widgets, by type.",
		}, []string{"type"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dianbao", Subsystem: "webchat", Name: "errors_total",
			Help: "Error events sent to widgets, by code.",
		}, []string{"code"}),
	}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize: 4096, WriteBufferSize: 4096,
		CheckOrigin: h.checkOrigin,
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{h.active, h.inbound, h.errs} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("webchat: register metrics: %w", err)
			}
		}
	}
	return h, nil
}

func (h *Handler) checkOrigin(r *http.Request) bool {
	if len(h.cfg.AllowedOrigins) == 0 {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" || strings.HasSuffix(origin, "://"+r.Host) {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// Close drains: new connections are refused, each open one stops reading, finishes the
// turn in flight, writes its events and a going-away close frame (the widget reconnects,
// through the load balancer, to another instance), and Close waits for all of them.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closing = true
	for c := range h.conns {
		c.goAway()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// ServeHTTP upgrades the request and runs the connection until it closes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()

	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &conn{h: h, ws: ws, out: make(chan any, 128), done: make(chan struct{}), writerDone: make(chan struct{}),
		sent: map[string]struct{}{}, ip: h.clientIP(r),
		limit: rate.NewLimiter(h.cfg.ConnRate, h.cfg.ConnBurst)}
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.active.Inc()
	defer func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		h.active.Dec()
	}()
	c.run(r.Context())
}

func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errorEvent is the extension event answering bad input; the connection stays open.
type errorEvent struct {
	Type string `json:"type"` // "error"
	Code string `json:"code"`
	Text string `json:"text"`
	ID   string `json:"id,omitempty"`
}

type sessionEvent struct {
	Type    string `json:"type"` // "session"
	Session string `json:"session"`
	Resumed bool   `json:"resumed"`
}

type historyEvent struct {
	Type   string      `json:"type"` // "history"
	Events []bot.Event `json:"events"`
}

type ackEvent struct {
	Type string `json:"type"` // "ack"
	ID   string `json:"id"`
}

type typingEvent struct {
	Type string `json:"type"` // "typing"
	On   bool   `json:"on"`
}

var errorTexts = map[error]struct{ code, text string }{
	ErrTooLong:     {"too_long", "抱歉，您的消息过长，请精简到2000字以内后重新发送。"},
	ErrBadJSON:     {"bad_json", "抱歉，消息格式有误，未能识别，请重新发送。"},
	ErrBadEncoding: {"bad_encoding", "抱歉，消息中含有无法识别的字符，请检查后重新发送。"},
	ErrBadType:     {"bad_type", "抱歉，暂不支持该类型的消息，请直接输入文字。"},
	ErrEmpty:       {"empty", "您好，请输入您要咨询的内容。"},
	ErrBadSession:  {"bad_session", "抱歉，会话编号有误，已为您开始新的会话。"},
	ErrRateLimited: {"rate_limited", "抱歉，您发送消息的速度有些快，请您稍等几秒后再发送，感谢您的理解。"},
	ErrNoSession:   {"no_session", "抱歉，当前没有进行中的会话，评价未能记录，感谢您的支持。"},
}

// parseFrame validates one raw frame.
func (h *Handler) parseFrame(raw []byte) (Frame, error) {
	var f Frame
	if len(raw) > h.cfg.MaxBytes {
		return f, ErrTooLong
	}
	if !utf8.Valid(raw) {
		return f, ErrBadEncoding
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	switch f.Type {
	case "message":
		f.Text = strings.TrimSpace(f.Text)
		if f.Text == "" {
			return f, ErrEmpty
		}
	case "choice":
		if strings.TrimSpace(f.Value) == "" {
			return f, ErrEmpty
		}
		if f.Text == "" {
			f.Text = f.Value
		}
	case "resume":
		if f.Session != "" && !sessionRe.MatchString(f.Session) {
			return f, ErrBadSession
		}
	case "rating":
		if len(f.Value) != 1 || f.Value[0] < '1' || f.Value[0] > '5' {
			return f, fmt.Errorf("%w: rating must be 1 to 5", ErrBadType)
		}
	case "ping":
	default:
		return f, fmt.Errorf("%w: %q", ErrBadType, f.Type)
	}
	if utf8.RuneCountInString(f.Text) > h.cfg.MaxRunes || utf8.RuneCountInString(f.Value) > h.cfg.MaxRunes {
		return f, ErrTooLong
	}
	return f, nil
}

// remember reports whether a client message id was already handled for the session, and
// records it otherwise; a widget resends unacknowledged messages after a reconnect.
func (h *Handler) remember(session, id string) bool {
	if id == "" {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.seen[session]
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	if len(h.seen) >= 50000 { // bound the memory; old sessions' resends are long done
		clear(h.seen)
	}
	ids = append(ids, id)
	if len(ids) > 64 {
		ids = ids[len(ids)-64:]
	}
	h.seen[session] = ids
	return false
}

// forget drops a client message id whose turn failed.
func (h *Handler) forget(session, id string) {
	if id == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.seen[session]
	for i, x := range ids {
		if x == id {
			h.seen[session] = append(ids[:i:i], ids[i+1:]...)
			return
		}
	}
}

type conn struct {
	h          *Handler
	ws         *websocket.Conn
	out        chan any
	done       chan struct{} // closed by goAway: the server drains
	once       sync.Once
	writerDone chan struct{} // closed when writeLoop returns
	ip         string
	limit      *rate.Limiter

	session string
	sent    map[string]struct{} // fingerprints of events already written
	order   []string
	mu      sync.Mutex
}

// goAway asks the connection to stop reading; the reader finishes its turn in flight and
// the writer then flushes and sends the close frame.
func (c *conn) goAway() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.SetReadDeadline(time.Now()) // wakes an idle reader; a busy one checks done
	})
}

func (c *conn) draining() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// run owns the connection: the reader runs here, the writer and the bus forwarder in
// goroutines that end before run returns.
func (c *conn) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	readerDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(c.writerDone)
		c.writeLoop(readerDone)
		cancel()
		_ = c.ws.Close() // unblock the reader if the writer failed first
	}()
	var unsub func()
	defer func() {
		close(readerDone) // the writer flushes what the last turn produced, then closes
		<-c.writerDone
		cancel()
		if unsub != nil {
			unsub()
		}
		_ = c.ws.Close()
		wg.Wait()
	}()

	c.ws.SetReadLimit(1 << 20)
	c.ws.SetPongHandler(func(string) error {
		if c.draining() {
			return c.ws.SetReadDeadline(time.Now())
		}
		return c.ws.SetReadDeadline(time.Now().Add(3 * c.h.cfg.PingInterval))
	})
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(3 * c.h.cfg.PingInterval))
		if c.draining() { // checked after the deadline is set, so goAway's deadline wins
			return
		}
		mt, raw, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.TextMessage {
			c.fail(ErrBadType, "")
			continue
		}
		f, err := c.h.parseFrame(raw)
		c.h.inbound.WithLabelValues(frameLabel(f.Type)).Inc()
		if err != nil {
			if errors.Is(err, ErrBadSession) {
				c.fail(err, f.ID)
				f = Frame{Type: "resume"}
			} else {
				c.fail(err, f.ID)
				continue
			}
		}
		if f.Type == "ping" {
			c.send(ackEvent{Type: "pong"})
			continue
		}
		if !c.allow() {
			c.fail(ErrRateLimited, f.ID)
			continue
		}
		// The turn is detached from the connection: it completes (and is saved) even if
		// the socket drops or the server drains meanwhile.
		tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), c.h.cfg.TurnTimeout)
		c.handle(ctx, tctx, f, &unsub, &wg)
		tcancel()
	}
}

// handle answers one valid frame.
func (c *conn) handle(ctx, tctx context.Context, f Frame, unsub *func(), wg *sync.WaitGroup) {
	if f.Type == "rating" {
		c.rate(tctx, f)
		return
	}
	if c.session == "" {
		id := f.Session
		if f.Type != "resume" || id == "" {
			id = newSessionID()
		}
		ch, cancelSub := c.h.bus.Subscribe(id)
		*unsub = cancelSub
		c.session = id
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.forward(ctx, ch)
		}()
		c.start(tctx, f.Type == "resume" && f.Session != "")
		if f.Type == "resume" {
			return
		}
	} else if f.Type == "resume" {
		return // already attached; a second resume is harmless
	}
	if c.h.remember(c.session, f.ID) {
		c.send(ackEvent{Type: "ack", ID: f.ID})
		return
	}
	c.send(typingEvent{Type: "typing", On: true})
	choice := ""
	if f.Type == "choice" {
		choice = f.Value
	}
	events, err := c.h.engine.Turn(tctx, c.session, f.Text, choice)
	c.send(typingEvent{Type: "typing", On: false})
	if err != nil {
		// The engine's apology (a store outage, a panic) is the error's text; the widget
		// shows it once and the customer may simply send the message again.
		c.h.logger.Error("chat turn failed", "session_id", c.session, "err", err)
		c.h.forget(c.session, f.ID) // the customer's resend must be handled, not deduplicated
		text := busyText
		for _, ev := range events {
			if ev.Type == bot.EventMessage && ev.Text != "" {
				text = ev.Text
			}
		}
		c.h.errs.WithLabelValues("internal").Inc()
		c.send(errorEvent{Type: "error", Code: "internal", Text: text, ID: f.ID})
		return
	}
	for _, ev := range events {
		c.sendEvent(ev)
	}
	if f.ID != "" {
		c.send(ackEvent{Type: "ack", ID: f.ID})
	}
}

const busyText = "抱歉，系统暂时繁忙，请您稍后再试，或拨打95598服务热线。"

// rate records the widget's end-of-chat stars on the session.
func (c *conn) rate(ctx context.Context, f Frame) {
	if c.session == "" {
		c.fail(ErrNoSession, f.ID)
		return
	}
	err := c.h.engine.Rate(ctx, c.session, int(f.Value[0]-'0'))
	switch {
	case errors.Is(err, bot.ErrNotFound):
		c.fail(ErrNoSession, f.ID)
	case err != nil:
		c.h.logger.Error("record rating", "session_id", c.session, "err", err)
		c.h.errs.WithLabelValues("internal").Inc()
		c.send(errorEvent{Type: "error", Code: "internal", Text: busyText, ID: f.ID})
	default:
		c.send(ackEvent{Type: "ack", ID: f.ID})
	}
}

// allow takes a token from the connection's and the address's buckets.
func (c *conn) allow() bool {
	if !c.limit.Allow() {
		return false
	}
	return c.h.ipLimiter(c.ip).Allow()
}

// start attaches the connection to its session: the id, the transcript when resuming, and
// the greeting when the session is new (or expired).
func (c *conn) start(ctx context.Context, resumed bool) {
	c.send(sessionEvent{Type: "session", Session: c.session, Resumed: resumed})
	if resumed {
		hist, err := c.h.engine.History(ctx, c.session)
		if err != nil {
			c.h.logger.Warn("history unavailable", "session_id", c.session, "err", err)
		}
		for _, ev := range hist {
			c.mark(ev)
		}
		c.send(historyEvent{Type: "history", Events: nonNil(hist)})
	}
	events, err := c.h.engine.Open(ctx, c.session)
	if err != nil {
		c.h.logger.Error("open session failed", "session_id", c.session, "err", err)
		c.send(errorEvent{Type: "error", Code: "internal", Text: busyText})
		return
	}
	for _, ev := range events {
		c.sendEvent(ev)
	}
}

func nonNil(evs []bot.Event) []bot.Event {
	if evs == nil {
		return []bot.Event{}
	}
	return evs
}

func frameLabel(t string) string {
	switch t {
	case "message", "choice", "resume", "ping", "rating":
		return t
	}
	return "invalid"
}

func (c *conn) fail(err error, id string) {
	for sentinel, e := range errorTexts {
		if errors.Is(err, sentinel) {
			c.h.errs.WithLabelValues(e.code).Inc()
			c.send(errorEvent{Type: "error", Code: e.code, Text: e.text, ID: id})
			return
		}
	}
}

// forward relays events published for the session by others (agents, the queue,
// operators); the same event returned by a turn is written only once.
func (c *conn) forward(ctx context.Context, ch <-chan bot.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			c.sendEvent(ev)
		}
	}
}

func fingerprint(ev bot.Event) string {
	b, _ := json.Marshal(ev)
	return string(b)
}

// mark records an event as written and reports whether it was new.
func (c *conn) mark(ev bot.Event) bool {
	fp := fingerprint(ev)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.sent[fp]; dup {
		return false
	}
	c.sent[fp] = struct{}{}
	c.order = append(c.order, fp)
	if len(c.order) > 512 {
		delete(c.sent, c.order[0])
		c.order = c.order[1:]
	}
	return true
}

func (c *conn) sendEvent(ev bot.Event) {
	if ev.Type == bot.EventMessage && ev.From == bot.FromCustomer || ev.Type == bot.EventRating {
		return // the widget shows the customer's own words and stars already
	}
	if c.mark(ev) {
		c.send(ev)
	}
}

// send queues v for the writer; it never blocks once the writer has stopped.
func (c *conn) send(v any) {
	select {
	case c.out <- v:
	case <-c.writerDone:
	}
}

// writeLoop writes queued frames and pings until the reader is done (then it flushes
// what is queued and writes a close frame: going-away while draining) or a write fails.
func (c *conn) writeLoop(readerDone <-chan struct{}) {
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()
	write := func(v any) error {
		_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return c.ws.WriteJSON(v)
	}
	for {
		select {
		case <-readerDone:
			for {
				select {
				case v := <-c.out:
					if write(v) != nil {
						return
					}
					continue
				default:
				}
				break
			}
			code, reason := websocket.CloseNormalClosure, ""
			if c.draining() {
				code, reason = websocket.CloseGoingAway, "server restarting"
			}
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
			return
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
				return
			}
		case v := <-c.out:
			if write(v) != nil {
				return
			}
		}
	}
}

// ipLimiter is one client address's bucket and when it was last used.
type ipLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

// ipLimiter returns the bucket of ip, dropping buckets idle for ten minutes (a full
// bucket by then) at most once a minute, so the map stays bounded without a goroutine.
func (h *Handler) ipLimiter(ip string) *rate.Limiter {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.pruned) > time.Minute {
		for k, l := range h.ips {
			if now.Sub(l.seen) > 10*time.Minute {
				delete(h.ips, k)
			}
		}
		h.pruned = now
	}
	l, ok := h.ips[ip]
	if !ok {
		l = &ipLimiter{lim: rate.NewLimiter(h.cfg.IPRate, h.cfg.IPBurst)}
		h.ips[ip] = l
	}
	l.seen = now
	return l.lim
}

// clientIP is the address the per-IP bucket is keyed on.
func (h *Handler) clientIP(r *http.Request) string {
	if h.cfg.TrustForwardedFor {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := strings.TrimSpace(first); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
