package tts_test

import (
	"context"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dianbao/channels/voice/tts"
)

var update = flag.Bool("update", false, "rewrite golden files")

func newEspeak(t testing.TB) *tts.Espeak {
	t.Helper()
	sp, err := tts.NewEspeak(tts.EspeakConfig{}, nil)
	require.NoError(t, err, "espeak-ng must be installed (make deps)")
	return sp
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}

func TestEspeakSpeaksMandarinAndCantonese(t *testing.T) {
	sp := newEspeak(t)
	tests := []struct {
		name           string
		text, voice    string
		minSec, maxSec float64
	}{
		{"short greeting", "您好", tts.VoiceMandarin, 0.3, 1.5},
		{"default voice is Mandarin", "您好", "", 0.3, 1.5},
		{"opening prompt", "您好,这里是95598供电服务热线,请问有什么可以帮您?", tts.VoiceMandarin, 3, 9},
		{"safety advice", "请您远离断落的电线至少八米,不要触碰。", tts.VoiceMandarin, 2, 7},
		{"cantonese", "你好,请问系咪停电呀?", tts.VoiceCantonese, 1, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pcm, rate, err := sp.Synthesize(context.Background(), tc.text, tc.voice)
			require.NoError(t, err)
			require.Equal(t, 22050, rate)
			sec := float64(len(pcm)) / float64(rate)
			require.GreaterOrEqual(t, sec, tc.minSec)
			require.LessOrEqual(t, sec, tc.maxSec)
			require.Greater(t, rms(pcm), 1000.0, "speech is audible")
		})
	}
}

// Longer text takes longer to say: a sanity check that text reaches the engine intact.
func TestEspeakDurationGrowsWithText(t *testing.T) {
	sp := newEspeak(t)
	short, _, err := sp.Synthesize(context.Background(), "好的。", "")
	require.NoError(t, err)
	long, _, err := sp.Synthesize(context.Background(), "好的,我们已经为您登记了抢修工单,抢修人员预计四十五分钟内到达现场,请您保持电话畅通。", "")
	require.NoError(t, err)
	require.Greater(t, len(long), 8*len(short))
}

// espeak-ng's phoneme output (-x) shows whether it read Mandarin (tone numbers as pitch
// contours) or switched to English: "(en)" marks a switch, which is what the plain cmn voice
// does with tone numbers. Checked without listening.
func TestPinyinTextIsReadAsMandarin(t *testing.T) {
	sp := newEspeak(t)
	tests := []struct {
		text       string
		wantPhones []string // substrings of espeak's phoneme transcription
	}{
		{"您好,请问是停电了吗?", []string{"n'i35n", "th'i35N"}},
		{"请到银行缴费", []string{"X'a35N"}},         // 银行: hang2, not xing2
		{"请您重新合上空气开关", []string{"ts.h'ong35"}}, // 重新: chong2
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			text, err := sp.Text(tc.text, "")
			require.NoError(t, err)
			out, err := exec.Command("espeak-ng", "-v", "cmn-latn-pinyin", "-q", "-x", text).Output()
			require.NoError(t, err)
			ph := string(out)
			require.NotContains(t, ph, "(en)", "espeak switched to English: %s", ph)
			for _, w := range tc.wantPhones {
				require.Contains(t, ph, w)
			}
		})
	}
	// The plain cmn voice reads tone numbers in English: the reason for cmn-latn-pinyin.
	out, err := exec.Command("espeak-ng", "-v", "cmn", "-q", "-x", "ni3 hao3").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "(en)")
}

func TestPinyinGolden(t *testing.T) {
	in := []string{
		"您好,这里是95598供电服务热线。",
		"请问您家的空气开关跳闸了吗?",
		"抢修人员预计45分钟内到达,请您保持13800138000畅通。",
		"您的户号是3100123456,本月电费112.3元。",
		"请到银行缴费,或者重新插卡。",
		"我们会在24小时内联系您,感谢您的宝贵建议!",
		"ＡＢＣ abc 10 11 20 105 0571 １３９",
		"计划停电时间为2026年11月25日8:00至18:30。",
		"",
		"!!!",
	}
	p := tts.NewPinyin()
	var b strings.Builder
	for _, s := range in {
		b.WriteString(s + "\n\t" + p.Convert(s) + "\n")
	}
	golden := filepath.Join("testdata", "pinyin.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), b.String())
}

func TestEspeakBadInput(t *testing.T) {
	sp := newEspeak(t)
	ctx := context.Background()
	_, _, err := sp.Synthesize(ctx, "", "")
	require.ErrorIs(t, err, tts.ErrEmptyText)
	_, _, err = sp.Synthesize(ctx, "。。!!", "")
	require.ErrorIs(t, err, tts.ErrEmptyText)
	_, _, err = sp.Synthesize(ctx, "您好", "klingon")
	require.ErrorIs(t, err, tts.ErrUnknownVoice)
	_, _, err = sp.Synthesize(ctx, strings.Repeat("电", 601), "")
	require.ErrorIs(t, err, tts.ErrTextTooLong)
	_, _, err = sp.Synthesize(ctx, "\xff\xfe", "")
	require.ErrorIs(t, err, tts.ErrEmptyText)
	// Text that looks like a flag is spoken, not interpreted.
	pcm, _, err := sp.Synthesize(ctx, "--help 您好", "")
	require.NoError(t, err)
	require.NotEmpty(t, pcm)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = sp.Synthesize(cctx, "您好", "")
	require.ErrorIs(t, err, tts.ErrSynthesis)
	require.ErrorIs(t, err, context.Canceled)
}

func TestEspeakBoundsConcurrency(t *testing.T) {
	sp, err := tts.NewEspeak(tts.EspeakConfig{MaxConcurrent: 1}, nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			pcm, _, err := sp.Synthesize(context.Background(), "请稍等", "")
			require.NoError(t, err)
			require.NotEmpty(t, pcm)
		})
	}
	wg.Wait()
	// With the only slot held by a slow request, a caller that gives up is told why.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = sp.Synthesize(context.Background(), strings.Repeat("您好,", 100), "")
	}()
	time.Sleep(20 * time.Millisecond)
	_, _, err = sp.Synthesize(ctx, "您好", "")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	<-done
}

func TestEspeakMissingIsAClearStartupError(t *testing.T) {
	_, err := tts.NewEspeak(tts.EspeakConfig{Binary: "espeak-ng-does-not-exist"}, nil)
	require.ErrorIs(t, err, tts.ErrEngineMissing)
	require.Contains(t, err.Error(), "install the Debian package espeak-ng")
	t.Setenv("PATH", t.TempDir())
	_, err = tts.NewEspeak(tts.EspeakConfig{}, nil)
	require.ErrorIs(t, err, tts.ErrEngineMissing)
}

// sox agrees with ParseWAV on espeak-ng's streaming WAV: same length and loudness.
func TestParseWAVAgreesWithSox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.wav")
	out, err := exec.Command("espeak-ng", "-v", "cmn-latn-pinyin", "-w", path, "nin2 hao3, qing3 wen4 you3 shen2 me5 ke3 yi3 bang1 nin2?").CombinedOutput()
	require.NoError(t, err, string(out))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pcm, rate, err := tts.ParseWAV(b)
	require.NoError(t, err)
	stat, err := exec.Command("sox", path, "-n", "stat").CombinedOutput()
	require.NoError(t, err, string(stat))
	field := func(name string) float64 {
		for _, line := range strings.Split(string(stat), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == name {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				require.NoError(t, err)
				return f
			}
		}
		t.Fatalf("sox stat has no %q: %s", name, stat)
		return 0
	}
	require.InDelta(t, field("Length (seconds)"), float64(len(pcm))/float64(rate), 0.001)
	require.InDelta(t, field("RMS     amplitude"), rms(pcm)/32768, 0.001)
	require.Greater(t, field("RMS     amplitude"), 0.03, "audible speech, not silence")
}

func TestParseWAV(t *testing.T) {
	_, _, err := tts.ParseWAV([]byte("not a wav"))
	require.ErrorIs(t, err, tts.ErrBadWAV)
	_, _, err = tts.ParseWAV(nil)
	require.ErrorIs(t, err, tts.ErrBadWAV)
	// A proper sox-written stereo WAV with exact sizes.
	path := filepath.Join(t.TempDir(), "s.wav")
	require.NoError(t, exec.Command("sox", "-n", "-r", "16000", "-c", "2", "-b", "16", path, "synth", "0.5", "sine", "440", "vol", "0.5").Run())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pcm, rate, err := tts.ParseWAV(b)
	require.NoError(t, err)
	require.Equal(t, 16000, rate)
	require.Len(t, pcm, 8000)
	require.InDelta(t, 0.5*32767/math.Sqrt2, rms(pcm), 300)
	// Truncated input never panics.
	for i := 0; i < 200; i++ {
		_, _, _ = tts.ParseWAV(b[:i])
	}
	for i := 200; i < len(b); i += 97 {
		_, _, _ = tts.ParseWAV(b[:i])
	}
}

// counting records how often the engine really runs.
type counting struct {
	next  tts.Synthesizer
	calls atomic.Int64
}

func (c *counting) Synthesize(ctx context.Context, text, voice string) ([]int16, int, error) {
	c.calls.Add(1)
	return c.next.Synthesize(ctx, text, voice)
}

func TestCache(t *testing.T) {
	eng := &counting{next: newEspeak(t)}
	reg := prometheus.NewRegistry()
	c := tts.NewCache(eng, tts.CacheConfig{Entries: 2}, reg)
	ctx := context.Background()

	a1, r1, err := c.Synthesize(ctx, "您好", "")
	require.NoError(t, err)
	a2, r2, err := c.Synthesize(ctx, "您好", "")
	require.NoError(t, err)
	require.Equal(t, r1, r2)
	require.Same(t, &a1[0], &a2[0], "a hit returns the cached audio without copying")
	require.EqualValues(t, 1, eng.calls.Load())

	// Voice is part of the key.
	_, _, err = c.Synthesize(ctx, "您好", tts.VoiceCantonese)
	require.NoError(t, err)
	require.EqualValues(t, 2, eng.calls.Load())

	// LRU: "再见" evicts the least recent (Mandarin 您好 was used before Cantonese).
	_, _, err = c.Synthesize(ctx, "再见", "")
	require.NoError(t, err)
	require.Equal(t, 2, c.Len())
	_, _, err = c.Synthesize(ctx, "您好", tts.VoiceCantonese)
	require.NoError(t, err)
	require.EqualValues(t, 3, eng.calls.Load(), "Cantonese 您好 still cached")
	_, _, err = c.Synthesize(ctx, "您好", "")
	require.NoError(t, err)
	require.EqualValues(t, 4, eng.calls.Load(), "Mandarin 您好 was evicted")

	// Errors are not cached.
	_, _, err = c.Synthesize(ctx, "您好", "klingon")
	require.ErrorIs(t, err, tts.ErrUnknownVoice)
	_, _, err = c.Synthesize(ctx, "您好", "klingon")
	require.ErrorIs(t, err, tts.ErrUnknownVoice)
	require.EqualValues(t, 6, eng.calls.Load())

	require.Equal(t, 2.0, counterOf(t, reg, "dianbao_tts_cache_hits_total"))
	require.Equal(t, 6.0, counterOf(t, reg, "dianbao_tts_cache_misses_total"))
}

func counterOf(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestCacheConcurrentMissesRunOnce(t *testing.T) {
	eng := &counting{next: newEspeak(t)}
	c := tts.NewCache(eng, tts.CacheConfig{}, nil)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			pcm, _, err := c.Synthesize(context.Background(), "请稍等,正在为您查询。", "")
			require.NoError(t, err)
			require.NotEmpty(t, pcm)
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, eng.calls.Load())
	require.NoError(t, c.Prewarm(context.Background(), "", "请稍等,正在为您查询。", "再见"))
	require.EqualValues(t, 2, eng.calls.Load())
}

func BenchmarkCacheHit(b *testing.B) {
	c := tts.NewCache(newEspeak(b), tts.CacheConfig{}, nil)
	ctx := context.Background()
	const prompt = "您好,这里是95598供电服务热线,请问有什么可以帮您?"
	_, _, err := c.Synthesize(ctx, prompt, "")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Synthesize(ctx, prompt, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEspeakMiss(b *testing.B) {
	sp := newEspeak(b)
	for b.Loop() {
		if _, _, err := sp.Synthesize(context.Background(), "您好,请问有什么可以帮您?", ""); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzConvertAndParse(f *testing.F) {
	f.Add("您好,12:3０年95598.5元", []byte("RIFF\x00\x00\x00\x00WAVEfmt "))
	p := tts.NewPinyin()
	f.Fuzz(func(t *testing.T, text string, wav []byte) {
		_ = p.Convert(text)
		_, _, _ = tts.ParseWAV(wav)
	})
}
