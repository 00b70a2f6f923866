package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"golang.org/x/crypto/bcrypt"

	"dianbao/bot/auth"
	"dianbao/bot/server"
	"dianbao/deploy"
	"dianbao/nlu"
)

var (
	parserOnce sync.Once
	parser     *nlu.Parser
	parserErr  error
)

// startApp runs the whole application (real engine, dialogs, NLU, memory store) on a free
// port and returns its base URL.
func startApp(t testing.TB, extraAgents ...string) (*server.App, string) {
	t.Helper()
	return startAppOn(t, "memory", extraAgents...)
}

// startAppOn is startApp on the given store (a fleet test gives each instance the same
// redis:// URL).
func startAppOn(t testing.TB, storeURL string, extraAgents ...string) (*server.App, string) {
	t.Helper()
	parserOnce.Do(func() { parser, parserErr = nlu.New(nlu.Config{}) })
	require.NoError(t, parserErr)
	cfg, err := server.LoadConfig("")
	require.NoError(t, err)
	for _, id := range extraAgents {
		h, err := bcrypt.GenerateFromPassword([]byte("pw-"+id), bcrypt.MinCost)
		require.NoError(t, err)
		cfg.Agents = append(cfg.Agents, auth.Agent{ID: id, Name: id, PasswordHash: string(h)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := server.NewApp(ctx, server.AppConfig{Addr: "127.0.0.1:0", StoreURL: storeURL, Data: deploy.SampleData(), File: cfg, Parser: parser})
	require.NoError(t, err)
	addr, err := app.Listen()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return app, "http://" + addr.String()
}

type wsClient struct {
	t  testing.TB
	ws *websocket.Conn
}

func dial(t testing.TB, base, path string, h http.Header) *wsClient {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+path, h)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	require.NoError(c.t, c.ws.WriteJSON(v))
}

func (c *wsClient) sendRaw(b []byte) {
	c.t.Helper()
	require.NoError(c.t, c.ws.WriteMessage(websocket.TextMessage, b))
}

// until reads events until one satisfies ok, returning everything read.
func (c *wsClient) until(ok func(map[string]any) bool) []map[string]any {
	c.t.Helper()
	var seen []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		require.NoError(c.t, c.ws.SetReadDeadline(deadline))
		var m map[string]any
		_, raw, err := c.ws.ReadMessage()
		require.NoError(c.t, err, "events so far: %v", seen)
		require.NoError(c.t, json.Unmarshal(raw, &m))
		seen = append(seen, m)
		if ok(m) {
			return seen
		}
	}
}

func typ(t string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == t }
}

func ack(id string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "ack" && m["id"] == id }
}

// converse answers the bot over a chat socket from a table keyed by the expect slot of its
// last message, until done accepts an event; it returns every event seen. The dialogs may
// ask in any order, so tests follow the contract slots rather than a fixed script.
func converse(t *testing.T, c *wsClient, first string, answers map[string]string, done func(map[string]any) bool) []map[string]any {
	t.Helper()
	var all []map[string]any
	text := first
	for i := range 15 {
		id := fmt.Sprint("cv", i)
		c.send(map[string]string{"type": "message", "text": text, "id": id})
		expect, finished := "", false
		for _, m := range c.until(ack(id)) {
			all = append(all, m)
			if m["type"] == "message" && m["from"] == "bot" {
				expect, _ = m["expect"].(string)
			}
			finished = finished || done(m)
		}
		if finished {
			return all
		}
		var ok bool
		if text, ok = answers[expect]; !ok {
			t.Fatalf("no answer for expect %q", expect)
		}
	}
	t.Fatal("conversation did not finish")
	return nil
}

var repairAnswers = map[string]string{
	"scope": "整栋楼都停了", "address": "星河湾小区8栋2单元", "name": "张先生",
	"phone": "13812345678", "confirm": "正确", "breaker": "没有跳闸",
}

func TestChatBadInputKeepsConnection(t *testing.T) {
	_, base := startApp(t)
	c := dial(t, base, "/ws/chat", nil)
	c.send(map[string]string{"type": "resume", "session": ""})
	evs := c.until(func(m map[string]any) bool { return m["type"] == "message" })
	require.Equal(t, "session", evs[0]["type"])
	session := evs[0]["session"].(string)

	tests := []struct {
		name string
		raw  []byte
		code string
	}{
		{"broken json", []byte(`{"type":"message","text":"停电`), "bad_json"},
		{"invalid utf-8", []byte("{\"type\":\"message\",\"text\":\"\xff\xfe停电\"}"), "bad_encoding"},
		{"oversize", []byte(`{"type":"message","text":"` + strings.Repeat("电", 5000) + `"}`), "too_long"},
		{"too many runes", []byte(`{"type":"message","text":"` + strings.Repeat("a", 2001) + `"}`), "too_long"},
		{"unknown type", []byte(`{"type":"hack"}`), "bad_type"},
		{"empty", []byte(`{"type":"message","text":"   "}`), "empty"},
		{"not an object", []byte(`[1,2,3]`), "bad_json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.sendRaw(tc.raw)
			got := c.until(typ("error"))
			last := got[len(got)-1]
			require.Equal(t, tc.code, last["code"])
			require.NotEmpty(t, last["text"])
		})
	}
	// The connection and the session survive: a real turn still works.
	c.send(map[string]string{"type": "message", "text": "我家停电了", "id": "m1"})
	got := c.until(ack("m1"))
	var bot []string
	for _, m := range got {
		if m["type"] == "message" {
			bot = append(bot, m["text"].(string))
			require.Equal(t, session, m["session"])
		}
	}
	require.NotEmpty(t, bot, "the bot answered after the bad frames")
}

func TestChatResumeAndDedupe(t *testing.T) {
	_, base := startApp(t)
	c := dial(t, base, "/ws/chat", nil)
	c.send(map[string]string{"type": "message", "text": "我家停电了", "id": "a1"})
	evs := c.until(ack("a1"))
	require.Equal(t, "session", evs[0]["type"])
	session := evs[0]["session"].(string)
	c.ws.Close()

	// A page reload: same session, the whole history, and a resent message is not doubled.
	c2 := dial(t, base, "/ws/chat", nil)
	c2.send(map[string]string{"type": "resume", "session": session})
	evs = c2.until(typ("history"))
	require.Equal(t, true, evs[0]["resumed"])
	hist := evs[len(evs)-1]["events"].([]any)
	var texts []string
	for _, e := range hist {
		m := e.(map[string]any)
		if m["type"] == "message" {
			texts = append(texts, fmt.Sprint(m["from"], ":", m["text"]))
		}
	}
	require.Contains(t, texts, "customer:我家停电了")
	require.Greater(t, len(texts), 2)
	c2.send(map[string]string{"type": "message", "text": "我家停电了", "id": "a1"})
	got := c2.until(ack("a1"))
	for _, m := range got {
		require.NotEqual(t, "message", m["type"], "a resent message is acknowledged, not handled twice")
	}
	// Malformed session ids are refused with a fresh session, not an error page.
	c3 := dial(t, base, "/ws/chat", nil)
	c3.send(map[string]string{"type": "resume", "session": "../../etc/passwd"})
	got = c3.until(typ("session"))
	require.Equal(t, "bad_session", got[0]["code"])
	require.NotEqual(t, "../../etc/passwd", got[len(got)-1]["session"])
}

func TestUnauthenticatedRefused(t *testing.T) {
	_, base := startApp(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		method, path string
		header       map[string]string
		want         int
	}{
		{"GET", "/agent", nil, http.StatusSeeOther},
		{"GET", "/ws/agent", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, http.StatusUnauthorized},
		{"GET", "/api/tickets", nil, http.StatusUnauthorized},
		{"GET", "/api/outages", map[string]string{"Authorization": "Bearer wrong"}, http.StatusUnauthorized},
		{"POST", "/api/outages", nil, http.StatusUnauthorized},
		{"PATCH", "/api/tickets/RP202611230001", nil, http.StatusUnauthorized},
		{"POST", "/agent/login", map[string]string{"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, http.StatusForbidden},
		{"POST", "/agent/logout", nil, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader("id=demo&password=dianbao-demo"))
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := noRedirect.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

// login returns the headers of a logged-in agent (the demo agent when id is empty).
func login(t *testing.T, base string, id ...string) http.Header {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	cl := &http.Client{Jar: jar}
	req, err := http.NewRequest("POST", base+"/agent/login", strings.NewReader(creds(id).Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := cl.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, string(body), "坐席工作台")
	u, _ := url.Parse(base)
	h := http.Header{}
	for _, c := range jar.Cookies(u) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	h.Set("Origin", base)
	return h
}

func creds(id []string) url.Values {
	if len(id) == 0 {
		return url.Values{"id": {"demo"}, "password": {"dianbao-demo"}}
	}
	return url.Values{"id": {id[0]}, "password": {"pw-" + id[0]}}
}

func TestConsoleRefusesCrossSiteUpgrade(t *testing.T) {
	_, base := startApp(t)
	h := login(t, base)
	h.Set("Origin", "http://evil.example")
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws/agent", h)
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestTwoAgentsCannotAcceptTheSameSession(t *testing.T) {
	_, base := startApp(t, "wang")
	customer := dial(t, base, "/ws/chat", nil)
	customer.send(map[string]string{"type": "message", "text": "转人工", "id": "h1"})
	evs := customer.until(func(m map[string]any) bool { return m["type"] == "handoff" })
	session := evs[0]["session"].(string)

	// Two agents race for the same customer; exactly one gets it.
	a1 := dial(t, base, "/ws/agent", login(t, base))
	a2 := dial(t, base, "/ws/agent", login(t, base, "wang"))
	for _, a := range []*wsClient{a1, a2} {
		a.until(func(m map[string]any) bool {
			if m["type"] != "queue" {
				return false
			}
			es, _ := m["entries"].([]any)
			return len(es) == 1
		})
	}
	a1.send(map[string]string{"type": "accept", "session": session})
	a2.send(map[string]string{"type": "accept", "session": session})
	outcome := func(a *wsClient) string {
		got := a.until(func(m map[string]any) bool {
			return (m["type"] == "session" && m["session"] == session) || (m["type"] == "error" && m["request"] == "accept")
		})
		last := got[len(got)-1]
		if last["type"] == "session" {
			return "won"
		}
		return last["code"].(string)
	}
	results := []string{outcome(a1), outcome(a2)}
	require.ElementsMatch(t, []string{"won", "taken"}, results)
	customer.until(func(m map[string]any) bool { return m["type"] == "handoff" && m["status"] == "assigned" })

	// While the agent holds the session the bot stays silent.
	customer.send(map[string]string{"type": "message", "text": "我家停电了", "id": "h2"})
	for _, m := range customer.until(ack("h2")) {
		require.False(t, m["type"] == "message" && m["from"] == "bot", "bot answered over the agent: %v", m)
	}

	// The winner writes a private note, replies, and hands the session back to the bot.
	winner, loser := a1, a2
	if results[0] != "won" {
		winner, loser = a2, a1
	}
	winner.send(map[string]string{"type": "note", "session": session, "text": "客户家中停电，已核实地址"})
	winner.until(typ("note"))
	loser.send(map[string]string{"type": "reply", "session": session, "text": "我来插一句"})
	got := loser.until(typ("error"))
	require.Equal(t, "not_held", got[len(got)-1]["code"])
	winner.send(map[string]string{"type": "end", "session": session, "disposition": "whatever"})
	got = winner.until(typ("error"))
	require.Equal(t, "bad_request", got[len(got)-1]["code"])
	winner.send(map[string]string{"type": "reply", "session": session, "text": "您好，我是人工客服。"})
	customer.until(func(m map[string]any) bool { return m["type"] == "message" && m["from"] == "agent" })
	winner.send(map[string]string{"type": "return", "session": session})
	winner.until(func(m map[string]any) bool { return m["type"] == "released" && m["how"] == "returned" })
	customer.until(func(m map[string]any) bool { return m["type"] == "handoff" && m["status"] == "returned" })
	customer.send(map[string]string{"type": "message", "text": "我家停电了", "id": "h3"})
	answered := false
	for _, m := range customer.until(ack("h3")) {
		require.NotContains(t, fmt.Sprint(m["text"]), "已核实地址", "notes stay private")
		answered = answered || (m["type"] == "message" && m["from"] == "bot")
	}
	require.True(t, answered, "the bot answers again after the return")
}

func TestOperatorOutageAnnouncedAndTickets(t *testing.T) {
	_, base := startApp(t)
	c := dial(t, base, "/ws/chat", nil)
	// Give the session an address through a real fault triage.
	converse(t, c, "我家停电了", repairAnswers, func(m map[string]any) bool {
		return m["type"] == "message" && m["expect"] == "name"
	})
	now := time.Now()
	body := fmt.Sprintf(`{"kind":"fault","area":"星河湾小区","cause":"电缆故障","start":%q,"eta":%q}`,
		now.Add(-time.Minute).Format(time.RFC3339), now.Add(3*time.Hour).Format(time.RFC3339))
	req, _ := http.NewRequest("POST", base+"/api/outages", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer dev-operator-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var out struct {
		Announced int `json:"announced"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Equal(t, 1, out.Announced)
	got := c.until(typ("outage"))
	require.Equal(t, "星河湾小区", got[len(got)-1]["outage"].(map[string]any)["area"])

	// An update is announced again and listed.
	id := got[len(got)-1]["outage"].(map[string]any)["id"].(string)
	code, obj, _ := operator(t, "PUT", base+"/api/outages/"+id, fmt.Sprintf(`{"eta":%q}`, now.Add(5*time.Hour).Format(time.RFC3339)))
	require.Equal(t, 200, code, obj)
	require.Equal(t, float64(1), obj["announced"])
	got = c.until(func(m map[string]any) bool {
		return m["type"] == "message" && strings.Contains(fmt.Sprint(m["text"]), "停电信息更新")
	})
	code, _, list := operator(t, "GET", base+"/api/outages", "")
	require.Equal(t, 200, code)
	require.True(t, slices.ContainsFunc(list, func(o any) bool { return o.(map[string]any)["id"] == id }))
	code, _, _ = operator(t, "PUT", base+"/api/outages/nope", `{}`)
	require.Equal(t, 404, code)

	// Bad operator input gets a clear 400.
	req, _ = http.NewRequest("POST", base+"/api/outages", strings.NewReader(`{"kind":"fault","area":"x","eta":"soon"}`))
	req.Header.Set("Authorization", "Bearer dev-operator-token")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func operator(t *testing.T, method, url, body string) (int, map[string]any, []any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer dev-operator-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var obj map[string]any
	var list []any
	if json.Unmarshal(raw, &obj) != nil {
		require.NoError(t, json.Unmarshal(raw, &list), string(raw))
	}
	return resp.StatusCode, obj, list
}

func TestOperatorResolvedRepairAsksFollowUp(t *testing.T) {
	_, base := startApp(t)
	c := dial(t, base, "/ws/chat", nil)
	var ticketID, session string
	for _, m := range converse(t, c, "我家停电了", repairAnswers, func(m map[string]any) bool { return m["type"] == "ticket" }) {
		if m["type"] == "session" {
			session = m["session"].(string)
		}
		if m["type"] == "ticket" {
			ticketID = m["ticket"].(map[string]any)["id"].(string)
		}
	}
	require.NotEmpty(t, ticketID, "the triage created a repair ticket")

	code, _, list := operator(t, "GET", base+"/api/tickets?kind=repair&status=open", "")
	require.Equal(t, 200, code)
	require.Len(t, list, 1)
	require.Equal(t, ticketID, list[0].(map[string]any)["id"])
	code, _, list = operator(t, "GET", base+"/api/tickets?kind=complaint", "")
	require.Equal(t, 200, code)
	require.Empty(t, list)
	code, _, _ = operator(t, "GET", base+"/api/tickets?since=yesterday", "")
	require.Equal(t, 400, code)

	code, obj, _ := operator(t, "PATCH", base+"/api/tickets/"+ticketID, `{"status":"closed"}`)
	require.Equal(t, http.StatusConflict, code, obj)
	code, _, _ = operator(t, "PATCH", base+"/api/tickets/RP000", `{"status":"dispatched"}`)
	require.Equal(t, http.StatusNotFound, code)
	code, _, _ = operator(t, "PATCH", base+"/api/tickets/"+ticketID, `{"status":`)
	require.Equal(t, http.StatusBadRequest, code)
	for _, st := range []string{"dispatched", "on_site", "resolved"} {
		code, obj, _ = operator(t, "PATCH", base+"/api/tickets/"+ticketID, `{"status":"`+st+`"}`)
		require.Equal(t, 200, code, obj)
		require.Equal(t, st, obj["status"])
	}
	// The connected customer is asked the 回访 question now…
	got := c.until(func(m map[string]any) bool { return m["type"] == "message" && m["expect"] == "satisfaction" })
	require.Contains(t, got[len(got)-1]["text"], ticketID)
	c.ws.Close()

	// …and sees it again with its quick replies on the next visit.
	c2 := dial(t, base, "/ws/chat", nil)
	c2.send(map[string]string{"type": "resume", "session": session})
	got = c2.until(typ("history"))
	hist := got[len(got)-1]["events"].([]any)
	last := hist[len(hist)-1].(map[string]any)
	require.Equal(t, "satisfaction", last["expect"])
}

func TestQueuePositionsPushed(t *testing.T) {
	_, base := startApp(t)
	agentConn := dial(t, base, "/ws/agent", login(t, base))
	agentConn.until(typ("agents"))
	var sessions []string
	var customers []*wsClient
	for i := range 3 {
		c := dial(t, base, "/ws/chat", nil)
		c.send(map[string]string{"type": "message", "text": "转人工", "id": "q"})
		got := c.until(func(m map[string]any) bool {
			return m["type"] == "handoff" && m["position"] == float64(i+1) && m["eta_seconds"] != nil
		})
		sessions = append(sessions, got[0]["session"].(string))
		customers = append(customers, c)
	}
	// The first waiting customer is accepted (straight away: the desk catches up with the
	// engine's handoff if its queue has not seen it yet).
	agentConn.send(map[string]string{"type": "accept", "session": sessions[0]})
	agentConn.until(typ("session"))
	// Everyone behind moves up one place and hears it.
	for i, c := range customers[1:] {
		c.until(func(m map[string]any) bool {
			return m["type"] == "handoff" && m["status"] == "queued" && m["position"] == float64(i+1)
		})
	}
}
