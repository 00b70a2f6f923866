package codec_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"dianbao/channels/voice/codec"
)

func sine(rate, n int, freq, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// goertzel returns the amplitude of freq in x (a pure tone of amplitude A gives ≈ A).
func goertzel(x []int16, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s := float64(v) + c*s1 - s2
		s2, s1 = s1, s
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(math.Max(p, 0)) / float64(len(x))
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}

func TestResamplerKeepsPassbandAndRejectsAliases(t *testing.T) {
	tests := []struct {
		name        string
		in, out     int
		freq        float64
		wantGain    float64 // expected output/input amplitude at freq (after resampling)
		measureFreq float64 // where to measure in the output
	}{
		{"48k→16k 1 kHz passes", 48000, 16000, 1000, 1, 1000},
		{"48k→16k 6.5 kHz passes", 48000, 16000, 6500, 1, 6500},
		{"48k→16k 12 kHz does not alias to 4 kHz", 48000, 16000, 12000, 0, 4000},
		{"48k→16k 20 kHz does not alias to 4 kHz", 48000, 16000, 20000, 0, 4000},
		{"16k→48k 1 kHz passes", 16000, 48000, 1000, 1, 1000},
		{"16k→48k image at 15 kHz removed", 16000, 48000, 1000, 0, 15000},
		{"22.05k→48k 440 Hz passes", 22050, 48000, 440, 1, 440},
		{"22.05k→48k image at 21.61 kHz removed", 22050, 48000, 440, 0, 22050 - 440},
		{"48k→8k 1 kHz passes", 48000, 8000, 1000, 1, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := codec.NewResampler(tc.in, tc.out)
			require.NoError(t, err)
			x := sine(tc.in, tc.in, tc.freq, 10000) // one second
			var y []int16
			// Feed in odd-sized chunks to exercise the streaming state.
			for i := 0; i < len(x); i += 317 {
				y = rs.Process(y, x[i:min(i+317, len(x))])
			}
			require.InDelta(t, tc.out, len(y), 2, "output length")
			steady := y[len(y)/4 : len(y)*3/4]
			got := goertzel(steady, tc.out, tc.measureFreq) / 10000
			if tc.wantGain == 1 {
				require.InDelta(t, 1, got, 0.03, "passband gain")
			} else {
				require.Less(t, got, 0.003, "stop band leak (> -50 dB)")
			}
		})
	}
}

func TestResamplerChunkingIsExact(t *testing.T) {
	x := sine(48000, 4800, 700, 8000)
	a, err := codec.NewResampler(48000, 16000)
	require.NoError(t, err)
	whole := a.Process(nil, x)
	b, err := codec.NewResampler(48000, 16000)
	require.NoError(t, err)
	var parts []int16
	for i := 0; i < len(x); i += 960 {
		parts = b.Process(parts, x[i:i+960])
	}
	require.Equal(t, whole, parts)
	b.Reset()
	require.Equal(t, whole, b.Process(nil, x))
}

func TestResamplerRejectsBadRates(t *testing.T) {
	for _, r := range [][2]int{{0, 16000}, {48000, -1}, {48000, 10_000_000}} {
		_, err := codec.NewResampler(r[0], r[1])
		require.ErrorIs(t, err, codec.ErrRate)
	}
	same, err := codec.NewResampler(16000, 16000)
	require.NoError(t, err)
	in := []int16{1, 2, 3}
	require.Equal(t, in, same.Process(nil, in))
}

// toc returns the Opus mode of a packet from its TOC byte (RFC 6716 §3.1).
func toc(p []byte) string {
	switch cfg := p[0] >> 3; {
	case cfg < 12:
		return "silk"
	case cfg < 16:
		return "hybrid"
	default:
		return "celt"
	}
}

func TestOpusRoundTripAcrossModes(t *testing.T) {
	tests := []struct {
		name     string
		bitrate  int
		wantMode string
	}{
		{"low bitrate SILK", 12000, "silk"},
		{"VOIP hybrid", 32000, "hybrid"},
		{"high bitrate CELT", 128000, "celt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{Bitrate: tc.bitrate})
			require.NoError(t, err)
			dec, err := codec.NewOpusDecoder()
			require.NoError(t, err)
			// A 400 Hz tone with harmonics, loud enough to be coded well.
			x := make([]int16, 48000)
			for i := range x {
				tm := float64(i) / 48000
				x[i] = int16(6000*math.Sin(2*math.Pi*400*tm) + 3000*math.Sin(2*math.Pi*800*tm) + 2000*math.Sin(2*math.Pi*3200*tm))
			}
			modes := map[string]int{}
			var y []int16
			for _, fr := range codec.Split(x, codec.FrameSamples48k) {
				pkt, err := enc.Encode(fr)
				require.NoError(t, err)
				modes[toc(pkt)]++
				y, err = dec.Decode(y, pkt)
				require.NoError(t, err)
			}
			require.Len(t, y, len(x))
			require.Positive(t, modes[tc.wantMode], "modes seen: %v", modes)
			steady := y[12000:36000]
			require.InDelta(t, 6000, goertzel(steady, 48000, 400), 1500, "400 Hz survives")
			require.InDelta(t, 3000, goertzel(steady, 48000, 800), 900, "800 Hz survives")
			require.Less(t, goertzel(steady, 48000, 1700), 300.0, "no energy where none was sent")
		})
	}
}

func TestOpusDecoderBadInput(t *testing.T) {
	dec, err := codec.NewOpusDecoder()
	require.NoError(t, err)
	out, err := dec.Decode([]int16{7}, nil)
	require.NoError(t, err, "padding-only packets are skipped")
	require.Equal(t, []int16{7}, out)

	// Code 3 packet with a zero frame count is malformed.
	_, err = dec.Decode(nil, []byte{0xfb, 0x00})
	require.ErrorIs(t, err, codec.ErrDecode)

	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		p := make([]byte, 1+rng.IntN(200))
		for i := range p {
			p[i] = byte(rng.UintN(256))
		}
		_, _ = dec.Decode(nil, p) // must not panic
	}
	// The decoder still works after garbage.
	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{})
	require.NoError(t, err)
	pkt, err := enc.Encode(sine(48000, 960, 500, 5000))
	require.NoError(t, err)
	out, err = dec.Decode(nil, pkt)
	require.NoError(t, err)
	require.Len(t, out, 960)
}

func TestOpusEncoderRejectsWrongFrame(t *testing.T) {
	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{})
	require.NoError(t, err)
	_, err = enc.Encode(make([]int16, 320))
	require.ErrorIs(t, err, codec.ErrFrameSize)
	_, err = codec.NewOpusEncoder(codec.OpusEncoderConfig{Complexity: 42})
	require.ErrorIs(t, err, codec.ErrEncode)
}

func TestPCMURoundTrip(t *testing.T) {
	x := sine(8000, 8000, 1000, 12000)
	enc := codec.EncodePCMU(nil, x)
	require.Len(t, enc, len(x))
	y := codec.DecodePCMU(nil, enc)
	var errSum float64
	for i := range x {
		errSum += math.Abs(float64(x[i]) - float64(y[i]))
	}
	// µ-law keeps about 38 dB SNR on a loud tone.
	require.Less(t, errSum/float64(len(x)), 150.0)
	require.InDelta(t, 12000, goertzel(y, 8000, 1000), 300)
	require.Equal(t, byte(0xff), codec.EncodePCMU(nil, []int16{0})[0], "µ-law silence is 0xFF")
}

func TestUplinkDownlink(t *testing.T) {
	tests := []struct {
		name      string
		codec     codec.Codec
		rate      int
		clock     int
		perPacket int
	}{
		{"opus from 22.05 kHz TTS", codec.Opus, 22050, 48000, 960},
		{"opus from 16 kHz TTS", codec.Opus, 16000, 48000, 960},
		{"pcmu from 22.05 kHz TTS", codec.PCMU, 22050, 8000, 160},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			down, err := codec.NewDownlink(codec.DownlinkConfig{Codec: tc.codec})
			require.NoError(t, err)
			require.Equal(t, tc.clock, down.ClockRate())
			require.Equal(t, tc.perPacket, down.SamplesPerPacket())
			x := sine(tc.rate, tc.rate, 600, 8000) // 1 s
			var pkts [][]byte
			for i := 0; i < len(x); i += 1000 {
				p, err := down.Encode(x[i:min(i+1000, len(x))], tc.rate)
				require.NoError(t, err)
				pkts = append(pkts, p...)
			}
			tail, err := down.Flush()
			require.NoError(t, err)
			pkts = append(pkts, tail...)
			require.InDelta(t, 50, len(pkts), 1, "one packet per 20 ms")

			var y []int16
			if tc.codec == codec.PCMU {
				for _, p := range pkts {
					require.Len(t, p, 160)
					y = codec.DecodePCMU(y, p)
				}
				require.InDelta(t, 8000, goertzel(y[2000:6000], 8000, 600), 400)
				return
			}
			up, err := codec.NewUplink()
			require.NoError(t, err)
			for _, p := range pkts {
				y, err = up.Decode(y, p)
				require.NoError(t, err)
			}
			require.InDelta(t, 16000, len(y), 400, "16 kHz out of the uplink")
			require.InDelta(t, 8000, goertzel(y[4000:12000], 16000, 600), 800)
		})
	}
	_, err := codec.NewDownlink(codec.DownlinkConfig{Codec: "g729"})
	require.ErrorIs(t, err, codec.ErrUnknownCodec)
}

func TestFramer(t *testing.T) {
	f := codec.NewFramer(320)
	f.Write(make([]int16, 500))
	fr, ok := f.Next()
	require.True(t, ok)
	require.Len(t, fr, 320)
	_, ok = f.Next()
	require.False(t, ok)
	require.Equal(t, 180, f.Buffered())
	tail := f.Flush()
	require.Len(t, tail, 320)
	require.Nil(t, f.Flush())
	require.Len(t, codec.Split(make([]int16, 961), 960), 2)
	require.Equal(t, 320, codec.SamplesPer(16000, 20_000_000))
}
