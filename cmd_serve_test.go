package main

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"dianbao/bot/store/redistest"
)

// servedBinary starts `dianbao serve` on a free port over storeURL and returns the process
// and its base ws:// URL.
func servedBinary(t *testing.T, bin, storeURL string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--store", storeURL)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	re := regexp.MustCompile(`serving on (\S+)`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, "ws://" + m[1]
		}
	}
	t.Fatal("serve printed no address")
	return nil, ""
}

// chatInFlight opens a chat, then holds the session's Redis lock (as another instance's
// turn would) and sends a message, so the process has a turn in flight.
func chatInFlight(t *testing.T, base string, rdb *redis.Client) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(base+"/ws/chat", nil)
	require.NoError(t, err)
	t.Cleanup(func() { ws.Close() })
	require.NoError(t, ws.WriteJSON(map[string]string{"type": "message", "text": "你好", "id": "m1"}))
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(20*time.Second)))
	var session string
	for {
		var m map[string]any
		require.NoError(t, ws.ReadJSON(&m))
		if m["type"] == "session" {
			session = m["session"].(string)
		}
		if m["type"] == "ack" {
			break
		}
	}
	require.NotEmpty(t, session)
	require.NoError(t, rdb.Set(context.Background(), "dianbao:lock:"+session, "other-instance", time.Minute).Err())
	require.NoError(t, ws.WriteJSON(map[string]string{"type": "message", "text": "我家停电了", "id": "m2"}))
	for {
		var m map[string]any
		require.NoError(t, ws.ReadJSON(&m))
		if m["type"] == "typing" && m["on"] == true {
			return ws
		}
	}
}

// The real binary on SIGTERM finishes the turn in flight, answers it, closes the socket
// with going-away and exits 0; a second signal during a drain exits at once.
func TestServeBinarySignals(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "dianbao")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	r := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()

	t.Run("drain", func(t *testing.T) {
		cmd, base := servedBinary(t, bin, r.URL())
		ws := chatInFlight(t, base, rdb)
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			t.Fatalf("exited with a turn in flight: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		keys, err := rdb.Keys(context.Background(), "dianbao:lock:*").Result()
		require.NoError(t, err)
		require.NoError(t, rdb.Del(context.Background(), keys...).Err()) // the other turn ends
		answered := false
		for {
			var m map[string]any
			if err := ws.ReadJSON(&m); err != nil {
				require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "got %v", err)
				break
			}
			answered = answered || (m["type"] == "message" && m["from"] == "bot")
		}
		require.True(t, answered)
		select {
		case err := <-exited:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not exit after the drain")
		}
	})

	t.Run("second signal", func(t *testing.T) {
		cmd, base := servedBinary(t, bin, r.URL())
		chatInFlight(t, base, rdb)
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		err := cmd.Wait()
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "exit status: %v", err)
		require.Equal(t, 130, exit.ExitCode())
		require.Less(t, time.Since(start), 2*time.Second, "exits at once")
	})
}
