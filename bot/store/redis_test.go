package store

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/bot/store/redistest"
)

func startRedis(t *testing.T) *redistest.Server { return redistest.Start(t) }

func openRedisT(t *testing.T, r *redistest.Server) *RedisStore {
	t.Helper()
	s, err := OpenRedis(context.Background(), r.URL(), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// requireGoroutinesBack waits until no more goroutines run than before (require.Eventually
// would count its own).
func requireGoroutinesBack(t *testing.T, before int, msg string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d goroutines, %d before", msg, runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
