package bot_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/queue"
	"dianbao/bot/store"
	"dianbao/dialogs"
)

// The queue is the one source of positions: the handoff event of the customer's own turn,
// the queue's later updates and the waiting notice all tell the same place.
func TestHandoffPositionComesFromTheQueue(t *testing.T) {
	ctx := context.Background()
	var (
		mu      sync.Mutex
		updates = map[string]queue.Entry{}
	)
	q, err := queue.NewMemoryQueue(queue.Config{DefaultHandle: 4 * time.Minute, WaitLimit: time.Hour, OnChange: func(es []queue.Entry) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range es {
			updates[e.Session] = e
		}
	}}, nil, nil)
	require.NoError(t, err)
	q.SetAgents(1)
	dcfg := dialogs.DefaultConfig()
	m, err := dialogs.New(dcfg)
	require.NoError(t, err)
	e, err := bot.New(bot.Config{Parser: parser, Dialogs: m, Commitments: dcfg.Commitments,
		Store: store.NewMemoryStore(store.Options{}), Queue: queue.ForEngine(q),
		AgentsAvailable: func() bool { return true }})
	require.NoError(t, err)

	handoff := func(evs []bot.Event) bot.Event {
		t.Helper()
		for _, ev := range evs {
			if ev.Type == bot.EventHandoff {
				return ev
			}
		}
		t.Fatalf("no handoff in %+v", evs)
		return bot.Event{}
	}
	for i, id := range []string{"qa", "qb"} {
		evs, err := e.Handle(ctx, id, bot.Input{Text: "转人工"})
		require.NoError(t, err)
		ev := handoff(evs)
		entry, ok := q.Get(id)
		require.True(t, ok, "the engine put %s in the queue", id)
		require.Equal(t, i+1, ev.Position)
		require.Equal(t, entry.Position, ev.Position)
		require.Equal(t, entry.ETASeconds, ev.ETASeconds)
		require.Equal(t, (i+1)*240, ev.ETASeconds, "the queue's estimate, not a fixed wait per place")
	}

	// A hazard jumps the queue; those behind hear their new place from the queue, and the
	// engine's waiting notice agrees.
	evs, err := e.Handle(ctx, "qc", bot.Input{Text: "转人工"})
	require.NoError(t, err)
	require.Equal(t, 3, handoff(evs).Position)
	evs, err = e.Handle(ctx, "qc", bot.Input{Text: "电线掉地上了"})
	require.NoError(t, err)
	require.Equal(t, 1, handoff(evs).Position)
	require.Equal(t, bot.HandoffQueued, handoff(evs).Status)
	mu.Lock()
	require.Equal(t, 2, updates["qa"].Position)
	require.Equal(t, 3, updates["qb"].Position)
	mu.Unlock()
	_, err = e.Handle(ctx, "qb", bot.Input{Choice: "不用了，我等待"})
	require.NoError(t, err)
	evs, err = e.Handle(ctx, "qb", bot.Input{Text: "还要等多久"})
	require.NoError(t, err)
	require.Contains(t, evs[len(evs)-1].Text, fmt.Sprintf("第%d位", 3))
	require.Contains(t, evs[len(evs)-1].Text, fmt.Sprintf("约%d分钟", 12))

	// Leaving the queue takes the customer out of it.
	_, err = e.Handle(ctx, "qa", bot.Input{Text: "再见"})
	require.NoError(t, err)
	_, ok := q.Get("qa")
	require.True(t, ok, "still waiting while asked to rate")
	evs, err = e.Handle(ctx, "qa", bot.Input{Text: "满意"})
	require.NoError(t, err)
	require.Equal(t, bot.EventEnd, evs[len(evs)-1].Type)
	_, ok = q.Get("qa")
	require.False(t, ok)
	entry, _ := q.Get("qb")
	require.Equal(t, 2, entry.Position)
}
