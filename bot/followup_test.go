package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
)

// resolve walks a ticket to resolved as the field crew would report it.
func resolve(t *testing.T, h *harness, id string) []bot.Event {
	t.Helper()
	ctx := context.Background()
	var evs []bot.Event
	for _, st := range []string{bot.StatusDispatched, bot.StatusResolved} {
		var err error
		_, evs, err = h.e.UpdateTicket(ctx, id, st)
		require.NoError(t, err)
	}
	return evs
}

func followUp(t *testing.T, h *harness, id string) string {
	t.Helper()
	tk, err := h.e.Ticket(context.Background(), id)
	require.NoError(t, err)
	return tk.FollowUp
}

const rp1 = "RP202611230001"

func TestFollowUpOnReturn(t *testing.T) {
	ctx := context.Background()
	ask := "bot:您反映的工单" + rp1 + "已处理完毕，请您评价。"
	greeting := "bot:您好，请问有什么可以帮您？"
	tests := []struct {
		name string
		// away makes the customer leave after the repair ticket of session "a" was created.
		away func(t *testing.T, h *harness)
		// back is the customer's return; it returns the events they get.
		back func(t *testing.T, h *harness) []bot.Event
		want []string
	}{
		{
			name: "same session id after it expired",
			away: func(t *testing.T, h *harness) { h.clk.Add(2 * time.Hour) },
			back: func(t *testing.T, h *harness) []bot.Event {
				evs, err := h.e.Open(ctx, "a")
				require.NoError(t, err)
				return evs
			},
			want: []string{greeting, ask},
		},
		{
			name: "same live session after goodbye",
			away: func(t *testing.T, h *harness) {
				_, err := h.e.Handle(ctx, "a", bot.Input{Text: "再见"})
				require.NoError(t, err)
			},
			back: func(t *testing.T, h *harness) []bot.Event {
				evs, err := h.e.Open(ctx, "a")
				require.NoError(t, err)
				return evs
			},
			want: []string{ask},
		},
		{
			name: "new session once the caller gives the phone",
			away: func(t *testing.T, h *harness) { h.clk.Add(2 * time.Hour) },
			back: func(t *testing.T, h *harness) []bot.Event {
				evs, err := h.e.Open(ctx, "b")
				require.NoError(t, err)
				require.Equal(t, []string{greeting}, texts(evs), "nothing pending for an unknown caller")
				evs, err = h.e.Handle(ctx, "b", bot.Input{Text: "13712345678"})
				require.NoError(t, err)
				return evs
			},
			want: []string{"<ticket>", "bot:已记录，稍后回电，工单号CB202611230001。", ask},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			_, err := h.e.Open(ctx, "a")
			require.NoError(t, err)
			evs, err := h.e.Handle(ctx, "a", bot.Input{Text: "家里没电"})
			require.NoError(t, err)
			require.Equal(t, rp1, evs[0].Ticket.ID)
			tt.away(t, h)

			require.Empty(t, resolve(t, h, rp1), "nobody to ask now")
			require.Equal(t, bot.FollowUpPending, followUp(t, h, rp1))

			evs = tt.back(t, h)
			require.Equal(t, tt.want, texts(evs))
			require.Equal(t, bot.FollowUpAsked, followUp(t, h, rp1))
			s, err := h.e.Session(ctx, evs[0].Session)
			require.NoError(t, err)
			require.Equal(t, "satisfaction", s.Expect)

			// The answer rates and closes the ticket, and the question is not asked again.
			evs, err = h.e.Handle(ctx, s.ID, bot.Input{Text: "满意"})
			require.NoError(t, err)
			require.Equal(t, []string{"bot:感谢您的评价！"}, texts(evs))
			tk, err := h.e.Ticket(ctx, rp1)
			require.NoError(t, err)
			require.Equal(t, bot.StatusClosed, tk.Status)
			require.Equal(t, 5, tk.Rating)
			evs, err = h.e.Open(ctx, s.ID)
			require.NoError(t, err)
			require.Empty(t, evs)
			evs, err = h.e.Handle(ctx, "c", bot.Input{Text: "13712345678"})
			require.NoError(t, err)
			require.NotContains(t, texts(evs), ask, "another session of the same caller is not asked twice")
		})
	}
}

func TestFollowUpWaitsForTheDialog(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	_, err := h.e.Handle(ctx, "a", bot.Input{Text: "家里没电"})
	require.NoError(t, err)
	h.clk.Add(2 * time.Hour)
	resolve(t, h, rp1)

	// A caller waiting for a human is not interrupted, even when giving the phone.
	_, err = h.e.Handle(ctx, "b", bot.Input{Text: "转人工"})
	require.NoError(t, err)
	evs, err := h.e.Handle(ctx, "b", bot.Input{Text: "13712345678"})
	require.NoError(t, err)
	require.Equal(t, []string{"<ticket>", "bot:已记录，稍后回电，工单号CB202611230001。"}, texts(evs))
	require.Equal(t, bot.FollowUpPending, followUp(t, h, rp1))
	// Nor is the 回访 of an agent-held session's ticket taken by a live-session delivery.
	_, err = h.e.Assign(ctx, "b", "agent1")
	require.NoError(t, err)
	evs, err = h.e.Open(ctx, "b")
	require.NoError(t, err)
	require.Empty(t, evs)
	require.Equal(t, bot.FollowUpPending, followUp(t, h, rp1))
}
