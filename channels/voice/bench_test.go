package voice_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/channels/voice"
	"dianbao/channels/voice/codec"
)

// fixedBot answers every turn with the same prompt, so after the first turn it is cached.
type fixedBot struct{ greeting, answer string }

func (b fixedBot) Open(context.Context, string) ([]bot.Event, error) {
	return []bot.Event{bot.Message(bot.FromBot, b.greeting, "confirm", yesNo)}, nil
}

func (b fixedBot) Handle(context.Context, string, voice.Input) ([]bot.Event, error) {
	return []bot.Event{bot.Message(bot.FromBot, b.answer, "confirm", yesNo)}, nil
}

// BenchmarkKeyPressToFirstAudio measures, at the caller, the time from sending an RFC 4733
// key press to the first packet of the bot's (cached) answer. Target: p95 ≤ 150 ms.
func BenchmarkKeyPressToFirstAudio(b *testing.B) {
	_, url := testServer(b, engines(b, fixedBot{greeting: "您好。", answer: "好的，已为您记录。"}))
	c := dial(b, url)
	defer c.hangup()
	c.noDecode = true
	c.call(clientAPI(b))
	<-c.markers // greeting
	press := func() time.Duration {
		for len(c.markers) > 0 {
			<-c.markers
		}
		t0 := time.Now()
		c.pressKey('1')
		select {
		case at := <-c.markers:
			return at.Sub(t0)
		case <-time.After(5 * time.Second):
			b.Fatal("no answer to the key press")
			return 0
		}
	}
	press() // warm the prompt cache
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		lat = append(lat, press())
		time.Sleep(40 * time.Millisecond)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50_ms")
	b.ReportMetric(float64(lat[(len(lat)*95+99)/100-1])/1e6, "p95_ms")
}

// BenchmarkConcurrentCalls runs 1, 10 and 50 calls at once on this machine — server and Go callers
// in one process — with the bot talking continuously and every caller sending Opus audio
// (decoded and run through the VAD and barge-in detector by the server), and reports the
// share of bot frames sent late: after their deadline by more than Config.LateFrame (the
// jitter-buffer tolerance). Target: < 1 %. It also reports the frames' delay p99 and the
// worst timer wake-up of an idle probe goroutine in the same window (stall_ms): how much
// the machine itself, not the pacer, held the process up. Check `uptime` alongside.
// Run with -benchtime=1x: one iteration is a 5-second window.
func BenchmarkConcurrentCalls(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) { benchCalls(b, n) })
	}
}

func benchCalls(b *testing.B, calls int) {
	const window = 5 * time.Second
	long := "请您先检查家中的空气开关和漏电保护器是否跳闸。如果跳闸了，请先关掉大功率电器，再把开关推上去。如果推上去马上又跳，可能是家里线路短路或漏电，请逐个拔下电器再试。"
	reg := prometheus.NewRegistry()
	cfg := engines(b, fixedBot{greeting: "您好。", answer: long + long})
	srv, url := testServerReg(b, cfg, reg)
	require.NoError(b, srv.Prewarm(context.Background(), srv.Spoken("您好。", yesNo), srv.Spoken(long+long, yesNo)))

	// The callers' microphones: low-level noise (below speech level), pre-encoded once.
	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{})
	require.NoError(b, err)
	rng := rand.New(rand.NewPCG(1, 2))
	var mic [][]byte
	for range 50 {
		f := make([]int16, 960)
		for i := range f {
			f[i] = int16(rng.NormFloat64() * 20)
		}
		p, err := enc.Encode(f)
		require.NoError(b, err)
		mic = append(mic, append([]byte(nil), p...))
	}

	api := clientAPI(b)
	cs := make([]*caller, calls)
	for i := range cs {
		cs[i] = dial(b, url)
		cs[i].noDecode = true
		cs[i].call(api)
	}
	defer func() {
		for _, c := range cs {
			c.hangup()
		}
	}()
	for _, c := range cs {
		<-c.markers // greeting
		c.pressKey('1')
	}
	for _, c := range cs {
		<-c.markers // the long answer
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.sendPackets(ctx, mic)
		}()
	}
	sent0, late0 := counter(b, reg, "dianbao_voice_frames_sent_total"), counter(b, reg, "dianbao_voice_frames_late_total")
	delay0 := histogram(b, reg, "dianbao_voice_frame_delay_seconds")
	cpu0 := cpuTime()
	b.ResetTimer()
	var stall time.Duration
	for range b.N {
		stall = max(stall, probeStall(window))
	}
	b.StopTimer()
	b.ReportMetric(float64(stall)/1e6, "stall_ms")
	b.ReportMetric(1000*histogram(b, reg, "dianbao_voice_frame_delay_seconds").sub(delay0).quantile(0.99), "delay_p99_ms")
	cpu := cpuTime() - cpu0
	sent, late := counter(b, reg, "dianbao_voice_frames_sent_total")-sent0, counter(b, reg, "dianbao_voice_frames_late_total")-late0
	cancel()
	wg.Wait()
	want := float64(calls) * window.Seconds() * 50 * float64(b.N)
	b.ReportMetric(100*late/math.Max(sent, 1), "late_%")
	b.ReportMetric(100*sent/want, "frames_sent_%")
	// CPU of the whole process (server and callers) in percent of one core: the capacity
	// figure that does not depend on what else runs on the machine.
	b.ReportMetric(100*cpu.Seconds()/(window.Seconds()*float64(b.N)), "cpu_%_of_core")
}

// probeStall sleeps for d in 5 ms steps and returns the worst oversleep: the scheduling
// stall the machine imposed on this process meanwhile.
func probeStall(d time.Duration) time.Duration {
	var worst time.Duration
	for end := time.Now().Add(d); time.Now().Before(end); {
		t0 := time.Now()
		time.Sleep(5 * time.Millisecond)
		worst = max(worst, time.Since(t0)-5*time.Millisecond)
	}
	return worst
}

// hist is a cumulative Prometheus histogram snapshot.
type hist struct {
	bounds []float64
	counts []float64
}

func histogram(tb testing.TB, reg *prometheus.Registry, name string) hist {
	mfs, err := reg.Gather()
	require.NoError(tb, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			var h hist
			for _, bk := range mf.GetMetric()[0].GetHistogram().GetBucket() {
				h.bounds = append(h.bounds, bk.GetUpperBound())
				h.counts = append(h.counts, float64(bk.GetCumulativeCount()))
			}
			return h
		}
	}
	tb.Fatalf("no histogram %s", name)
	return hist{}
}

func (h hist) sub(o hist) hist {
	out := hist{bounds: h.bounds, counts: make([]float64, len(h.counts))}
	for i := range h.counts {
		out.counts[i] = h.counts[i] - o.counts[i]
	}
	return out
}

// quantile is the upper bound of the bucket holding quantile q (+Inf as the last bound ×2).
func (h hist) quantile(q float64) float64 {
	if len(h.counts) == 0 {
		return 0
	}
	total := h.counts[len(h.counts)-1]
	// the +Inf bucket is not listed; frames beyond the last bound count above it
	for i, c := range h.counts {
		if c >= q*total {
			return h.bounds[i]
		}
	}
	return 2 * h.bounds[len(h.bounds)-1]
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sendPackets replays pre-encoded Opus payloads every 20 ms until ctx ends.
func (c *caller) sendPackets(ctx context.Context, payloads [][]byte) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c.mu.Lock()
		c.seq++
		c.ts += 960
		h := rtpHeader(clientOpusPT, c.seq, c.ts)
		c.mu.Unlock()
		_ = c.mic.write(h, payloads[i%len(payloads)])
	}
}

func counter(tb testing.TB, reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	require.NoError(tb, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}
