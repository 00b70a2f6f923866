package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"dianbao/bot"
	"dianbao/bot/auth"
)

// sessionAPI lets operators read conversations, with their satisfaction ratings, under
// the operator bearer token: GET /api/sessions (live sessions, newest first, without
// transcripts) and GET /api/sessions/{id} (one session with its transcript).
type sessionAPI struct {
	e    *bot.Engine
	auth *auth.Authenticator
}

// sessionSummary is a session as the listing shows it.
type sessionSummary struct {
	ID           string    `json:"id"`
	Mode         bot.Mode  `json:"mode"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	Resolved     string    `json:"resolved,omitempty"`
	Tickets      []string  `json:"tickets,omitempty"`
	Satisfaction int       `json:"satisfaction,omitempty"`
	RatedAt      time.Time `json:"rated_at,omitzero"`
	Ended        bool      `json:"ended,omitempty"`
}

func (api sessionAPI) mount(s *Server) {
	s.Handle("GET /api/sessions", api.guard(api.list))
	s.Handle("GET /api/sessions/{id}", api.guard(api.get))
}

func (api sessionAPI) guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := api.auth.Operator(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dianbao"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "operator bearer token required"})
			return
		}
		h(w, r)
	})
}

func (api sessionAPI) list(w http.ResponseWriter, r *http.Request) {
	all, err := api.e.Sessions(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "store unavailable"})
		return
	}
	rated := r.URL.Query().Get("rated") != ""
	out := []sessionSummary{}
	for _, s := range all {
		if rated && s.Satisfaction == 0 {
			continue
		}
		out = append(out, sessionSummary{ID: s.ID, Mode: s.Mode, Created: s.Created, Updated: s.Updated, Resolved: s.Resolved,
			Tickets: s.Tickets, Satisfaction: s.Satisfaction, RatedAt: s.RatedAt, Ended: s.Ended})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

func (api sessionAPI) get(w http.ResponseWriter, r *http.Request) {
	s, err := api.e.Session(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, bot.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such session"})
		return
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "store unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
