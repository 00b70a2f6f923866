package store

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/store/redistest"
)

func newRedisBusT(t *testing.T, r *redistest.Server) *RedisBus {
	t.Helper()
	b, err := NewRedisBus(redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: 1}), BusOptions{RetryMax: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return b
}

func msg(session, text string) []bot.Event {
	ev := bot.Message(bot.FromBot, text, "", nil)
	ev.Session = session
	return []bot.Event{ev}
}

// recv waits for one event; the bus is asynchronous across instances.
func recv(t *testing.T, ch <-chan bot.Event) bot.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "channel closed")
		return ev
	case <-time.After(3 * time.Second):
		t.Fatal("no event within 3 s")
	}
	return bot.Event{}
}

func requireQuiet(t *testing.T, ch <-chan bot.Event) {
	t.Helper()
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestRedisBusAcrossInstances(t *testing.T) {
	ctx := context.Background()
	r := startRedis(t)
	a, b := newRedisBusT(t, r), newRedisBusT(t, r)

	one, cancelOne := b.Subscribe("s1")
	all, cancelAll := b.Subscribe("")
	other, cancelOther := b.Subscribe("s2")
	defer cancelOther()
	again, cancelAgain := b.Subscribe("s1") // a second local subscriber shares the channel
	mine, cancelMine := a.Subscribe("s1")   // and the publisher's own instance sees it too
	defer cancelMine()

	require.NoError(t, a.Publish(ctx, "s1", append(msg("s1", "您好"), msg("s1", "请问")...)))
	for _, ch := range []<-chan bot.Event{one, all, again, mine} {
		require.Equal(t, "您好", recv(t, ch).Text)
		require.Equal(t, "请问", recv(t, ch).Text, "order is kept")
	}
	requireQuiet(t, other)
	require.NoError(t, a.Publish(ctx, "s1", nil), "nothing to publish is no error")

	// The last local subscriber of a session unsubscribes the instance from Redis.
	cancelAgain()
	_, open := <-again
	require.False(t, open)
	require.Equal(t, int64(2), numSub(t, r, chanSession+"s1"), "one on each instance")
	cancelOne()
	cancelOne() // idempotent
	require.Eventually(t, func() bool { return numSub(t, r, chanSession+"s1") == 1 }, 2*time.Second, 10*time.Millisecond)
	require.NoError(t, a.Publish(ctx, "s1", msg("s1", "还在吗")))
	require.Equal(t, "还在吗", recv(t, all).Text)
	cancelAll()
}

func numSub(t *testing.T, r *redistest.Server, channel string) int64 {
	c := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer c.Close()
	n, err := c.PubSubNumSub(context.Background(), channel).Result()
	require.NoError(t, err)
	return n[channel]
}

func TestRedisBusRestart(t *testing.T) {
	ctx := context.Background()
	r := startRedis(t)
	a, b := newRedisBusT(t, r), newRedisBusT(t, r)
	sub, cancel := b.Subscribe("s1")
	defer cancel()
	require.NoError(t, a.Publish(ctx, "s1", msg("s1", "一")))
	require.Equal(t, "一", recv(t, sub).Text)

	r.Stop()
	err := a.Publish(ctx, "s1", msg("s1", "二"))
	require.ErrorIs(t, err, bot.ErrUnavailable, "a clear error while Redis is down")
	late, cancelLate := b.Subscribe("s2") // subscribing while down is remembered
	defer cancelLate()

	r.Start()
	require.Eventually(t, func() bool {
		return a.Publish(ctx, "s1", msg("s1", "三")) == nil
	}, 5*time.Second, 20*time.Millisecond, "publishing recovers with Redis")
	// The subscriptions are re-established by the reconnection: keep publishing until the
	// old subscriber hears again (events sent before the resubscription are lost).
	require.Eventually(t, func() bool {
		require.NoError(t, a.Publish(ctx, "s1", msg("s1", "四")))
		require.NoError(t, a.Publish(ctx, "s2", msg("s2", "五")))
		select {
		case ev := <-sub:
			return ev.Text == "三" || ev.Text == "四"
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, "五", recv(t, late).Text, "a subscription made while Redis was down works once it is back")
}

func TestRedisBusClose(t *testing.T) {
	ctx := context.Background()
	r := startRedis(t)
	before := runtime.NumGoroutine()
	b, err := NewRedisBus(redis.NewClient(&redis.Options{Addr: r.Addr()}), BusOptions{})
	require.NoError(t, err)
	sub, _ := b.Subscribe("s1")
	require.NoError(t, b.Publish(ctx, "s1", msg("s1", "x")))
	require.Equal(t, "x", recv(t, sub).Text)
	require.NoError(t, b.Close())
	requireGoroutinesBack(t, before, "Close stops every goroutine the bus started")
	_, open := <-sub
	require.False(t, open, "Close closes the subscribers")
	require.ErrorIs(t, b.Publish(ctx, "s1", msg("s1", "x")), bot.ErrClosed)
	late, cancel := b.Subscribe("s2")
	cancel()
	_, open = <-late
	require.False(t, open)
	require.NoError(t, b.Close(), "Close is idempotent")

	_, err = NewRedisBus(nil, BusOptions{})
	require.ErrorIs(t, err, bot.ErrBadInput)
}

func TestNewBusFollowsStore(t *testing.T) {
	r := startRedis(t)
	rs := openRedisT(t, r)
	bus, err := NewBus(rs, BusOptions{})
	require.NoError(t, err)
	require.IsType(t, &RedisBus{}, bus)
	require.NoError(t, bus.Close())
	bus, err = NewBus(NewMemoryStore(Options{}), BusOptions{})
	require.NoError(t, err)
	require.IsType(t, &bot.MemoryBus{}, bus)
	require.NoError(t, bus.Close())
}
