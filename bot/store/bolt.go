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
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"dianbao/bot"
)

var (
	bucketSessions = []byte("sessions")
	bucketTickets  = []byte("tickets")
	bucketByPhone  = []byte("tickets_by_phone")
	bucketSeq      = []byte("seq")
)

// BoltStore is the embedded default. It keeps two bbolt files:
//
//   - PATH holds tickets and id sequences. Every commit is fsynced: a work order the
//     customer was given a number for must survive a power cut.
//   - PATH-sessions holds the conversations. They live 30 minutes and are rewritten every
//     turn, so that file is written with NoSync: an fsync costs about 1 ms here (two
//     fdatasyncs per bbolt commit), which alone would break the 1 ms per-turn budget. A
//     process crash loses nothing (the data is in the page cache); only an OS crash or power
//     cut can lose the last moments — or leave the file inconsistent, which Open detects
//     with a consistency check and answers by starting with no sessions.
//
// Options.BoltSyncSessions turns fsync on for sessions too.
type BoltStore struct {
	opt      Options
	db       *bolt.DB // tickets, sequences
	sdb      *bolt.DB // sessions
	locks    localLocks
	puts     atomic.Int64
	sweepGap int64
}

type boltSession struct {
	Expires time.Time   `json:"expires"`
	Session bot.Session `json:"session"`
}

// OpenBolt opens (creating if needed) the store at path. A second process on the same
// path gets a clear error instead of waiting forever on bbolt's file lock.
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
	}{{db, [][]byte{bucketTickets, bucketByPhone, bucketSeq}}, {sdb, [][]byte{bucketSessions}}} {
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
	s := &BoltStore{opt: opt, db: db, sdb: sdb, sweepGap: 500}
	if err := s.sweep(); err != nil {
		s.Close()
		return nil, err
	}
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

// sweep deletes expired sessions; it runs at open and every sweepGap session writes, so
// the file does not grow with abandoned conversations.
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

// Session implements bot.SessionStore.
func (s *BoltStore) Session(ctx context.Context, id string) (bot.Session, error) {
	var rec boltSession
	err := s.sdb.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get([]byte(id))
		if v == nil {
			return bot.ErrNotFound
		}
		return json.Unmarshal(v, &rec)
	})
	if err == nil && !s.opt.Now().Before(rec.Expires) {
		err = bot.ErrNotFound
	}
	if err != nil {
		return bot.Session{}, fmt.Errorf("session %s: %w", id, err)
	}
	return rec.Session, nil
}

// PutSession implements bot.SessionStore.
func (s *BoltStore) PutSession(ctx context.Context, sess bot.Session, ttl time.Duration) error {
	b, err := json.Marshal(boltSession{Expires: s.opt.Now().Add(ttl), Session: sess})
	if err != nil {
		return err
	}
	if err := s.sdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Put([]byte(sess.ID), b)
	}); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if s.puts.Add(1)%s.sweepGap == 0 {
		if err := s.sweep(); err != nil {
			s.opt.Logger.Warn("sweep expired sessions", "err", err)
		}
	}
	return nil
}

// Sessions implements bot.SessionStore.
func (s *BoltStore) Sessions(ctx context.Context) ([]bot.Session, error) {
	now := s.opt.Now()
	var out []bot.Session
	err := s.sdb.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			var rec boltSession
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if now.Before(rec.Expires) {
				out = append(out, rec.Session)
			}
			return nil
		})
	})
	return out, err
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

// PutTicket implements bot.TicketStore, keeping the phone index in the same transaction.
func (s *BoltStore) PutTicket(ctx context.Context, t bot.Ticket) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		tb, ib := tx.Bucket(bucketTickets), tx.Bucket(bucketByPhone)
		if old := tb.Get([]byte(t.ID)); old != nil {
			var o bot.Ticket
			if json.Unmarshal(old, &o) == nil && o.Fields["phone"] != "" {
				if err := ib.Delete(phoneKey(o.Fields["phone"], o.ID)); err != nil {
					return err
				}
			}
		}
		if p := t.Fields["phone"]; p != "" {
			if err := ib.Put(phoneKey(p, t.ID), nil); err != nil {
				return err
			}
		}
		return tb.Put([]byte(t.ID), b)
	})
}

func phoneKey(phone, id string) []byte { return []byte(phone + "\x00" + id) }

// Tickets implements bot.TicketStore; a phone filter uses the index, anything else scans.
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
		if f.Phone != "" {
			prefix := []byte(f.Phone + "\x00")
			c := tx.Bucket(bucketByPhone).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				if v := tb.Get(k[len(prefix):]); v != nil {
					if err := add(v); err != nil {
						return err
					}
				}
			}
			return nil
		}
		return tb.ForEach(func(_, v []byte) error { return add(v) })
	})
	if err != nil {
		return nil, err
	}
	bot.SortTickets(all)
	return bot.FilterTickets(all, f), nil
}

// NextSeq implements bot.TicketStore.
func (s *BoltStore) NextSeq(ctx context.Context, key string) (int64, error) {
	var n uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeq)
		if v := b.Get([]byte(key)); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		n++
		return b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, n))
	})
	return int64(n), err
}

// Close closes both files.
func (s *BoltStore) Close() error {
	return errors.Join(s.sdb.Close(), s.db.Close())
}
