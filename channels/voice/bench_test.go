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
// in one process — with the bot talking continuously and every caller sending Opus audio,
// and reports the share of bot frames the pacers sent late. Target: < 1 %.
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
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		time.Sleep(window)
	}
	b.StopTimer()
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
