package webchat_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"dianbao/bot"
	"dianbao/bot/store"
	"dianbao/channels/webchat"
	"dianbao/dialogs"
	"dianbao/nlu"
)

var (
	parserOnce sync.Once
	parser     *nlu.Parser
	parserErr  error
)

type engine struct{ e *bot.Engine }

func (c engine) Open(ctx context.Context, id string) ([]bot.Event, error) { return c.e.Open(ctx, id) }
func (c engine) Turn(ctx context.Context, id, text, choice string) ([]bot.Event, error) {
	return c.e.Handle(ctx, id, bot.Input{Text: text, Choice: choice})
}
func (c engine) History(ctx context.Context, id string) ([]bot.Event, error) {
	return c.e.History(ctx, id)
}
func (c engine) Rate(ctx context.Context, id string, rating int) error {
	return c.e.Rate(ctx, id, rating)
}

// newChat serves the chat over the real engine, dialogs and NLU with a memory store.
func newChat(t *testing.T) (*webchat.Handler, *bot.MemoryBus, string) {
	t.Helper()
	parserOnce.Do(func() { parser, parserErr = nlu.New(nlu.Config{}) })
	require.NoError(t, parserErr)
	dcfg := dialogs.DefaultConfig()
	m, err := dialogs.New(dcfg)
	require.NoError(t, err)
	bus := bot.NewMemoryBus(0)
	e, err := bot.New(bot.Config{Parser: parser, Dialogs: m, Commitments: dcfg.Commitments,
		Store: store.NewMemoryStore(store.Options{}), Bus: bus})
	require.NoError(t, err)
	h, err := webchat.New(webchat.Config{PingInterval: time.Second}, engine{e}, bus, nil, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, bus, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func read(t *testing.T, ws *websocket.Conn, want string) map[string]any {
	t.Helper()
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
	for {
		_, raw, err := ws.ReadMessage()
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		if m["type"] == want {
			return m
		}
	}
}

func TestConnectionLifecycleLeaksNothing(t *testing.T) {
	h, bus, url := newChat(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	require.NoError(t, ws.WriteJSON(map[string]string{"type": "message", "text": "你好", "id": "1"}))
	sess := read(t, ws, "session")["session"].(string)
	read(t, ws, "ack")

	// An event published by someone else (an agent, an operator) reaches the widget once.
	ev := bot.Message(bot.FromAgent, "您好，我是人工客服。", "", nil)
	ev.Session, ev.Time = sess, time.Now()
	require.NoError(t, bus.Publish(context.Background(), sess, []bot.Event{ev, ev}))
	got := read(t, ws, "message")
	require.Equal(t, "agent", got["from"])
	require.NoError(t, ws.WriteJSON(map[string]string{"type": "ping"}))
	require.Equal(t, "pong", read(t, ws, "pong")["type"], "the duplicate was dropped")

	// Shutdown tells the widget to go away and waits for the connection's goroutines.
	done := make(chan struct{})
	go func() { h.Close(); close(done) }()
	_, _, err = ws.ReadMessage()
	require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), err)
	ws.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	_ = bus.Close()
}

func TestAbruptDisconnect(t *testing.T) {
	_, _, url := newChat(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for range 5 {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		require.NoError(t, err)
		require.NoError(t, ws.WriteJSON(map[string]string{"type": "message", "text": "我家停电了"}))
		ws.Close() // mid-turn
	}
	require.Eventually(t, func() bool { return goleak.Find(goleak.IgnoreCurrent()) == nil }, 5*time.Second, 50*time.Millisecond)
}
