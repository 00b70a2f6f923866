package codec

import "time"

// SamplesPer returns how many samples d lasts at rate (e.g. 320 for 20 ms at 16 kHz).
func SamplesPer(rate int, d time.Duration) int {
	return int(int64(rate) * int64(d) / int64(time.Second))
}

// Framer cuts a stream of arbitrary-length chunks into fixed-size frames, because RTP sends
// one 20 ms frame per packet and the VAD works on 10/20 ms frames.
type Framer struct {
	size int
	buf  []int16
}

// NewFramer returns a framer for frames of size samples (size > 0).
func NewFramer(size int) *Framer {
	if size <= 0 {
		size = 1
	}
	return &Framer{size: size, buf: make([]int16, 0, 2*size)}
}

// Write buffers pcm.
func (f *Framer) Write(pcm []int16) { f.buf = append(f.buf, pcm...) }

// Next copies the next complete frame into a new slice; ok is false when none is complete.
func (f *Framer) Next() (frame []int16, ok bool) {
	if len(f.buf) < f.size {
		return nil, false
	}
	frame = make([]int16, f.size)
	copy(frame, f.buf)
	n := copy(f.buf, f.buf[f.size:])
	f.buf = f.buf[:n]
	return frame, true
}

// Buffered reports how many samples wait for a complete frame.
func (f *Framer) Buffered() int { return len(f.buf) }

// Flush returns the remaining samples padded with silence to a full frame, or nil if empty.
func (f *Framer) Flush() []int16 {
	if len(f.buf) == 0 {
		return nil
	}
	frame := make([]int16, f.size)
	copy(frame, f.buf)
	f.buf = f.buf[:0]
	return frame
}

// Split cuts pcm into frames of size samples; the last partial frame is padded with silence.
func Split(pcm []int16, size int) [][]int16 {
	f := NewFramer(size)
	f.Write(pcm)
	var out [][]int16
	for {
		fr, ok := f.Next()
		if !ok {
			break
		}
		out = append(out, fr)
	}
	if tail := f.Flush(); tail != nil {
		out = append(out, tail)
	}
	return out
}
