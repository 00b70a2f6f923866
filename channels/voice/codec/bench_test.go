package codec_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/channels/voice/codec"
	"dianbao/channels/voice/tts"
	"dianbao/channels/voice/vad"
)

// chromeLikePackets encodes real espeak-ng speech as 20 ms Opus packets at 32 kbit/s VOIP,
// close to what Chrome sends (hybrid/SILK speech frames).
func chromeLikePackets(b *testing.B) (packets [][]byte, ttsPCM []int16, ttsRate int) {
	sp, err := tts.NewEspeak(tts.EspeakConfig{}, nil)
	require.NoError(b, err)
	pcm, rate, err := sp.Synthesize(context.Background(), "您好,我家停电了,整栋楼都没有电,麻烦尽快派人来看一下。", "")
	require.NoError(b, err)
	rs, err := codec.NewResampler(rate, 48000)
	require.NoError(b, err)
	pcm48 := rs.Process(nil, pcm)
	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{Bitrate: 32000})
	require.NoError(b, err)
	for _, fr := range codec.Split(pcm48, codec.FrameSamples48k) {
		p, err := enc.Encode(fr)
		require.NoError(b, err)
		packets = append(packets, p)
	}
	return packets, pcm, rate
}

// BenchmarkCallFrame is the per-call CPU cost of one 20 ms frame in both directions: the
// caller's Opus packet decoded (pion/opus), resampled to 16 kHz and run through the VAD, and
// 20 ms of 22.05 kHz TTS audio resampled to 48 kHz and Opus-encoded (libopus). The reported
// calls/core is how many calls one core sustains in real time (50 frames per second each).
func BenchmarkCallFrame(b *testing.B) {
	packets, ttsPCM, ttsRate := chromeLikePackets(b)
	up, err := codec.NewUplink()
	require.NoError(b, err)
	down, err := codec.NewDownlink(codec.DownlinkConfig{})
	require.NoError(b, err)
	det, err := vad.New(vad.Config{})
	require.NoError(b, err)
	ttsStep := ttsRate / 50
	var pcm16 []int16
	i, j := 0, 0
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		pcm16, err = up.Decode(pcm16[:0], packets[i])
		if err != nil {
			b.Fatal(err)
		}
		det.Write(pcm16)
		if _, err := down.Encode(ttsPCM[j:j+ttsStep], ttsRate); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % len(packets)
		j = (j + ttsStep) % (len(ttsPCM) - ttsStep)
	}
	reportCallCapacity(b, cpu)
}

// cpuTime is the process's user+system CPU time; on a machine shared with other builds, CPU
// time per frame is a steadier capacity measure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCallCapacity adds cpu-µs/frame and calls/core: a call needs one frame per 20 ms.
func reportCallCapacity(b *testing.B, start time.Duration) {
	perFrame := (cpuTime() - start) / time.Duration(b.N)
	b.ReportMetric(float64(perFrame.Microseconds()), "cpu-µs/frame")
	b.ReportMetric(float64(20*time.Millisecond)/float64(perFrame), "calls/core")
}

// BenchmarkUplinkFrame is the inbound half alone (decode + 48k→16k + VAD).
func BenchmarkUplinkFrame(b *testing.B) {
	packets, _, _ := chromeLikePackets(b)
	up, err := codec.NewUplink()
	require.NoError(b, err)
	det, err := vad.New(vad.Config{})
	require.NoError(b, err)
	var pcm16 []int16
	i := 0
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		pcm16, err = up.Decode(pcm16[:0], packets[i])
		if err != nil {
			b.Fatal(err)
		}
		det.Write(pcm16)
		i = (i + 1) % len(packets)
	}
	reportCallCapacity(b, cpu)
}

// BenchmarkOpusEncodeFrame is one libopus 20 ms encode at 48 kHz.
func BenchmarkOpusEncodeFrame(b *testing.B) {
	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{})
	require.NoError(b, err)
	fr := sine(48000, 960, 440, 8000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Encode(fr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResample48kTo16k is one 20 ms frame through the anti-alias resampler.
func BenchmarkResample48kTo16k(b *testing.B) {
	rs, err := codec.NewResampler(48000, 16000)
	require.NoError(b, err)
	fr := sine(48000, 960, 440, 8000)
	out := make([]int16, 0, 320)
	b.ReportAllocs()
	for b.Loop() {
		out = rs.Process(out[:0], fr)
	}
}

// BenchmarkCallFrameParallel runs independent call pipelines on every core (GOMAXPROCS), the
// way concurrent calls share the machine; ns/op is wall time per frame across all cores.
func BenchmarkCallFrameParallel(b *testing.B) {
	packets, ttsPCM, ttsRate := chromeLikePackets(b)
	ttsStep := ttsRate / 50
	b.ReportAllocs()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		up, err := codec.NewUplink()
		if err != nil {
			b.Error(err)
			return
		}
		down, err := codec.NewDownlink(codec.DownlinkConfig{})
		if err != nil {
			b.Error(err)
			return
		}
		det, err := vad.New(vad.Config{})
		if err != nil {
			b.Error(err)
			return
		}
		var pcm16 []int16
		i, j := 0, 0
		for pb.Next() {
			pcm16, err = up.Decode(pcm16[:0], packets[i])
			if err != nil {
				b.Error(err)
				return
			}
			det.Write(pcm16)
			if _, err := down.Encode(ttsPCM[j:j+ttsStep], ttsRate); err != nil {
				b.Error(err)
				return
			}
			i = (i + 1) % len(packets)
			j = (j + ttsStep) % (len(ttsPCM) - ttsStep)
		}
	})
	reportCallCapacity(b, cpu)
}
