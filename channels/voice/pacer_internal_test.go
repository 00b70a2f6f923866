package voice

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
)

type recWriter struct {
	mu   sync.Mutex
	pkts []*rtp.Packet
	at   []time.Time
}

func (w *recWriter) WriteRTP(p *rtp.Packet) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pkts = append(w.pkts, p)
	w.at = append(w.at, time.Now())
	return nil
}

func (w *recWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pkts)
}

func TestPacerSendsOnScheduleAndStops(t *testing.T) {
	w := &recWriter{}
	idle := make(chan struct{}, 8)
	clk := newClock()
	defer clk.close()
	p := newPacer(clk, w, 20*time.Millisecond, 0, nil, slog.New(slog.DiscardHandler), func() { idle <- struct{}{} })

	packets := make([][]byte, 50)
	for i := range packets {
		packets[i] = []byte{byte(i)}
	}
	start := time.Now()
	p.play(&segment{packets: packets})
	require.True(t, p.speaking())
	<-idle
	require.False(t, p.speaking())
	require.Equal(t, 50, w.count())
	// Paced, never early: frame k leaves no sooner than k×20 ms after the first (timing
	// precision under load is the benchmarks' business, not this test's).
	for k := 1; k < 50; k++ {
		require.GreaterOrEqual(t, w.at[k].Sub(w.at[0]), time.Duration(k)*frameDuration-10*time.Millisecond, "frame %d early", k)
	}
	require.Less(t, w.at[49].Sub(start), 5*time.Second)
	require.True(t, w.pkts[0].Marker)
	for i := 1; i < 50; i++ {
		require.False(t, w.pkts[i].Marker)
		require.Equal(t, w.pkts[i-1].SequenceNumber+1, w.pkts[i].SequenceNumber)
		require.Equal(t, w.pkts[i-1].Timestamp+960, w.pkts[i].Timestamp)
		require.Equal(t, []byte{byte(i)}, w.pkts[i].Payload)
	}
	require.Equal(t, int64(50), p.framesSent.Load())

	// stop drops the rest of a prompt at once.
	p.play(&segment{packets: packets})
	time.Sleep(100 * time.Millisecond)
	require.True(t, p.stop())
	<-idle
	n := w.count()
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, n, w.count())
	require.Less(t, n, 60+50)
	// An answer prepared before the stop is not played.
	require.False(t, p.play(&segment{packets: packets, epoch: 0}))
	require.True(t, p.play(&segment{packets: packets[:1], epoch: p.epoch()}))
	<-idle
	w.mu.Lock()
	require.True(t, w.pkts[50].Marker, "a new talk spurt is marked")
	w.mu.Unlock()
}
