package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"dianbao/bot"
)

var (
	bucketSessions = []byte("sessions")
	bucketTickets  = []byte("tickets")
	bucketByPhone  = []byte("tickets_by_phone")
	bucketBySess   = []byte("tickets_by_session")
	bucketSeq      = []byte("seq")
)

// BoltStore is the embedded default. It keeps two bbolt files:
//
//   - PATH holds tickets and id sequences. Every commit is fsynced: a work order the
//     customer was given a number for must survive a power cut.
//   - PATH-sessions holds the conversations. They live 30 minutes and change every turn,
//     so they are written behind: a turn updates an in-memory copy, and a flusher writes
//     the changed sessions in one NoSync transaction every SessionFlush (100 ms) and on
//     Close. A turn thus does no I/O and no JSON, which keeps it well under 1 ms; a
//     process crash loses at most the last SessionFlush of conversation (tickets are
//     never delayed), and an OS crash may leave the file inconsistent, which Open detects
//     with a consistency check and answers by starting with no sessions.
//
// Options.BoltSyncSessions makes every flush fsync too.
type BoltStore struct {
	opt   Options
	db    *bolt.DB // tickets, sequences
	sdb   *bolt.DB // sessions
	locks localLocks

	mu    sync.Mutex
	cache map[string]*cachedSession

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// cachedSession is the store's own copy of a session; it is replaced, never changed.
type cachedSession struct {
	s       bot.Session
	expires time.Time
	dirty   bool      // not yet written to the file
	used    time.Time // wall clock of the last read or write, for eviction
}

type boltSession struct {
	Expires time.Time   `json:"expires"`
	Session bot.Session `json:"session"`
}

// OpenBolt opens (creating if needed) the store at path and starts its flusher, which
// Close stops. A second process on the same path gets a clear error instead of waiting
// forever on bbolt's file lock.
func OpenBolt(path string, opt Options) (*BoltStore, error) {
	opt = opt.withDefaults()
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("bolt store: %w", err)
		}
	}
	db, err := openBoltFile(path, false)
	if err != nil {
		return nil, err
	}
	spath := path + "-sessions"
	sdb, err := openBoltFile(spath, !opt.BoltSyncSessions)
	if err == nil {
		err = checkBolt(sdb)
		if err != nil {
			sdb.Close()
		}
	}
	if err != nil && !errors.Is(err, bolterrors.ErrTimeout) {
		// The sessions file is disposable: after an OS crash under NoSync it may be
		// inconsistent, and starting without sessions is the right recovery.
		opt.Logger.Warn("sessions file unusable, starting with no sessions", "path", spath, "err", err)
		_ = os.Remove(spath)
		sdb, err = openBoltFile(spath, !opt.BoltSyncSessions)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, x := range []struct {
		db      *bolt.DB
		buckets [][]byte
	}{{db, [][]byte{bucketTickets, bucketByPhone, bucketBySess, bucketSeq}}, {sdb, [][]byte{bucketSessions}}} {
		if err := x.db.Update(func(tx *bolt.Tx) error {
			for _, b := range x.buckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			db.Close()
			sdb.Close()
			return nil, fmt.Errorf("bolt store: %w", err)
		}
	}
	s := &BoltStore{opt: opt, db: db, sdb: sdb, cache: map[string]*cachedSession{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.sweep(); err != nil {
		db.Close()
		sdb.Close()
		return nil, err
	}
	go s.flusher()
	return s, nil
}

func openBoltFile(path string, noSync bool) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: noSync, NoGrowSync: noSync,
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType, InitialMmapSize: 64 << 20})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("bolt store %s is in use by another dianbao process: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt store %s: %w", path, err)
	}
	return db, nil
}

func checkBolt(db *bolt.DB) (err error) {
	defer func() { // bbolt panics on some kinds of garbage
		if r := recover(); r != nil {
			err = fmt.Errorf("bolt check panicked: %v", r)
		}
	}()
	return db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			return e
		}
		return nil
	})
}

// flusher writes changed sessions every SessionFlush and sweeps expired ones every
// SessionSweep, until Close.
func (s *BoltStore) flusher() {
	defer close(s.done)
	flush := time.NewTicker(s.opt.SessionFlush)
	defer flush.Stop()
	sweep := time.NewTicker(s.opt.SessionSweep)
	defer sweep.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-flush.C:
			if err := s.flush(); err != nil {
				s.opt.Logger.Warn("write sessions (retried at the next flush)", "err", err)
			}
		case <-sweep.C:
			if err := s.sweep(); err != nil {
				s.opt.Logger.Warn("sweep expired sessions", "err", err)
			}
		}
	}
}

// flush writes the dirty sessions in one transaction and evicts from memory the clean
// ones unused for SessionFlush×100 (10 s by default) and the expired ones.
func (s *BoltStore) flush() error {
	now, wall := s.opt.Now(), time.Now()
	idle := 100 * s.opt.SessionFlush
	type item struct {
		id string
		c  *cachedSession
	}
	var dirty []item
	s.mu.Lock()
	for id, c := range s.cache {
		switch {
		case c.dirty:
			dirty = append(dirty, item{id, c})
		case !now.Before(c.expires), wall.Sub(c.used) > idle:
			delete(s.cache, id)
		}
	}
	s.mu.Unlock()
	if len(dirty) == 0 {
		return nil
	}
	err := s.sdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		for _, it := range dirty {
			v, err := json.Marshal(boltSession{Expires: it.c.expires, Session: it.c.s})
			if err != nil {
				return fmt.Errorf("encode session %s: %w", it.id, err)
			}
			if err := b.Put([]byte(it.id), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	for _, it := range dirty {
		it.c.dirty = false // a newer write replaced the entry and stays dirty
	}
	s.mu.Unlock()
	return nil
}

// sweep deletes expired sessions from the file, so it does not grow with abandoned
// conversations.
func (s *BoltStore) sweep() error {
	now := s.opt.Now()
	return s.sdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var rec struct {
				Expires time.Time `json:"expires"`
			}
			if json.Unmarshal(v, &rec) != nil || !now.Before(rec.Expires) {
				dead = append(dead, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return err
	})
}

// Session implements bot.SessionStore from memory, or from the file on a miss.
func (s *BoltStore) Session(ctx context.Context, id string) (bot.Session, error) {
	now := s.opt.Now()
	s.mu.Lock()
	c := s.cache[id]
	if c != nil {
		c.used = time.Now()
	}
	s.mu.Unlock()
	if c == nil {
		var rec boltSession
		err := s.sdb.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketSessions).Get([]byte(id))
			if v == nil {
				return bot.ErrNotFound
			}
			return json.Unmarshal(v, &rec)
		})
		if err != nil {
			return bot.Session{}, fmt.Errorf("session %s: %w", id, err)
		}
		c = &cachedSession{s: rec.Session, expires: rec.Expires, used: time.Now()}
		s.mu.Lock()
		switch cur := s.cache[id]; {
		case s.cache == nil: // closed meanwhile
		case cur != nil:
			c = cur // written meanwhile: the newer copy wins
		default:
			s.cache[id] = c
		}
		s.mu.Unlock()
	}
	if !now.Before(c.expires) {
		return bot.Session{}, fmt.Errorf("session %s: %w", id, bot.ErrNotFound)
	}
	return c.s.Clone(), nil
}

// PutSession implements bot.SessionStore; the file is written by the next flush.
func (s *BoltStore) PutSession(ctx context.Context, sess bot.Session, ttl time.Duration) error {
	c := &cachedSession{s: sess.Clone(), expires: s.opt.Now().Add(ttl), dirty: true, used: time.Now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		return fmt.Errorf("save session: %w", bot.ErrClosed)
	}
	s.cache[sess.ID] = c
	return nil
}

// Sessions implements bot.SessionStore: the file's sessions overlaid with the newer
// copies in memory.
func (s *BoltStore) Sessions(ctx context.Context) ([]bot.Session, error) {
	now := s.opt.Now()
	byID := map[string]bot.Session{}
	err := s.sdb.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			var rec boltSession
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if now.Before(rec.Expires) {
				byID[string(k)] = rec.Session
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for id, c := range s.cache {
		if now.Before(c.expires) {
			byID[id] = c.s.Clone()
		} else {
			delete(byID, id)
		}
	}
	s.mu.Unlock()
	out := make([]bot.Session, 0, len(byID))
	for _, v := range byID {
		out = append(out, v)
	}
	return out, nil
}

// Lock implements bot.SessionStore; bbolt's file lock keeps other processes out, so an
// in-process lock is enough.
func (s *BoltStore) Lock(ctx context.Context, id string, ttl time.Duration) (func(), error) {
	return s.locks.lock(ctx, id)
}

// Ticket implements bot.TicketStore.
func (s *BoltStore) Ticket(ctx context.Context, id string) (bot.Ticket, error) {
	var t bot.Ticket
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTickets).Get([]byte(id))
		if v == nil {
			return bot.ErrNotFound
		}
		return json.Unmarshal(v, &t)
	})
	if err != nil {
		return bot.Ticket{}, fmt.Errorf("ticket %s: %w", id, err)
	}
	return t, nil
}

// PutTicket implements bot.TicketStore.
func (s *BoltStore) PutTicket(ctx context.Context, t bot.Ticket) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putTicket(tx, t) })
}

// CreateTicket implements bot.TicketStore: the sequence and the ticket in one commit.
func (s *BoltStore) CreateTicket(ctx context.Context, seqKey string, build func(int64) bot.Ticket) (bot.Ticket, error) {
	var t bot.Ticket
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeq)
		var n uint64
		if v := b.Get([]byte(seqKey)); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		n++
		if err := b.Put([]byte(seqKey), binary.BigEndian.AppendUint64(nil, n)); err != nil {
			return err
		}
		t = build(int64(n))
		return putTicket(tx, t)
	})
	if err != nil {
		return bot.Ticket{}, err
	}
	return t, nil
}

// putTicket writes t and keeps its phone and session index entries in step.
func putTicket(tx *bolt.Tx, t bot.Ticket) error {
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	tb := tx.Bucket(bucketTickets)
	var old bot.Ticket
	if prev := tb.Get([]byte(t.ID)); prev != nil {
		_ = json.Unmarshal(prev, &old) // a garbled old record only leaves stale index keys
	}
	for _, ix := range []struct {
		bucket   []byte
		old, new string
	}{{bucketByPhone, old.Fields["phone"], t.Fields["phone"]}, {bucketBySess, old.Session, t.Session}} {
		b := tx.Bucket(ix.bucket)
		if ix.old != "" && ix.old != ix.new {
			if err := b.Delete(indexKey(ix.old, t.ID)); err != nil {
				return err
			}
		}
		if ix.new != "" {
			if err := b.Put(indexKey(ix.new, t.ID), nil); err != nil {
				return err
			}
		}
	}
	return tb.Put([]byte(t.ID), v)
}

// indexKey is an index entry: the indexed value, NUL, the ticket id.
func indexKey(value, id string) []byte { return []byte(value + "\x00" + id) }

// Tickets implements bot.TicketStore; a phone or session filter uses its index, anything
// else scans.
func (s *BoltStore) Tickets(ctx context.Context, f bot.TicketFilter) ([]bot.Ticket, error) {
	var all []bot.Ticket
	err := s.db.View(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTickets)
		add := func(v []byte) error {
			var t bot.Ticket
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			all = append(all, t)
			return nil
		}
		var index *bolt.Bucket
		var prefix []byte
		switch {
		case f.Phone != "":
			index, prefix = tx.Bucket(bucketByPhone), indexKey(f.Phone, "")
		case f.Session != "":
			index, prefix = tx.Bucket(bucketBySess), indexKey(f.Session, "")
		default:
			return tb.ForEach(func(_, v []byte) error { return add(v) })
		}
		c := index.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if v := tb.Get(k[len(prefix):]); v != nil {
				if err := add(v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	bot.SortTickets(all)
	return bot.FilterTickets(all, f), nil
}

// Close stops the flusher, writes the pending sessions and closes both files; it is
// idempotent.
func (s *BoltStore) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		err = s.flush()
		s.mu.Lock()
		s.cache = nil
		s.mu.Unlock()
		err = errors.Join(err, s.sdb.Close(), s.db.Close())
	})
	return err
}
