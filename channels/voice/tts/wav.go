package tts

import (
	"encoding/binary"
	"fmt"
)

// ParseWAV decodes a mono or stereo 16-bit PCM WAV into mono samples. espeak-ng --stdout
// writes a streaming header whose sizes are placeholders (0x7FFFFFFF), so the data chunk
// simply runs to the end of the input.
func ParseWAV(b []byte) (pcm []int16, rate int, err error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: no RIFF/WAVE header", ErrBadWAV)
	}
	var channels, bits int
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if size < 16 || body+16 > len(b) {
				return nil, 0, fmt.Errorf("%w: short fmt chunk", ErrBadWAV)
			}
			format := binary.LittleEndian.Uint16(b[body:])
			channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
			if format != 1 || bits != 16 || channels < 1 || channels > 2 || rate <= 0 {
				return nil, 0, fmt.Errorf("%w: want 16-bit PCM mono/stereo, got format %d, %d bits, %d channels", ErrBadWAV, format, bits, channels)
			}
		case "data":
			if channels == 0 {
				return nil, 0, fmt.Errorf("%w: data before fmt", ErrBadWAV)
			}
			end := body + size
			if size < 0 || end > len(b) || end < body {
				end = len(b) // streaming header: data runs to EOF
			}
			data := b[body:end]
			frame := 2 * channels
			pcm = make([]int16, len(data)/frame)
			for i := range pcm {
				var sum int
				for c := 0; c < channels; c++ {
					sum += int(int16(binary.LittleEndian.Uint16(data[i*frame+2*c:])))
				}
				pcm[i] = int16(sum / channels)
			}
			return pcm, rate, nil
		}
		next := body + size + size%2
		if next <= off || next > len(b) {
			break
		}
		off = next
	}
	return nil, 0, fmt.Errorf("%w: no data chunk", ErrBadWAV)
}
