package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"dianbao/bot"
)

// Redis pub/sub channels of the bus: one per session and one for all sessions (the agent
// console), so an instance only receives the sessions its own clients watch.
const (
	chanSession = "dianbao:events:session:"
	chanAll     = "dianbao:events:all"
)

// BusOptions configure a RedisBus; zero values get defaults.
type BusOptions struct {
	Logger *slog.Logger
	// Buffer is each local subscriber's channel size (64).
	Buffer int
	// SubscribeWait bounds how long Subscribe waits for Redis to confirm a new channel (1 s).
	SubscribeWait time.Duration
	// RetryMax is the longest pause between reconnection attempts while Redis is down (1 s).
	RetryMax time.Duration
}

// Bus is a bot.Bus that holds resources until closed.
type Bus interface {
	bot.Bus
	Close() error
}

var (
	_ Bus = (*RedisBus)(nil)
	_ Bus = (*bot.MemoryBus)(nil)
)

// NewBus returns the bus that goes with st: a RedisBus on a RedisStore's server, so any
// instance of a fleet sees the events of every turn, else an in-process MemoryBus.
func NewBus(st bot.Store, opt BusOptions) (Bus, error) {
	if rs, ok := st.(*RedisStore); ok {
		return NewRedisBus(rs.NewClient(), opt)
	}
	return bot.NewMemoryBus(opt.Buffer), nil
}

// RedisBus publishes each turn's events to the session's channel and the global one,
// and fans the messages it receives out to local subscribers. It holds one pub/sub
// connection, subscribed to exactly the channels local subscribers watch; go-redis
// re-subscribes them after a reconnection, so subscribers survive a Redis restart (the
// events published while Redis was down are lost: the transcript in the store is the
// record).
type RedisBus struct {
	opt BusOptions
	rdb *redis.Client
	ps  *redis.PubSub
	fan *bot.Fanout

	subMu   sync.Mutex     // serialises SUBSCRIBE/UNSUBSCRIBE with the reference counts
	refs    map[string]int // redis channel → local subscribers
	mu      sync.Mutex
	waiting map[string][]chan struct{} // redis channel → Subscribe calls awaiting confirmation

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// NewRedisBus takes ownership of rdb (closed by Close) and starts the receiving
// goroutine, which Close stops.
func NewRedisBus(rdb *redis.Client, opt BusOptions) (*RedisBus, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: redis bus needs a client", bot.ErrBadInput)
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.SubscribeWait <= 0 {
		opt.SubscribeWait = time.Second
	}
	if opt.RetryMax <= 0 {
		opt.RetryMax = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &RedisBus{opt: opt, rdb: rdb, ps: rdb.Subscribe(ctx), fan: bot.NewFanout(opt.Buffer),
		refs: map[string]int{}, waiting: map[string][]chan struct{}{}, cancel: cancel, done: make(chan struct{})}
	go b.receive(ctx)
	return b, nil
}

func redisChannel(sessionID string) string {
	if sessionID == "" {
		return chanAll
	}
	return chanSession + sessionID
}

// Publish sends the events to the session's channel and the global one in one round
// trip. While Redis is down it fails with an error wrapping bot.ErrUnavailable.
func (b *RedisBus) Publish(ctx context.Context, sessionID string, events []bot.Event) error {
	if len(events) == 0 {
		return nil
	}
	payload, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("encode events: %w", err)
	}
	_, err = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if sessionID != "" {
			p.Publish(ctx, redisChannel(sessionID), payload)
		}
		p.Publish(ctx, chanAll, payload)
		return nil
	})
	if err != nil {
		return fmt.Errorf("publish events: %w", wrapRedis(err))
	}
	return nil
}

// Subscribe implements bot.Bus. The first local subscriber of a session subscribes the
// instance to its Redis channel and waits (up to SubscribeWait) for Redis to confirm, so
// events published anywhere after Subscribe returns reach it.
func (b *RedisBus) Subscribe(sessionID string) (<-chan bot.Event, func()) {
	ch, cancelLocal := b.fan.Subscribe(sessionID)
	rc := redisChannel(sessionID)
	b.subMu.Lock()
	b.refs[rc]++
	if b.refs[rc] == 1 {
		b.subscribe(rc)
	}
	b.subMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			cancelLocal()
			b.subMu.Lock()
			defer b.subMu.Unlock()
			if b.refs[rc]--; b.refs[rc] > 0 {
				return
			}
			delete(b.refs, rc)
			ctx, cancel := context.WithTimeout(context.Background(), b.opt.SubscribeWait)
			defer cancel()
			if err := b.ps.Unsubscribe(ctx, rc); err != nil && !errors.Is(err, redis.ErrClosed) {
				b.opt.Logger.Warn("bus: unsubscribe (redone at reconnection)", "channel", rc, "err", err)
			}
		})
	}
}

// subscribe sends SUBSCRIBE and waits for the confirmation. A failure is logged only:
// go-redis keeps the channel and subscribes it again when the connection comes back.
func (b *RedisBus) subscribe(rc string) {
	confirmed := make(chan struct{})
	b.mu.Lock()
	b.waiting[rc] = append(b.waiting[rc], confirmed)
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), b.opt.SubscribeWait)
	defer cancel()
	err := b.ps.Subscribe(ctx, rc)
	if err == nil {
		select {
		case <-confirmed:
			return
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if !errors.Is(err, redis.ErrClosed) {
		b.opt.Logger.Warn("bus: subscribe not confirmed yet (retried at reconnection)", "channel", rc, "err", err)
	}
}

// receive reads the pub/sub connection until Close, reconnecting with a growing pause
// while Redis is away.
func (b *RedisBus) receive(ctx context.Context) {
	defer close(b.done)
	pause, down := 10*time.Millisecond, false
	for ctx.Err() == nil {
		msg, err := b.ps.ReceiveTimeout(ctx, 5*time.Second)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
				return
			}
			if isTimeout(err) { // idle: check the connection is still alive
				_ = b.ps.Ping(ctx)
				continue
			}
			if !down {
				b.opt.Logger.Warn("bus: redis connection lost, reconnecting", "err", err)
				down = true
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(pause*2, b.opt.RetryMax)
			continue
		}
		if down {
			b.opt.Logger.Info("bus: redis connection back, subscriptions restored")
			down, pause = false, 10*time.Millisecond
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				b.confirm(m.Channel)
			}
		case *redis.Message:
			b.deliver(m)
		}
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func (b *RedisBus) confirm(rc string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.waiting[rc] {
		close(w)
	}
	delete(b.waiting, rc)
}

func (b *RedisBus) deliver(m *redis.Message) {
	var events []bot.Event
	if err := json.Unmarshal([]byte(m.Payload), &events); err != nil {
		b.opt.Logger.Warn("bus: undecodable message dropped", "channel", m.Channel, "err", err)
		return
	}
	key := ""
	if m.Channel != chanAll {
		key = strings.TrimPrefix(m.Channel, chanSession)
	}
	_ = b.fan.Deliver(key, events)
}

// Close stops the receiving goroutine, closes every subscriber channel and the
// connections.
func (b *RedisBus) Close() error {
	var err error
	b.once.Do(func() {
		b.cancel()
		err = b.ps.Close()
		<-b.done
		_ = b.fan.Close()
		err = errors.Join(err, b.rdb.Close())
	})
	return err
}
