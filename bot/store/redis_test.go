package store

import (
	"context"
	"testing"

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
