package dtmf

import (
	"fmt"
	"time"

	"github.com/pion/rtp"
)

// Mode says what the dialog expects from the keypad.
type Mode int

const (
	// ModeSingle: each key is an answer on its own (menus: "按1报修,按2查询").
	ModeSingle Mode = iota
	// ModeEntry: keys build a number ended by '#'; '*' clears it (phone, 户号).
	ModeEntry
)

// Kind is the kind of a Result.
type Kind int

const (
	// KindKey is one key in ModeSingle.
	KindKey Kind = iota + 1
	// KindEntry is a complete entry in ModeEntry, ended by '#', MaxDigits or Flush.
	KindEntry
	// KindCleared reports that '*' cleared a partial entry.
	KindCleared
)

func (k Kind) String() string {
	switch k {
	case KindKey:
		return "key"
	case KindEntry:
		return "entry"
	case KindCleared:
		return "cleared"
	}
	return "unknown"
}

// Result is what the caller keyed in. Digits is the key for KindKey, the entry for KindEntry
// and empty for KindCleared.
type Result struct {
	Kind   Kind
	Digits string
}

// CollectorConfig configures a Collector; zero values take the defaults shown.
type CollectorConfig struct {
	PayloadType uint8 // 126, what Chrome negotiates for telephone-event/8000
	MaxDigits   int   // 20; an entry this long completes without '#'
	ClockRate   int   // 8000
}

// Collector turns a stream of telephone-event packets into keys and entries. It is not safe
// for concurrent use; one per call, fed from the RTP read loop.
type Collector struct {
	cfg     CollectorConfig
	mode    Mode
	entry   []byte
	haveTS  bool
	curTS   uint32 // timestamp of the event being pressed
	curKey  rune
	curDone bool // the current event was already reported
}

// NewCollector returns a collector in ModeSingle.
func NewCollector(cfg CollectorConfig) *Collector {
	if cfg.PayloadType == 0 {
		cfg.PayloadType = 126
	}
	if cfg.MaxDigits <= 0 {
		cfg.MaxDigits = 20
	}
	if cfg.ClockRate <= 0 {
		cfg.ClockRate = 8000
	}
	return &Collector{cfg: cfg}
}

// SetMode switches what keys mean and drops a partial entry.
func (c *Collector) SetMode(m Mode) {
	c.mode = m
	c.entry = c.entry[:0]
}

// Mode reports the current mode.
func (c *Collector) Mode() Mode { return c.mode }

// Pending reports the digits of a partial entry.
func (c *Collector) Pending() string { return string(c.entry) }

// PushRTP handles one RTP packet and returns the results it completed (usually none or one) of the telephone-event payload type. Packets of another
// payload type return ErrPayloadType so the caller can route them to the audio decoder.
func (c *Collector) PushRTP(p *rtp.Packet) ([]Result, error) {
	if p == nil || p.PayloadType != c.cfg.PayloadType {
		return nil, ErrPayloadType
	}
	ev, err := Parse(p.Payload)
	if err != nil {
		return nil, err
	}
	return c.Push(ev, p.Timestamp)
}

// Push handles one parsed event with its RTP timestamp. A key counts once, when its first
// end packet arrives; the two retransmissions carry the same timestamp and are ignored. If
// all end packets are lost, the key still counts when the next event (new timestamp) starts.
func (c *Collector) Push(ev Event, ts uint32) ([]Result, error) {
	key := ev.Key()
	if key == 0 {
		return nil, fmt.Errorf("%w: code %d", ErrUnknownEvent, ev.Code)
	}
	var out []Result
	if !c.haveTS || ts != c.curTS {
		if c.haveTS && !c.curDone {
			out = c.key(c.curKey, out) // the previous press lost its end packets
		}
		c.haveTS, c.curTS, c.curKey, c.curDone = true, ts, key, false
	}
	if ev.End && !c.curDone {
		c.curDone = true
		out = c.key(key, out)
	}
	return out, nil
}

// Flush completes a pending entry (an inter-digit timeout in the call layer), if any.
func (c *Collector) Flush() (Result, bool) {
	if c.mode != ModeEntry || len(c.entry) == 0 {
		return Result{}, false
	}
	r := Result{Kind: KindEntry, Digits: string(c.entry)}
	c.entry = c.entry[:0]
	return r, true
}

func (c *Collector) key(k rune, out []Result) []Result {
	if c.mode == ModeSingle {
		return append(out, Result{Kind: KindKey, Digits: string(k)})
	}
	switch k {
	case '#':
		if len(c.entry) == 0 {
			return out // '#' alone ends nothing
		}
		out = append(out, Result{Kind: KindEntry, Digits: string(c.entry)})
		c.entry = c.entry[:0]
	case '*':
		c.entry = c.entry[:0]
		out = append(out, Result{Kind: KindCleared})
	default:
		c.entry = append(c.entry, byte(k))
		if len(c.entry) >= c.cfg.MaxDigits {
			out = append(out, Result{Kind: KindEntry, Digits: string(c.entry)})
			c.entry = c.entry[:0]
		}
	}
	return out
}

// Generator writes RFC 4733 packets as a browser's RTCDTMFSender does, for tests.
type Generator struct {
	PayloadType    uint8         // 126
	SSRC           uint32        // the audio SSRC
	Seq            uint16        // next sequence number
	Timestamp      uint32        // RTP timestamp of the next event
	ClockRate      int           // 8000
	PacketInterval time.Duration // 50 ms between updates (RFC 4733 §2.5.1.2)
	Volume         uint8         // 10 (-10 dBm0)
}

// Key returns the packets of one press lasting d: a first packet with the marker bit,
// updates every PacketInterval with growing duration, and the end packet three times
// (RFC 4733 §2.5.1.4). The generator's timestamp then advances past the event.
func (g *Generator) Key(key rune, d time.Duration) ([]*rtp.Packet, error) {
	code, err := CodeOf(key)
	if err != nil {
		return nil, err
	}
	if g.PayloadType == 0 {
		g.PayloadType = 126
	}
	if g.ClockRate == 0 {
		g.ClockRate = 8000
	}
	if g.PacketInterval == 0 {
		g.PacketInterval = 50 * time.Millisecond
	}
	if g.Volume == 0 {
		g.Volume = 10
	}
	units := func(t time.Duration) uint16 {
		return uint16(min(int64(t)*int64(g.ClockRate)/int64(time.Second), 0xffff))
	}
	var pkts []*rtp.Packet
	mk := func(ev Event, marker bool) {
		pkts = append(pkts, &rtp.Packet{
			Header: rtp.Header{Version: 2, Marker: marker, PayloadType: g.PayloadType,
				SequenceNumber: g.Seq, Timestamp: g.Timestamp, SSRC: g.SSRC},
			Payload: ev.Marshal(),
		})
		g.Seq++
	}
	for t := time.Duration(0); t < d; t += g.PacketInterval {
		mk(Event{Code: code, Volume: g.Volume, Duration: units(t)}, t == 0)
	}
	end := Event{Code: code, End: true, Volume: g.Volume, Duration: units(d)}
	for range 3 {
		mk(end, false)
	}
	g.Timestamp += uint32(units(d)) + uint32(g.ClockRate/50) // leave a 20 ms gap
	return pkts, nil
}

// Keys generates presses for every key in s, each lasting d.
func (g *Generator) Keys(s string, d time.Duration) ([]*rtp.Packet, error) {
	var all []*rtp.Packet
	for _, k := range s {
		p, err := g.Key(k, d)
		if err != nil {
			return nil, err
		}
		all = append(all, p...)
	}
	return all, nil
}
