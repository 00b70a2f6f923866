// Package funasrtest is a FunASR runtime WebSocket server for tests, faithful to the protocol
// of modelscope/FunASR runtime/docs/websocket_protocol.md and the 2pass C++ server: it
// validates the first JSON message, collects binary 16 kHz s16le PCM, sends "2pass-online"
// partials while audio arrives and a "2pass-offline" result with is_final true after
// {"is_speaking":false}. It records what it received (duration, RMS) for assertions.
//
//	srv, err := funasrtest.New(funasrtest.Config{Text: "我家跳闸了"})
//	defer srv.Close()
//	rec, _ := asr.NewFunASR(asr.FunASRConfig{URL: srv.URL()}, nil, nil)
package funasrtest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Config sets the server's behaviour.
type Config struct {
	// Text is the transcript of every utterance, unless Transcript is set.
	Text string
	// Transcript computes the transcript from what was received.
	Transcript func(u Utterance) string
	// PartialEvery sends a 2pass-online partial per this much audio (600 ms); < 0 disables.
	PartialEvery time.Duration
	// DropFirst connections are cut abruptly after DropAfter bytes of audio (reconnect tests).
	DropFirst int
	DropAfter int
	// NoFinal makes the server never answer the end of an utterance (timeout tests).
	NoFinal bool
}

// Utterance is what one connection delivered.
type Utterance struct {
	WavName       string
	Mode          string
	ChunkSize     []int
	ChunkInterval int
	Hotwords      map[string]int
	ITN           bool
	AudioFS       int
	WavFormat     string
	PCM           []int16
	Chunks        int  // binary messages received
	Ended         bool // {"is_speaking":false} arrived
}

// Duration is the audio length.
func (u Utterance) Duration() time.Duration {
	if u.AudioFS == 0 {
		return 0
	}
	return time.Duration(len(u.PCM)) * time.Second / time.Duration(u.AudioFS)
}

// RMS is the root-mean-square amplitude of the audio (full scale 32768).
func (u Utterance) RMS() float64 {
	var s float64
	for _, v := range u.PCM {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(u.PCM), 1)))
}

// Server is a running fake FunASR server on 127.0.0.1.
type Server struct {
	cfg  Config
	ln   net.Listener
	http *http.Server
	wg   sync.WaitGroup

	mu     sync.Mutex
	utts   []Utterance
	errs   []error
	conns  int
	active map[*websocket.Conn]struct{}
}

// New starts a server on a free loopback port.
func New(cfg Config) (*Server, error) {
	if cfg.PartialEvery == 0 {
		cfg.PartialEvery = 600 * time.Millisecond
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("funasrtest: listen: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln, active: map[*websocket.Conn]struct{}{}}
	s.http = &http.Server{Handler: http.HandlerFunc(s.handle), ReadHeaderTimeout: 5 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

// URL is the ws:// address to configure clients with.
func (s *Server) URL() string { return "ws://" + s.ln.Addr().String() }

// Utterances returns the utterances received so far, in connection order.
func (s *Server) Utterances() []Utterance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Utterance(nil), s.utts...)
}

// Errors returns the protocol violations seen.
func (s *Server) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// Connections counts accepted WebSocket connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Close stops the server and every open connection, and waits for their handlers.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	s.mu.Lock()
	for c := range s.active {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// firstMessage mirrors the fields of FunASR's first message with their JSON types.
type firstMessage struct {
	Mode          *string         `json:"mode"`
	ChunkSize     []int           `json:"chunk_size"`
	ChunkInterval *int            `json:"chunk_interval"`
	WavName       *string         `json:"wav_name"`
	IsSpeaking    *bool           `json:"is_speaking"`
	Hotwords      json.RawMessage `json:"hotwords"`
	ITN           *bool           `json:"itn"`
	AudioFS       *int            `json:"audio_fs"`
	WavFormat     *string         `json:"wav_format"`
}

func (s *Server) fail(c *websocket.Conn, err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseProtocolError, err.Error()), time.Now().Add(time.Second))
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	s.mu.Lock()
	s.conns++
	connNo := s.conns
	s.active[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.active, c)
		s.mu.Unlock()
		_ = c.Close()
	}()

	kind, b, err := c.ReadMessage()
	if err != nil {
		return // a Ping: connect and close
	}
	u, err := parseFirst(kind, b)
	if err != nil {
		s.fail(c, err)
		return
	}
	idx := s.record(u)
	drop := connNo <= s.cfg.DropFirst
	nextPartial := int(s.cfg.PartialEvery.Seconds() * float64(u.AudioFS))
	partials := 0
	for {
		kind, b, err := c.ReadMessage()
		if err != nil {
			return
		}
		switch kind {
		case websocket.BinaryMessage:
			if len(b)%2 != 0 {
				s.fail(c, fmt.Errorf("odd PCM chunk of %d bytes", len(b)))
				return
			}
			u = s.update(idx, func(u *Utterance) {
				for i := 0; i+1 < len(b); i += 2 {
					u.PCM = append(u.PCM, int16(binary.LittleEndian.Uint16(b[i:])))
				}
				u.Chunks++
			})
			if drop && 2*len(u.PCM) >= s.cfg.DropAfter {
				_ = c.UnderlyingConn().Close() // abrupt, no close frame
				return
			}
			if s.cfg.PartialEvery > 0 && len(u.PCM) >= nextPartial {
				partials++
				nextPartial += int(s.cfg.PartialEvery.Seconds() * float64(u.AudioFS))
				text := prefix(s.transcript(u), partials)
				if err := s.send(c, map[string]any{"mode": "2pass-online", "text": text, "wav_name": u.WavName, "is_final": false}); err != nil {
					return
				}
			}
		case websocket.TextMessage:
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				s.fail(c, fmt.Errorf("bad JSON: %v", err))
				return
			}
			if sp, ok := m["is_speaking"].(bool); !ok || sp {
				s.fail(c, fmt.Errorf("unexpected text message %s", b))
				return
			}
			u = s.update(idx, func(u *Utterance) { u.Ended = true })
			if s.cfg.NoFinal {
				continue
			}
			// Like the C++ 2pass server: the corrected text with is_final true.
			if err := s.send(c, map[string]any{"mode": "2pass-offline", "text": s.transcript(u), "wav_name": u.WavName, "is_final": true}); err != nil {
				return
			}
		}
	}
}

func (s *Server) send(c *websocket.Conn, m map[string]any) error {
	b, _ := json.Marshal(m)
	_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	return c.WriteMessage(websocket.TextMessage, b)
}

func (s *Server) record(u Utterance) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.utts = append(s.utts, u)
	return len(s.utts) - 1
}

func (s *Server) update(i int, f func(*Utterance)) Utterance {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.utts[i])
	return s.utts[i]
}

func (s *Server) transcript(u Utterance) string {
	if s.cfg.Transcript != nil {
		return s.cfg.Transcript(u)
	}
	return s.cfg.Text
}

// prefix returns the first n*2 runes, as a streaming model's growing hypothesis.
func prefix(t string, n int) string {
	r := []rune(t)
	k := min(len(r), 2*n)
	if k == len(r) && k > 1 {
		k-- // a partial never has the whole corrected sentence
	}
	if !utf8.ValidString(t) {
		return ""
	}
	return string(r[:k])
}

var errFirst = errors.New("first message")

// parseFirst validates the first message the way the FunASR servers read it.
func parseFirst(kind int, b []byte) (Utterance, error) {
	if kind != websocket.TextMessage {
		return Utterance{}, fmt.Errorf("%w: must be a JSON text message, got binary", errFirst)
	}
	var m firstMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return Utterance{}, fmt.Errorf("%w: %v", errFirst, err)
	}
	var u Utterance
	switch {
	case m.Mode == nil || (*m.Mode != "2pass" && *m.Mode != "online" && *m.Mode != "offline"):
		return u, fmt.Errorf("%w: mode must be 2pass, online or offline", errFirst)
	case *m.Mode != "offline" && (len(m.ChunkSize) != 3 || m.ChunkSize[1] == 0):
		return u, fmt.Errorf("%w: chunk_size must be 3 integers with a non-zero middle, got %v", errFirst, m.ChunkSize)
	case m.WavName == nil || *m.WavName == "":
		return u, fmt.Errorf("%w: wav_name missing", errFirst)
	case m.IsSpeaking == nil || !*m.IsSpeaking:
		return u, fmt.Errorf("%w: is_speaking must be true", errFirst)
	case m.WavFormat == nil || *m.WavFormat != "pcm":
		return u, fmt.Errorf("%w: wav_format must be pcm for streaming", errFirst)
	case m.AudioFS == nil || (*m.AudioFS != 16000 && *m.AudioFS != 8000):
		return u, fmt.Errorf("%w: audio_fs must be 16000 or 8000", errFirst)
	case m.ITN == nil:
		return u, fmt.Errorf("%w: itn missing", errFirst)
	}
	u = Utterance{Mode: *m.Mode, ChunkSize: m.ChunkSize, WavName: *m.WavName, ITN: *m.ITN, AudioFS: *m.AudioFS, WavFormat: *m.WavFormat}
	if m.ChunkInterval != nil {
		u.ChunkInterval = *m.ChunkInterval
	}
	if len(m.Hotwords) > 0 {
		// hotwords is a string holding a JSON object (the C++ server parses it a second time).
		var hs string
		if err := json.Unmarshal(m.Hotwords, &hs); err != nil {
			return u, fmt.Errorf("%w: hotwords must be a JSON string, got %s", errFirst, m.Hotwords)
		}
		if hs != "" {
			if err := json.Unmarshal([]byte(hs), &u.Hotwords); err != nil {
				return u, fmt.Errorf("%w: hotwords string must hold {\"word\":weight}: %v", errFirst, err)
			}
		}
	}
	return u, nil
}
