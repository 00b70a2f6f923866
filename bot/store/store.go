// Package store holds the backends of bot.Store: MemoryStore (tests, demos), BoltStore
// (the embedded default, one process, survives restarts) and RedisStore (a fleet of
// instances sharing sessions, tickets and per-session locks). Open picks one by URL, and
// NewBus the bot.Bus that goes with it (RedisBus for Redis, so any instance serves any
// web chat turn and any agent).
package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"dianbao/bot"
)

var (
	_ bot.Store = (*MemoryStore)(nil)
	_ bot.Store = (*BoltStore)(nil)
	_ bot.Store = (*RedisStore)(nil)
)

// Options are shared by the backends.
type Options struct {
	Logger *slog.Logger
	// Now is the clock for session expiry in the memory and bolt stores (Redis expires
	// keys on its own clock). time.Now when nil.
	Now func() time.Time
	// BoltSyncSessions makes every write of the bolt sessions file fsync (see BoltStore).
	BoltSyncSessions bool
	// SessionFlush is how often the bolt store writes changed sessions (100 ms);
	// SessionSweep how often it deletes expired ones from its file (1 min).
	SessionFlush time.Duration
	SessionSweep time.Duration
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionFlush <= 0 {
		o.SessionFlush = 100 * time.Millisecond
	}
	if o.SessionSweep <= 0 {
		o.SessionSweep = time.Minute
	}
	return o
}

// Open returns the store named by url: "memory", "bolt:PATH" (PATH empty: DefaultBoltPath)
// or "redis://[:password@]HOST:PORT/DB".
func Open(ctx context.Context, url string, opt Options) (bot.Store, error) {
	switch {
	case url == "memory":
		return NewMemoryStore(opt), nil
	case url == "bolt" || strings.HasPrefix(url, "bolt:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "bolt"), ":")
		if path == "" {
			path = DefaultBoltPath()
		}
		return OpenBolt(path, opt)
	case strings.HasPrefix(url, "redis://") || strings.HasPrefix(url, "rediss://"):
		return OpenRedis(ctx, url, opt)
	}
	return nil, fmt.Errorf("%w: store URL %q: want memory, bolt:PATH or redis://HOST:PORT/DB", bot.ErrBadInput, url)
}

// DefaultBoltPath is $XDG_STATE_HOME/dianbao/dianbao.db, or under ~/.local/state, or
// ./dianbao.db when there is no home.
func DefaultBoltPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "state")
		}
	}
	if dir == "" {
		return "dianbao.db"
	}
	return filepath.Join(dir, "dianbao", "dianbao.db")
}

// localLocks serialises the turns of a session inside one process (memory and bolt
// stores; bolt's file lock already keeps other processes out).
type localLocks struct {
	mu    sync.Mutex
	locks map[string]*localLock
}

type localLock struct {
	ch   chan struct{}
	refs int
}

func (l *localLocks) lock(ctx context.Context, id string) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*localLock{}
	}
	k := l.locks[id]
	if k == nil {
		k = &localLock{ch: make(chan struct{}, 1)}
		l.locks[id] = k
	}
	k.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		k.refs--
		if k.refs == 0 {
			delete(l.locks, id)
		}
		l.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, fmt.Errorf("%w: %w", bot.ErrLocked, ctx.Err())
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-k.ch
			release()
		})
	}, nil
}
