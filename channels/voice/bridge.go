package voice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// bridge is an agent's browser attached to an escalated call: Opus packets are forwarded
// both ways without transcoding and the bot stays silent until the agent leaves.
type bridge struct {
	call   *Call
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP // the caller's voice, to the agent
	ws     *wsConn
	codecs offerCodecs
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	done   chan struct{}
}

// ServeAgent runs the agent side of a call over the same signalling messages as
// /ws/voice: the agent console mounts it behind its own authentication and passes the
// session id of the escalated call. When the agent hangs up, the call returns to the bot.
func (s *Server) ServeAgent(w http.ResponseWriter, r *http.Request, sessionID string) {
	call := s.findCall(sessionID)
	if call == nil {
		http.Error(w, "会话不存在或通话已结束。", http.StatusNotFound)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetReadLimit(s.cfg.MaxMessageBytes)
	ws := &wsConn{conn: conn}
	_ = ws.send(signal{Type: "hello", Session: sessionID, ICEServers: s.cfg.ICEServers})
	var b *bridge
	var early []webrtc.ICECandidateInit
	defer func() {
		if b != nil {
			call.detach(b)
		}
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var msg signal
		if err := json.Unmarshal(data, &msg); err != nil {
			ws.sendError("bad_message", "无法识别的消息格式。", fmt.Errorf("%w: %w", ErrBadMessage, err))
			continue
		}
		switch msg.Type {
		case "offer":
			if b != nil {
				ws.sendError("in_call", "已经接入通话。", ErrBridged)
				continue
			}
			nb, answer, err := call.attach(msg.SDP, ws)
			if err != nil {
				code := "bad_offer"
				switch {
				case errors.Is(err, ErrBridged):
					code = "in_call"
				case errors.Is(err, ErrCallClosed):
					code = "call_ended"
				}
				ws.sendError(code, "无法接入通话。", err)
				continue
			}
			b = nb
			if err := ws.send(signal{Type: "answer", SDP: answer, Session: sessionID}); err != nil {
				return
			}
			for _, c := range early {
				_ = b.pc.AddICECandidate(c)
			}
			early = nil
		case "candidate":
			if msg.Candidate == nil {
				ws.sendError("bad_candidate", "候选地址为空。", ErrBadMessage)
				continue
			}
			if b == nil {
				if len(early) < 64 {
					early = append(early, *msg.Candidate)
				}
				continue
			}
			if err := b.pc.AddICECandidate(*msg.Candidate); err != nil {
				ws.sendError("bad_candidate", "候选地址无效。", err)
			}
		case "hangup":
			return
		default:
			ws.sendError("bad_message", "不支持的消息类型。", fmt.Errorf("%w: type %q", ErrBadMessage, msg.Type))
		}
	}
}

func (s *Server) findCall(id string) *Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.calls {
		if c.id == id {
			return c
		}
	}
	return nil
}

// Bridged reports whether an agent is attached to the call.
func (c *Call) Bridged() bool { return c.currentBridge() != nil }

func (c *Call) currentBridge() *bridge { return c.bridged.Load() }

// attach answers the agent's offer and silences the bot.
func (c *Call) attach(offer string, ws *wsConn) (*bridge, string, error) {
	if c.ctx.Err() != nil {
		return nil, "", ErrCallClosed
	}
	codecs, err := audioPayloadTypes(offer)
	if err != nil {
		return nil, "", err
	}
	pc, err := c.srv.api.NewPeerConnection(webrtc.Configuration{ICEServers: c.cfg.ICEServers})
	if err != nil {
		return nil, "", fmt.Errorf("voice: agent peer: %w", err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2, SDPFmtpLine: opusFmtp}, "caller", "dianbao-caller-"+c.id)
	if err == nil {
		_, err = pc.AddTrack(track)
	}
	if err != nil {
		_ = pc.Close()
		return nil, "", fmt.Errorf("voice: agent track: %w", err)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	b := &bridge{call: c, pc: pc, track: track, ws: ws, codecs: codecs, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil {
			init := cand.ToJSON()
			_ = ws.send(signal{Type: "candidate", Candidate: &init})
		}
	})
	var trackOnce sync.Once
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		trackOnce.Do(func() {
			if b.ctx.Err() != nil {
				return
			}
			b.wg.Add(1)
			go b.fromAgent(t)
		})
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		b.close()
		return nil, "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err == nil {
		err = pc.SetLocalDescription(answer)
	}
	if err != nil {
		b.close()
		return nil, "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	if !c.bridged.CompareAndSwap(nil, b) {
		b.close()
		return nil, "", ErrBridged
	}
	c.pacer.stop() // the bot falls silent at once
	c.log.Info("voice: agent attached")
	return b, pc.LocalDescription().SDP, nil
}

// detach ends the bridge and hands the call back to the bot.
func (c *Call) detach(b *bridge) {
	if c.bridged.CompareAndSwap(b, nil) {
		c.pacer.endForward()
		c.log.Info("voice: agent detached")
		c.signalIdle()
	}
	b.close()
}

// toAgent forwards one caller packet as it is.
func (b *bridge) toAgent(p *rtp.Packet) {
	if err := b.track.WriteRTP(p); err != nil && !errors.Is(err, io.ErrClosedPipe) {
		b.call.log.Debug("voice: forward to agent", "err", err)
	}
}

// fromAgent forwards the agent's Opus packets to the caller through the pacer's sequence.
func (b *bridge) fromAgent(t *webrtc.TrackRemote) {
	defer b.wg.Done()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) || b.ctx.Err() != nil || n == 0 {
				return
			}
		}
		if pkt.Unmarshal(buf[:n]) != nil || !b.codecs.opus[pkt.PayloadType] || len(pkt.Payload) == 0 {
			continue
		}
		b.call.pacer.forward(append([]byte(nil), pkt.Payload...), pkt.Timestamp, time.Now())
	}
}

// close tears the agent's peer down and waits for its goroutine; safe to call twice.
func (b *bridge) close() {
	b.once.Do(func() {
		b.cancel()
		_ = b.pc.Close()
		b.wg.Wait()
		b.ws.mu.Lock()
		_ = b.ws.conn.Close()
		b.ws.mu.Unlock()
		close(b.done)
	})
	<-b.done
}
