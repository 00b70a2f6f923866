package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/store"
	"dianbao/bot/store/redistest"
)

// instance is one dianbao process of a fleet: its own store connection and bus on the
// shared Redis.
func instance(t *testing.T, r *redistest.Server) *harness {
	t.Helper()
	st, err := store.Open(context.Background(), r.URL(), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	bus, err := store.NewBus(st, store.BusOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { bus.Close() })
	return newHarnessBus(t, st, bus)
}

func TestFleetSharesTurnsAndEvents(t *testing.T) {
	ctx := context.Background()
	r := redistest.Start(t)
	a, b := instance(t, r), instance(t, r)

	// An agent console on B watches everything; a second tab of the customer on B
	// watches the session.
	all, cancelAll := b.e.Bus().Subscribe("")
	defer cancelAll()
	tab, cancelTab := b.e.Bus().Subscribe("f1")
	defer cancelTab()

	evs, err := a.e.Handle(ctx, "f1", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, "RP202611230001", evs[1].Ticket.ID)
	want := []string{"bot:您好，请问有什么可以帮您？", "customer:家里没电", "<ticket>",
		"bot:已为您登记报修，工单号RP202611230001，抢修人员预计11月23日10:45前到达。", "<resolved>"}
	for _, ch := range []<-chan bot.Event{all, tab} {
		var got []string
		for range want {
			select {
			case ev := <-ch:
				require.Equal(t, "f1", ev.Session)
				got = append(got, texts([]bot.Event{ev})[0])
			case <-time.After(3 * time.Second):
				t.Fatalf("B saw only %q", got)
			}
		}
		require.Equal(t, want, got)
	}

	// B continues the conversation A started: same session, same ticket sequence.
	evs, err = b.e.Handle(ctx, "f1", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, "RP202611230002", evs[0].Ticket.ID, "no greeting again, the sequence is shared")
	tk, err := a.e.Ticket(ctx, "RP202611230002")
	require.NoError(t, err)
	require.Equal(t, "f1", tk.Session)

	// The customer's chat on A asks for a human; an agent on B takes the session and
	// answers; A's connection hears the agent.
	chat, cancelChat := a.e.Bus().Subscribe("f1")
	defer cancelChat()
	_, err = a.e.Handle(ctx, "f1", bot.Input{Text: "转人工"})
	require.NoError(t, err)
	q, err := b.e.Queue(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"f1"}, ids(q))
	_, err = b.e.Assign(ctx, "f1", "agent7")
	require.NoError(t, err)
	_, err = b.e.AgentSay(ctx, "f1", "agent7", "您好，我是客服小王")
	require.NoError(t, err)
	for {
		select {
		case ev := <-chat:
			if ev.From == bot.FromAgent {
				require.Equal(t, "您好，我是客服小王", ev.Text)
				return
			}
		case <-time.After(3 * time.Second):
			t.Fatal("the agent's message on B did not reach the customer's instance A")
		}
	}
}

func TestFleetLockSerialisesTurns(t *testing.T) {
	ctx := context.Background()
	r := redistest.Start(t)
	a, b := instance(t, r), instance(t, r)
	_, err := a.e.Open(ctx, "f2")
	require.NoError(t, err)

	// Turns of one session on both instances at once: every one must see the state the
	// previous one saved, or a step (counted in the dialog state) would be lost.
	const perInstance = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*perInstance)
	for _, h := range []*harness{a, b} {
		for range perInstance {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := h.e.Handle(ctx, "f2", bot.Input{Text: "随便问问"})
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	s, err := b.e.Session(ctx, "f2")
	require.NoError(t, err)
	require.Equal(t, "17", s.State.Slots["n"], "greeting + 16 turns, none lost")
	customer := 0
	for _, ev := range s.Transcript {
		if ev.From == bot.FromCustomer {
			customer++
		}
	}
	require.Equal(t, 2*perInstance, customer)
}
