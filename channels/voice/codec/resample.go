package codec

import (
	"fmt"
	"math"
)

// Resampler converts mono PCM between two rates with a Kaiser-windowed sinc polyphase filter.
// The low-pass keeps downsampling free of aliasing (48k→16k for ASR) and upsampling free of
// images (16k/22.05k TTS → 48k Opus). It is streaming: state carries over between calls, so
// 20 ms chunks resample exactly like one long buffer.
type Resampler struct {
	up, down int       // reduced ratio: out = in * up / down
	taps     int       // coefficients per phase
	phases   []float32 // up phases × taps, each phase reversed for a forward dot product
	hist     []float32 // last taps-1 input samples, then the current chunk
	histBase int64     // absolute input index of hist[0]
	inTotal  int64     // input samples seen
	nextPos  int64     // next output position, in units of 1/up input samples
}

const (
	// zeroCrossings per side of the sinc; 16 gives > 60 dB stop band with Kaiser β = 7.
	zeroCrossings = 16
	kaiserBeta    = 7.0
	// passband is the cutoff as a fraction of the lower Nyquist frequency.
	passband = 0.92
)

// NewResampler returns a resampler from inRate to outRate (Hz, each 1000–192000).
func NewResampler(inRate, outRate int) (*Resampler, error) {
	if inRate < 1000 || inRate > 192000 || outRate < 1000 || outRate > 192000 {
		return nil, fmt.Errorf("%w: %d → %d Hz", ErrRate, inRate, outRate)
	}
	g := gcd(inRate, outRate)
	up, down := outRate/g, inRate/g
	r := &Resampler{up: up, down: down}
	if up == 1 && down == 1 {
		return r, nil
	}
	m := max(up, down)
	// Prototype filter at rate inRate*up; cutoff at the lower Nyquist.
	fc := passband * 0.5 / float64(m) // cycles per upsampled sample
	half := zeroCrossings * m
	n := 2*half + 1
	r.taps = (n + up - 1) / up
	proto := make([]float64, r.taps*up)
	i0 := besselI0(kaiserBeta)
	for i := 0; i < n; i++ {
		t := float64(i - half)
		x := 2 * fc * t
		sinc := 1.0
		if x != 0 {
			sinc = math.Sin(math.Pi*x) / (math.Pi * x)
		}
		w := besselI0(kaiserBeta*math.Sqrt(1-(t/float64(half))*(t/float64(half)))) / i0
		proto[i] = 2 * fc * sinc * w * float64(up)
	}
	r.phases = make([]float32, up*r.taps)
	for p := 0; p < up; p++ {
		for k := 0; k < r.taps; k++ {
			// phase p, tap k multiplies x[i-k]; store reversed so index j multiplies x[i-taps+1+j].
			r.phases[p*r.taps+(r.taps-1-k)] = float32(proto[p+k*up])
		}
	}
	r.hist = make([]float32, r.taps-1, r.taps-1+4096)
	r.histBase = -int64(r.taps - 1)
	return r, nil
}

// Ratio reports the reduced conversion ratio out/in as (up, down).
func (r *Resampler) Ratio() (up, down int) { return r.up, r.down }

// Delay is the filter's group delay in input samples; output lags input by this much.
func (r *Resampler) Delay() int { return r.taps / 2 }

// Process appends the resampled form of in to dst and returns it.
func (r *Resampler) Process(dst []int16, in []int16) []int16 {
	if r.up == 1 && r.down == 1 {
		return append(dst, in...)
	}
	for _, s := range in {
		r.hist = append(r.hist, float32(s))
	}
	r.inTotal += int64(len(in))
	up, taps := int64(r.up), r.taps
	for r.nextPos/up < r.inTotal {
		i := r.nextPos / up
		p := int(r.nextPos % up)
		end := int(i-r.histBase) + 1
		dst = append(dst, clamp16(dot(r.phases[p*taps:(p+1)*taps], r.hist[end-taps:end])))
		r.nextPos += int64(r.down)
	}
	if drop := len(r.hist) - (taps - 1); drop > 0 {
		copy(r.hist, r.hist[drop:])
		r.hist = r.hist[:taps-1]
		r.histBase += int64(drop)
	}
	return dst
}

// Reset clears the filter history, for reuse on an unrelated stream.
func (r *Resampler) Reset() {
	if r.taps == 0 {
		return
	}
	r.hist = r.hist[:r.taps-1]
	clear(r.hist)
	r.histBase = -int64(r.taps - 1)
	r.inTotal, r.nextPos = 0, 0
}

// dot is the filter's inner loop, unrolled with four accumulators for instruction-level
// parallelism; it is most of the resampler's CPU time.
func dot(h, x []float32) float32 {
	x = x[:len(h)]
	var a0, a1, a2, a3 float32
	j := 0
	for ; j+4 <= len(h); j += 4 {
		a0 += h[j] * x[j]
		a1 += h[j+1] * x[j+1]
		a2 += h[j+2] * x[j+2]
		a3 += h[j+3] * x[j+3]
	}
	for ; j < len(h); j++ {
		a0 += h[j] * x[j]
	}
	return (a0 + a1) + (a2 + a3)
}

func clamp16(v float32) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v >= 0:
		return int16(v + 0.5)
	}
	return int16(v - 0.5)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// besselI0 is the zeroth-order modified Bessel function, for the Kaiser window.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}
