package voice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"dianbao/bot"
)

// Call is one voice call: a PeerConnection, its media goroutines and the run loop that
// owns the conversation state. Every goroutine it starts stops on Hangup.
type Call struct {
	id     string
	srv    *Server
	cfg    *Config
	log    *slog.Logger
	ws     *wsConn
	codecs offerCodecs
	voice  string // the TTS voice of this call (the caller's language)

	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP
	sender *webrtc.RTPSender
	pacer  *pacer
	dec    Decoder
	ep     Endpointer
	barge  BargeInDetector // nil: count endpointer speech

	ctx    context.Context
	cancel context.CancelFunc
	events chan callEvent
	idleCh chan struct{} // the pacer drained; never blocks the shared clock
	done   chan struct{}

	goMu    sync.Mutex
	closing bool
	wg      sync.WaitGroup
	reason  string
	trackOn bool

	dcMu    sync.Mutex
	dc      *webrtc.DataChannel
	dcOpen  bool
	pending [][]byte

	// epoch is the pacer epoch when the run loop took its current event (run loop only).
	epoch uint64
	// bridged is the agent attached to the call, nil while the bot talks.
	bridged atomic.Pointer[bridge]
	// counted is set by the run loop when the call connected and entered the active gauge.
	counted bool
}

// callEvent is one input to the run loop.
type callEvent struct {
	kind  eventKind
	text  string
	pcm   []int16
	at    time.Time
	force bool
	bev   bot.Event // evBus
}

type eventKind int

const (
	evConnected eventKind = iota + 1
	evDataOpen
	evDigit
	evText
	evChoice
	evSpeechStart
	evUtterance
	evIdle
	evPeerGone
	evBus
)

func newCall(s *Server, id string, codecs offerCodecs, ws *wsConn, voice string) (*Call, error) {
	dec, err := s.cfg.NewDecoder()
	if err != nil {
		return nil, fmt.Errorf("%w: decoder: %w", ErrConfig, err)
	}
	ep, err := s.cfg.NewEndpointer()
	if err != nil {
		return nil, fmt.Errorf("%w: endpointer: %w", ErrConfig, err)
	}
	var barge BargeInDetector
	if s.cfg.NewBargeIn != nil {
		if barge, err = s.cfg.NewBargeIn(); err != nil {
			return nil, fmt.Errorf("%w: barge-in: %w", ErrConfig, err)
		}
	}
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{ICEServers: s.cfg.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("voice: peer connection: %w", err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2, SDPFmtpLine: opusFmtp}, "bot", "dianbao-"+id)
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("voice: bot track: %w", err)
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("voice: add bot track: %w", err)
	}
	ctx, cancel := callContext()
	c := &Call{id: id, srv: s, cfg: &s.cfg, log: s.log.With("session_id", id), ws: ws, codecs: codecs, voice: voice,
		pc: pc, track: track, sender: sender, dec: dec, ep: ep, barge: barge, ctx: ctx, cancel: cancel,
		events: make(chan callEvent, 256), idleCh: make(chan struct{}, 1), done: make(chan struct{})}
	c.pacer = newPacer(s.clock, track, s.cfg.LateFrame, s.cfg.PaceLead, s.m, c.log, c.signalIdle)

	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		init := cand.ToJSON()
		_ = ws.send(signal{Type: "candidate", Candidate: &init})
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			c.post(callEvent{kind: evConnected})
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			c.post(callEvent{kind: evPeerGone})
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if t.Kind() != webrtc.RTPCodecTypeAudio {
			return
		}
		c.goMu.Lock()
		defer c.goMu.Unlock()
		if c.closing || c.trackOn {
			return
		}
		c.trackOn = true
		c.wg.Add(1)
		go c.readMedia(t)
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		if dc.Label() != channelTag {
			return
		}
		c.dcMu.Lock()
		c.dc = dc
		c.dcMu.Unlock()
		dc.OnOpen(func() { c.post(callEvent{kind: evDataOpen}) })
		dc.OnMessage(func(msg webrtc.DataChannelMessage) { c.onDataMessage(msg.Data) })
	})

	c.wg.Add(1)
	go c.readRTCP()
	if s.cfg.Events != nil {
		ch, unsubscribe := s.cfg.Events.Subscribe(id)
		c.wg.Add(1)
		go c.forwardBus(ch, unsubscribe)
	}
	go c.run()
	return c, nil
}

// forwardBus hands the session's published events (agent words, handoff changes) to the
// run loop until the call ends.
func (c *Call) forwardBus(ch <-chan bot.Event, unsubscribe func()) {
	defer c.wg.Done()
	defer unsubscribe()
	for {
		select {
		case <-c.ctx.Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			c.post(callEvent{kind: evBus, bev: ev})
		}
	}
}

// ID is the call's bot session id.
func (c *Call) ID() string { return c.id }

// Done is closed when the call is fully torn down.
func (c *Call) Done() <-chan struct{} { return c.done }

// Hangup ends the call; it returns at once, Done reports the end of the teardown.
func (c *Call) Hangup(reason string) {
	c.goMu.Lock()
	if c.reason == "" {
		c.reason = reason
	}
	c.goMu.Unlock()
	c.cancel()
}

func (c *Call) answer(offer string) (string, error) {
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: answer: %w", ErrBadOffer, err)
	}
	if err := c.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("%w: local description: %w", ErrBadOffer, err)
	}
	return c.pc.LocalDescription().SDP, nil
}

func (c *Call) addCandidate(cand webrtc.ICECandidateInit) error {
	if err := c.pc.AddICECandidate(cand); err != nil {
		return fmt.Errorf("%w: candidate: %w", ErrBadMessage, err)
	}
	return nil
}

// signalIdle tells the run loop the bot stopped speaking; it never blocks, so one slow
// call cannot hold up the clock that paces every call.
func (c *Call) signalIdle() {
	select {
	case c.idleCh <- struct{}{}:
	default:
	}
}

// post hands an event to the run loop unless the call is over.
func (c *Call) post(ev callEvent) {
	select {
	case c.events <- ev:
	case <-c.ctx.Done():
	}
}

// readRTCP drains the bot track's RTCP (the interceptors need it read) and exports the
// caller's receiver reports (RFC 3550 §6.4): jitter and fraction lost of the bot's audio.
func (c *Call) readRTCP() {
	defer c.wg.Done()
	for {
		pkts, _, err := c.sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			var reports []rtcp.ReceptionReport
			switch r := p.(type) {
			case *rtcp.ReceiverReport:
				reports = r.Reports
			case *rtcp.SenderReport:
				reports = r.Reports
			}
			for _, rr := range reports {
				c.srv.m.jitter.Observe(float64(rr.Jitter) / outRate)
				c.srv.m.lost.Observe(float64(rr.FractionLost) / 256)
			}
		}
	}
}

// readMedia is the caller's audio path: it splits RTP by payload type into RFC 4733
// key presses and Opus audio, runs the endpointer and stops the bot on barge-in.
func (c *Call) readMedia(t *webrtc.TrackRemote) {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	var lastEvent uint32
	haveEvent := false
	speech := -1 // samples of caller speech since the endpointer's start, -1 when silent
	bargeSamples := int(c.cfg.BargeIn / time.Millisecond * 16)
	fails := 0
	wasSpeaking := false
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) || c.ctx.Err() != nil || n == 0 {
				return
			}
			// An unknown payload type still delivers the packet; log and go on.
			if fails++; fails > 1000 {
				c.log.Warn("voice: media read failing", "err", err)
				return
			}
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		pt := pkt.PayloadType
		switch {
		case c.codecs.dtmf[pt]:
			if c.currentBridge() != nil {
				continue // the agent hears the tones' effect; keys are for the bot
			}
			ev, err := parseTelephoneEvent(pkt.Payload)
			if err != nil {
				c.log.Debug("voice: telephone-event", "err", err)
				continue
			}
			// One key press is many packets with the same timestamp (RFC 4733 §2.5.1.3);
			// act on the first one seen for the fastest answer.
			if haveEvent && pkt.Timestamp == lastEvent {
				continue
			}
			haveEvent, lastEvent = true, pkt.Timestamp
			c.pacer.stop()
			c.post(callEvent{kind: evDigit, text: string(ev.Key()), at: time.Now()})
		case c.codecs.opus[pt]:
			if len(pkt.Payload) == 0 {
				continue // padding-only packet
			}
			if b := c.currentBridge(); b != nil {
				b.toAgent(&pkt) // no transcoding, no bot
				continue
			}
			pcm, err := c.decode(pkt.Payload)
			if err != nil {
				c.log.Debug("voice: decode caller audio", "err", err)
				continue
			}
			for _, ev := range c.ep.Process(pcm) {
				switch ev.Kind {
				case VADSpeechStart:
					speech = 0
					c.post(callEvent{kind: evSpeechStart})
				case VADSpeechEnd:
					speech = -1
					c.post(callEvent{kind: evUtterance, pcm: ev.Utterance, at: time.Now()})
				}
			}
			botSpeaking := c.pacer.speaking()
			barge := false
			if c.barge != nil {
				if botSpeaking != wasSpeaking {
					c.barge.SetBotSpeaking(botSpeaking)
				}
				barge = c.barge.Write(pcm)
			} else if speech >= 0 {
				speech += len(pcm)
				barge = speech >= bargeSamples
			}
			wasSpeaking = botSpeaking
			if barge && botSpeaking && c.pacer.stop() {
				c.srv.m.bargeIns.Inc()
				c.log.Debug("voice: barge-in")
			}
		}
	}
}

// onDataMessage accepts the widget's text (browser speech recognition) and keys.
func (c *Call) onDataMessage(data []byte) {
	if int64(len(data)) > c.cfg.MaxMessageBytes {
		c.sendData(map[string]string{"type": "error", "code": "too_large", "message": "消息过大。"})
		return
	}
	var msg struct {
		Type  string `json:"type"`
		Text  string `json:"text"`
		Value string `json:"value"`
		Digit string `json:"digit"`
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		c.sendData(map[string]string{"type": "error", "code": "bad_message", "message": "无法识别的消息格式。"})
		return
	}
	switch msg.Type {
	case "message":
		text := strings.TrimSpace(msg.Text)
		if text == "" {
			c.sendData(map[string]string{"type": "error", "code": "empty_text", "message": "消息内容为空。"})
			return
		}
		c.post(callEvent{kind: evText, text: text, at: time.Now()})
	case "choice":
		v := strings.TrimSpace(msg.Value)
		if v == "" {
			c.sendData(map[string]string{"type": "error", "code": "empty_choice", "message": "选项为空。"})
			return
		}
		c.pacer.stop()
		c.post(callEvent{kind: evChoice, text: v, at: time.Now()})
	case "dtmf":
		if !validDigit(msg.Digit) {
			c.sendData(map[string]string{"type": "error", "code": "bad_digit", "message": "无效的按键。"})
			return
		}
		c.pacer.stop()
		c.post(callEvent{kind: evDigit, text: msg.Digit, at: time.Now()})
	default:
		c.sendData(map[string]string{"type": "error", "code": "bad_message", "message": "不支持的消息类型。"})
	}
}

// sendData sends one JSON object on the events channel, queueing until it opens.
func (c *Call) sendData(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.dcMu.Lock()
	defer c.dcMu.Unlock()
	if !c.dcOpen || c.dc == nil {
		if len(c.pending) < 256 {
			c.pending = append(c.pending, b)
		}
		return
	}
	if err := c.dc.SendText(string(b)); err != nil {
		c.log.Debug("voice: data channel send", "err", err)
	}
}

func (c *Call) flushData() {
	c.dcMu.Lock()
	defer c.dcMu.Unlock()
	if c.dc == nil {
		return
	}
	c.dcOpen = true
	for _, b := range c.pending {
		_ = c.dc.SendText(string(b))
	}
	c.pending = nil
}

// caption is the customer's side of the live captions.
type caption struct {
	Type string `json:"type"`
	From string `json:"from"`
	Text string `json:"text"`
	Via  string `json:"via,omitempty"` // asr | dtmf | text
}

// convo is the run loop's state; only the run loop touches it.
type convo struct {
	opened   bool
	busy     bool // a turn is being processed
	expect   string
	choices  []Choice
	keys     keypad
	silences int
	closing  bool // the silent-caller goodbye is playing
	inSpeech bool
	timer    *time.Timer
	// own counts the events of the call's own turns by fingerprint: the bus echoes them.
	own map[string]int
}

// run owns the conversation: it serialises every input into bot turns, keeps the silent
// caller timer, and tears the call down when the context ends.
func (c *Call) run() {
	defer c.teardown()
	st := &convo{keys: keypad{maxDigits: c.cfg.MaxEntryDigits}, own: map[string]int{}}
	st.timer = time.NewTimer(time.Hour)
	st.timer.Stop()
	defer st.timer.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-st.timer.C:
			c.epoch = c.pacer.epoch()
			c.onSilence(st)
		case <-c.idleCh:
			c.epoch = c.pacer.epoch()
			c.idle(st)
		case ev := <-c.events:
			c.epoch = c.pacer.epoch()
			c.safeHandle(st, ev)
		}
	}
}

// decode guards the call against a decoder that panics on a malformed packet: the caller
// controls the payload, and one bad packet must not take the server down.
func (c *Call) decode(payload []byte) (pcm []int16, err error) {
	defer func() {
		if r := recover(); r != nil {
			pcm, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrBadMessage, r)
		}
	}()
	return c.dec.Decode(payload)
}

// safeHandle runs one event; a panic below (the bot, the synthesiser) becomes an apology
// to this caller instead of a crash of every call.
func (c *Call) safeHandle(st *convo, ev callEvent) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("voice: panic in call", "panic", r, "event", int(ev.kind))
			st.busy = false
			c.say(st, c.cfg.Prompts.Unavailable, time.Time{}, "")
		}
	}()
	c.handle(st, ev)
}

func (c *Call) handle(st *convo, ev callEvent) {
	switch ev.kind {
	case evConnected:
		if st.opened {
			return
		}
		st.opened = true
		c.counted = true
		c.srv.m.active.Inc()
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.TurnTimeout)
		events, err := c.cfg.Bot.Open(ctx, c.id)
		cancel()
		if err != nil {
			c.log.Error("voice: bot open", "err", err)
			c.say(st, c.cfg.Prompts.Unavailable, time.Time{}, "")
			return
		}
		c.deliver(st, c.own(st, events), time.Time{}, "")
	case evDataOpen:
		c.flushData()
	case evPeerGone:
		c.Hangup("peer_closed")
	case evBus:
		c.onBus(st, ev.bev)
	case evSpeechStart:
		st.inSpeech = true
		c.activity(st)
	case evIdle:
		c.idle(st)
	case evDigit:
		c.activity(st)
		in, ok := st.keys.press(ev.text, st.expect, st.choices)
		if !ok {
			c.idle(st)
			return
		}
		label := in.Text
		for _, ch := range st.choices {
			if in.Choice != "" && ch.Value == in.Choice {
				label = ch.Label
			}
		}
		c.sendData(caption{Type: "caption", From: "customer", Text: label, Via: "dtmf"})
		c.turn(st, in, ev.at, "dtmf")
	case evText:
		c.activity(st)
		c.turn(st, Input{Text: ev.text}, ev.at, "text")
	case evChoice:
		c.activity(st)
		c.turn(st, Input{Text: ev.text, Choice: ev.text}, ev.at, "text")
	case evUtterance:
		st.inSpeech = false
		c.activity(st)
		if c.cfg.Recognizer == nil {
			c.idle(st) // the widget recognises speech itself, or the caller uses the keypad
			return
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.TurnTimeout)
		text, err := c.cfg.Recognizer.Transcribe(ctx, ev.pcm)
		cancel()
		text = strings.TrimSpace(text)
		if err != nil || text == "" {
			if err != nil {
				c.log.Warn("voice: asr", "err", err)
			}
			// Unclear audio: ask again, never blame the caller.
			c.say(st, c.cfg.Prompts.Repeat, ev.at, "speech")
			return
		}
		c.sendData(caption{Type: "caption", From: "customer", Text: text, Via: "asr"})
		c.turn(st, Input{Text: text}, ev.at, "speech")
	}
}

// activity is any sign of a caller: it resets the silent-caller count and timer.
func (c *Call) activity(st *convo) {
	st.silences = 0
	st.timer.Stop()
}

// idle arms the silent-caller timer once the bot has finished speaking; after the
// goodbye it is where the bot hangs up — the only time it does.
func (c *Call) idle(st *convo) {
	if c.pacer.speaking() || st.inSpeech || c.currentBridge() != nil {
		return
	}
	if st.closing {
		c.Hangup("silence")
		return
	}
	st.timer.Reset(c.cfg.SilenceTimeout)
}

func (c *Call) onSilence(st *convo) {
	if c.pacer.speaking() || st.inSpeech || st.closing || c.currentBridge() != nil {
		return
	}
	st.silences++
	if st.silences <= c.cfg.SilencePrompts {
		c.say(st, c.cfg.Prompts.StillThere, time.Time{}, "")
		return
	}
	st.closing = true
	c.say(st, c.cfg.Prompts.SilentGoodbye, time.Time{}, "")
}

// turn runs one bot turn and speaks its answer.
func (c *Call) turn(st *convo, in Input, at time.Time, kind string) {
	if c.currentBridge() != nil {
		return // an agent is talking with the caller: the bot stays silent
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.TurnTimeout)
	events, err := c.cfg.Bot.Handle(ctx, c.id, in)
	cancel()
	if err != nil {
		c.log.Error("voice: bot turn", "err", err)
		c.say(st, c.cfg.Prompts.Unavailable, at, kind)
		return
	}
	c.deliver(st, c.own(st, events), at, kind)
}

// fingerprint identifies an event for the bus echo check.
func fingerprint(sessionID string, ev bot.Event) string {
	ev.Session = sessionID
	b, _ := json.Marshal(ev)
	return string(b)
}

// own records the events of the call's own turn so their bus echo is not played twice.
func (c *Call) own(st *convo, events []bot.Event) []bot.Event {
	if c.cfg.Events == nil {
		return events
	}
	if len(st.own) > 1024 {
		clear(st.own) // echoes that never came; bounded memory beats a perfect record
	}
	for _, ev := range events {
		st.own[fingerprint(c.id, ev)]++
	}
	return events
}

// onBus acts on an event published for the session by someone else: an agent's words,
// the queue position, the agent taking or returning the call.
func (c *Call) onBus(st *convo, ev bot.Event) {
	fp := fingerprint(c.id, ev)
	if n := st.own[fp]; n > 0 {
		if n == 1 {
			delete(st.own, fp)
		} else {
			st.own[fp] = n - 1
		}
		return
	}
	if ev.Type == bot.EventMessage && ev.From == bot.FromCustomer {
		return // the widget shows the caller's own words already
	}
	if ev.Type == bot.EventHandoff {
		switch ev.Status {
		case bot.HandoffAssigned:
			c.pacer.stop() // a person takes over: the bot falls silent
		case bot.HandoffReturned, bot.HandoffEnded:
			if b := c.currentBridge(); b != nil {
				c.detach(b) // the agent's audio leaves; the bot speaks again
			}
		}
	}
	c.deliver(st, []bot.Event{ev}, time.Time{}, "")
}

// deliver forwards the bot's events to the widget and speaks its messages.
func (c *Call) deliver(st *convo, events []bot.Event, at time.Time, kind string) {
	spoke := false
	for _, ev := range events {
		ev.Session = c.id
		c.sendData(ev)
		if ev.Type != bot.EventMessage || strings.TrimSpace(ev.Text) == "" {
			continue
		}
		st.choices = ev.Choices
		st.expect = ""
		if ev.Expect != nil {
			st.expect = *ev.Expect
		}
		if c.currentBridge() != nil {
			continue // the agent speaks for themselves; text is shown, not read out
		}
		if c.speak(spokenText(ev.Text, c.cfg.Prompts.KeyOption, ev.Choices), at, kind) {
			spoke = true
			at = time.Time{} // only the first audio answers the trigger
		}
	}
	if !spoke {
		c.idle(st)
	}
}

// say speaks one of the channel's own prompts and shows it as a caption.
func (c *Call) say(st *convo, text string, at time.Time, kind string) {
	c.sendData(bot.Message(bot.FromSystem, text, st.expect, nil))
	if !c.speak(text, at, kind) {
		c.idle(st)
	}
}

// speak queues text on the pacer: as cached Opus packets when the prompt was spoken
// before (by any call), else synthesised now and encoded as it plays.
func (c *Call) speak(text string, at time.Time, kind string) bool {
	key := promptKey(c.voice, text)
	if packets, ok := c.srv.prompts.get(key); ok {
		return c.pacer.play(&segment{packets: packets, trigger: at, triggerKind: kind, epoch: c.epoch})
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.TurnTimeout)
	pcm, enc, err := c.srv.synthesize(ctx, text, c.voice)
	cancel()
	if err != nil {
		c.log.Error("voice: speak", "err", err)
		return false
	}
	cache := c.srv.prompts
	return c.pacer.play(&segment{pcm: pcm, enc: enc, trigger: at, triggerKind: kind, epoch: c.epoch,
		done: func(packets [][]byte) { cache.put(key, packets) }})
}

// teardown closes the peer, waits for every goroutine of the call and tells the widget.
func (c *Call) teardown() {
	c.goMu.Lock()
	c.closing = true
	reason := c.reason
	c.goMu.Unlock()
	c.cancel()
	if b := c.currentBridge(); b != nil {
		_ = b.ws.send(signal{Type: "hangup", Reason: reason})
		b.close()
	}
	if reason != "caller" {
		_ = c.ws.send(signal{Type: "hangup", Reason: reason})
	}
	c.pacer.stop()
	c.srv.clock.forget(c.pacer)
	if err := c.pc.Close(); err != nil {
		c.log.Debug("voice: close peer", "err", err)
	}
	c.wg.Wait()
	if reason != "caller" {
		// Closing the socket ends the signalling handler's read loop.
		c.ws.mu.Lock()
		_ = c.ws.conn.Close()
		c.ws.mu.Unlock()
	}
	if c.counted {
		c.srv.m.active.Dec()
	}
	c.srv.forget(c)
	c.srv.m.hangups.WithLabelValues(reason).Inc()
	c.log.Info("voice: call ended", "reason", reason)
	close(c.done)
}
