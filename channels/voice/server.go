package voice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Server accepts voice calls: it serves the /ws/voice signalling WebSocket and owns every
// call it started until Close.
type Server struct {
	cfg      Config
	log      *slog.Logger
	m        *metrics
	api      *webrtc.API
	upgrader websocket.Upgrader
	prompts  *promptCache
	clock    *clock

	mu     sync.Mutex
	calls  map[*Call]struct{}
	closed bool
}

// NewServer checks the configuration and prepares the WebRTC API shared by all calls.
func NewServer(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("%w: metrics: %w", ErrConfig, err)
	}
	// Fail at start-up, not on the first call, when the encoder cannot be built.
	if _, err := c.NewEncoder(); err != nil {
		return nil, fmt.Errorf("%w: encoder: %w", ErrConfig, err)
	}
	api, err := newAPI(c)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: c, log: logger, m: m, api: api, prompts: newPromptCache(c.PromptCacheSize), clock: newClock(),
		calls: make(map[*Call]struct{})}
	s.upgrader = websocket.Upgrader{HandshakeTimeout: 10 * time.Second, CheckOrigin: s.checkOrigin}
	return s, nil
}

// Codec parameters: Opus as browsers offer it, and RFC 4733 telephone-event at 8 kHz
// (Chrome's PT 126) and 48 kHz, which pion does not negotiate unless registered.
const (
	opusPT     = 111
	dtmf8kPT   = 126
	dtmf48kPT  = 110
	mimeDTMF   = "audio/telephone-event"
	opusFmtp   = "minptime=10;useinbandfec=1"
	dtmfFmtp   = "0-16"
	channelTag = "events"
)

func newAPI(c Config) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	codecs := []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: opusFmtp}, PayloadType: opusPT},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeDTMF, ClockRate: 48000, SDPFmtpLine: dtmfFmtp}, PayloadType: dtmf48kPT},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeDTMF, ClockRate: 8000, SDPFmtpLine: dtmfFmtp}, PayloadType: dtmf8kPT},
	}
	for _, codec := range codecs {
		if err := me.RegisterCodec(codec, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("%w: register %s: %w", ErrConfig, codec.MimeType, err)
		}
	}
	reg := &interceptor.Registry{}
	// RTCP sender and receiver reports only: they carry the jitter and loss we export.
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, fmt.Errorf("%w: interceptors: %w", ErrConfig, err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(c.IncludeLoopback)
	if len(c.NAT1To1IPs) > 0 {
		se.SetNAT1To1IPs(c.NAT1To1IPs, webrtc.ICECandidateTypeHost)
	}
	if c.UDPPortMin > 0 && c.UDPPortMax >= c.UDPPortMin {
		if err := se.SetEphemeralUDPPortRange(c.UDPPortMin, c.UDPPortMax); err != nil {
			return nil, fmt.Errorf("%w: UDP ports: %w", ErrConfig, err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)), nil
}

func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser
	}
	if slices.Contains(s.cfg.AllowedOrigins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// signal is one signalling message, in both directions.
type signal struct {
	Type       string                   `json:"type"`
	SDP        string                   `json:"sdp,omitempty"`
	Candidate  *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Session    string                   `json:"session,omitempty"`
	ASR        *bool                    `json:"asr,omitempty"`
	ICEServers []webrtc.ICEServer       `json:"iceServers,omitempty"`
	Reason     string                   `json:"reason,omitempty"`
	Code       string                   `json:"code,omitempty"`
	Message    string                   `json:"message,omitempty"`
	Detail     string                   `json:"detail,omitempty"`
	// Lang is the caller's language (client hello or offer), Langs the ones on offer.
	Lang  string   `json:"lang,omitempty"`
	Langs []string `json:"langs,omitempty"`
}

// wsConn serialises writes: pion's ICE callbacks and the call both send.
type wsConn struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

func (w *wsConn) send(msg signal) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return w.conn.WriteJSON(msg)
}

func (w *wsConn) sendError(code, message string, err error) {
	msg := signal{Type: "error", Code: code, Message: message}
	if err != nil {
		msg.Detail = err.Error()
	}
	_ = w.send(msg)
}

// ServeHTTP upgrades to the signalling WebSocket and runs one call over it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		http.Error(w, "服务正在维护，请稍后再拨。", http.StatusServiceUnavailable)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()
	conn.SetReadLimit(s.cfg.MaxMessageBytes)
	ws := &wsConn{conn: conn}
	asr := s.cfg.Recognizer != nil
	_ = ws.send(signal{Type: "hello", ASR: &asr, ICEServers: s.cfg.ICEServers, Langs: s.langs()})
	voice := s.cfg.Voice

	var call *Call
	var early []webrtc.ICECandidateInit
	defer func() {
		if call != nil {
			call.Hangup("caller")
			<-call.Done()
		}
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				ws.sendError("too_large", "消息过大，已断开连接。", err)
			}
			return
		}
		var msg signal
		if err := json.Unmarshal(data, &msg); err != nil {
			ws.sendError("bad_message", "无法识别的消息格式。", fmt.Errorf("%w: %w", ErrBadMessage, err))
			continue
		}
		if msg.Lang != "" && (msg.Type == "hello" || msg.Type == "offer") {
			v, ok := s.voiceFor(msg.Lang)
			switch {
			case !ok:
				ws.sendError("bad_lang", "不支持所选的语言，将使用普通话为您服务。",
					fmt.Errorf("%w: language %q (offered: %s)", ErrBadMessage, msg.Lang, strings.Join(s.langs(), ", ")))
			case call != nil:
				ws.sendError("in_call", "通话已经建立，无法更换语言。", nil)
			default:
				voice = v
			}
		}
		switch msg.Type {
		case "hello":
			// The widget's own hello carries its options (lang); nothing else to do.
		case "offer":
			if call != nil {
				ws.sendError("in_call", "通话已经建立，不支持重新协商。", nil)
				continue
			}
			c, answer, err := s.startCall(msg.SDP, ws, voice)
			if err != nil {
				code, text := "bad_offer", "无法建立通话：通话请求（SDP）无效。"
				switch {
				case errors.Is(err, ErrServerClosed):
					code, text = "unavailable", "服务正在维护，请稍后再拨。"
				case !errors.Is(err, ErrBadOffer):
					code, text = "unavailable", "抱歉，暂时无法接通，请稍后再拨。"
					s.log.Error("voice: start call", "err", err)
				}
				ws.sendError(code, text, err)
				continue
			}
			call = c
			if err := ws.send(signal{Type: "answer", SDP: answer, Session: c.id, ASR: &asr}); err != nil {
				return
			}
			for _, cand := range early {
				c.addCandidate(cand)
			}
			early = nil
		case "candidate":
			if msg.Candidate == nil {
				ws.sendError("bad_candidate", "候选地址为空。", ErrBadMessage)
				continue
			}
			if call == nil {
				if len(early) < 64 {
					early = append(early, *msg.Candidate)
				}
				continue
			}
			if err := call.addCandidate(*msg.Candidate); err != nil {
				ws.sendError("bad_candidate", "候选地址无效。", err)
			}
		case "hangup":
			return
		default:
			ws.sendError("bad_message", "不支持的消息类型。", fmt.Errorf("%w: type %q", ErrBadMessage, msg.Type))
		}
	}
}

// startCall validates the offer, builds the call and returns the answer SDP.
func (s *Server) startCall(offer string, ws *wsConn, voice string) (*Call, string, error) {
	pts, err := audioPayloadTypes(offer)
	if err != nil {
		return nil, "", err
	}
	id := s.newSessionID()
	c, err := newCall(s, id, pts, ws, voice)
	if err != nil {
		return nil, "", err
	}
	answer, err := c.answer(offer)
	if err != nil {
		c.Hangup("bad_offer")
		<-c.Done()
		return nil, "", err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Hangup("shutdown")
		<-c.Done()
		return nil, "", ErrServerClosed
	}
	s.calls[c] = struct{}{}
	s.mu.Unlock()
	s.m.calls.Inc()
	return c, answer, nil
}

// langs lists the languages a caller may choose, sorted.
func (s *Server) langs() []string {
	out := make([]string, 0, len(s.cfg.Languages))
	for l := range s.cfg.Languages {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// voiceFor maps a caller's language to a TTS voice.
func (s *Server) voiceFor(lang string) (string, bool) {
	v, ok := s.cfg.Languages[strings.ToLower(strings.TrimSpace(lang))]
	return v, ok
}

// HasCall reports whether sessionID is a voice call in progress (the agent console marks
// such queue entries as phone calls).
func (s *Server) HasCall(sessionID string) bool { return s.findCall(sessionID) != nil }

func (s *Server) forget(c *Call) {
	s.mu.Lock()
	delete(s.calls, c)
	s.mu.Unlock()
}

func (s *Server) newSessionID() string {
	if s.cfg.NewSessionID != nil {
		return s.cfg.NewSessionID()
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "v" + hex.EncodeToString(b[:])
}

// Close refuses new calls, hangs up every call and waits until all of them are torn down.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	calls := make([]*Call, 0, len(s.calls))
	for c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.Hangup("shutdown")
	}
	for _, c := range calls {
		<-c.Done()
	}
	s.clock.close()
	return nil
}

// ActiveCalls returns the calls in progress, for the agent bridge and for operators.
func (s *Server) ActiveCalls() []*Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Call, 0, len(s.calls))
	for c := range s.calls {
		out = append(out, c)
	}
	return out
}

// offerCodecs maps the offer's audio payload types to their role.
type offerCodecs struct {
	opus map[uint8]bool
	dtmf map[uint8]bool
}

// audioPayloadTypes parses the offer (RFC 8866) and finds its Opus and telephone-event
// payload types; an offer with no Opus audio is refused before any PeerConnection exists.
func audioPayloadTypes(offer string) (offerCodecs, error) {
	out := offerCodecs{opus: map[uint8]bool{}, dtmf: map[uint8]bool{}}
	if strings.TrimSpace(offer) == "" {
		return out, fmt.Errorf("%w: empty SDP", ErrBadOffer)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return out, fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" {
			continue
		}
		for _, f := range md.MediaName.Formats {
			var pt uint8
			if _, err := fmt.Sscan(f, &pt); err != nil {
				continue
			}
			codec, err := sd.GetCodecForPayloadType(pt)
			if err != nil {
				continue
			}
			switch strings.ToLower(codec.Name) {
			case "opus":
				out.opus[pt] = true
			case "telephone-event":
				out.dtmf[pt] = true
			}
		}
	}
	if len(out.opus) == 0 {
		return out, fmt.Errorf("%w: no Opus audio in the offer", ErrBadOffer)
	}
	return out, nil
}

// callContext is the root of a call's context: independent of the HTTP request, which
// ends when the WebSocket handler returns.
func callContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func promptKey(voice, text string) string { return voice + "\x00" + text }

// synthesize speaks text at 48 kHz and returns a fresh encoder for it: one encoder per
// prompt makes its packets self-contained, so they can be cached and replayed in any call.
func (s *Server) synthesize(ctx context.Context, text, voice string) ([]int16, Encoder, error) {
	raw, rate, err := s.cfg.Synthesizer.Synthesize(ctx, text, voice)
	if err != nil {
		return nil, nil, fmt.Errorf("voice: tts: %w", err)
	}
	if len(raw) == 0 || rate <= 0 {
		return nil, nil, fmt.Errorf("voice: tts gave no audio for %q", text)
	}
	pcm := raw
	if rate != outRate {
		if s.cfg.Resample == nil {
			return nil, nil, fmt.Errorf("%w: TTS rate %d Hz needs Resample", ErrConfig, rate)
		}
		pcm = s.cfg.Resample(raw, rate, outRate)
	}
	enc, err := s.cfg.NewEncoder()
	if err != nil {
		return nil, nil, fmt.Errorf("voice: encoder: %w", err)
	}
	return pcm, enc, nil
}

// Spoken is the exact text a bot message is spoken as (its text, then the keypad menu for
// its choices); pass it to Prewarm for messages with choices.
func (s *Server) Spoken(text string, choices []Choice) string {
	return spokenText(text, s.cfg.Prompts.KeyOption, choices)
}

// Prewarm synthesises and encodes prompts ahead of the first call — the channel's own
// prompts and the given texts (greetings, fixed dialog lines) — in the default voice, so
// they cost nothing later.
func (s *Server) Prewarm(ctx context.Context, texts ...string) error {
	return s.PrewarmVoice(ctx, s.cfg.Voice, texts...)
}

// PrewarmVoice is Prewarm for one voice (e.g. the Cantonese one of Config.Languages).
func (s *Server) PrewarmVoice(ctx context.Context, voice string, texts ...string) error {
	p := s.cfg.Prompts
	for _, text := range append([]string{p.StillThere, p.SilentGoodbye, p.Repeat, p.Unavailable}, texts...) {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := promptKey(voice, text)
		if _, ok := s.prompts.get(key); ok {
			continue
		}
		pcm, enc, err := s.synthesize(ctx, text, voice)
		if err != nil {
			return err
		}
		frame := make([]int16, frameSamples)
		packets := make([][]byte, 0, len(pcm)/frameSamples+1)
		for off := 0; off < len(pcm); off += frameSamples {
			n := copy(frame, pcm[off:])
			clear(frame[n:])
			b, err := enc.Encode(frame)
			if err != nil {
				return fmt.Errorf("voice: encode prompt: %w", err)
			}
			packets = append(packets, append([]byte(nil), b...))
		}
		s.prompts.put(key, packets)
	}
	return nil
}
