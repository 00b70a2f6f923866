package voice

import (
	"dianbao/channels/voice/codec"
	"dianbao/channels/voice/vad"
)

// Adapters from the media sub-packages to the small interfaces the call layer uses; main
// wires them into Config (NewDecoder: NewOpusDecoder, NewEncoder: NewOpusEncoder,
// Resample: Resample).

// opusUplink adapts codec.Uplink (Opus → 16 kHz) to Decoder.
type opusUplink struct {
	up  *codec.Uplink
	buf []int16
}

// NewOpusDecoder returns a Decoder from the caller's Opus packets to 16 kHz mono PCM.
func NewOpusDecoder() (Decoder, error) {
	up, err := codec.NewUplink()
	if err != nil {
		return nil, err
	}
	return &opusUplink{up: up}, nil
}

// Decode returns a buffer that is reused by the next call; the endpointer copies what it keeps.
func (o *opusUplink) Decode(payload []byte) ([]int16, error) {
	var err error
	o.buf, err = o.up.Decode(o.buf[:0], payload)
	return o.buf, err
}

// NewOpusEncoder returns an Encoder of 20 ms 48 kHz mono frames (libopus, VOIP mode).
func NewOpusEncoder() (Encoder, error) {
	return codec.NewOpusEncoder(codec.OpusEncoderConfig{})
}

// Resample converts a whole prompt between rates with the codec's polyphase filter; the
// filter's tail is flushed with silence so the end of the prompt is not cut off.
func Resample(pcm []int16, fromRate, toRate int) []int16 {
	if fromRate == toRate {
		return pcm
	}
	rs, err := codec.NewResampler(fromRate, toRate)
	if err != nil {
		return nil
	}
	out := make([]int16, 0, len(pcm)*toRate/fromRate+toRate/50)
	out = rs.Process(out, pcm)
	return rs.Process(out, make([]int16, 2*rs.Delay()))
}

// vadEndpointer adapts vad.Detector to Endpointer.
type vadEndpointer struct{ d *vad.Detector }

// NewVADEndpointer returns a constructor of per-call endpointers with the given settings.
func NewVADEndpointer(cfg vad.Config) func() (Endpointer, error) {
	return func() (Endpointer, error) {
		d, err := vad.New(cfg)
		if err != nil {
			return nil, err
		}
		return vadEndpointer{d: d}, nil
	}
}

func (v vadEndpointer) Process(pcm []int16) []VADEvent {
	evs := v.d.Write(pcm)
	if len(evs) == 0 {
		return nil
	}
	out := make([]VADEvent, 0, len(evs))
	for _, e := range evs {
		switch e.Type {
		case vad.SpeechStart:
			out = append(out, VADEvent{Kind: VADSpeechStart})
		case vad.SpeechEnd:
			out = append(out, VADEvent{Kind: VADSpeechEnd, Utterance: e.PCM})
		}
	}
	return out
}

// NewVADBargeIn returns a constructor of per-call barge-in detectors.
func NewVADBargeIn(cfg vad.BargeInConfig) func() (BargeInDetector, error) {
	return func() (BargeInDetector, error) { return vad.NewBargeIn(cfg) }
}
