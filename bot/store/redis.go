package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"dianbao/bot"
)

// Redis key layout, all under one prefix so an instance can share a Redis with others.
const (
	keySession     = "dianbao:session:"
	keyLock        = "dianbao:lock:"
	keyTicket      = "dianbao:ticket:"
	keyTickets     = "dianbao:tickets"          // zset id by created time
	keyTicketPhone = "dianbao:tickets:phone:"   // zset per phone
	keyTicketSess  = "dianbao:tickets:session:" // zset per session
	keySeq         = "dianbao:seq:"
)

// seqTTL keeps a daily sequence well past its day, then lets Redis drop it.
const seqTTL = 72 * time.Hour

// unlockScript deletes the lock only if it still holds our token, so a holder whose lock
// expired cannot release the next holder's lock.
var unlockScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)

// RedisStore shares sessions, tickets and per-session locks between instances. Every
// connection error comes back wrapping bot.ErrUnavailable; go-redis reconnects by itself,
// so the store recovers when Redis does.
type RedisStore struct {
	opt Options
	rdb *redis.Client
}

// OpenRedis connects to url (redis://HOST:PORT/DB) and checks that Redis answers.
func OpenRedis(ctx context.Context, url string, opt Options) (*RedisStore, error) {
	ro, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", bot.ErrBadInput, err)
	}
	ro.MaxRetries = 1
	ro.DialTimeout = 2 * time.Second
	ro.ReadTimeout = 2 * time.Second
	ro.WriteTimeout = 2 * time.Second
	s := &RedisStore{opt: opt.withDefaults(), rdb: redis.NewClient(ro)}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.rdb.Ping(pctx).Err(); err != nil {
		s.rdb.Close()
		return nil, fmt.Errorf("redis at %s does not answer: %w", ro.Addr, s.wrap(err))
	}
	return s, nil
}

func (s *RedisStore) wrap(err error) error { return wrapRedis(err) }

// wrapRedis maps go-redis errors to the bot sentinels: redis.Nil is ErrNotFound, a closed
// client ErrClosed, a context's end stays itself, and anything else is ErrUnavailable.
func wrapRedis(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return bot.ErrNotFound
	case errors.Is(err, redis.ErrClosed):
		return fmt.Errorf("%w: %w", bot.ErrClosed, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %w", bot.ErrUnavailable, err)
}

// Session implements bot.SessionStore.
func (s *RedisStore) Session(ctx context.Context, id string) (bot.Session, error) {
	b, err := s.rdb.Get(ctx, keySession+id).Bytes()
	if err != nil {
		return bot.Session{}, fmt.Errorf("session %s: %w", id, s.wrap(err))
	}
	var sess bot.Session
	return sess, json.Unmarshal(b, &sess)
}

// PutSession implements bot.SessionStore; Redis expires the key after ttl.
func (s *RedisStore) PutSession(ctx context.Context, sess bot.Session, ttl time.Duration) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	return s.wrap(s.rdb.Set(ctx, keySession+sess.ID, b, ttl).Err())
}

// Sessions implements bot.SessionStore with SCAN, which does not block Redis.
func (s *RedisStore) Sessions(ctx context.Context) ([]bot.Session, error) {
	var keys []string
	it := s.rdb.Scan(ctx, 0, keySession+"*", 500).Iterator()
	for it.Next(ctx) {
		keys = append(keys, it.Val())
	}
	if err := it.Err(); err != nil {
		return nil, s.wrap(err)
	}
	var out []bot.Session
	for len(keys) > 0 {
		n := min(len(keys), 200)
		vals, err := s.rdb.MGet(ctx, keys[:n]...).Result()
		if err != nil {
			return nil, s.wrap(err)
		}
		for _, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue // expired between SCAN and MGET
			}
			var sess bot.Session
			if err := json.Unmarshal([]byte(str), &sess); err != nil {
				return nil, err
			}
			out = append(out, sess)
		}
		keys = keys[n:]
	}
	return out, nil
}

// Lock implements bot.SessionStore with SET NX PX and a random token, polling until ctx
// ends. A Redis error fails at once with bot.ErrUnavailable rather than spinning.
func (s *RedisStore) Lock(ctx context.Context, id string, ttl time.Duration) (func(), error) {
	var tb [16]byte
	_, _ = rand.Read(tb[:])
	token := hex.EncodeToString(tb[:])
	key := keyLock + id
	wait := time.Millisecond
	for {
		ok, err := s.rdb.SetNX(ctx, key, token, ttl).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w: %w", bot.ErrLocked, ctx.Err())
			}
			return nil, fmt.Errorf("lock %s: %w", id, s.wrap(err))
		}
		if ok {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", bot.ErrLocked, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, 50*time.Millisecond)
	}
	return func() {
		// The turn's ctx may be over; the release gets its own short deadline.
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := unlockScript.Run(uctx, s.rdb, []string{key}, token).Err(); err != nil {
			s.opt.Logger.Warn("release session lock (it expires by itself)", "session_id", id, "err", err)
		}
	}, nil
}

// Ticket implements bot.TicketStore.
func (s *RedisStore) Ticket(ctx context.Context, id string) (bot.Ticket, error) {
	b, err := s.rdb.Get(ctx, keyTicket+id).Bytes()
	if err != nil {
		return bot.Ticket{}, fmt.Errorf("ticket %s: %w", id, s.wrap(err))
	}
	var t bot.Ticket
	return t, json.Unmarshal(b, &t)
}

// PutTicket implements bot.TicketStore; the ticket and its indexes change in one
// MULTI/EXEC transaction.
func (s *RedisStore) PutTicket(ctx context.Context, t bot.Ticket) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	old, err := s.Ticket(ctx, t.ID)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return err
	}
	score := float64(t.Created.UnixMilli())
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, keyTicket+t.ID, b, 0)
		p.ZAdd(ctx, keyTickets, redis.Z{Score: score, Member: t.ID})
		if op := old.Fields["phone"]; op != "" && op != t.Fields["phone"] {
			p.ZRem(ctx, keyTicketPhone+op, t.ID)
		}
		if ph := t.Fields["phone"]; ph != "" {
			p.ZAdd(ctx, keyTicketPhone+ph, redis.Z{Score: score, Member: t.ID})
		}
		if os := old.Session; os != "" && os != t.Session {
			p.ZRem(ctx, keyTicketSess+os, t.ID)
		}
		if t.Session != "" {
			p.ZAdd(ctx, keyTicketSess+t.Session, redis.Z{Score: score, Member: t.ID})
		}
		return nil
	})
	return s.wrap(err)
}

// Tickets implements bot.TicketStore, newest first from the sorted-set indexes.
func (s *RedisStore) Tickets(ctx context.Context, f bot.TicketFilter) ([]bot.Ticket, error) {
	index := keyTickets
	switch {
	case f.Phone != "":
		index = keyTicketPhone + f.Phone
	case f.Session != "":
		index = keyTicketSess + f.Session
	}
	ids, err := s.rdb.ZRevRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, s.wrap(err)
	}
	var all []bot.Ticket
	for len(ids) > 0 {
		n := min(len(ids), 200)
		keys := make([]string, n)
		for i, id := range ids[:n] {
			keys[i] = keyTicket + id
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, s.wrap(err)
		}
		for _, v := range vals {
			if str, ok := v.(string); ok {
				var t bot.Ticket
				if err := json.Unmarshal([]byte(str), &t); err != nil {
					return nil, err
				}
				all = append(all, t)
			}
		}
		ids = ids[n:]
	}
	bot.SortTickets(all)
	return bot.FilterTickets(all, f), nil
}

// CreateTicket implements bot.TicketStore: INCR numbers the ticket atomically across
// the fleet, then PutTicket stores it.
func (s *RedisStore) CreateTicket(ctx context.Context, seqKey string, build func(int64) bot.Ticket) (bot.Ticket, error) {
	k := keySeq + seqKey
	n, err := s.rdb.Incr(ctx, k).Result()
	if err != nil {
		return bot.Ticket{}, s.wrap(err)
	}
	if n == 1 {
		if err := s.rdb.Expire(ctx, k, seqTTL).Err(); err != nil {
			s.opt.Logger.Warn("expire ticket sequence", "key", k, "err", err)
		}
	}
	t := build(n)
	if err := s.PutTicket(ctx, t); err != nil {
		return bot.Ticket{}, err
	}
	return t, nil
}

// Close closes the connection pool.
func (s *RedisStore) Close() error { return s.rdb.Close() }

// NewClient returns a new client of the store's Redis server, owned by the caller, for
// the fleet's other shared parts (the bus, the handoff queue) without reaching into the
// store's own connection pool.
func (s *RedisStore) NewClient() *redis.Client { return redis.NewClient(s.rdb.Options()) }
