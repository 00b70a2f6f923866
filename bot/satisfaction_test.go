package bot_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/store"
	"dianbao/dialogs"
)

// satisfactionCounts reads dianbao_satisfaction_total by rating label.
func satisfactionCounts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "dianbao_satisfaction_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return out
}

// The end-of-chat rating, answered to the dialogs' question or given with the widget's
// stars, is kept on the session and in its transcript, and counted by stars.
func TestSatisfactionRecorded(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	dcfg := dialogs.DefaultConfig()
	m, err := dialogs.New(dcfg)
	require.NoError(t, err)
	e, err := bot.New(bot.Config{Parser: parser, Dialogs: m, Commitments: dcfg.Commitments,
		Store: store.NewMemoryStore(store.Options{}), Registerer: reg})
	require.NoError(t, err)

	evs, err := e.Handle(ctx, "sat1", bot.Input{Text: "再见"})
	require.NoError(t, err)
	require.Equal(t, dialogs.ExpectSatisfaction, *evs[len(evs)-1].Expect)
	evs, err = e.Handle(ctx, "sat1", bot.Input{Text: "满意"})
	require.NoError(t, err)
	for _, ev := range evs {
		require.NotEqual(t, bot.EventRating, ev.Type, "the record is not echoed to the customer")
	}
	s, err := e.Session(ctx, "sat1")
	require.NoError(t, err)
	spoken := s.Satisfaction
	require.GreaterOrEqual(t, spoken, 4, "满意 is a good rating")
	require.False(t, s.RatedAt.IsZero())
	last := s.Transcript[len(s.Transcript)-1]
	require.Equal(t, bot.EventRating, last.Type)
	require.Equal(t, spoken, last.Rating)

	// The widget's stars after the chat: a different rating replaces it, the same one is
	// not counted twice.
	require.NoError(t, e.Rate(ctx, "sat1", 2))
	require.NoError(t, e.Rate(ctx, "sat1", 2))
	s, err = e.Session(ctx, "sat1")
	require.NoError(t, err)
	require.Equal(t, 2, s.Satisfaction)
	var ratings []int
	for _, ev := range s.Transcript {
		if ev.Type == bot.EventRating {
			ratings = append(ratings, ev.Rating)
		}
	}
	require.Equal(t, []int{spoken, 2}, ratings)
	counts := satisfactionCounts(t, reg)
	require.Equal(t, 1.0, counts["2"])
	require.Equal(t, 1.0, counts[string(rune('0'+spoken))])

	tests := []struct {
		name    string
		session string
		rating  int
		err     error
	}{
		{"zero stars", "sat1", 0, bot.ErrBadInput},
		{"six stars", "sat1", 6, bot.ErrBadInput},
		{"unknown session", "nobody", 5, bot.ErrNotFound},
		{"empty session id", "", 5, bot.ErrBadInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, e.Rate(ctx, tc.session, tc.rating), tc.err)
		})
	}
}
