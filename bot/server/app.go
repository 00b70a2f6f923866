package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/time/rate"

	"dianbao/bot"
	"dianbao/bot/auth"
	"dianbao/bot/queue"
	"dianbao/bot/store"
	"dianbao/channels/agent"
	"dianbao/channels/web"
	"dianbao/channels/webchat"
	"dianbao/dialogs"
	"dianbao/nlu"
)

// AppConfig is everything `dianbao serve` decides before building the application.
type AppConfig struct {
	Addr     string
	StoreURL string
	Data     fs.FS // outages.json and accounts.json
	File     FileConfig
	Now      func() time.Time
	// Parser, when set, is shared instead of building a new one (tests build it once).
	Parser bot.Parser
	// Extra mounts more handlers (e.g. the voice channel) on the server.
	Extra  func(s *Server, engine *bot.Engine, reg prometheus.Registerer) error
	Logger *slog.Logger
}

// App is the assembled server: store, engine, queue, channels and HTTP front.
type App struct {
	Server   *Server
	Engine   *bot.Engine
	Store    bot.Store
	Queue    HandoffQueue
	Desk     *agent.Desk
	Auth     *auth.Authenticator
	Registry *prometheus.Registry
	// Bus is a RedisBus with a redis store, so a fleet of instances shares every event.
	Bus store.Bus

	chat       *webchat.Handler
	closeQueue func() error
	console    *agent.Console
	parser     *nlu.Parser
	logger     *slog.Logger
}

// HandoffQueue is the queue the desk and the engine share: a queue.MemoryQueue for one
// process, a queue.RedisQueue for a fleet on a redis store.
type HandoffQueue interface {
	agent.Queue
	queue.Backend
}

// NewApp builds everything; Close releases what Run does not.
func NewApp(ctx context.Context, cfg AppConfig) (*App, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a := &App{Registry: reg, logger: log}

	st, err := store.Open(ctx, cfg.StoreURL, store.Options{Logger: log, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	a.Store = st
	fail := func(err error) (*App, error) {
		if a.Bus != nil {
			_ = a.Bus.Close()
		}
		if a.closeQueue != nil {
			_ = a.closeQueue()
		}
		_ = st.Close()
		if a.parser != nil {
			a.parser.Close()
		}
		return nil, err
	}
	dir, err := bot.LoadDirectory(cfg.Data)
	if err != nil {
		return fail(fmt.Errorf("data: %w", err))
	}
	parser := cfg.Parser
	if parser == nil {
		p, err := nlu.New(nlu.Config{Logger: log})
		if err != nil {
			return fail(fmt.Errorf("nlu: %w", err))
		}
		a.parser, parser = p, p
	}
	dcfg := dialogs.DefaultConfig()
	machine, err := dialogs.New(dcfg)
	if err != nil {
		return fail(fmt.Errorf("dialogs: %w", err))
	}

	var desk *agent.Desk
	qcfg := queue.Config{
		WaitLimit: cfg.File.WaitLimit, Hours: cfg.File.ServiceHours, DefaultHandle: cfg.File.DefaultHandle, Now: cfg.Now,
		OnChange: func(es []queue.Entry) {
			if desk != nil {
				desk.QueueChanged(es)
			}
		},
	}
	if rs, ok := st.(*store.RedisStore); ok {
		q, err := queue.NewRedisQueue(queue.RedisConfig{Config: qcfg, OnRemoteChange: func() {
			if desk != nil {
				desk.QueueChanged(nil) // refresh this instance's consoles
			}
		}}, rs.NewClient(), log, reg)
		if err != nil {
			return fail(err)
		}
		a.Queue, a.closeQueue = q, q.Close
	} else {
		q, err := queue.NewMemoryQueue(qcfg, log, reg)
		if err != nil {
			return fail(err)
		}
		a.Queue = q
	}
	q := a.Queue
	bus, err := store.NewBus(st, store.BusOptions{Logger: log, Buffer: 256})
	if err != nil {
		return fail(err)
	}
	a.Bus = bus
	eng, err := bot.New(bot.Config{
		Parser: parser, Dialogs: machine, Commitments: dcfg.Commitments, Store: st, Records: dir, Bus: a.Bus,
		Queue:           queue.ForEngine(q),
		AgentsAvailable: func() bool { return desk != nil && desk.AgentsAvailable() },
		Now:             cfg.Now, Logger: log, Registerer: reg,
	})
	if err != nil {
		return fail(err)
	}
	a.Engine = eng
	ops := &engineOps{e: eng, dir: dir}
	desk, err = agent.NewDesk(agent.DeskConfig{Canned: cfg.File.Canned, Now: cfg.Now}, ops, a.Bus, q, log, reg)
	if err != nil {
		return fail(err)
	}
	a.Desk = desk

	au, err := auth.New(auth.Config{Agents: cfg.File.Agents, OperatorToken: cfg.File.OperatorToken,
		SecureCookie: cfg.File.SecureCookie, Now: cfg.Now}, log)
	if err != nil {
		return fail(err)
	}
	a.Auth = au
	chat, err := webchat.New(webchat.Config{
		AllowedOrigins: cfg.File.WidgetOrigins,
		ConnRate:       rate.Limit(cfg.File.ChatLimits.PerConnection), ConnBurst: cfg.File.ChatLimits.ConnBurst,
		IPRate: rate.Limit(cfg.File.ChatLimits.PerIP), IPBurst: cfg.File.ChatLimits.IPBurst,
		TrustForwardedFor: cfg.File.ChatLimits.TrustForwardedFor,
	}, chatEngine{eng}, a.Bus, log, reg)
	if err != nil {
		return fail(err)
	}
	a.chat = chat
	site := web.New()
	a.console = agent.NewConsole(desk, au, site.File("login.html"), site.File("agent.html"), log)
	api := agent.NewOperatorAPI(ops, a.Bus, au, log, cfg.Now)

	srv := New(Config{Addr: cfg.Addr}, log, reg)
	srv.Handle("GET /{$}", site.File("index.html"))
	for _, name := range site.Names() {
		if name != "index.html" && name != "agent.html" && name != "login.html" {
			srv.Handle("GET /"+name, site.File(name))
		}
	}
	if site.Has("voice.html") {
		srv.Handle("GET /voice", site.File("voice.html"))
	}
	srv.Handle("GET /ws/chat", chat)
	a.console.Mount(srv)
	api.Mount(srv)
	sessionAPI{e: eng, auth: au}.mount(srv)
	srv.AddCheck("store", func(ctx context.Context) error {
		_, err := st.Session(ctx, "readyz-probe")
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		return err
	})
	srv.OnDrain(chat.Close)
	srv.OnDrain(a.console.Close)
	if cfg.Extra != nil {
		if err := cfg.Extra(srv, eng, reg); err != nil {
			return fail(err)
		}
	}
	a.Server = srv
	return a, nil
}

// Listen binds the address early so the URLs can be printed.
func (a *App) Listen() (net.Addr, error) { return a.Server.Listen() }

// Run serves until ctx ends, then drains and closes the store.
func (a *App) Run(ctx context.Context) error {
	dctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = a.Desk.Run(dctx)
	}()
	err := a.Server.Run(ctx)
	cancel()
	wg.Wait()
	return errors.Join(err, a.Close())
}

// Close releases the store and the parser.
func (a *App) Close() error {
	_ = a.Bus.Close()
	if a.closeQueue != nil {
		_ = a.closeQueue()
		a.closeQueue = nil
	}
	if a.parser != nil {
		a.parser.Close()
		a.parser = nil
	}
	if a.Store != nil {
		err := a.Store.Close()
		a.Store = nil
		return err
	}
	return nil
}

// Handler exposes the mux for tests.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// chatEngine adapts the engine to the web chat.
type chatEngine struct{ e *bot.Engine }

func (c chatEngine) Open(ctx context.Context, id string) ([]bot.Event, error) {
	return c.e.Open(ctx, id)
}
func (c chatEngine) Turn(ctx context.Context, id, text, choice string) ([]bot.Event, error) {
	return c.e.Handle(ctx, id, bot.Input{Text: text, Choice: choice})
}
func (c chatEngine) Rate(ctx context.Context, id string, rating int) error {
	return c.e.Rate(ctx, id, rating)
}
func (c chatEngine) History(ctx context.Context, id string) ([]bot.Event, error) {
	h, err := c.e.History(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	}
	return h, err
}

// engineOps adapts the engine, store and directory to the console and the operator API.
type engineOps struct {
	e   *bot.Engine
	dir *bot.Directory
}

var (
	_ agent.Engine     = (*engineOps)(nil)
	_ agent.Operations = (*engineOps)(nil)
)

func (o *engineOps) Session(ctx context.Context, id string) (bot.Session, error) {
	return o.e.Session(ctx, id)
}
func (o *engineOps) Ticket(ctx context.Context, id string) (bot.Ticket, error) {
	return o.e.Ticket(ctx, id)
}
func (o *engineOps) Assign(ctx context.Context, sessionID, agentID string) error {
	_, err := o.e.Assign(ctx, sessionID, agentID)
	return err
}
func (o *engineOps) AgentSay(ctx context.Context, sessionID, agentID, text string) error {
	_, err := o.e.AgentSay(ctx, sessionID, agentID, text)
	return err
}
func (o *engineOps) Return(ctx context.Context, sessionID, agentID string) error {
	_, err := o.e.Return(ctx, sessionID, agentID)
	return err
}
func (o *engineOps) End(ctx context.Context, sessionID, agentID, disposition string) error {
	_, err := o.e.End(ctx, sessionID, disposition)
	return err
}
func (o *engineOps) Tickets(ctx context.Context, f bot.TicketFilter) ([]bot.Ticket, error) {
	return o.e.Tickets(ctx, f)
}
func (o *engineOps) Outages() []dialogs.Outage          { return o.dir.OutageList() }
func (o *engineOps) PutOutage(out dialogs.Outage) error { return o.dir.PutOutage(out) }
func (o *engineOps) Sessions(ctx context.Context) ([]bot.Session, error) {
	return o.e.Sessions(ctx)
}

// UpdateTicketStatus moves a ticket on; the engine asks the 回访 question of a resolved
// repair's customer in their session.
func (o *engineOps) UpdateTicketStatus(ctx context.Context, id, status string) (bot.Ticket, error) {
	t, _, err := o.e.UpdateTicket(ctx, id, status)
	return t, err
}
