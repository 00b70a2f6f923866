package asr

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// FunASRConfig configures the FunASR runtime adapter; zero values take the defaults shown.
type FunASRConfig struct {
	URL           string         // ws://127.0.0.1:10095 (wss:// for a TLS server)
	Mode          string         // "2pass"
	ChunkSize     [3]int         // {5, 10, 5}: 600 ms chunks, 300 ms look-back and look-ahead
	ChunkInterval int            // 10: audio is sent in 60 ms pieces
	Hotwords      map[string]int // domain words and weights, e.g. 跳闸: 20
	DisableITN    bool           // ITN (inverse text normalisation: 一三八 → 138) is on by default
	DialTimeout   time.Duration  // 3 s per dial attempt
	WriteTimeout  time.Duration  // 2 s per WebSocket write
	FinalTimeout  time.Duration  // 8 s from the end of speech to the final result
	Attempts      int            // 3 dial attempts per connection, reconnects included
	Backoff       time.Duration  // 200 ms, doubled after each failed attempt
	MaxUtterance  time.Duration  // 60 s of audio kept for replay after a reconnect
}

func (c *FunASRConfig) fill() error {
	if c.URL == "" {
		c.URL = "ws://127.0.0.1:10095"
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return fmt.Errorf("%w: URL %q must be ws://host:port or wss://host:port", ErrConfig, c.URL)
	}
	if c.Mode == "" {
		c.Mode = "2pass"
	}
	if c.Mode != "2pass" && c.Mode != "online" && c.Mode != "offline" {
		return fmt.Errorf("%w: mode %q", ErrConfig, c.Mode)
	}
	if c.ChunkSize == [3]int{} {
		c.ChunkSize = [3]int{5, 10, 5}
	}
	if c.ChunkSize[1] <= 0 {
		return fmt.Errorf("%w: chunk_size %v needs a positive middle value", ErrConfig, c.ChunkSize)
	}
	if c.ChunkInterval <= 0 {
		c.ChunkInterval = 10
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DialTimeout, 3*time.Second)
	def(&c.WriteTimeout, 2*time.Second)
	def(&c.FinalTimeout, 8*time.Second)
	def(&c.Backoff, 200*time.Millisecond)
	def(&c.MaxUtterance, 60*time.Second)
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	return nil
}

// FunASR is a Recognizer backed by a FunASR runtime WebSocket server.
type FunASR struct {
	cfg    FunASRConfig
	log    *slog.Logger
	dialer websocket.Dialer

	latency    prometheus.Histogram
	reconnects prometheus.Counter
	failures   *prometheus.CounterVec
}

var _ Recognizer = (*FunASR)(nil)

// NewFunASR validates cfg; it does not connect (see Ping). reg may be nil; otherwise
// dianbao_asr_final_seconds, dianbao_asr_reconnects_total and dianbao_asr_failures_total
// are registered on it.
func NewFunASR(cfg FunASRConfig, logger *slog.Logger, reg prometheus.Registerer) (*FunASR, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := &FunASR{cfg: cfg, log: logger, dialer: websocket.Dialer{HandshakeTimeout: cfg.DialTimeout},
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "dianbao", Subsystem: "asr",
			Name: "final_seconds", Help: "Time from the end of an utterance to its final transcript.",
			Buckets: []float64{.05, .1, .2, .3, .5, .75, 1, 1.5, 2, 3, 5, 8}}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "dianbao", Subsystem: "asr",
			Name: "reconnects_total", Help: "ASR connections redialled after a loss mid-utterance."}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "dianbao", Subsystem: "asr",
			Name: "failures_total", Help: "Utterances without a transcript, by reason."}, []string{"reason"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{f.latency, f.reconnects, f.failures} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("%w: metrics: %v", ErrConfig, err)
			}
		}
	}
	return f, nil
}

// fail counts an utterance lost for reason and returns err.
func (f *FunASR) fail(err error) error {
	reason := "other"
	switch {
	case errors.Is(err, ErrUnreachable):
		reason = "unreachable"
	case errors.Is(err, ErrTimeout):
		reason = "timeout"
	case errors.Is(err, ErrProtocol):
		reason = "protocol"
	case errors.Is(err, ErrTooLong):
		reason = "too_long"
	}
	f.failures.WithLabelValues(reason).Inc()
	return err
}

// Ping opens and closes one connection, so a wrong address or a stopped server is a clear
// start-up error instead of a silent first call.
func (f *FunASR) Ping(ctx context.Context) error {
	c, err := f.dial(ctx)
	if err != nil {
		return err
	}
	return c.Close()
}

func (f *FunASR) dial(ctx context.Context) (*websocket.Conn, error) {
	backoff := f.cfg.Backoff
	var last error
	for attempt := 1; attempt <= f.cfg.Attempts; attempt++ {
		dctx, cancel := context.WithTimeout(ctx, f.cfg.DialTimeout)
		c, resp, err := f.dialer.DialContext(dctx, f.cfg.URL, nil)
		cancel()
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if err == nil {
			return c, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
		if attempt < f.cfg.Attempts {
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			backoff *= 2
		}
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, f.cfg.URL, ctx.Err())
	}
	return nil, fmt.Errorf("%w: %s after %d attempts: %v", ErrUnreachable, f.cfg.URL, f.cfg.Attempts, last)
}

// initMessage is the first message of a FunASR connection.
type initMessage struct {
	Mode          string `json:"mode"`
	ChunkSize     []int  `json:"chunk_size"`
	ChunkInterval int    `json:"chunk_interval"`
	WavName       string `json:"wav_name"`
	IsSpeaking    bool   `json:"is_speaking"`
	Hotwords      string `json:"hotwords"` // a JSON object serialised as a string
	ITN           bool   `json:"itn"`
	AudioFS       int    `json:"audio_fs"`
	WavFormat     string `json:"wav_format"`
}

// resultMessage is a FunASR result.
type resultMessage struct {
	Mode    string `json:"mode"`
	Text    string `json:"text"`
	IsFinal bool   `json:"is_final"`
	WavName string `json:"wav_name"`
}

// Start opens a connection for one utterance and sends the configuration message.
func (f *FunASR) Start(ctx context.Context, opts StartOptions) (Session, error) {
	if opts.ID == "" {
		opts.ID = fmt.Sprintf("dianbao-%d", time.Now().UnixNano())
	}
	hw := maps.Clone(f.cfg.Hotwords)
	if hw == nil {
		hw = map[string]int{}
	}
	maps.Copy(hw, opts.Hotwords)
	hotwords := ""
	if len(hw) > 0 {
		b, err := json.Marshal(hw)
		if err != nil {
			return nil, fmt.Errorf("%w: hotwords: %v", ErrConfig, err)
		}
		hotwords = string(b)
	}
	init, err := json.Marshal(initMessage{
		Mode: f.cfg.Mode, ChunkSize: f.cfg.ChunkSize[:], ChunkInterval: f.cfg.ChunkInterval,
		WavName: opts.ID, IsSpeaking: true, Hotwords: hotwords, ITN: !f.cfg.DisableITN,
		AudioFS: 16000, WavFormat: "pcm",
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	s := &funSession{
		f: f, id: opts.ID, init: init,
		chunkBytes: 2 * 16000 * 60 * f.cfg.ChunkSize[1] / f.cfg.ChunkInterval / 1000,
		maxBytes:   int(2 * 16000 * f.cfg.MaxUtterance.Seconds()),
		results:    make(chan Result, 64),
		finals:     make(chan connEvent, 8),
	}
	if err := s.connect(ctx); err != nil {
		return nil, f.fail(err)
	}
	return s, nil
}

// connEvent is what a connection's reader reports to the session.
type connEvent struct {
	gen   int
	final bool
	text  string // accumulated 2pass-offline text when final
	err   error  // the connection ended
}

type funSession struct {
	f          *FunASR
	id         string
	init       []byte
	chunkBytes int
	maxBytes   int

	mu      sync.Mutex
	conn    *websocket.Conn
	gen     int
	audio   []byte // everything written, for replay after a reconnect
	sent    int    // bytes of audio sent on the current connection
	ended   bool   // Finish was called
	closed  bool
	results chan Result
	finals  chan connEvent
	final   Result
	wg      sync.WaitGroup
}

// connect dials, sends the first message and replays the audio sent so far.
func (s *funSession) connect(ctx context.Context) error {
	c, err := s.f.dial(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.conn != nil {
		_ = s.conn.Close()
	}
	s.gen++
	s.conn, s.sent = c, 0
	gen := s.gen
	s.mu.Unlock()
	if err := s.send(websocket.TextMessage, s.init); err != nil {
		s.mu.Lock()
		s.conn = nil
		s.mu.Unlock()
		_ = c.Close()
		return fmt.Errorf("%w: %s: first message: %v", ErrUnreachable, s.f.cfg.URL, err)
	}
	s.wg.Add(1)
	go s.read(c, gen)
	return s.flush(false)
}

func (s *funSession) send(kind int, b []byte) error {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return ErrClosed
	}
	_ = c.SetWriteDeadline(time.Now().Add(s.f.cfg.WriteTimeout))
	return c.WriteMessage(kind, b)
}

// flush sends whole chunks of unsent audio; all of it when final is set.
func (s *funSession) flush(final bool) error {
	for {
		s.mu.Lock()
		n := len(s.audio) - s.sent
		if n == 0 || (!final && n < s.chunkBytes) {
			s.mu.Unlock()
			return nil
		}
		n = min(n, s.chunkBytes)
		chunk := s.audio[s.sent : s.sent+n]
		s.mu.Unlock()
		if err := s.send(websocket.BinaryMessage, chunk); err != nil {
			return err
		}
		s.mu.Lock()
		s.sent += n
		s.mu.Unlock()
	}
}

// read forwards one connection's results until it closes.
func (s *funSession) read(c *websocket.Conn, gen int) {
	defer s.wg.Done()
	var offline []string
	for {
		kind, b, err := c.ReadMessage()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseProtocolError, websocket.CloseUnsupportedData, websocket.ClosePolicyViolation) {
				err = fmt.Errorf("%w: server closed: %v", ErrProtocol, err)
			}
			s.report(connEvent{gen: gen, err: err})
			return
		}
		if kind != websocket.TextMessage {
			continue
		}
		var m resultMessage
		if err := json.Unmarshal(b, &m); err != nil {
			s.f.log.Warn("asr: bad result message", "wav_name", s.id, "err", err)
			continue
		}
		offlineMode := m.Mode == "2pass-offline" || m.Mode == "offline"
		if offlineMode && m.Text != "" {
			offline = append(offline, m.Text)
		}
		s.mu.Lock()
		ended, current := s.ended, gen == s.gen
		s.mu.Unlock()
		if !current {
			continue // a replaced connection
		}
		final := m.IsFinal || (ended && offlineMode)
		r := Result{Text: m.Text, Final: final, Mode: m.Mode, ID: m.WavName}
		if final {
			r.Text = strings.Join(offline, "")
			if len(offline) == 0 {
				r.Text = m.Text
			}
		}
		select {
		case s.results <- r:
		default: // nobody reads partials; Finish still gets the final
		}
		if final {
			s.report(connEvent{gen: gen, final: true, text: r.Text})
			return
		}
	}
}

func (s *funSession) report(ev connEvent) {
	select {
	case s.finals <- ev:
	default:
	}
}

// Write buffers pcm and sends complete 60 ms chunks; a failed send reconnects and replays.
func (s *funSession) Write(pcm []int16) error {
	s.mu.Lock()
	if s.closed || s.ended {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(s.audio)+2*len(pcm) > s.maxBytes {
		s.mu.Unlock()
		return s.f.fail(fmt.Errorf("%w: over %v", ErrTooLong, s.f.cfg.MaxUtterance))
	}
	for _, v := range pcm {
		s.audio = binary.LittleEndian.AppendUint16(s.audio, uint16(v))
	}
	s.mu.Unlock()
	if err := s.flush(false); err != nil {
		return s.reconnect(context.Background(), err)
	}
	return nil
}

func (s *funSession) reconnect(ctx context.Context, cause error) error {
	s.f.log.Warn("asr: connection lost, reconnecting", "wav_name", s.id, "err", cause)
	s.f.reconnects.Inc()
	if err := s.connect(ctx); err != nil {
		return s.f.fail(err)
	}
	return nil
}

// Finish sends the rest of the audio and the end flag, then waits for the final result,
// reconnecting and replaying the utterance if the connection drops before it arrives.
func (s *funSession) Finish(ctx context.Context) (Result, error) {
	s.mu.Lock()
	if s.closed || s.ended {
		s.mu.Unlock()
		return Result{}, ErrClosed
	}
	s.ended = true
	empty := len(s.audio) == 0
	s.mu.Unlock()
	defer s.Close()
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("%w: %s: %w", ErrTimeout, s.id, err)
	}
	if empty {
		return Result{Final: true, Mode: "2pass-offline", ID: s.id}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.f.cfg.FinalTimeout)
	defer cancel()
	began := time.Now()
	for attempt := 0; ; attempt++ {
		err := s.flush(true)
		if err == nil {
			err = s.send(websocket.TextMessage, []byte(`{"is_speaking":false}`))
		}
		if err == nil {
			err = s.awaitFinal(ctx)
			if err == nil {
				s.f.latency.Observe(time.Since(began).Seconds())
				return s.final, nil
			}
		}
		if errors.Is(err, ErrTimeout) || errors.Is(err, ErrProtocol) || ctx.Err() != nil || attempt+1 >= s.f.cfg.Attempts {
			if ctx.Err() != nil && !errors.Is(err, ErrTimeout) {
				err = fmt.Errorf("%w: %s: %w", ErrTimeout, s.id, ctx.Err())
			}
			return Result{}, s.f.fail(err)
		}
		if rerr := s.reconnect(ctx, err); rerr != nil {
			return Result{}, rerr // counted by reconnect
		}
	}
}

// awaitFinal waits for the current connection's final result or its loss.
func (s *funSession) awaitFinal(ctx context.Context) error {
	for {
		select {
		case ev := <-s.finals:
			s.mu.Lock()
			current := ev.gen == s.gen
			s.mu.Unlock()
			if !current {
				continue
			}
			if ev.final {
				s.final = Result{Text: ev.text, Final: true, Mode: "2pass-offline", ID: s.id}
				return nil
			}
			return ev.err
		case <-ctx.Done():
			return fmt.Errorf("%w: no final result for %s within %v", ErrTimeout, s.id, s.f.cfg.FinalTimeout)
		}
	}
}

// Results delivers partial and final results; closed after Close.
func (s *funSession) Results() <-chan Result { return s.results }

// Close closes the connection, waits for its reader and closes Results.
func (s *funSession) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	var err error
	if c != nil {
		_ = c.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		err = c.Close()
	}
	s.wg.Wait()
	close(s.results)
	return err
}

// Transcribe recognises one finished utterance (16 kHz mono PCM from the VAD) and returns
// the final text; it streams the audio in protocol-sized chunks over one session. An empty
// string with a nil error means the server heard no words.
func (f *FunASR) Transcribe(ctx context.Context, pcm []int16) (string, error) {
	s, err := f.Start(ctx, StartOptions{})
	if err != nil {
		return "", err
	}
	defer s.Close()
	if err := s.Write(pcm); err != nil {
		return "", err
	}
	r, err := s.Finish(ctx)
	if err != nil {
		return "", err
	}
	return r.Text, nil
}
