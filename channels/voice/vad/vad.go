package vad

import (
	"fmt"
	"math"
	"time"
)

// Config tunes the detector; zero fields take the defaults shown.
type Config struct {
	SampleRate    int           // 16000; 8000 also works
	FrameDuration time.Duration // 20 ms; 10 ms also works
	StartSpeech   time.Duration // 200 ms of speech before SpeechStart
	EndSilence    time.Duration // 700 ms of silence ends the turn
	MaxUtterance  time.Duration // 15 s; a longer utterance is cut (Reason MaxLength)
	PreRoll       time.Duration // 300 ms of audio kept before the start
	// ThresholdDB is how far above the noise floor a frame must be to count as speech (6 dB).
	ThresholdDB float64
	// MinLevelDBFS is an absolute floor: quieter frames are never speech (-55 dBFS).
	MinLevelDBFS float64
	// NoisyZCR is the zero-crossing rate above which a frame looks like hiss; such frames
	// need 6 dB more margin (0.35 crossings per sample).
	NoisyZCR float64
	// HysteresisDB lowers the threshold once speech has started, so weaker syllables in noise
	// keep the turn open (2 dB).
	HysteresisDB float64
	// FloorWindow is how far back the noise floor looks for the quietest frame (1.5 s).
	FloorWindow time.Duration
}

func (c *Config) fill() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.SampleRate == 0 {
		c.SampleRate = 16000
	}
	def(&c.FrameDuration, 20*time.Millisecond)
	def(&c.StartSpeech, 200*time.Millisecond)
	def(&c.EndSilence, 700*time.Millisecond)
	def(&c.MaxUtterance, 15*time.Second)
	def(&c.PreRoll, 300*time.Millisecond)
	if c.ThresholdDB == 0 {
		c.ThresholdDB = 6
	}
	if c.MinLevelDBFS == 0 {
		c.MinLevelDBFS = -55
	}
	if c.NoisyZCR == 0 {
		c.NoisyZCR = 0.35
	}
	if c.HysteresisDB == 0 {
		c.HysteresisDB = 2
	}
	def(&c.FloorWindow, 1500*time.Millisecond)
	switch {
	case c.SampleRate < 8000 || c.SampleRate > 48000:
		return fmt.Errorf("%w: sample rate %d", ErrConfig, c.SampleRate)
	case c.FrameDuration != 10*time.Millisecond && c.FrameDuration != 20*time.Millisecond && c.FrameDuration != 30*time.Millisecond:
		return fmt.Errorf("%w: frame duration %v (10, 20 or 30 ms)", ErrConfig, c.FrameDuration)
	case c.StartSpeech < 0 || c.EndSilence <= 0 || c.PreRoll < 0 || c.FloorWindow < c.FrameDuration:
		return fmt.Errorf("%w: negative durations", ErrConfig)
	case c.MaxUtterance <= c.StartSpeech:
		return fmt.Errorf("%w: MaxUtterance %v must exceed StartSpeech %v", ErrConfig, c.MaxUtterance, c.StartSpeech)
	}
	return nil
}

// EventType tells a start from an end.
type EventType int

const (
	// SpeechStart fires once StartSpeech of speech has been heard.
	SpeechStart EventType = iota + 1
	// SpeechEnd fires when the turn is over; the event carries the utterance.
	SpeechEnd
)

func (t EventType) String() string {
	switch t {
	case SpeechStart:
		return "speech_start"
	case SpeechEnd:
		return "speech_end"
	}
	return "unknown"
}

// EndReason says why an utterance ended.
type EndReason string

const (
	// Silence: EndSilence of non-speech followed the speech.
	Silence EndReason = "silence"
	// MaxLength: the utterance reached MaxUtterance.
	MaxLength EndReason = "max_length"
	// Flushed: the stream ended (Flush) while speech was going on.
	Flushed EndReason = "flushed"
)

// Event is a detector decision. Start and End are offsets from the first sample written.
type Event struct {
	Type   EventType
	Start  time.Duration // where the speech began (without pre-roll)
	End    time.Duration // SpeechEnd only: end of the last speech frame
	PCM    []int16       // SpeechEnd only: pre-roll + utterance, trailing silence trimmed
	Reason EndReason     // SpeechEnd only
}

// Detector is the endpointer. It owns its buffers; events' PCM slices are fresh copies.
type Detector struct {
	cfg       Config
	cls       classifier
	frameLen  int
	pending   []int16 // partial frame
	frames    int64   // frames processed
	inSpeech  bool
	run       int    // speech frames in votes
	votes     []bool // recent speech decisions while waiting for a start
	silence   int    // consecutive non-speech frames while in speech
	startRun  int    // frames needed to start
	endRun    int    // frames needed to end
	maxFrames int
	preFrames int
	ring      [][]int16 // recent frames while not in speech (pre-roll + start run)
	utt       []int16   // utterance while in speech
	uttFrames int
	lastVoice int64 // frame index of the last speech frame
	startAt   int64 // frame index where speech began
}

// New returns a detector for cfg.
func New(cfg Config) (*Detector, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	frameLen := int(int64(cfg.SampleRate) * int64(cfg.FrameDuration) / int64(time.Second))
	frames := func(d time.Duration) int { return int((d + cfg.FrameDuration - 1) / cfg.FrameDuration) }
	d := &Detector{
		cfg:       cfg,
		cls:       newClassifier(cfg),
		frameLen:  frameLen,
		startRun:  max(frames(cfg.StartSpeech), 1),
		endRun:    max(frames(cfg.EndSilence), 1),
		maxFrames: frames(cfg.MaxUtterance),
		preFrames: frames(cfg.PreRoll),
	}
	return d, nil
}

// FrameSamples is the detector's frame length in samples (320 for 20 ms at 16 kHz).
func (d *Detector) FrameSamples() int { return d.frameLen }

// InSpeech reports whether an utterance is in progress.
func (d *Detector) InSpeech() bool { return d.inSpeech }

// NoiseFloorDBFS reports the current noise estimate, for logs and metrics.
func (d *Detector) NoiseFloorDBFS() float64 { return d.cls.floor }

// Write feeds PCM of any length and returns the events it completed, in order.
func (d *Detector) Write(pcm []int16) []Event {
	var evs []Event
	for len(pcm) > 0 {
		if len(d.pending) == 0 && len(pcm) >= d.frameLen {
			evs = d.frame(pcm[:d.frameLen], evs)
			pcm = pcm[d.frameLen:]
			continue
		}
		n := min(d.frameLen-len(d.pending), len(pcm))
		d.pending = append(d.pending, pcm[:n]...)
		pcm = pcm[n:]
		if len(d.pending) == d.frameLen {
			evs = d.frame(d.pending, evs)
			d.pending = d.pending[:0]
		}
	}
	return evs
}

// Flush ends an utterance in progress (the call hung up) and resets the detector state.
func (d *Detector) Flush() []Event {
	var evs []Event
	if d.inSpeech {
		evs = append(evs, d.end(Flushed))
	}
	d.pending = d.pending[:0]
	d.ring = d.ring[:0]
	d.votes = d.votes[:0]
	d.run = 0
	return evs
}

func (d *Detector) at(frame int64) time.Duration { return time.Duration(frame) * d.cfg.FrameDuration }

func (d *Detector) frame(f []int16, evs []Event) []Event {
	idx := d.frames
	d.frames++
	speech := d.cls.classify(f, d.inSpeech)
	if !d.inSpeech {
		// Keep the last frames for the pre-roll, reusing the evicted frame's buffer.
		var buf []int16
		if keep := d.preFrames + 2*d.startRun; len(d.ring) >= keep {
			buf = d.ring[0][:0]
			n := copy(d.ring, d.ring[1:])
			d.ring = d.ring[:n]
		}
		d.ring = append(d.ring, append(buf, f...))
		// Count speech frames over a window twice as long as StartSpeech, so the gaps between
		// syllables (and noisy frames) do not keep resetting the count.
		d.votes = append(d.votes, speech)
		if len(d.votes) > 2*d.startRun {
			d.votes = d.votes[1:]
		}
		d.run = 0
		first := -1
		for i, v := range d.votes {
			if v {
				d.run++
				if first < 0 {
					first = i
				}
			}
		}
		if d.run >= d.startRun {
			d.inSpeech, d.silence, d.run = true, 0, 0
			d.startAt = idx - int64(len(d.votes)-1-first)
			d.votes = d.votes[:0]
			d.lastVoice = idx
			d.utt = d.utt[:0]
			// ring[j] is frame idx-(len(ring)-1-j); keep PreRoll before the start.
			j0 := max(0, int(d.startAt-int64(d.preFrames)-(idx-int64(len(d.ring))+1)))
			for _, fr := range d.ring[j0:] {
				d.utt = append(d.utt, fr...)
			}
			d.uttFrames = len(d.ring) - j0
			d.ring = d.ring[:0]
			evs = append(evs, Event{Type: SpeechStart, Start: d.at(d.startAt)})
		}
		return evs
	}
	d.utt = append(d.utt, f...)
	d.uttFrames++
	if speech {
		d.silence = 0
		d.lastVoice = idx
	} else {
		d.silence++
	}
	switch {
	case d.silence >= d.endRun:
		evs = append(evs, d.end(Silence))
	case int(idx-d.startAt+1) >= d.maxFrames:
		evs = append(evs, d.end(MaxLength))
	}
	return evs
}

func (d *Detector) end(reason EndReason) Event {
	// Trim trailing silence but keep 100 ms of it so the last syllable decays naturally.
	tail := d.silence - max(1, int(100*time.Millisecond/d.cfg.FrameDuration))
	n := len(d.utt)
	if tail > 0 {
		n -= tail * d.frameLen
	}
	pcm := make([]int16, max(n, 0))
	copy(pcm, d.utt)
	ev := Event{Type: SpeechEnd, Start: d.at(d.startAt), End: d.at(d.lastVoice + 1), PCM: pcm, Reason: reason}
	d.inSpeech, d.silence, d.run = false, 0, 0
	d.utt = d.utt[:0]
	return ev
}

// classifier decides speech/non-speech per frame against a noise floor estimated by minimum
// statistics: the quietest frame of the last FloorWindow. Pauses between syllables reveal the
// floor even during long speech, and a noise that grows is followed within the window.
type classifier struct {
	cfg    Config
	floor  float64   // dBFS
	window []float64 // recent frame levels, circular
	next   int
	// noiseZCR tracks the zero-crossing rate of non-speech frames: a hissy frame is suspect
	// only when the background is not itself hiss.
	noiseZCR float64
}

// floorBias lifts the window minimum to the typical level of steady noise: the quietest of
// many noise frames sits about a decibel under their mean.
const floorBias = 1.0

func newClassifier(cfg Config) classifier {
	n := max(1, int(cfg.FloorWindow/cfg.FrameDuration))
	return classifier{cfg: cfg, window: make([]float64, 0, n), floor: cfg.MinLevelDBFS - 10}
}

// features returns the frame level in dBFS and its zero-crossing rate.
func features(f []int16) (db, zcr float64) {
	var sum float64
	cross := 0
	for i, v := range f {
		x := float64(v)
		sum += x * x
		if i > 0 && (v >= 0) != (f[i-1] >= 0) {
			cross++
		}
	}
	ms := sum / float64(len(f)) / (32768.0 * 32768.0)
	db = 10 * math.Log10(ms+1e-10)
	return db, float64(cross) / float64(len(f))
}

func (c *classifier) classify(f []int16, inSpeech bool) bool {
	db, zcr := features(f)
	if len(c.window) < cap(c.window) {
		c.window = append(c.window, db)
	} else {
		c.window[c.next] = db
		c.next = (c.next + 1) % len(c.window)
	}
	lo := c.window[0]
	for _, v := range c.window[1:] {
		lo = math.Min(lo, v)
	}
	c.floor = lo + floorBias
	margin := c.cfg.ThresholdDB
	if inSpeech {
		margin -= c.cfg.HysteresisDB
	}
	if zcr > c.cfg.NoisyZCR && c.noiseZCR < c.cfg.NoisyZCR {
		margin += 6
	}
	speech := db >= c.cfg.MinLevelDBFS && db-c.floor >= margin
	if !speech {
		c.noiseZCR += 0.05 * (zcr - c.noiseZCR)
	}
	return speech
}
