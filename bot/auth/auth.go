// Package auth authenticates the humans behind the bot: agents log in to the console with a
// password checked against a bcrypt hash and then carry an HttpOnly, SameSite=Strict session
// cookie; operators' scripts present a bearer token. Cross-site requests are refused by an
// Origin check (and a per-session CSRF token for clients that send no Origin).
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// CookieName is the agent session cookie.
const CookieName = "dianbao_agent"

// CSRFHeader carries the session's CSRF token for non-browser clients.
const CSRFHeader = "X-CSRF-Token"

// Agent is a console user from the configuration file.
type Agent struct {
	ID           string `json:"id" yaml:"id"`
	Name         string `json:"name" yaml:"name"`
	PasswordHash string `json:"password_hash" yaml:"password_hash"` // bcrypt
}

// Config lists the agents and the operator token.
type Config struct {
	Agents        []Agent
	OperatorToken string
	// SessionTTL is how long a login lasts; 12 hours (a shift) when zero.
	SessionTTL time.Duration
	// SecureCookie sets the Secure attribute; turn it on behind HTTPS.
	SecureCookie bool
	// AllowedOrigins are extra origins (scheme://host[:port]) trusted besides the server's own.
	AllowedOrigins []string
	Now            func() time.Time
}

// Session is a logged-in agent.
type Session struct {
	Token   string
	CSRF    string
	Agent   Agent
	Expires time.Time
}

// Authenticator checks agents and operators. Sessions live in memory: a restart logs the
// agents out, which is acceptable for a console they keep open.
type Authenticator struct {
	cfg    Config
	logger *slog.Logger
	agents map[string]Agent
	dummy  []byte

	mu       sync.Mutex
	sessions map[string]Session
	failures map[string][]time.Time // recent failed logins per agent id
}

// Login throttling: this many failures within the window lock the id for the window.
const (
	maxFailures   = 5
	failureWindow = 5 * time.Minute
)

// New validates the configuration (every hash must be a bcrypt hash).
func New(cfg Config, logger *slog.Logger) (*Authenticator, error) {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Authenticator{cfg: cfg, logger: logger, agents: map[string]Agent{}, sessions: map[string]Session{}, failures: map[string][]time.Time{}}
	for _, ag := range cfg.Agents {
		if ag.ID == "" {
			return nil, fmt.Errorf("%w: agent without id", ErrBadConfig)
		}
		if _, err := bcrypt.Cost([]byte(ag.PasswordHash)); err != nil {
			return nil, fmt.Errorf("%w: agent %q: password_hash is not a bcrypt hash: %v", ErrBadConfig, ag.ID, err)
		}
		if _, dup := a.agents[ag.ID]; dup {
			return nil, fmt.Errorf("%w: agent %q listed twice", ErrBadConfig, ag.ID)
		}
		if ag.Name == "" {
			ag.Name = ag.ID
		}
		a.agents[ag.ID] = ag
	}
	// A hash to compare against for unknown ids, so their timing matches a wrong password.
	dummy, err := bcrypt.GenerateFromPassword([]byte("dianbao-dummy"), bcrypt.MinCost)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	a.dummy = dummy
	return a, nil
}

// HashPassword returns a bcrypt hash for the configuration file.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// Agents lists the configured agents (without hashes).
func (a *Authenticator) Agents() []Agent {
	out := make([]Agent, 0, len(a.agents))
	for _, ag := range a.cfg.Agents {
		out = append(out, Agent{ID: ag.ID, Name: a.agents[ag.ID].Name})
	}
	return out
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux (Go ≥ 1.24 panics instead)
	return hex.EncodeToString(b)
}

// Login checks a password and opens a session. After repeated failures the id is locked
// for a while (ErrThrottled), which slows password guessing.
func (a *Authenticator) Login(id, password string) (Session, error) {
	if a.throttled(id) {
		a.logger.Warn("agent login throttled", "agent_id", id)
		return Session{}, ErrThrottled
	}
	ag, ok := a.agents[id]
	hash := []byte(ag.PasswordHash)
	if !ok {
		hash = a.dummy
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil || !ok {
		a.logger.Warn("agent login refused", "agent_id", id)
		a.fail(id)
		return Session{}, ErrBadCredentials
	}
	s := Session{Token: randomToken(), CSRF: randomToken(), Agent: Agent{ID: ag.ID, Name: ag.Name}, Expires: a.cfg.Now().Add(a.cfg.SessionTTL)}
	a.mu.Lock()
	now := a.cfg.Now()
	for k, old := range a.sessions {
		if now.After(old.Expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[s.Token] = s
	a.mu.Unlock()
	a.logger.Info("agent logged in", "agent_id", id)
	return s, nil
}

func (a *Authenticator) recent(id string) []time.Time {
	now := a.cfg.Now()
	fs := a.failures[id]
	for len(fs) > 0 && now.Sub(fs[0]) > failureWindow {
		fs = fs[1:]
	}
	if len(fs) == 0 {
		delete(a.failures, id)
	} else {
		a.failures[id] = fs
	}
	return fs
}

func (a *Authenticator) throttled(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.recent(id)) >= maxFailures
}

func (a *Authenticator) fail(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.failures) > 10000 { // bound memory under a spray of made-up ids
		clear(a.failures)
	}
	a.failures[id] = append(a.recent(id), a.cfg.Now())
}

// Logout ends a session.
func (a *Authenticator) Logout(token string) {
	a.mu.Lock()
	delete(a.sessions, token)
	a.mu.Unlock()
}

// SetCookie writes the session cookie; it is Secure when configured so or when the request
// came over HTTPS (directly or through a proxy that says so).
func (a *Authenticator) SetCookie(w http.ResponseWriter, r *http.Request, s Session) {
	secure := a.cfg.SecureCookie || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.Token, Path: "/", Expires: s.Expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	})
}

// ClearCookie removes the session cookie.
func (a *Authenticator) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.cfg.SecureCookie, SameSite: http.SameSiteStrictMode,
	})
}

// Session returns the agent session of a request's cookie.
func (a *Authenticator) Session(r *http.Request) (Session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Session{}, ErrNoSession
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[c.Value]
	if !ok {
		return Session{}, ErrNoSession
	}
	if a.cfg.Now().After(s.Expires) {
		delete(a.sessions, c.Value)
		return Session{}, ErrNoSession
	}
	return s, nil
}

// SameOrigin reports whether a browser request comes from the server's own pages (or an
// allowed origin). A request without Origin is trusted only with Sec-Fetch-Site
// same-origin; everything else is treated as cross-site.
func (a *Authenticator) SameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range a.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// CheckCSRF accepts a state-changing request from a session when it is same-origin or
// carries the session's CSRF token.
func (a *Authenticator) CheckCSRF(r *http.Request, s Session) error {
	if a.SameOrigin(r) {
		return nil
	}
	if t := r.Header.Get(CSRFHeader); t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.CSRF)) == 1 {
		return nil
	}
	return ErrBadOrigin
}

// Operator checks the bearer token of an operator API request.
func (a *Authenticator) Operator(r *http.Request) error {
	if a.cfg.OperatorToken == "" {
		return fmt.Errorf("%w: no operator token configured", ErrBadToken)
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(a.cfg.OperatorToken)) != 1 {
		return ErrBadToken
	}
	return nil
}
