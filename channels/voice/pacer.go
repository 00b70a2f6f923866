package voice

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

const (
	frameDuration = 20 * time.Millisecond
	outRate       = 48000
	frameSamples  = outRate / 50 // 960 samples of 48 kHz per 20 ms frame
)

// rtpWriter is where paced packets go: the call's TrackLocalStaticRTP, which sets SSRC
// and payload type.
type rtpWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// segment is one prompt to send: ready Opus packets (a cached prompt) or 48 kHz PCM that
// the pacer encodes frame by frame as it goes, so the first packet never waits for the
// whole prompt; done then receives the packets for the cache. trigger, when set, is the
// caller action (end of speech, key press) the audio answers; the first packet is timed
// from it.
type segment struct {
	packets     [][]byte
	pcm         []int16
	enc         Encoder
	done        func(packets [][]byte)
	trigger     time.Time
	triggerKind string

	epoch uint64 // the pacer epoch the answer was started in; a stop since drops it
	pos   int    // packets sent, or samples of pcm consumed
	built [][]byte
}

// pacer sends queued audio as 20 ms Opus frames on schedule, so the caller's jitter buffer
// sees a steady stream; stop drops everything at once for barge-in. The first frame of a
// talk spurt leaves from play itself (no wait for a tick); the rest are sent by the
// server's shared clock.
type pacer struct {
	out     rtpWriter
	late    time.Duration
	lead    time.Duration // frames may leave this much before their deadline
	m       *metrics
	log     *slog.Logger
	onIdle  func()
	clock   *clock
	sendMu  sync.Mutex // one writer at a time keeps sequence numbers in wire order
	playing atomic.Bool
	epochs  atomic.Uint64 // incremented by every stop

	mu         sync.Mutex
	queue      []*segment
	spurt      bool
	spurtStart time.Time
	sent       int // frames sent in the current spurt
	seq        uint16
	origin     time.Time
	frame      []int16

	// forwarding of an agent's packets (bridge)
	fwd       bool
	fwdOffset uint32

	// counters for benchmarks and tests
	framesSent atomic.Int64
	framesLate atomic.Int64
}

// newPacer returns a pacer driven by clk; onIdle must not block (it runs on the clock).
func newPacer(clk *clock, out rtpWriter, late, lead time.Duration, m *metrics, log *slog.Logger, onIdle func()) *pacer {
	return &pacer{clock: clk, out: out, late: late, lead: lead, m: m, log: log, onIdle: onIdle,
		origin: time.Now(), frame: make([]int16, frameSamples)}
}

// epoch identifies the pacer's state between stops: an answer prepared in an older epoch
// was overtaken by the caller (barge-in, key press) and is not played.
func (p *pacer) epoch() uint64 { return p.epochs.Load() }

// play queues audio; when the pacer was idle the first frame goes out at once. It reports
// false when the segment's epoch has passed.
func (p *pacer) play(s *segment) bool {
	if len(s.pcm) == 0 && len(s.packets) == 0 {
		return false
	}
	p.mu.Lock()
	if s.epoch != p.epochs.Load() {
		p.mu.Unlock()
		return false
	}
	p.queue = append(p.queue, s)
	p.mu.Unlock()
	p.playing.Store(true)
	p.send(time.Now()) // a new talk spurt starts now, not at the next tick
	p.clock.wake(p)
	return true
}

// stop drops all queued audio and reports whether anything was playing.
func (p *pacer) stop() bool {
	p.mu.Lock()
	p.epochs.Add(1)
	was := len(p.queue) > 0
	p.queue, p.spurt = nil, false
	p.mu.Unlock()
	p.playing.Store(false)
	if was && p.onIdle != nil {
		p.onIdle()
	}
	return was
}

// speaking reports whether bot audio is queued or being sent.
func (p *pacer) speaking() bool { return p.playing.Load() }

// send writes every frame due at now; it reports whether a talk spurt started. Lateness
// is judged against the frame's own deadline when it is actually written.
func (p *pacer) send(now time.Time) (started bool) {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	for {
		pkt, trig, kind, idle, st := p.next(now)
		started = started || st
		if idle {
			p.playing.Store(false)
			if p.onIdle != nil {
				p.onIdle()
			}
			return started
		}
		if pkt == nil {
			return started
		}
		if len(pkt.Payload) == 0 {
			continue // the frame could not be encoded; its time slot stays empty
		}
		if err := p.out.WriteRTP(pkt); err != nil {
			p.log.Debug("voice: write bot audio", "err", err)
		}
		if !trig.IsZero() && p.m != nil {
			p.m.response.WithLabelValues(kind).Observe(time.Since(trig).Seconds())
		}
	}
}

// next takes the next due frame under the lock and encodes it. idle reports that the
// queue just drained.
func (p *pacer) next(now time.Time) (pkt *rtp.Packet, trig time.Time, kind string, idle, started bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		if p.spurt {
			p.spurt = false
			return nil, time.Time{}, "", true, false
		}
		return nil, time.Time{}, "", false, false
	}
	marker := false
	if !p.spurt {
		p.spurt, p.spurtStart, p.sent, marker, started = true, now, 0, true, true
	}
	due := p.spurtStart.Add(time.Duration(p.sent) * frameDuration)
	if due.After(now.Add(p.lead)) {
		return nil, time.Time{}, "", false, started
	}
	// A frame is late only when it leaves after its deadline by more than the caller's
	// jitter buffer tolerates; the tick that found it due does not matter.
	delay := max(time.Since(due), 0)
	if delay > p.late {
		p.framesLate.Add(1)
		if p.m != nil {
			p.m.lateFrames.Inc()
		}
	}
	if p.m != nil {
		p.m.frameDelay.Observe(delay.Seconds())
	}
	seg := p.queue[0]
	if seg.pos == 0 && !seg.trigger.IsZero() {
		trig, kind = seg.trigger, seg.triggerKind
	}
	var payload []byte
	if seg.packets != nil {
		payload = seg.packets[seg.pos]
		seg.pos++
		if seg.pos >= len(seg.packets) {
			p.queue = p.queue[1:]
		}
	} else {
		// Encode the next 20 ms, padding the prompt's last frame with silence.
		n := copy(p.frame, seg.pcm[seg.pos:])
		clear(p.frame[n:])
		seg.pos += n
		enc, err := seg.enc.Encode(p.frame)
		if err != nil {
			p.log.Debug("voice: encode bot audio", "err", err)
		} else {
			// Copy: encoders may reuse their output buffer.
			payload = append([]byte(nil), enc...)
			seg.built = append(seg.built, payload)
		}
		if seg.pos >= len(seg.pcm) {
			p.queue = p.queue[1:]
			if seg.done != nil && err == nil {
				seg.done(seg.built)
			}
		}
	}
	// RTP timestamps follow the wall clock across spurts (RFC 3550 §5.1), so the
	// receiver's jitter buffer sees silence as elapsed time.
	ts := uint32(p.spurtStart.Sub(p.origin)/time.Millisecond)*(outRate/1000) + uint32(p.sent*frameSamples)
	p.sent++
	p.seq++
	p.framesSent.Add(1)
	if p.m != nil {
		p.m.frames.Inc()
	}
	return &rtp.Packet{Header: rtp.Header{Version: 2, Marker: marker, SequenceNumber: p.seq, Timestamp: ts},
		Payload: payload}, trig, kind, false, started
}

// forward sends an agent's Opus packet to the caller in the bot track's own sequence; the
// agent's timestamps are shifted once so they continue the track's wall-clock timeline.
func (p *pacer) forward(payload []byte, ts uint32, now time.Time) {
	p.mu.Lock()
	marker := false
	if !p.fwd {
		p.fwd, marker = true, true
		p.fwdOffset = uint32(now.Sub(p.origin)/time.Millisecond)*(outRate/1000) - ts
	}
	p.seq++
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: marker, SequenceNumber: p.seq, Timestamp: ts + p.fwdOffset},
		Payload: payload}
	p.mu.Unlock()
	if err := p.out.WriteRTP(pkt); err != nil {
		p.log.Debug("voice: forward agent audio", "err", err)
	}
}

// endForward ends a bridge; the next forward starts a new timeline.
func (p *pacer) endForward() {
	p.mu.Lock()
	p.fwd = false
	p.mu.Unlock()
}

// clockTick is the shared clock's period: a frame leaves at most this long after its
// deadline when the machine keeps up, well inside a jitter buffer's tolerance.
const clockTick = 5 * time.Millisecond

// clock paces every call's bot audio from one goroutine and one ticker, instead of a
// ticker per call: fewer wake-ups and no per-call scheduler jitter under load. It sleeps
// while no call is speaking.
type clock struct {
	nice    int // the clock thread's nice value; 0 leaves it alone
	mu      sync.Mutex
	active  map[*pacer]struct{}
	kick    chan struct{}
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

func newClock() *clock {
	return &clock{active: map[*pacer]struct{}{}, kick: make(chan struct{}, 1)}
}

// wake registers a speaking pacer and starts the clock goroutine on first use.
func (c *clock) wake(p *pacer) {
	c.mu.Lock()
	c.active[p] = struct{}{}
	if !c.started {
		ctx, cancel := context.WithCancel(context.Background())
		c.started, c.cancel, c.done = true, cancel, make(chan struct{})
		go c.run(ctx)
	}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// forget drops a pacer (its call ended).
func (c *clock) forget(p *pacer) {
	c.mu.Lock()
	delete(c.active, p)
	c.mu.Unlock()
}

// close stops the clock goroutine and waits for it.
func (c *clock) close() {
	c.mu.Lock()
	started, cancel, done := c.started, c.cancel, c.done
	c.started = false
	c.mu.Unlock()
	if started {
		cancel()
		<-done
	}
}

func (c *clock) run(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(clockTick)
	defer t.Stop()
	var batch []*pacer
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.kick:
		}
		batch = batch[:0]
		c.mu.Lock()
		for p := range c.active {
			if !p.speaking() {
				delete(c.active, p)
				continue
			}
			batch = append(batch, p)
		}
		c.mu.Unlock()
		if len(batch) == 0 {
			t.Stop() // nothing to pace: no wake-ups until the next play
			select {
			case <-ctx.Done():
				return
			case <-c.kick:
			}
			t.Reset(clockTick)
			continue
		}
		for _, p := range batch {
			p.send(time.Now())
		}
	}
}
