package vad_test

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/channels/voice/codec"
	"dianbao/channels/voice/tts"
	"dianbao/channels/voice/vad"
)

const rate = 16000

var (
	speechOnce  sync.Once
	speechCache = map[string][]int16{}
	speechErr   error
)

// say returns real espeak-ng Mandarin speech at 16 kHz.
func say(t testing.TB, text string) []int16 {
	t.Helper()
	speechOnce.Do(func() {
		sp, err := tts.NewEspeak(tts.EspeakConfig{}, nil)
		if err != nil {
			speechErr = err
			return
		}
		for _, s := range []string{
			"您好,我家停电了,麻烦帮我看一下。",
			"不是,我要报修。",
			"好的",
			"我家住在阳光花园三栋二单元,整栋楼都没有电了,邻居家也一样,已经停了一个多小时了,请你们尽快派人来修一下,谢谢。",
		} {
			pcm, r, err := sp.Synthesize(context.Background(), s, "")
			if err != nil {
				speechErr = err
				return
			}
			rs, err := codec.NewResampler(r, rate)
			if err != nil {
				speechErr = err
				return
			}
			speechCache[s] = trim(rs.Process(nil, pcm))
		}
	})
	require.NoError(t, speechErr)
	pcm, ok := speechCache[text]
	require.True(t, ok, "unknown test sentence %q", text)
	return pcm
}

// trim drops espeak's leading and trailing silence so durations in tests are voiced audio.
func trim(x []int16) []int16 {
	a, b := 0, len(x)
	for a < b && x[a] > -300 && x[a] < 300 {
		a++
	}
	for b > a && x[b-1] > -300 && x[b-1] < 300 {
		b--
	}
	return x[a:b]
}

func silence(d time.Duration) []int16 { return make([]int16, int(d.Seconds()*rate)) }

// noise is white Gaussian noise at level dBFS.
func noise(d time.Duration, dbfs float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 7))
	sigma := 32768 * math.Pow(10, dbfs/20)
	out := make([]int16, int(d.Seconds()*rate))
	for i := range out {
		out[i] = int16(max(-32768, min(32767, rng.NormFloat64()*sigma)))
	}
	return out
}

func concat(parts ...[]int16) []int16 {
	var out []int16
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// mix adds b onto a (same length or shorter).
func mix(a, b []int16) []int16 {
	out := append([]int16(nil), a...)
	for i := range min(len(a), len(b)) {
		out[i] = int16(max(-32768, min(32767, int(a[i])+int(b[i]))))
	}
	return out
}

func dur(n int) time.Duration { return time.Duration(n) * time.Second / rate }

// feed writes pcm in 20 ms chunks of odd size to exercise framing.
func feed(d *vad.Detector, pcm []int16) []vad.Event {
	var evs []vad.Event
	for i := 0; i < len(pcm); i += 317 {
		evs = append(evs, d.Write(pcm[i:min(i+317, len(pcm))])...)
	}
	return evs
}

func TestDetectorEndpointsRealSpeech(t *testing.T) {
	utt := say(t, "您好,我家停电了,麻烦帮我看一下。")
	short := say(t, "不是,我要报修。")
	uttDur := dur(len(utt))
	tests := []struct {
		name      string
		cfg       vad.Config
		pcm       []int16
		wantUtt   int
		wantStart []time.Duration // approximate speech starts
		wantLen   []time.Duration // approximate utterance PCM lengths
		reason    vad.EndReason
	}{
		{
			name: "speech between silences", pcm: concat(silence(time.Second), utt, silence(1500*time.Millisecond)),
			wantUtt: 1, wantStart: []time.Duration{time.Second}, wantLen: []time.Duration{uttDur + 400*time.Millisecond}, reason: vad.Silence,
		},
		{
			name: "two turns apart", pcm: concat(silence(500*time.Millisecond), short, silence(1500*time.Millisecond), utt, silence(time.Second)),
			wantUtt: 2, wantStart: []time.Duration{500 * time.Millisecond, 2*time.Second + dur(len(short))},
			wantLen: []time.Duration{dur(len(short)) + 400*time.Millisecond, uttDur + 400*time.Millisecond}, reason: vad.Silence,
		},
		{
			name: "a 300 ms pause does not end the turn", pcm: concat(silence(500*time.Millisecond), short, silence(300*time.Millisecond), utt, silence(time.Second)),
			wantUtt: 1, wantStart: []time.Duration{500 * time.Millisecond}, reason: vad.Silence,
			wantLen: []time.Duration{dur(len(short)) + 300*time.Millisecond + uttDur + 400*time.Millisecond},
		},
		{
			name: "speech in steady noise at 15 dB SNR",
			pcm:  mix(concat(silence(1500*time.Millisecond), utt, silence(3*time.Second)), noise(10*time.Second, -38, 1)),
			// speech RMS from espeak is about -22 dBFS
			wantUtt: 1, wantStart: []time.Duration{1500 * time.Millisecond}, wantLen: []time.Duration{uttDur + 400*time.Millisecond}, reason: vad.Silence,
		},
		{
			name:    "end silence is configurable",
			cfg:     vad.Config{EndSilence: 200 * time.Millisecond},
			pcm:     concat(silence(500*time.Millisecond), short, silence(300*time.Millisecond), short, silence(time.Second)),
			wantUtt: 2, wantStart: []time.Duration{500 * time.Millisecond, 800*time.Millisecond + dur(len(short))},
			wantLen: []time.Duration{dur(len(short)) + 400*time.Millisecond, dur(len(short)) + 400*time.Millisecond}, reason: vad.Silence,
		},
		{
			name: "max utterance cuts a monologue", cfg: vad.Config{MaxUtterance: 2 * time.Second},
			pcm:     concat(silence(500*time.Millisecond), utt, silence(time.Second)),
			wantUtt: -1, reason: vad.MaxLength,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			det, err := vad.New(tc.cfg)
			require.NoError(t, err)
			evs := feed(det, tc.pcm)
			var starts, ends []vad.Event
			for i, ev := range evs {
				if i > 0 {
					require.NotEqual(t, evs[i-1].Type, ev.Type, "starts and ends alternate")
				}
				if ev.Type == vad.SpeechStart {
					starts = append(starts, ev)
				} else {
					ends = append(ends, ev)
				}
			}
			require.False(t, det.InSpeech())
			require.Len(t, ends, len(starts))
			if tc.wantUtt < 0 {
				require.GreaterOrEqual(t, len(ends), 2)
				require.Equal(t, tc.reason, ends[0].Reason)
				require.InDelta(t, float64(2*time.Second+300*time.Millisecond), float64(dur(len(ends[0].PCM))), float64(100*time.Millisecond))
				return
			}
			require.Len(t, ends, tc.wantUtt)
			for i, ev := range ends {
				require.Equal(t, tc.reason, ev.Reason)
				require.InDelta(t, float64(tc.wantStart[i]), float64(ev.Start), float64(150*time.Millisecond), "start of utterance %d", i)
				require.InDelta(t, float64(tc.wantLen[i]), float64(dur(len(ev.PCM))), float64(300*time.Millisecond), "length of utterance %d", i)
				require.Greater(t, ev.End, ev.Start)
				require.Equal(t, starts[i].Start, ev.Start)
			}
		})
	}
}

func TestDetectorIgnoresNonSpeech(t *testing.T) {
	click := noise(80*time.Millisecond, -10, 3)
	tests := []struct {
		name string
		pcm  []int16
	}{
		{"digital silence", silence(3 * time.Second)},
		{"steady white noise", noise(4*time.Second, -35, 2)},
		{"loud steady hiss", noise(4*time.Second, -22, 4)},
		{"hiss that slowly grows by 12 dB", func() []int16 {
			x := noise(6*time.Second, -40, 5)
			for i := range x {
				x[i] = int16(float64(x[i]) * math.Pow(10, 12*float64(i)/float64(len(x))/20))
			}
			return x
		}()},
		{"a click", concat(silence(time.Second), click, silence(time.Second))},
		{"a 1 kHz hum", func() []int16 {
			out := make([]int16, 3*rate)
			for i := range out {
				out[i] = int16(300 * math.Sin(2*math.Pi*1000*float64(i)/rate))
			}
			return out
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			det, err := vad.New(vad.Config{})
			require.NoError(t, err)
			require.Empty(t, feed(det, tc.pcm))
		})
	}
}

func TestDetectorSNR(t *testing.T) {
	utt := say(t, "我家住在阳光花园三栋二单元,整栋楼都没有电了,邻居家也一样,已经停了一个多小时了,请你们尽快派人来修一下,谢谢。")
	var e float64
	for _, v := range utt {
		e += float64(v) * float64(v)
	}
	speechDB := 10 * math.Log10(e/float64(len(utt))/(32768*32768))
	for _, snr := range []float64{20, 15, 10, 5} {
		det, err := vad.New(vad.Config{MaxUtterance: 30 * time.Second})
		require.NoError(t, err)
		clean := concat(silence(2*time.Second), utt, silence(2*time.Second))
		evs := feed(det, mix(clean, noise(30*time.Second, speechDB-snr, uint64(snr))))
		require.Len(t, evs, 2, "SNR %.0f dB: one utterance (speech at %.1f dBFS)", snr, speechDB)
		require.InDelta(t, float64(dur(len(utt))+400*time.Millisecond), float64(dur(len(evs[1].PCM))), float64(400*time.Millisecond), "SNR %.0f dB", snr)
	}
}

func TestDetectorPreRollHoldsTheFirstSyllable(t *testing.T) {
	utt := say(t, "好的")
	det, err := vad.New(vad.Config{PreRoll: 300 * time.Millisecond})
	require.NoError(t, err)
	evs := feed(det, concat(silence(time.Second), utt, silence(time.Second)))
	require.Len(t, evs, 2)
	pcm := evs[1].PCM
	// The utterance begins with near-silence (the pre-roll) and holds all of the speech energy.
	var in, total float64
	for _, v := range utt {
		total += float64(v) * float64(v)
	}
	for _, v := range pcm {
		in += float64(v) * float64(v)
	}
	require.InDelta(t, 1, in/total, 0.02, "no speech energy lost")
	head := pcm[:rate/10]
	for _, v := range head {
		require.Less(t, math.Abs(float64(v)), 200.0, "pre-roll starts before the speech")
	}
}

func TestDetectorFlushAndConfig(t *testing.T) {
	det, err := vad.New(vad.Config{})
	require.NoError(t, err)
	require.Equal(t, 320, det.FrameSamples())
	evs := feed(det, concat(silence(500*time.Millisecond), say(t, "您好,我家停电了,麻烦帮我看一下。")[:rate]))
	require.Len(t, evs, 1)
	require.True(t, det.InSpeech())
	evs = det.Flush()
	require.Len(t, evs, 1)
	require.Equal(t, vad.Flushed, evs[0].Reason)
	require.False(t, det.InSpeech())
	require.Empty(t, det.Flush())
	require.Empty(t, det.Write(nil))

	for _, cfg := range []vad.Config{
		{SampleRate: 100},
		{FrameDuration: 7 * time.Millisecond},
		{MaxUtterance: 100 * time.Millisecond},
		{EndSilence: -time.Second},
	} {
		_, err := vad.New(cfg)
		require.ErrorIs(t, err, vad.ErrConfig)
	}
	ten, err := vad.New(vad.Config{FrameDuration: 10 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, 160, ten.FrameSamples())
	require.Len(t, feed(ten, concat(silence(time.Second), say(t, "不是,我要报修。"), silence(time.Second))), 2)
}

func TestBargeIn(t *testing.T) {
	yes := say(t, "好的")
	long := say(t, "不是,我要报修。")
	short := noise(150*time.Millisecond, -20, 9) // a cough
	tests := []struct {
		name     string
		speaking bool
		pcm      []int16
		want     bool
	}{
		{"caller talks over the prompt", true, concat(silence(time.Second), long, silence(500*time.Millisecond)), true},
		{"a cough does not interrupt", true, concat(silence(time.Second), short, silence(time.Second)), false},
		{"silence does not interrupt", true, silence(2 * time.Second), false},
		{"speech while the bot is quiet is not barge-in", false, concat(silence(time.Second), long), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := vad.NewBargeIn(vad.BargeInConfig{})
			require.NoError(t, err)
			b.SetBotSpeaking(tc.speaking)
			hits := 0
			for i := 0; i < len(tc.pcm); i += 320 {
				if b.Write(tc.pcm[i:min(i+320, len(tc.pcm))]) {
					hits++
				}
			}
			if tc.want {
				require.Equal(t, 1, hits, "fires exactly once per prompt")
			} else {
				require.Zero(t, hits)
			}
		})
	}
	// "好的" is under 500 ms of voiced audio with the default; a 200 ms threshold catches it.
	b, err := vad.NewBargeIn(vad.BargeInConfig{MinSpeech: 200 * time.Millisecond})
	require.NoError(t, err)
	b.SetBotSpeaking(true)
	require.True(t, b.Write(concat(silence(time.Second), yes)))
	_, err = vad.NewBargeIn(vad.BargeInConfig{MinSpeech: -time.Second})
	require.ErrorIs(t, err, vad.ErrConfig)
}

func BenchmarkDetector20ms(b *testing.B) {
	det, err := vad.New(vad.Config{})
	require.NoError(b, err)
	pcm := concat(silence(time.Second), say(b, "您好,我家停电了,麻烦帮我看一下。"), silence(time.Second))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		det.Write(pcm[i : i+320])
		i = (i + 320) % (len(pcm) - 320)
	}
}

// The decisions come when promised: the start about StartSpeech after the onset, the end
// EndSilence after the last word, so the bot neither waits long nor cuts the caller off.
func TestDetectorDecisionLatency(t *testing.T) {
	utt := say(t, "不是,我要报修。")
	for _, end := range []time.Duration{500 * time.Millisecond, 800 * time.Millisecond} {
		det, err := vad.New(vad.Config{EndSilence: end})
		require.NoError(t, err)
		pcm := concat(silence(time.Second), utt, silence(2*time.Second))
		var startAt, endAt time.Duration
		for i := 0; i < len(pcm); i += 320 {
			for _, ev := range det.Write(pcm[i:min(i+320, len(pcm))]) {
				at := dur(i + 320)
				if ev.Type == vad.SpeechStart {
					startAt = at
				} else {
					endAt = at
				}
			}
		}
		speechEnd := time.Second + dur(len(utt))
		require.InDelta(t, float64(time.Second+200*time.Millisecond), float64(startAt), float64(150*time.Millisecond), "start decided ≈200 ms after onset")
		require.InDelta(t, float64(speechEnd+end), float64(endAt), float64(120*time.Millisecond), "end decided EndSilence after the speech")
	}
}
