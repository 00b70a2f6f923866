package codec

import "github.com/zaf/g711"

// PCMURate is the G.711 sample rate and RTP clock (RFC 3551 payload type 0).
const PCMURate = 8000

// FrameSamples8k is one 20 ms frame at 8 kHz, the usual PCMU packet.
const FrameSamples8k = PCMURate / 50

// EncodePCMU appends the G.711 µ-law bytes of 8 kHz PCM to dst; it is the fallback when a
// peer does not negotiate Opus.
func EncodePCMU(dst []byte, pcm []int16) []byte {
	for _, s := range pcm {
		dst = append(dst, g711.EncodeUlawFrame(s))
	}
	return dst
}

// DecodePCMU appends the 8 kHz PCM of G.711 µ-law bytes to dst.
func DecodePCMU(dst []int16, ulaw []byte) []int16 {
	for _, b := range ulaw {
		dst = append(dst, g711.DecodeUlawFrame(b))
	}
	return dst
}
