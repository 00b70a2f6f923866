package vad

import (
	"fmt"
	"time"
)

// BargeInConfig tunes barge-in; zero fields take the defaults shown.
type BargeInConfig struct {
	Detector  Config        // feature settings (SampleRate, FrameDuration, thresholds)
	MinSpeech time.Duration // 500 ms of caller speech interrupts the bot
}

// BargeIn tells the call layer when the caller talks over a prompt long enough to mean it,
// so a cough or "嗯" does not cut the bot off but "不是,我要报修" does.
type BargeIn struct {
	cls      classifier
	frameLen int
	need     int
	speaking bool
	run      int
	fired    bool
	pending  []int16
}

// NewBargeIn returns a barge-in detector.
func NewBargeIn(cfg BargeInConfig) (*BargeIn, error) {
	if cfg.MinSpeech == 0 {
		cfg.MinSpeech = 500 * time.Millisecond
	}
	if cfg.MinSpeech < 0 {
		return nil, fmt.Errorf("%w: negative MinSpeech", ErrConfig)
	}
	dc := cfg.Detector
	if err := dc.fill(); err != nil {
		return nil, err
	}
	return &BargeIn{
		cls:      newClassifier(dc),
		frameLen: int(int64(dc.SampleRate) * int64(dc.FrameDuration) / int64(time.Second)),
		need:     max(1, int((cfg.MinSpeech+dc.FrameDuration-1)/dc.FrameDuration)),
	}, nil
}

// SetBotSpeaking marks the start or end of a prompt; each start re-arms the detector.
func (b *BargeIn) SetBotSpeaking(on bool) {
	b.speaking, b.run, b.fired = on, 0, false
}

// Write feeds caller PCM (always, so the noise floor stays current) and reports true exactly
// once per prompt, when the caller has spoken MinSpeech over it.
func (b *BargeIn) Write(pcm []int16) bool {
	hit := false
	b.pending = append(b.pending, pcm...)
	off := 0
	for ; len(b.pending)-off >= b.frameLen; off += b.frameLen {
		speech := b.cls.classify(b.pending[off:off+b.frameLen], b.run > 0)
		if !b.speaking || b.fired {
			continue
		}
		switch {
		case speech:
			b.run++
		case b.run > 0:
			b.run -= 2 // short gaps between syllables are tolerated
			if b.run < 0 {
				b.run = 0
			}
		}
		if b.run >= b.need {
			b.fired, hit = true, true
		}
	}
	b.pending = b.pending[:copy(b.pending, b.pending[off:])]
	return hit
}
