package agent

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dianbao/bot"
	"dianbao/bot/auth"
	"dianbao/dialogs"
)

// Operations is what operators change through the API. UpdateTicketStatus is expected to
// validate the lifecycle and, for a resolved repair, deliver the 回访 satisfaction question
// (now if the customer is connected, else on their next visit).
type Operations interface {
	Tickets(ctx context.Context, f bot.TicketFilter) ([]bot.Ticket, error)
	Ticket(ctx context.Context, id string) (bot.Ticket, error)
	UpdateTicketStatus(ctx context.Context, id, status string) (bot.Ticket, error)
	Outages() []dialogs.Outage
	PutOutage(o dialogs.Outage) error
	Sessions(ctx context.Context) ([]bot.Session, error)
}

// OperatorAPI serves /api/… behind the operator bearer token.
type OperatorAPI struct {
	ops    Operations
	bus    Bus
	auth   *auth.Authenticator
	logger *slog.Logger
	now    func() time.Time
}

// NewOperatorAPI builds the API; now may be nil.
func NewOperatorAPI(ops Operations, bus Bus, a *auth.Authenticator, logger *slog.Logger, now func() time.Time) *OperatorAPI {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &OperatorAPI{ops: ops, bus: bus, auth: a, logger: logger, now: now}
}

// Mount registers the API routes.
func (api *OperatorAPI) Mount(mux interface {
	Handle(string, http.Handler)
}) {
	mux.Handle("GET /api/outages", api.guard(api.listOutages))
	mux.Handle("POST /api/outages", api.guard(api.createOutage))
	mux.Handle("PUT /api/outages/{id}", api.guard(api.updateOutage))
	mux.Handle("PATCH /api/outages/{id}", api.guard(api.updateOutage))
	mux.Handle("GET /api/tickets", api.guard(api.listTickets))
	mux.Handle("GET /api/tickets/{id}", api.guard(api.getTicket))
	mux.Handle("PATCH /api/tickets/{id}", api.guard(api.updateTicket))
	mux.Handle("/api/", api.guard(func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "no such API endpoint")
	}))
}

func (api *OperatorAPI) guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := api.auth.Operator(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dianbao"`)
			writeErr(w, http.StatusUnauthorized, "operator bearer token required")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		h(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return nil
}

func (api *OperatorAPI) listOutages(w http.ResponseWriter, r *http.Request) {
	out := api.ops.Outages()
	if out == nil {
		out = []dialogs.Outage{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (api *OperatorAPI) createOutage(w http.ResponseWriter, r *http.Request) {
	var o dialogs.Outage
	if err := decode(r, &o); err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	if o.ID == "" {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		o.ID = "OT" + api.now().Format("20060102150405") + hex.EncodeToString(b)
	}
	for _, x := range api.ops.Outages() {
		if x.ID == o.ID {
			writeErr(w, http.StatusConflict, "outage "+o.ID+" exists; use PUT /api/outages/"+o.ID)
			return
		}
	}
	api.putOutage(w, r, o, http.StatusCreated, false)
}

func (api *OperatorAPI) updateOutage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var cur *dialogs.Outage
	for _, x := range api.ops.Outages() {
		if x.ID == id {
			cur = &x
			break
		}
	}
	if cur == nil {
		writeErr(w, http.StatusNotFound, "no outage "+id)
		return
	}
	o := *cur
	if err := decode(r, &o); err != nil { // fields present in the body replace the old ones
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	o.ID = id
	api.putOutage(w, r, o, http.StatusOK, true)
}

func (api *OperatorAPI) putOutage(w http.ResponseWriter, r *http.Request, o dialogs.Outage, code int, update bool) {
	if err := api.ops.PutOutage(o); err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	for _, x := range api.ops.Outages() {
		if x.ID == o.ID {
			o = x
		}
	}
	n, err := api.announce(r.Context(), o, update)
	if err != nil {
		api.logger.Warn("announce outage", "outage", o.ID, "err", err)
	}
	api.logger.Info("outage saved", "outage", o.ID, "area", o.Area, "announced", n)
	writeJSON(w, code, map[string]any{"outage": o, "announced": n})
}

// announce tells every live session whose address lies in the outage area about it.
func (api *OperatorAPI) announce(ctx context.Context, o dialogs.Outage, update bool) (int, error) {
	if !api.now().Before(o.ETA) {
		return 0, nil // already over
	}
	sessions, err := api.ops.Sessions(ctx)
	if err != nil {
		return 0, err
	}
	text := outageText(o, update)
	n := 0
	for _, s := range sessions {
		if s.Ended || !sessionInArea(s, o) {
			continue
		}
		now := api.now()
		msg := bot.Message(bot.FromSystem, text, "", nil)
		evs := []bot.Event{
			{Type: bot.EventOutage, Outage: &bot.OutageInfo{ID: o.ID, Kind: o.Kind, Area: o.Area, Cause: o.Cause, Start: o.Start, ETA: o.ETA}},
			msg,
		}
		for i := range evs {
			evs[i].Time, evs[i].Session = now, s.ID
		}
		if err := api.bus.Publish(ctx, s.ID, evs); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

var cst = time.FixedZone("CST", 8*3600)

func outageText(o dialogs.Outage, update bool) string {
	head := "【停电通知】"
	if update {
		head = "【停电信息更新】"
	}
	eta := o.ETA.In(cst).Format("1月2日15:04")
	if o.Kind == "planned" {
		cause := cmp.Or(o.Cause, "设备检修")
		return fmt.Sprintf("%s您好，您所在的%s因%s安排计划停电，预计%s恢复供电，给您带来不便敬请谅解。", head, o.Area, cause, eta)
	}
	cause := cmp.Or(o.Cause, "线路故障")
	return fmt.Sprintf("%s您好，您所在的%s因%s停电，抢修人员正在全力抢修，预计%s恢复供电，给您带来不便敬请谅解。", head, o.Area, cause, eta)
}

// sessionInArea reports whether a session's customer is in the outage area: by the address
// the dialogs collected, or, when extraction kept only part of it, by what the customer
// wrote (an address typed in full names the estate even if the slot lost it).
func sessionInArea(s bot.Session, o dialogs.Outage) bool {
	if inArea(s.State.Slots["address"], o) {
		return true
	}
	for _, ev := range s.Transcript {
		if ev.Type != bot.EventMessage || ev.From != bot.FromCustomer {
			continue
		}
		for _, m := range append([]string{o.Area}, o.Match...) {
			if utf8.RuneCountInString(m) >= 2 && strings.Contains(ev.Text, m) {
				return true
			}
		}
	}
	return false
}

func inArea(address string, o dialogs.Outage) bool {
	if address == "" {
		return false
	}
	match := o.Match
	if len(match) == 0 {
		match = []string{o.Area}
	}
	for _, m := range match {
		// Customers often give a shortened name (星河湾 for 星河湾小区): either way counts.
		if m != "" && (strings.Contains(address, m) || utf8.RuneCountInString(address) >= 2 && strings.Contains(m, address)) {
			return true
		}
	}
	return false
}

func (api *OperatorAPI) listTickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := bot.TicketFilter{Kind: q.Get("kind"), Status: q.Get("status"), Phone: q.Get("phone"), Session: q.Get("session")}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeErr(w, http.StatusBadRequest, p.name+" must be an RFC 3339 time")
				return
			}
			*p.dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeErr(w, http.StatusBadRequest, "limit must be a non-negative integer")
			return
		}
		f.Limit = n
	}
	ts, err := api.ops.Tickets(r.Context(), f)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err.Error())
		return
	}
	if ts == nil {
		ts = []bot.Ticket{}
	}
	writeJSON(w, http.StatusOK, ts)
}

func (api *OperatorAPI) getTicket(w http.ResponseWriter, r *http.Request) {
	t, err := api.ops.Ticket(r.Context(), r.PathValue("id"))
	if err != nil {
		writeErr(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (api *OperatorAPI) updateTicket(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status string `json:"status"`
	}
	if err := decode(r, &body); err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.Status == "" {
		writeErr(w, http.StatusBadRequest, "status is required")
		return
	}
	t, err := api.ops.UpdateTicketStatus(r.Context(), r.PathValue("id"), body.Status)
	if err != nil {
		writeErr(w, statusOf(err), err.Error())
		return
	}
	api.logger.Info("ticket status updated", "ticket_id", t.ID, "status", t.Status)
	writeJSON(w, http.StatusOK, t)
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, bot.ErrBadTransition):
		return http.StatusConflict
	case errors.Is(err, bot.ErrBadInput), errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnavailable):
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}
