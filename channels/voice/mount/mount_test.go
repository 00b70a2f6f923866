package mount_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"dianbao/bot"
	"dianbao/bot/server"
	"dianbao/channels/voice/mount"
	"dianbao/deploy"
	"dianbao/nlu"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newApp(t *testing.T, now func() time.Time) *server.App {
	t.Helper()
	cfg, err := server.LoadConfig("")
	require.NoError(t, err)
	p, err := nlu.New(nlu.Config{})
	require.NoError(t, err)
	t.Cleanup(p.Close)
	app, err := server.NewApp(context.Background(), server.AppConfig{Addr: "127.0.0.1:0", StoreURL: "memory",
		Data: deploy.SampleData(), File: cfg, Parser: p, Now: now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close() })
	return app
}

// TestGreetingsArePrewarmed checks that what Mount prewarms is exactly what a call says
// first at every time of day: the real engine's greeting, spoken with its keypad menu.
func TestGreetingsArePrewarmed(t *testing.T) {
	hour := 0
	cst := time.FixedZone("CST", 8*3600)
	app := newApp(t, func() time.Time { return time.Date(2026, 11, 23, hour, 0, 0, 0, cst) })
	v, err := mount.Mount(app, mount.Options{}, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, v.Close()) }()
	want := mount.Greetings(v.Server)
	for _, h := range []int{7, 10, 12, 15, 20, 2} {
		hour = h
		evs, err := app.Engine.Open(context.Background(), "greet-"+time.Duration(h).String())
		require.NoError(t, err)
		var spoken string
		for _, ev := range evs {
			if ev.Type == bot.EventMessage {
				spoken = v.Server.Spoken(ev.Text, ev.Choices)
				break
			}
		}
		require.Contains(t, want, spoken, "hour %d", h)
	}
	select {
	case <-v.Prewarmed():
	case <-time.After(2 * time.Minute):
		t.Fatal("prewarm did not finish")
	}
}

// TestMissingEspeak: without espeak-ng Mount reports ErrNoSpeech (serve prints it) and
// /ws/voice tells the caller clearly that voice is unavailable.
func TestMissingEspeak(t *testing.T) {
	app := newApp(t, nil)
	v, err := mount.Mount(app, mount.Options{Espeak: "/nonexistent/espeak-ng"}, nil)
	require.ErrorIs(t, err, mount.ErrNoSpeech)
	require.Contains(t, err.Error(), "espeak-ng")
	require.Nil(t, v)
	hs := httptest.NewServer(app.Handler())
	defer hs.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http")+"/ws/voice", nil)
	require.NoError(t, err)
	defer c.Close()
	var msg map[string]string
	require.NoError(t, c.ReadJSON(&msg))
	require.Equal(t, "error", msg["type"])
	require.Equal(t, "unavailable", msg["code"])
	require.Contains(t, msg["message"], "语音服务暂时无法使用")
}

// TestBadLanguageConfig: a language mapped to a voice espeak-ng lacks is a start-up error.
func TestBadLanguageConfig(t *testing.T) {
	app := newApp(t, nil)
	_, err := mount.Mount(app, mount.Options{Languages: map[string]string{"xx": "klingon"}}, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "klingon")
	_, err = mount.Mount(app, mount.Options{ASRURL: "http://not-a-websocket"}, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "asr-url")
}
