package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestServeAndDrain(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "dianbao", Name: "test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	s := New(Config{Addr: "127.0.0.1:0", ShutdownTimeout: 2 * time.Second}, nil, reg)
	storeDown := false
	s.AddCheck("store", func(context.Context) error {
		if storeDown {
			return errors.New("store down")
		}
		return nil
	})
	drained := make(chan struct{})
	s.OnDrain(func() { close(drained) })
	s.Handle("GET /hello", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("你好")) }))
	addr, err := s.Listen()
	require.NoError(t, err)
	base := "http://" + addr.String()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	code, body := get(t, base+"/healthz")
	require.Equal(t, 200, code)
	require.Equal(t, "ok\n", body)
	code, _ = get(t, base+"/readyz")
	require.Equal(t, 200, code)
	storeDown = true
	code, body = get(t, base+"/readyz")
	require.Equal(t, 503, code)
	require.Contains(t, body, "store down")
	storeDown = false
	code, body = get(t, base+"/metrics")
	require.Equal(t, 200, code)
	require.Contains(t, body, "dianbao_test_total 1")
	code, body = get(t, base+"/hello")
	require.Equal(t, 200, code)
	require.Equal(t, "你好", body)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("no shutdown")
	}
	<-drained
	_, err = http.Get(base + "/healthz")
	require.Error(t, err, "stopped accepting")
}
