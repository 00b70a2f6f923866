package asr_test

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"dianbao/channels/voice/asr"
	"dianbao/channels/voice/asr/funasrtest"
	"dianbao/channels/voice/codec"
	"dianbao/channels/voice/tts"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	speechOnce sync.Once
	speech     []int16
	speechErr  error
)

// utterance is real espeak-ng speech at 16 kHz.
func utterance(t testing.TB) []int16 {
	t.Helper()
	speechOnce.Do(func() {
		sp, err := tts.NewEspeak(tts.EspeakConfig{}, nil)
		if err != nil {
			speechErr = err
			return
		}
		pcm, rate, err := sp.Synthesize(context.Background(), "我家跳闸了,推不上去。", "")
		if err != nil {
			speechErr = err
			return
		}
		rs, err := codec.NewResampler(rate, 16000)
		if err != nil {
			speechErr = err
			return
		}
		speech = rs.Process(nil, pcm)
	})
	require.NoError(t, speechErr)
	return speech
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func newServer(t *testing.T, cfg funasrtest.Config) *funasrtest.Server {
	t.Helper()
	srv, err := funasrtest.New(cfg)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

func newRec(t *testing.T, cfg asr.FunASRConfig) *asr.FunASR {
	t.Helper()
	rec, err := asr.NewFunASR(cfg, nil, nil)
	require.NoError(t, err)
	return rec
}

// stream writes pcm in 20 ms pieces, as the call layer does.
func stream(t *testing.T, s asr.Session, pcm []int16) {
	t.Helper()
	for i := 0; i < len(pcm); i += 320 {
		require.NoError(t, s.Write(pcm[i:min(i+320, len(pcm))]))
	}
}

func TestFunASRRecognisesAnUtterance(t *testing.T) {
	srv := newServer(t, funasrtest.Config{Text: "我家跳闸了,推不上去。"})
	rec := newRec(t, asr.FunASRConfig{URL: srv.URL(), Hotwords: map[string]int{"跳闸": 20, "漏电保护器": 20}})
	ctx := context.Background()
	require.NoError(t, rec.Ping(ctx))

	pcm := utterance(t)
	s, err := rec.Start(ctx, asr.StartOptions{ID: "call-1-utt-1", Hotwords: map[string]int{"阳光花园": 30}})
	require.NoError(t, err)
	var partials []asr.Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range s.Results() {
			partials = append(partials, r)
		}
	}()
	stream(t, s, pcm)
	final, err := s.Finish(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	<-done

	require.Equal(t, asr.Result{Text: "我家跳闸了,推不上去。", Final: true, Mode: "2pass-offline", ID: "call-1-utt-1"}, final)
	require.NotEmpty(t, partials)
	for _, p := range partials[:len(partials)-1] {
		require.Equal(t, "2pass-online", p.Mode)
		require.False(t, p.Final)
		require.True(t, strings.HasPrefix("我家跳闸了,推不上去。", p.Text), "partial %q", p.Text)
	}
	require.True(t, partials[len(partials)-1].Final)

	utts := srv.Utterances()
	require.Len(t, utts, 1)
	u := utts[0]
	require.Empty(t, srv.Errors())
	require.Equal(t, "2pass", u.Mode)
	require.Equal(t, []int{5, 10, 5}, u.ChunkSize)
	require.Equal(t, 10, u.ChunkInterval)
	require.Equal(t, "call-1-utt-1", u.WavName)
	require.Equal(t, map[string]int{"跳闸": 20, "漏电保护器": 20, "阳光花园": 30}, u.Hotwords)
	require.True(t, u.ITN)
	require.Equal(t, 16000, u.AudioFS)
	require.Equal(t, "pcm", u.WavFormat)
	require.True(t, u.Ended)
	require.Equal(t, pcm, u.PCM, "every sample arrives, in order")
	require.InDelta(t, float64(len(pcm))/16, float64(u.Duration().Milliseconds()), 1)
	require.InDelta(t, rms(pcm), u.RMS(), 0.01)
	require.Greater(t, u.RMS(), 1000.0)
	require.Equal(t, (len(pcm)*2+1919)/1920, u.Chunks, "60 ms chunks (chunk_size 10 / chunk_interval 10)")
}

func TestFunASRReconnectsAndReplays(t *testing.T) {
	srv := newServer(t, funasrtest.Config{Text: "停电了", DropFirst: 1, DropAfter: 32000})
	reg := prometheus.NewRegistry()
	rec, err := asr.NewFunASR(asr.FunASRConfig{URL: srv.URL(), Backoff: 10 * time.Millisecond}, nil, reg)
	require.NoError(t, err)
	pcm := utterance(t)
	s, err := rec.Start(context.Background(), asr.StartOptions{ID: "u"})
	require.NoError(t, err)
	defer s.Close()
	for i := 0; i < len(pcm); i += 320 {
		// A write may land on the dead connection before its loss is noticed; Finish replays.
		_ = s.Write(pcm[i:min(i+320, len(pcm))])
		time.Sleep(100 * time.Microsecond)
	}
	final, err := s.Finish(context.Background())
	require.NoError(t, err)
	require.Equal(t, "停电了", final.Text)
	require.Equal(t, 2, srv.Connections())
	utts := srv.Utterances()
	require.Len(t, utts, 2)
	require.False(t, utts[0].Ended)
	require.Equal(t, pcm, utts[1].PCM, "the second connection got the whole utterance")
	require.Equal(t, 1.0, metric(t, reg, "dianbao_asr_reconnects_total"))
	require.Equal(t, 1.0, metric(t, reg, "dianbao_asr_final_seconds"))
}

// metric returns a counter's value or a histogram's sample count.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				sum += float64(h.GetSampleCount())
			} else {
				sum += m.GetCounter().GetValue()
			}
		}
		return sum
	}
	return 0
}

func TestFunASRTranscribe(t *testing.T) {
	srv := newServer(t, funasrtest.Config{Text: "转人工"})
	rec := newRec(t, asr.FunASRConfig{URL: srv.URL()})
	pcm := utterance(t)
	text, err := rec.Transcribe(context.Background(), pcm)
	require.NoError(t, err)
	require.Equal(t, "转人工", text)
	require.Equal(t, pcm, srv.Utterances()[0].PCM)
	text, err = rec.Transcribe(context.Background(), nil)
	require.NoError(t, err)
	require.Empty(t, text)
}

func TestFunASRUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens here now
	rec := newRec(t, asr.FunASRConfig{URL: "ws://" + addr, Attempts: 2, Backoff: time.Millisecond})
	err = rec.Ping(context.Background())
	require.ErrorIs(t, err, asr.ErrUnreachable)
	require.Contains(t, err.Error(), addr)
	_, err = rec.Start(context.Background(), asr.StartOptions{})
	require.ErrorIs(t, err, asr.ErrUnreachable)
}

func TestFunASRTimeout(t *testing.T) {
	srv := newServer(t, funasrtest.Config{Text: "x", NoFinal: true})
	reg := prometheus.NewRegistry()
	rec, err := asr.NewFunASR(asr.FunASRConfig{URL: srv.URL(), FinalTimeout: 300 * time.Millisecond}, nil, reg)
	require.NoError(t, err)
	s, err := rec.Start(context.Background(), asr.StartOptions{})
	require.NoError(t, err)
	stream(t, s, utterance(t)[:8000])
	start := time.Now()
	_, err = s.Finish(context.Background())
	require.ErrorIs(t, err, asr.ErrTimeout)
	require.Less(t, time.Since(start), 3*time.Second)
	require.Equal(t, 1.0, metric(t, reg, "dianbao_asr_failures_total"))
	require.ErrorIs(t, s.Write([]int16{1}), asr.ErrClosed)
}

func TestFunASRSessionLifecycle(t *testing.T) {
	srv := newServer(t, funasrtest.Config{Text: "好的"})
	rec := newRec(t, asr.FunASRConfig{URL: srv.URL()})
	ctx := context.Background()

	// An empty utterance needs no round trip.
	s, err := rec.Start(ctx, asr.StartOptions{ID: "empty"})
	require.NoError(t, err)
	r, err := s.Finish(ctx)
	require.NoError(t, err)
	require.True(t, r.Final)
	require.Empty(t, r.Text)
	_, err = s.Finish(ctx)
	require.ErrorIs(t, err, asr.ErrClosed)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	_, open := <-s.Results()
	require.False(t, open)

	// Close without Finish.
	s, err = rec.Start(ctx, asr.StartOptions{})
	require.NoError(t, err)
	require.NoError(t, s.Write(make([]int16, 3200)))
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Write([]int16{1}), asr.ErrClosed)

	// Too long.
	short := newRec(t, asr.FunASRConfig{URL: srv.URL(), MaxUtterance: 100 * time.Millisecond})
	s, err = short.Start(ctx, asr.StartOptions{})
	require.NoError(t, err)
	require.ErrorIs(t, s.Write(make([]int16, 3200)), asr.ErrTooLong)
	require.NoError(t, s.Close())

	// A cancelled context bounds the wait.
	s, err = rec.Start(ctx, asr.StartOptions{})
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.NoError(t, s.Write(make([]int16, 320)))
	_, err = s.Finish(cctx)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, asr.ErrTimeout)
}

func TestFunASRConcurrentCalls(t *testing.T) {
	srv := newServer(t, funasrtest.Config{Transcript: func(u funasrtest.Utterance) string { return "话单" + u.WavName }})
	rec := newRec(t, asr.FunASRConfig{URL: srv.URL()})
	pcm := utterance(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			id := string(rune('A' + i))
			s, err := rec.Start(context.Background(), asr.StartOptions{ID: id})
			require.NoError(t, err)
			defer s.Close()
			for j := 0; j < len(pcm); j += 320 {
				require.NoError(t, s.Write(pcm[j:min(j+320, len(pcm))]))
			}
			r, err := s.Finish(context.Background())
			require.NoError(t, err)
			require.Equal(t, "话单"+id, r.Text)
		})
	}
	wg.Wait()
	require.Len(t, srv.Utterances(), 8)
}

func TestFunASRConfig(t *testing.T) {
	for _, cfg := range []asr.FunASRConfig{
		{URL: "http://127.0.0.1:10095"},
		{URL: "not a url"},
		{Mode: "streaming"},
		{ChunkSize: [3]int{5, 0, 5}},
	} {
		_, err := asr.NewFunASR(cfg, nil, nil)
		require.ErrorIs(t, err, asr.ErrConfig)
	}
}

// The fake server rejects first messages that a real FunASR server would misread.
func TestFunASRTestServerValidatesFirstMessage(t *testing.T) {
	good := map[string]any{"mode": "2pass", "chunk_size": []int{5, 10, 5}, "chunk_interval": 10, "wav_name": "w",
		"is_speaking": true, "hotwords": `{"跳闸":20}`, "itn": true, "audio_fs": 16000, "wav_format": "pcm"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		msg  map[string]any
		ok   bool
	}{
		{"valid", good, true},
		{"hotwords as an object, not a string", with("hotwords", map[string]int{"跳闸": 20}), false},
		// The C++ server would take plain words as neural hotwords; dianbao always sends the
		// JSON form with weights, so the fake insists on it.
		{"hotwords string that is not JSON", with("hotwords", "跳闸 20"), false},
		{"zero middle chunk", with("chunk_size", []int{5, 0, 5}), false},
		{"missing itn", with("itn", nil), false},
		{"wav format", with("wav_format", "mp3"), false},
		{"not speaking", with("is_speaking", false), false},
		{"mode", with("mode", "stream"), false},
		{"audio_fs", with("audio_fs", 44100), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, funasrtest.Config{Text: "好"})
			c, _, err := websocket.DefaultDialer.Dial(srv.URL(), nil)
			require.NoError(t, err)
			defer c.Close()
			b, _ := json.Marshal(tc.msg)
			require.NoError(t, c.WriteMessage(websocket.TextMessage, b))
			// After a bad first message the server hangs up, so these writes may fail.
			_ = c.WriteMessage(websocket.BinaryMessage, make([]byte, 3200))
			_ = c.WriteMessage(websocket.TextMessage, []byte(`{"is_speaking":false}`))
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, resp, err := c.ReadMessage()
			if tc.ok {
				require.NoError(t, err)
				require.JSONEq(t, `{"mode":"2pass-offline","text":"好","wav_name":"w","is_final":true}`, string(resp))
				require.Empty(t, srv.Errors())
				return
			}
			require.True(t, websocket.IsCloseError(err, websocket.CloseProtocolError), "got %v", err)
			require.Len(t, srv.Errors(), 1)
		})
	}
}

func BenchmarkFunASRUtterance(b *testing.B) {
	srv, err := funasrtest.New(funasrtest.Config{Text: "好的"})
	require.NoError(b, err)
	defer srv.Close()
	rec, err := asr.NewFunASR(asr.FunASRConfig{URL: srv.URL()}, nil, nil)
	require.NoError(b, err)
	pcm := make([]int16, 16000)
	for b.Loop() {
		s, err := rec.Start(context.Background(), asr.StartOptions{})
		require.NoError(b, err)
		for j := 0; j < len(pcm); j += 320 {
			_ = s.Write(pcm[j : j+320])
		}
		_, err = s.Finish(context.Background())
		require.NoError(b, err)
	}
}
