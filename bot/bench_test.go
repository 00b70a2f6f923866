package bot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"dianbao/bot"
	"dianbao/bot/store"
)

// benchHandle runs b.N turns on the bolt store, 20 turns per conversation, and reports
// the per-turn latency percentiles. Every ticketEvery-th turn opens a work order (fsynced).
func benchHandle(b *testing.B, opt store.Options, ticketEvery int) {
	dir := b.TempDir()
	if d := os.Getenv("BENCH_DIR"); d != "" {
		dir = d
	}
	st, err := store.OpenBolt(filepath.Join(dir, fmt.Sprintf("bench-%d.db", time.Now().UnixNano())), opt)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := newHarness(&testing.T{}, st)
	h.clk = &clock{t: time.Now()}
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("bench-%d", i/20)
		text := "随便问问"
		if ticketEvery > 0 && i%ticketEvery == ticketEvery-1 {
			text = "家里没电"
		}
		start := time.Now()
		if _, err := h.e.Handle(ctx, id, bot.Input{Text: text}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkHandleBolt is the default design: sessions NoSync, tickets fsynced.
func BenchmarkHandleBolt(b *testing.B) { benchHandle(b, store.Options{}, 0) }

// BenchmarkHandleBoltTickets adds a fsynced work order every 10th turn.
func BenchmarkHandleBoltTickets(b *testing.B) { benchHandle(b, store.Options{}, 10) }

// BenchmarkHandleBoltSyncSessions is the alternative: every session write fsynced.
func BenchmarkHandleBoltSyncSessions(b *testing.B) {
	benchHandle(b, store.Options{BoltSyncSessions: true}, 0)
}

// BenchmarkHandleMemory is the engine alone, for comparison with the bolt figures.
func BenchmarkHandleMemory(b *testing.B) {
	h := newHarness(&testing.T{}, nil)
	h.clk = &clock{t: time.Now()}
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	for i := range b.N {
		start := time.Now()
		if _, err := h.e.Handle(ctx, fmt.Sprintf("bench-%d", i/20), bot.Input{Text: "随便问问"}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
