package webchat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/time/rate"

	"dianbao/bot"
	"dianbao/bot/store"
	"dianbao/channels/webchat"
	"dianbao/dialogs"
	"dianbao/nlu"
)

// gatedEngine holds each turn of the real engine until the test opens the gate, so a turn
// can be caught in flight.
type gatedEngine struct {
	engine
	started chan struct{}
	gate    chan struct{}
}

func (g gatedEngine) Turn(ctx context.Context, id, text, choice string) ([]bot.Event, error) {
	g.started <- struct{}{}
	<-g.gate
	return g.engine.Turn(ctx, id, text, choice)
}

// newChatWith serves the chat with cfg over the real engine (wrapped by wrap when set).
func newChatWith(t *testing.T, cfg webchat.Config, wrap func(engine) webchat.Engine) (*webchat.Handler, *bot.Engine, string) {
	t.Helper()
	parserOnce.Do(func() { parser, parserErr = nlu.New(nlu.Config{}) })
	require.NoError(t, parserErr)
	dcfg := dialogs.DefaultConfig()
	m, err := dialogs.New(dcfg)
	require.NoError(t, err)
	bus := bot.NewMemoryBus(0)
	t.Cleanup(func() { bus.Close() })
	e, err := bot.New(bot.Config{Parser: parser, Dialogs: m, Commitments: dcfg.Commitments,
		Store: store.NewMemoryStore(store.Options{}), Bus: bus})
	require.NoError(t, err)
	var eng webchat.Engine = engine{e}
	if wrap != nil {
		eng = wrap(engine{e})
	}
	h, err := webchat.New(cfg, eng, bus, nil, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, e, "ws" + strings.TrimPrefix(srv.URL, "http")
}

// A drain lets the turn in flight finish: its answer and acknowledgement reach the widget
// before the going-away close frame, the session is saved, and new sockets are refused.
func TestDrainFinishesTurnInFlight(t *testing.T) {
	g := gatedEngine{started: make(chan struct{}, 1), gate: make(chan struct{})}
	h, e, url := newChatWith(t, webchat.Config{}, func(en engine) webchat.Engine { g.engine = en; return g })
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	defer ws.Close()
	require.NoError(t, ws.WriteJSON(map[string]string{"type": "message", "text": "我家停电了", "id": "m1"}))
	session := read(t, ws, "session")["session"].(string)
	<-g.started // the turn is in flight

	closed := make(chan struct{})
	go func() { h.Close(); close(closed) }()
	require.Eventually(t, func() bool {
		_, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if resp != nil {
			resp.Body.Close()
		}
		return err != nil && resp != nil && resp.StatusCode == http.StatusServiceUnavailable
	}, 5*time.Second, 10*time.Millisecond, "new connections refused while draining")
	select {
	case <-closed:
		t.Fatal("Close returned with a turn in flight")
	case <-time.After(100 * time.Millisecond):
	}

	close(g.gate)
	var got []string
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
	for {
		var m map[string]any
		err := ws.ReadJSON(&m)
		if err != nil {
			require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "want a going-away close frame, got %v", err)
			break
		}
		got = append(got, m["type"].(string))
	}
	require.Contains(t, got, "message", "the answer of the turn in flight was delivered")
	require.Equal(t, "ack", got[len(got)-1], "acknowledged before the close frame: %v", got)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	hist, err := e.History(context.Background(), session)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(hist, func(ev bot.Event) bool {
		return ev.From == bot.FromCustomer && ev.Text == "我家停电了"
	}), "the turn was saved")
}

// Flooding gets a polite rate_limited error per frame over the bucket, first from the
// connection's own bucket, then from the one its address shares with other connections.
func TestRateLimits(t *testing.T) {
	slow := rate.Limit(0.001) // no refill within the test
	_, _, url := newChatWith(t, webchat.Config{ConnRate: slow, ConnBurst: 2, IPRate: slow, IPBurst: 3}, nil)
	send := func(ws *websocket.Conn, id string) map[string]any {
		t.Helper()
		require.NoError(t, ws.WriteJSON(map[string]string{"type": "message", "text": "你好", "id": id}))
		require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
		for {
			var m map[string]any
			require.NoError(t, ws.ReadJSON(&m))
			if (m["type"] == "ack" || m["type"] == "error") && m["id"] == id {
				return m
			}
		}
	}
	dialWS := func() *websocket.Conn {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		require.NoError(t, err)
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	a, b := dialWS(), dialWS()
	tests := []struct {
		name string
		ws   *websocket.Conn
		want string // ack, or the error code
	}{
		{"first", a, "ack"},
		{"second", a, "ack"},
		{"over the connection's burst", a, "rate_limited"},
		{"another connection, same address", b, "ack"},
		{"the address's burst is spent", b, "rate_limited"},
	}
	for i, tc := range tests {
		got := send(tc.ws, string(rune('a'+i)))
		if tc.want == "ack" {
			require.Equal(t, "ack", got["type"], tc.name)
			continue
		}
		require.Equal(t, "error", got["type"], tc.name)
		require.Equal(t, tc.want, got["code"], tc.name)
		require.Contains(t, got["text"], "请您稍等", tc.name)
	}
	// Pings are never limited, and the connection stays usable.
	require.NoError(t, a.WriteJSON(map[string]string{"type": "ping"}))
	require.Equal(t, "pong", read(t, a, "pong")["type"])
}

// The widget's end-of-chat stars are recorded on the session; stars without a
// conversation get a clear answer.
func TestRatingFrame(t *testing.T) {
	_, e, url := newChatWith(t, webchat.Config{}, nil)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	defer ws.Close()
	require.NoError(t, ws.WriteJSON(map[string]string{"type": "rating", "value": "5", "id": "r0"}))
	got := read(t, ws, "error")
	require.Equal(t, "no_session", got["code"])
	require.Equal(t, "r0", got["id"])

	require.NoError(t, ws.WriteJSON(map[string]string{"type": "message", "text": "你好", "id": "m1"}))
	session := read(t, ws, "session")["session"].(string)
	read(t, ws, "ack")
	require.NoError(t, ws.WriteJSON(map[string]string{"type": "rating", "value": "4", "id": "r1"}))
	require.Equal(t, "r1", read(t, ws, "ack")["id"])
	s, err := e.Session(context.Background(), session)
	require.NoError(t, err)
	require.Equal(t, 4, s.Satisfaction)
	require.Equal(t, bot.EventRating, s.Transcript[len(s.Transcript)-1].Type)
}
