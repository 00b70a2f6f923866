package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"dianbao/bot"
	"dianbao/bot/store"
)

// measure runs b.N turns, input(i) giving the session and input of turn i, and reports
// the per-turn latency percentiles.
func measure(b *testing.B, e *bot.Engine, input func(i int) (string, bot.Input)) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id, in := input(i)
		start := time.Now()
		if _, err := e.Handle(ctx, id, in); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1e6 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(0.999), "p99.9-ms")
}

// benchTurns runs conversations of 20 turns on the script dialogs; every ticketEvery-th
// turn opens a work order.
func benchTurns(b *testing.B, h *harness, ticketEvery int) {
	h.clk = &clock{t: time.Now()}
	measure(b, h.e, func(i int) (string, bot.Input) {
		text := "随便问问"
		if ticketEvery > 0 && i%ticketEvery == ticketEvery-1 {
			text = "家里没电"
		}
		return fmt.Sprintf("bench-%d", i/20), bot.Input{Text: text}
	})
}

func boltHarness(b *testing.B, opt store.Options) *harness {
	st, err := store.OpenBolt(filepath.Join(b.TempDir(), "bench.db"), opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return newHarness(&testing.T{}, st)
}

// BenchmarkHandleBolt is the default design: sessions written behind, no ticket.
func BenchmarkHandleBolt(b *testing.B) { benchTurns(b, boltHarness(b, store.Options{}), 0) }

// BenchmarkHandleBoltTickets adds a work order every 10th turn, fsynced before the
// customer gets its number (so those turns cost a disk sync).
func BenchmarkHandleBoltTickets(b *testing.B) { benchTurns(b, boltHarness(b, store.Options{}), 10) }

// BenchmarkHandleBoltSyncSessions fsyncs every flush of the sessions file as well.
func BenchmarkHandleBoltSyncSessions(b *testing.B) {
	benchTurns(b, boltHarness(b, store.Options{BoltSyncSessions: true}), 0)
}

// BenchmarkHandleMemory is the engine over the memory store, for comparison.
func BenchmarkHandleMemory(b *testing.B) { benchTurns(b, newHarness(&testing.T{}, nil), 0) }

// BenchmarkHandleBoltRealNLU is a whole turn as served: the real NLU and dialogs.
func BenchmarkHandleBoltRealNLU(b *testing.B) {
	st, err := store.OpenBolt(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	e := realEngine(&testing.T{}, st)
	texts := []string{"你好", "我家停电了", "就我家", "空气开关没跳", "谢谢", "再见"}
	measure(b, e, func(i int) (string, bot.Input) {
		return fmt.Sprintf("real-%d", i/len(texts)), bot.Input{Text: texts[i%len(texts)]}
	})
}
