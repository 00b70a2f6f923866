// Package codec converts audio between the forms a WebRTC voice call uses: Opus packets from
// the browser, 16 kHz PCM for VAD and ASR, TTS output at its own rate, and Opus or PCMU packets
// back to the browser.
//
// Inbound (browser → bot):
//
//	up, _ := codec.NewUplink()           // pion/opus decoder (48 kHz mono) + 48k→16k resampler
//	pcm16k, err := up.Decode(dst[:0], rtpPacket.Payload)
//
// Outbound (bot → browser):
//
//	down, _ := codec.NewDownlink(codec.DownlinkConfig{Codec: codec.Opus}) // libopus complexity 5
//	packets, err := down.Encode(ttsPCM, ttsRate) // one packet per 20 ms, 960 samples of RTP time each
//	tail, err := down.Flush()                    // the last partial frame, padded with silence
//
// The building blocks are exported too: [OpusDecoder] (pure Go, github.com/pion/opus),
// [OpusEncoder] (libopus through gopkg.in/hraban/opus.v2, 48 kHz mono, VOIP application),
// [EncodePCMU]/[DecodePCMU] (G.711 µ-law, 8 kHz), [Resampler] (windowed-sinc polyphase, any
// rational ratio, streaming) and [Framer] (fixed 20 ms frames from arbitrary chunks).
// None of the types is safe for concurrent use: a call owns one of each per direction.
package codec
