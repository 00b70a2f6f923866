package queue

import (
	"context"
	"errors"
	"fmt"

	"dianbao/bot"
)

// Backend is the part of a queue the engine adapter needs; MemoryQueue and RedisQueue
// satisfy it.
type Backend interface {
	Enqueue(Entry) (Entry, error)
	Reenter(Entry) (Entry, error)
	Get(session string) (Entry, bool)
	Remove(session string) bool
}

// ForEngine lets the engine enqueue its handoffs and read positions from q, so the
// position in a turn's handoff event is the one the queue later announces.
func ForEngine(q Backend) bot.Queue { return engineQueue{q} }

type engineQueue struct{ q Backend }

func (a engineQueue) Enqueue(ctx context.Context, w bot.Waiting) (bot.Place, error) {
	enqueue := a.q.Enqueue
	if w.Fresh {
		enqueue = a.q.Reenter
	}
	e, err := enqueue(Entry{Session: w.Session, Priority: w.Priority, Reason: w.Reason, Summary: w.Summary})
	if errors.Is(err, ErrTaken) {
		return bot.Place{}, fmt.Errorf("%w: %w", bot.ErrBadMode, err)
	}
	if err != nil {
		return bot.Place{}, fmt.Errorf("enqueue handoff: %w", err)
	}
	return bot.Place{Position: e.Position, ETA: e.ETA}, nil
}

func (a engineQueue) Place(ctx context.Context, sessionID string) (bot.Place, error) {
	e, ok := a.q.Get(sessionID)
	if !ok {
		return bot.Place{}, fmt.Errorf("queue place of %s: %w", sessionID, bot.ErrNotFound)
	}
	return bot.Place{Position: e.Position, ETA: e.ETA}, nil
}

func (a engineQueue) Remove(ctx context.Context, sessionID string) error {
	a.q.Remove(sessionID)
	return nil
}
