package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/store"
	"dianbao/bot/store/redistest"
	"dianbao/deploy"
	"dianbao/dialogs"
	"dianbao/nlu"
)

var (
	realOnce   sync.Once
	realParser *nlu.Parser
	realErr    error
)

// realEngine wires the real NLU and dialogs over st, as `dianbao chat` does.
func realEngine(t *testing.T, st bot.Store) *bot.Engine {
	t.Helper()
	realOnce.Do(func() { realParser, realErr = nlu.New(nlu.Config{}) })
	require.NoError(t, realErr)
	cfg := dialogs.DefaultConfig()
	m, err := dialogs.New(cfg)
	require.NoError(t, err)
	records, err := bot.LoadDirectory(deploy.SampleData())
	require.NoError(t, err)
	e, err := bot.New(bot.Config{Parser: realParser, Dialogs: m, Commitments: cfg.Commitments, Store: st, Records: records})
	require.NoError(t, err)
	return e
}

func allText(evs []bot.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Text)
	}
	return b.String()
}

func TestRealSafetyFirstAndBoltRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	st, err := store.OpenBolt(path, store.Options{})
	require.NoError(t, err)
	e := realEngine(t, st)

	evs, err := e.Open(ctx, "w")
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	require.Equal(t, dialogs.ExpectMenu, *evs[len(evs)-1].Expect)

	evs, err = e.Handle(ctx, "w", bot.Input{Text: "路边电线断了掉地上，还在冒火花"})
	require.NoError(t, err)
	require.Equal(t, bot.EventMessage, evs[0].Type)
	require.Regexp(t, "米|远离", evs[0].Text, "safety advice comes first")
	hist, err := e.History(ctx, "w")
	require.NoError(t, err)
	n := len(hist)

	// A process restart: the conversation is still there and is not greeted again.
	require.NoError(t, st.Close())
	st, err = store.OpenBolt(path, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	e = realEngine(t, st)
	evs, err = e.Open(ctx, "w")
	require.NoError(t, err)
	require.Empty(t, evs)
	hist, err = e.History(ctx, "w")
	require.NoError(t, err)
	require.Len(t, hist, n)
	require.Equal(t, "customer", hist[1].From)
}

func TestEngineRedisRestart(t *testing.T) {
	ctx := context.Background()
	r := redistest.Start(t)
	h := instance(t, r)
	sub, cancel := h.e.Bus().Subscribe("r")
	defer cancel()

	evs, err := h.e.Handle(ctx, "r", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	require.Equal(t, "RP202611230001", evs[1].Ticket.ID)

	r.Stop()
	evs, err = h.e.Handle(ctx, "r", bot.Input{Text: "家里没电"})
	require.ErrorIs(t, err, bot.ErrUnavailable)
	require.Len(t, evs, 1, "the customer gets an apology, not silence")
	require.Contains(t, evs[0].Text, "95598")

	r.Start()
	require.Eventually(t, func() bool {
		_, err = h.e.Handle(ctx, "r", bot.Input{Text: "家里没电"})
		return err == nil
	}, 5*time.Second, 20*time.Millisecond, "the engine recovers with Redis: %v", err)
	// The watcher subscribed before the restart hears the session again.
	require.Eventually(t, func() bool {
		for {
			select {
			case ev := <-sub:
				if ev.Type == bot.EventTicket && ev.Ticket.ID != "RP202611230001" {
					return true
				}
			default:
				_, err := h.e.Handle(ctx, "r", bot.Input{Text: "家里没电"})
				require.NoError(t, err)
				return false
			}
		}
	}, 5*time.Second, 50*time.Millisecond)
}

// TestRealFollowUpByPhone: an emergency reported in one conversation is resolved after
// it ended; the caller comes back in a new conversation, gives the phone while asking
// about progress, and is asked the 回访 once the status answer is done.
func TestRealFollowUpByPhone(t *testing.T) {
	ctx := context.Background()
	e := realEngine(t, store.NewMemoryStore(store.Options{}))
	var ticket *bot.Ticket
	for _, in := range []string{"路边电线断了掉在地上，还在冒火花", "解放路88号", "张三", "13712345678"} {
		evs, err := e.Handle(ctx, "first", bot.Input{Text: in})
		require.NoError(t, err)
		for _, ev := range evs {
			if ev.Type == bot.EventTicket {
				ticket = ev.Ticket
			}
		}
	}
	require.NotNil(t, ticket)
	_, err := e.End(ctx, "first", bot.DispositionUnresolved)
	require.NoError(t, err)
	_, evs, err := e.UpdateTicket(ctx, ticket.ID, bot.StatusResolved)
	require.NoError(t, err)
	require.Empty(t, evs, "the conversation is over: nobody to ask now")

	evs, err = e.Handle(ctx, "second", bot.Input{Text: "我想查一下工单进度"})
	require.NoError(t, err)
	require.NotContains(t, allText(evs), "满意", "an unidentified caller is not asked")
	evs, err = e.Handle(ctx, "second", bot.Input{Text: "13712345678"})
	require.NoError(t, err)
	last := evs[len(evs)-1]
	require.Contains(t, last.Text, ticket.ID, "the 回访 follows the status answer")
	require.Contains(t, last.Text, "满意", "the satisfaction question")
	require.Equal(t, "satisfaction", *last.Expect)
	require.Contains(t, allText(evs[:len(evs)-1]), "状态", "the question asked first is answered first")

	_, err = e.Handle(ctx, "second", bot.Input{Text: "满意"})
	require.NoError(t, err)
	tk, err := e.Ticket(ctx, ticket.ID)
	require.NoError(t, err)
	require.Equal(t, bot.StatusClosed, tk.Status, "the rating closes the loop")
	require.Equal(t, 5, tk.Rating)
}
