package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"dianbao/bot/server"
	"dianbao/deploy"
	"dianbao/nlu"
)

// SIGTERM (main cancels the context) drains the whole application: a customer's turn in
// flight is finished and answered, the widget then gets a going-away close frame, nothing
// new is accepted, and Run returns cleanly.
func TestShutdownFinishesTurnInFlight(t *testing.T) {
	parserOnce.Do(func() { parser, parserErr = nlu.New(nlu.Config{}) })
	require.NoError(t, parserErr)
	cfg, err := server.LoadConfig("")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err := server.NewApp(ctx, server.AppConfig{Addr: "127.0.0.1:0", StoreURL: "memory", Data: deploy.SampleData(), File: cfg, Parser: parser})
	require.NoError(t, err)
	addr, err := app.Listen()
	require.NoError(t, err)
	base := "http://" + addr.String()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()

	c := dial(t, base, "/ws/chat", nil)
	c.send(map[string]string{"type": "message", "text": "你好", "id": "m1"})
	session := c.until(typ("session"))[0]["session"].(string)
	c.until(ack("m1"))

	// Another instance's turn of the same session holds its lock, so our turn waits in
	// flight while the shutdown begins.
	unlock, err := app.Store.Lock(context.Background(), session, time.Minute)
	require.NoError(t, err)
	c.send(map[string]string{"type": "message", "text": "我家停电了", "id": "m2"})
	c.until(func(m map[string]any) bool { return m["type"] == "typing" && m["on"] == true })
	cancel()
	require.Eventually(t, func() bool {
		_, _, err := websocket.DefaultDialer.Dial("ws"+base[4:]+"/ws/chat", nil)
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "nothing new is accepted while draining")
	select {
	case err := <-done:
		t.Fatalf("Run returned with a turn in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()

	var types []string
	answered := false
	require.NoError(t, c.ws.SetReadDeadline(time.Now().Add(10*time.Second)))
	for {
		var m map[string]any
		if err := c.ws.ReadJSON(&m); err != nil {
			require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "want going-away, got %v", err)
			break
		}
		types = append(types, m["type"].(string))
		answered = answered || (m["type"] == "message" && m["from"] == "bot")
	}
	require.True(t, answered, "the turn in flight was answered: %v", types)
	require.Contains(t, types, "ack")
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the drain")
	}
}
