// Package server is the HTTP front of dianbao: one mux carrying the channels, /healthz
// (the process lives), /readyz (it can serve: store reachable, not draining) and /metrics
// from the server's own Prometheus registry, with a graceful shutdown that stops accepting,
// tells long-lived connections (WebSockets) to go away and waits for requests in flight.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures the listener and the shutdown.
type Config struct {
	Addr string // ":8080"
	// ShutdownTimeout bounds the drain after the context is cancelled; 10 s when zero.
	ShutdownTimeout time.Duration
}

// Check is a readiness probe; a non-nil error makes /readyz answer 503.
type Check func(ctx context.Context) error

// Server owns the listener and the mux.
type Server struct {
	cfg      Config
	logger   *slog.Logger
	mux      *http.ServeMux
	srv      *http.Server
	checks   map[string]Check
	draining atomic.Bool

	mu       sync.Mutex
	onDrain  []func()
	listener net.Listener
}

// New builds a server exposing gatherer on /metrics.
func New(cfg Config, logger *slog.Logger, gatherer prometheus.Gatherer) *Server {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, logger: logger, mux: http.NewServeMux(), checks: map[string]Check{}}
	s.srv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	if gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	}
	return s
}

// Handle mounts a handler (net/http pattern syntax, e.g. "GET /widget.js").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// AddCheck adds a named readiness check.
func (s *Server) AddCheck(name string, c Check) { s.checks[name] = c }

// OnDrain registers a function called when shutdown starts, for hijacked connections
// (WebSockets) that http.Server.Shutdown does not wait for.
func (s *Server) OnDrain(f func()) {
	s.mu.Lock()
	s.onDrain = append(s.onDrain, f)
	s.mu.Unlock()
}

// Handler returns the mux, for tests with httptest.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	for name, c := range s.checks {
		if err := c(ctx); err != nil {
			s.logger.Warn("readiness check failed", "check", name, "err", err)
			http.Error(w, fmt.Sprintf("%s: %v", name, err), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Listen binds the address (":0" picks a free port) and returns it; Run listens itself
// when Listen was not called.
func (s *Server) Listen() (net.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return s.listener.Addr(), nil
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen %s: %w", s.cfg.Addr, err)
	}
	s.listener = ln
	return ln.Addr(), nil
}

// Run serves until ctx is cancelled, then drains within ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error {
	if _, err := s.Listen(); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.listener) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	return s.drain(errc)
}

// drain stops accepting at once (Shutdown closes the listener first), lets the plain
// requests in flight finish, and meanwhile runs the OnDrain functions, which finish the
// turns of hijacked connections and close them with a close frame. Everything is bounded
// by ShutdownTimeout; a second signal ends the process in main.
func (s *Server) drain(errc <-chan error) error {
	s.draining.Store(true)
	s.logger.Info("draining connections", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- s.srv.Shutdown(sctx) }()
	s.mu.Lock()
	drains := append([]func(){}, s.onDrain...)
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range drains {
		wg.Go(f)
	}
	drained := make(chan struct{})
	go func() {
		wg.Wait()
		close(drained)
	}()
	var err error
	select {
	case <-drained:
	case <-sctx.Done():
		err = fmt.Errorf("connections still open after %s", s.cfg.ShutdownTimeout)
	}
	err = errors.Join(err, <-shut)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	s.logger.Info("drained")
	return nil
}
