package codec

import "fmt"

// ASRRate is the rate VAD and ASR consume.
const ASRRate = 16000

// Uplink turns the caller's Opus packets into 16 kHz mono PCM for VAD and ASR.
type Uplink struct {
	dec *OpusDecoder
	rs  *Resampler
	pcm []int16
}

// NewUplink returns an Opus → 16 kHz pipeline.
func NewUplink() (*Uplink, error) {
	dec, err := NewOpusDecoder()
	if err != nil {
		return nil, err
	}
	rs, err := NewResampler(OpusRate, ASRRate)
	if err != nil {
		return nil, err
	}
	return &Uplink{dec: dec, rs: rs, pcm: make([]int16, 0, maxOpusSamples)}, nil
}

// Decode appends the 16 kHz PCM of one Opus RTP payload to dst (20 ms → 320 samples).
// An empty (padding-only) payload appends nothing.
func (u *Uplink) Decode(dst []int16, payload []byte) ([]int16, error) {
	var err error
	u.pcm, err = u.dec.Decode(u.pcm[:0], payload)
	if err != nil {
		return dst, err
	}
	return u.rs.Process(dst, u.pcm), nil
}

// Codec names a downlink payload format.
type Codec string

const (
	// Opus is 48 kHz Opus, RTP clock 48000, 960 timestamp units per 20 ms packet.
	Opus Codec = "opus"
	// PCMU is G.711 µ-law, RTP clock 8000, 160 timestamp units per 20 ms packet.
	PCMU Codec = "pcmu"
)

// DownlinkConfig selects the codec sent to the caller.
type DownlinkConfig struct {
	Codec Codec // Opus (default) or PCMU
	// Opus tunes the encoder; Complexity 0 means 5 here, which halves libopus CPU against its
	// default of 9 with no audible loss on synthetic speech.
	Opus OpusEncoderConfig
}

// Downlink turns bot audio (TTS PCM at any rate) into 20 ms packets for the caller.
type Downlink struct {
	codec     Codec
	enc       *OpusEncoder
	rate      int // codec rate
	rs        *Resampler
	rsFrom    int
	framer    *Framer
	scratch   []int16
	frameSize int
}

// NewDownlink returns a downlink encoder for cfg.Codec.
func NewDownlink(cfg DownlinkConfig) (*Downlink, error) {
	d := &Downlink{codec: cfg.Codec}
	switch cfg.Codec {
	case Opus, "":
		d.codec = Opus
		if cfg.Opus.Complexity == 0 {
			cfg.Opus.Complexity = 5
		}
		enc, err := NewOpusEncoder(cfg.Opus)
		if err != nil {
			return nil, err
		}
		d.enc, d.rate, d.frameSize = enc, OpusRate, FrameSamples48k
	case PCMU:
		d.rate, d.frameSize = PCMURate, FrameSamples8k
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownCodec, cfg.Codec)
	}
	d.framer = NewFramer(d.frameSize)
	return d, nil
}

// Codec reports the negotiated codec.
func (d *Downlink) Codec() Codec { return d.codec }

// ClockRate is the RTP clock rate of the packets.
func (d *Downlink) ClockRate() int { return d.rate }

// SamplesPerPacket is the RTP timestamp increment per packet (20 ms).
func (d *Downlink) SamplesPerPacket() int { return d.frameSize }

// Encode resamples pcm from rate to the codec rate and returns every complete 20 ms packet;
// the remainder waits for the next call or Flush. Switching rate between calls resets the
// resampler.
func (d *Downlink) Encode(pcm []int16, rate int) ([][]byte, error) {
	if rate != d.rsFrom || d.rs == nil {
		rs, err := NewResampler(rate, d.rate)
		if err != nil {
			return nil, err
		}
		d.rs, d.rsFrom = rs, rate
	}
	d.scratch = d.rs.Process(d.scratch[:0], pcm)
	d.framer.Write(d.scratch)
	var out [][]byte
	for {
		fr, ok := d.framer.Next()
		if !ok {
			return out, nil
		}
		pkt, err := d.encodeFrame(fr)
		if err != nil {
			return out, err
		}
		out = append(out, pkt)
	}
}

// Flush encodes what remains, padded with silence, so the end of a prompt is not cut off.
func (d *Downlink) Flush() ([][]byte, error) {
	fr := d.framer.Flush()
	if fr == nil {
		return nil, nil
	}
	pkt, err := d.encodeFrame(fr)
	if err != nil {
		return nil, err
	}
	return [][]byte{pkt}, nil
}

// Reset drops buffered audio, for barge-in: the rest of the prompt must not be sent.
func (d *Downlink) Reset() {
	d.framer.Flush()
	if d.rs != nil {
		d.rs.Reset()
	}
}

func (d *Downlink) encodeFrame(fr []int16) ([]byte, error) {
	if d.codec == PCMU {
		return EncodePCMU(make([]byte, 0, len(fr)), fr), nil
	}
	return d.enc.Encode(fr)
}
