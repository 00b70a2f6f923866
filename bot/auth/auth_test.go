package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func newAuth(t *testing.T, now *time.Time) *Authenticator {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	require.NoError(t, err)
	a, err := New(Config{
		Agents:        []Agent{{ID: "li", Name: "李工", PasswordHash: string(h)}},
		OperatorToken: "op-token",
		SessionTTL:    time.Hour,
		Now:           func() time.Time { return *now },
	}, nil)
	require.NoError(t, err)
	return a
}

func TestBadConfig(t *testing.T) {
	_, err := New(Config{Agents: []Agent{{ID: "x", PasswordHash: "plain"}}}, nil)
	require.ErrorIs(t, err, ErrBadConfig)
	_, err = New(Config{Agents: []Agent{{PasswordHash: "x"}}}, nil)
	require.ErrorIs(t, err, ErrBadConfig)
}

func TestLoginAndCookie(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	a := newAuth(t, &now)
	for _, tc := range []struct{ id, pw string }{{"li", "wrong"}, {"nobody", "s3cret"}, {"", ""}} {
		_, err := a.Login(tc.id, tc.pw)
		require.ErrorIs(t, err, ErrBadCredentials)
	}
	s, err := a.Login("li", "s3cret")
	require.NoError(t, err)
	require.Equal(t, "李工", s.Agent.Name)

	rec := httptest.NewRecorder()
	a.SetCookie(rec, httptest.NewRequest("POST", "/agent/login", nil), s)
	c := rec.Result().Cookies()[0]
	require.True(t, c.HttpOnly)
	require.False(t, c.Secure, "plain HTTP in development")
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	behindTLS := httptest.NewRequest("POST", "/agent/login", nil)
	behindTLS.Header.Set("X-Forwarded-Proto", "https")
	rec2 := httptest.NewRecorder()
	a.SetCookie(rec2, behindTLS, s)
	require.True(t, rec2.Result().Cookies()[0].Secure)

	req := httptest.NewRequest("GET", "/agent", nil)
	_, err = a.Session(req)
	require.ErrorIs(t, err, ErrNoSession)
	req.AddCookie(c)
	got, err := a.Session(req)
	require.NoError(t, err)
	require.Equal(t, "li", got.Agent.ID)

	now = now.Add(2 * time.Hour)
	_, err = a.Session(req)
	require.ErrorIs(t, err, ErrNoSession, "expired")
}

func TestCSRF(t *testing.T) {
	now := time.Now()
	a := newAuth(t, &now)
	s, err := a.Login("li", "s3cret")
	require.NoError(t, err)
	tests := []struct {
		name    string
		headers map[string]string
		ok      bool
	}{
		{"same origin", map[string]string{"Origin": "http://example.test"}, true},
		{"other site", map[string]string{"Origin": "http://evil.test"}, false},
		{"null origin", map[string]string{"Origin": "null"}, false},
		{"no origin", nil, false},
		{"fetch metadata", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"token", map[string]string{CSRFHeader: s.CSRF}, true},
		{"wrong token", map[string]string{CSRFHeader: "x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://example.test/agent/logout", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			err := a.CheckCSRF(r, s)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrBadOrigin)
			}
		})
	}
}

func TestOperatorToken(t *testing.T) {
	now := time.Now()
	a := newAuth(t, &now)
	for _, tc := range []struct {
		h  string
		ok bool
	}{{"Bearer op-token", true}, {"Bearer nope", false}, {"op-token", false}, {"", false}} {
		r := httptest.NewRequest("GET", "/api/tickets", nil)
		r.Header.Set("Authorization", tc.h)
		if tc.ok {
			require.NoError(t, a.Operator(r))
		} else {
			require.ErrorIs(t, a.Operator(r), ErrBadToken)
		}
	}
}

func TestLoginThrottle(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	a := newAuth(t, &now)
	for range maxFailures {
		_, err := a.Login("li", "guess")
		require.ErrorIs(t, err, ErrBadCredentials)
	}
	_, err := a.Login("li", "s3cret")
	require.ErrorIs(t, err, ErrThrottled, "even the right password waits out the lock")
	now = now.Add(failureWindow + time.Second)
	_, err = a.Login("li", "s3cret")
	require.NoError(t, err)
}
