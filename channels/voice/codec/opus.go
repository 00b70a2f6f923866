package codec

import (
	"fmt"

	pionopus "github.com/pion/opus"
	hraban "gopkg.in/hraban/opus.v2"
)

const (
	// OpusRate is the Opus RTP clock and the rate both Opus directions run at.
	OpusRate = 48000
	// FrameSamples48k is one 20 ms mono frame at 48 kHz.
	FrameSamples48k = OpusRate / 50
	// maxOpusSamples is the longest Opus packet (120 ms) at 48 kHz mono.
	maxOpusSamples = OpusRate * 120 / 1000
	// maxOpusPacket bounds one encoded frame; 1275 bytes is the RFC 6716 frame limit.
	maxOpusPacket = 1500
)

// OpusDecoder decodes the Opus packets Chrome sends (SILK, hybrid and CELT) to 48 kHz mono
// PCM in pure Go, so the uplink needs no cgo.
type OpusDecoder struct {
	dec pionopus.Decoder
	buf []int16
}

// NewOpusDecoder returns a decoder producing 48 kHz mono s16 PCM.
func NewOpusDecoder() (*OpusDecoder, error) {
	dec, err := pionopus.NewDecoderWithOutput(OpusRate, 1)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	return &OpusDecoder{dec: dec, buf: make([]int16, maxOpusSamples)}, nil
}

// Decode appends the 48 kHz mono PCM of one Opus packet to dst. Chrome sends padding-only
// packets with an empty payload (bandwidth probing); they carry no audio and append nothing.
func (d *OpusDecoder) Decode(dst []int16, packet []byte) ([]int16, error) {
	if len(packet) == 0 {
		return dst, nil
	}
	n, err := d.safeDecode(packet)
	if err != nil {
		return dst, err
	}
	return append(dst, d.buf[:n]...), nil
}

// safeDecode turns a decoder panic on hostile input into an error: a malformed packet from
// the network must never take the call (or the process) down.
func (d *OpusDecoder) safeDecode(packet []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("%w: %v", ErrDecode, r)
			_ = d.dec.Init(OpusRate, 1)
		}
	}()
	n, err = d.dec.DecodeToInt16(packet, d.buf)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	return n, nil
}

// OpusEncoder encodes 20 ms frames of 48 kHz mono PCM with libopus in VOIP mode, the mode
// tuned for speech intelligibility that browsers expect on a call.
type OpusEncoder struct {
	enc *hraban.Encoder
	buf []byte
}

// OpusEncoderConfig tunes the encoder; zero values keep libopus defaults.
type OpusEncoderConfig struct {
	// Bitrate in bits per second; 0 lets libopus choose (about 32 kbit/s for mono VOIP).
	Bitrate int
	// Complexity 0–10; 0 keeps the libopus default (9). Lower it to save CPU.
	Complexity int
}

// NewOpusEncoder returns a 48 kHz mono VOIP encoder.
func NewOpusEncoder(cfg OpusEncoderConfig) (*OpusEncoder, error) {
	enc, err := hraban.NewEncoder(OpusRate, 1, hraban.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncode, err)
	}
	if cfg.Bitrate > 0 {
		if err := enc.SetBitrate(cfg.Bitrate); err != nil {
			return nil, fmt.Errorf("%w: bitrate %d: %v", ErrEncode, cfg.Bitrate, err)
		}
	}
	if cfg.Complexity > 0 {
		if err := enc.SetComplexity(cfg.Complexity); err != nil {
			return nil, fmt.Errorf("%w: complexity %d: %v", ErrEncode, cfg.Complexity, err)
		}
	}
	return &OpusEncoder{enc: enc, buf: make([]byte, maxOpusPacket)}, nil
}

// Encode encodes exactly one 20 ms frame (960 samples) and returns a new packet slice.
func (e *OpusEncoder) Encode(frame []int16) ([]byte, error) {
	if len(frame) != FrameSamples48k {
		return nil, fmt.Errorf("%w: got %d samples, want %d", ErrFrameSize, len(frame), FrameSamples48k)
	}
	n, err := e.enc.Encode(frame, e.buf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncode, err)
	}
	out := make([]byte, n)
	copy(out, e.buf[:n])
	return out, nil
}
