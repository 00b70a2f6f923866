package voice_test

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"dianbao/channels/voice"
	"dianbao/channels/voice/codec"
)

// rawTrack is the test caller's microphone: a TrackLocal that writes RTP with any payload
// type on one SSRC, as Chrome does with Opus and RFC 4733 telephone-events.
type rawTrack struct {
	mu    sync.Mutex
	w     webrtc.TrackLocalWriter
	ssrc  webrtc.SSRC
	bound chan struct{}
	once  sync.Once
}

func newRawTrack() *rawTrack { return &rawTrack{bound: make(chan struct{})} }

func (r *rawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, webrtc.MimeTypeOpus) {
			r.mu.Lock()
			r.w, r.ssrc = ctx.WriteStream(), ctx.SSRC()
			r.mu.Unlock()
			r.once.Do(func() { close(r.bound) })
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}
func (r *rawTrack) Unbind(webrtc.TrackLocalContext) error { return nil }
func (r *rawTrack) ID() string                            { return "mic" }
func (r *rawTrack) RID() string                           { return "" }
func (r *rawTrack) StreamID() string                      { return "caller" }
func (r *rawTrack) Kind() webrtc.RTPCodecType             { return webrtc.RTPCodecTypeAudio }

func (r *rawTrack) write(h rtp.Header, payload []byte) error {
	r.mu.Lock()
	w, ssrc := r.w, r.ssrc
	r.mu.Unlock()
	h.Version, h.SSRC = 2, uint32(ssrc)
	_, err := w.WriteRTP(&h, payload)
	return err
}

// caller is a Go pion client playing the browser widget.
type caller struct {
	t    testing.TB
	ws   *websocket.Conn
	wsMu sync.Mutex
	pc   *webrtc.PeerConnection
	mic  *rawTrack
	dc   *webrtc.DataChannel

	dcOpen  chan struct{}
	events  chan map[string]any
	signals chan map[string]any
	hello   map[string]any

	mu        sync.Mutex
	packets   int
	lastAt    time.Time
	arrivals  []time.Time
	energy    float64 // sum of squares of decoded bot audio
	samples   int
	seq       uint16
	ts        uint32
	dtmfTS    uint32
	done      chan struct{}
	readers   sync.WaitGroup
	dtmfPT    uint8
	closeOnce sync.Once
	noDecode  bool // benchmarks only count packets
	keepRaw   bool // record received payloads (bridge test)
	raw       [][]byte
	session   string
	markers   chan time.Time // arrivals of talk-spurt starts (RTP marker bit)
}

const (
	clientOpusPT = 111
	clientDTMFPT = 126
)

func clientAPI(t testing.TB) *webrtc.API {
	me := &webrtc.MediaEngine{}
	require.NoError(t, me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType: clientOpusPT}, webrtc.RTPCodecTypeAudio))
	require.NoError(t, me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-16"},
		PayloadType: clientDTMFPT}, webrtc.RTPCodecTypeAudio))
	reg := &interceptor.Registry{}
	require.NoError(t, webrtc.ConfigureRTCPReports(reg))
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// dial connects the WebSocket and reads the hello.
func dial(t testing.TB, url string) *caller {
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	c := &caller{t: t, ws: ws, events: make(chan map[string]any, 256), signals: make(chan map[string]any, 64),
		dcOpen: make(chan struct{}), done: make(chan struct{}), dtmfPT: clientDTMFPT,
		markers: make(chan time.Time, 1024)}
	require.NoError(t, ws.ReadJSON(&c.hello))
	require.Equal(t, "hello", c.hello["type"])
	return c
}

func (c *caller) send(v any) error {
	c.wsMu.Lock()
	defer c.wsMu.Unlock()
	return c.ws.WriteJSON(v)
}

// call offers audio and the events data channel, trickles ICE and waits for connection.
func (c *caller) call(api *webrtc.API) {
	t := c.t
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	c.pc = pc
	c.mic = newRawTrack()
	_, err = pc.AddTrack(c.mic)
	require.NoError(t, err)
	c.dc, err = pc.CreateDataChannel("events", nil)
	require.NoError(t, err)
	c.dc.OnOpen(func() { close(c.dcOpen) })
	c.dc.OnMessage(func(m webrtc.DataChannelMessage) {
		var ev map[string]any
		if json.Unmarshal(m.Data, &ev) == nil {
			select {
			case c.events <- ev:
			default:
			}
		}
	})
	dec, err := codec.NewOpusDecoder()
	require.NoError(t, err)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c.readers.Add(1)
		go func() {
			defer c.readers.Done()
			var pcm []int16
			for {
				p, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				now := time.Now()
				if p.Marker {
					select {
					case c.markers <- now:
					default:
					}
				}
				if c.keepRaw {
					c.mu.Lock()
					c.raw = append(c.raw, append([]byte(nil), p.Payload...))
					c.mu.Unlock()
				}
				if c.noDecode {
					c.mu.Lock()
					c.packets++
					c.lastAt = now
					c.mu.Unlock()
					continue
				}
				pcm, _ = dec.Decode(pcm[:0], p.Payload)
				c.mu.Lock()
				c.packets++
				c.lastAt = now
				c.arrivals = append(c.arrivals, now)
				for _, s := range pcm {
					c.energy += float64(s) * float64(s)
				}
				c.samples += len(pcm)
				c.mu.Unlock()
			}
		}()
	})
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil {
			init := cand.ToJSON()
			_ = c.send(map[string]any{"type": "candidate", "candidate": init})
		}
	})
	offer, err := pc.CreateOffer(nil)
	require.NoError(t, err)
	require.NoError(t, pc.SetLocalDescription(offer))
	require.NoError(t, c.send(map[string]any{"type": "offer", "sdp": offer.SDP}))

	// Signalling reader: answer first, then candidates and hangup.
	answered := make(chan string, 1)
	c.readers.Add(1)
	go func() {
		defer c.readers.Done()
		defer c.closeOnce.Do(func() { close(c.done) })
		for {
			var msg map[string]any
			if err := c.ws.ReadJSON(&msg); err != nil {
				return
			}
			switch msg["type"] {
			case "answer":
				c.mu.Lock()
				c.session, _ = msg["session"].(string)
				c.mu.Unlock()
				answered <- msg["sdp"].(string)
			case "candidate":
				b, _ := json.Marshal(msg["candidate"])
				var init webrtc.ICECandidateInit
				_ = json.Unmarshal(b, &init)
				_ = pc.AddICECandidate(init)
			default:
				c.signals <- msg
			}
		}
	}()
	select {
	case sdp := <-answered:
		require.NoError(t, pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}))
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	select {
	case <-connected:
	case <-time.After(15 * time.Second):
		t.Fatal("not connected")
	}
	select {
	case <-c.mic.bound:
	case <-time.After(5 * time.Second):
		t.Fatal("mic not bound")
	}
}

// hangup closes the peer and the socket and waits for the client's goroutines.
func (c *caller) hangup() {
	_ = c.send(map[string]any{"type": "hangup"})
	if c.pc != nil {
		_ = c.pc.Close()
	}
	_ = c.ws.Close()
	c.readers.Wait()
}

// waitEvent returns the first data-channel event matching ok.
func (c *caller) waitEvent(timeout time.Duration, ok func(map[string]any) bool) map[string]any {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-c.events:
			if ok(ev) {
				return ev
			}
		case <-deadline:
			c.t.Fatalf("no matching event within %s", timeout)
			return nil
		}
	}
}

func isMessage(ev map[string]any) bool { return ev["type"] == "message" }

func (c *caller) stats() (packets int, last time.Time, rms float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.samples > 0 {
		rms = math.Sqrt(c.energy / float64(c.samples))
	}
	return c.packets, c.lastAt, rms
}

func (c *caller) resetAudio() {
	c.mu.Lock()
	c.energy, c.samples, c.packets = 0, 0, 0
	c.arrivals = nil
	c.mu.Unlock()
}

// firstPacketAfter returns the arrival of the first bot packet after t0.
func (c *caller) firstPacketAfter(t0 time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.arrivals {
		if a.After(t0) {
			return a, true
		}
	}
	return time.Time{}, false
}

// pressKey sends one RFC 4733 key press: three start packets, then three end packets
// with the same timestamp, 8 kHz clock (as Chrome does).
func (c *caller) pressKey(digit byte) {
	code := strings.IndexByte("0123456789*#ABCD", digit)
	require.GreaterOrEqual(c.t, code, 0)
	c.mu.Lock()
	c.dtmfTS += 8000
	ts := c.dtmfTS
	c.mu.Unlock()
	for i := range 6 {
		end := i >= 3
		dur := uint16(400 * (i + 1))
		flags := byte(10) // volume -10 dBm0
		if end {
			flags |= 0x80
			dur = 1600
		}
		c.mu.Lock()
		c.seq++
		seq := c.seq
		c.mu.Unlock()
		require.NoError(c.t, c.mic.write(rtp.Header{PayloadType: c.dtmfPT, SequenceNumber: seq, Timestamp: ts,
			Marker: i == 0}, []byte{byte(code), flags, byte(dur >> 8), byte(dur)}))
	}
}

// speak sends PCM (48 kHz) as paced 20 ms Opus packets.
func (c *caller) speak(ctx context.Context, enc *codec.OpusEncoder, pcm []int16) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for off := 0; off+960 <= len(pcm); off += 960 {
		payload, err := enc.Encode(pcm[off : off+960])
		require.NoError(c.t, err)
		c.mu.Lock()
		c.seq++
		c.ts += 960
		h := rtp.Header{PayloadType: clientOpusPT, SequenceNumber: c.seq, Timestamp: c.ts}
		c.mu.Unlock()
		require.NoError(c.t, c.mic.write(h, append([]byte(nil), payload...)))
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// testServer mounts a voice.Server on an httptest server.
func testServer(t testing.TB, cfg voice.Config) (*voice.Server, string) {
	return testServerReg(t, cfg, nil)
}

func testServerReg(t testing.TB, cfg voice.Config, reg prometheus.Registerer) (*voice.Server, string) {
	cfg.IncludeLoopback = true
	srv, err := voice.NewServer(cfg, nil, reg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/ws/voice", srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		hs.Close()
	})
	return srv, "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws/voice"
}

func rtpHeader(pt uint8, seq uint16, ts uint32) rtp.Header {
	return rtp.Header{PayloadType: pt, SequenceNumber: seq, Timestamp: ts}
}
