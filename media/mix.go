package media

import "math"

// clip16 saturates v to the int16 range.
func clip16(v int32) int16 {
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}

// AddSat adds src into dst sample by sample, saturating at the int16
// limits instead of wrapping (a wrapped sum turns a loud peak into a loud
// click of the opposite sign). It adds min(len(dst), len(src)) samples.
func AddSat(dst, src []int16) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = clip16(int32(dst[i]) + int32(s))
	}
}

// Mix writes to dst the sum of streams, clipped once at the end: the sum
// is kept in 32 bits, so it does not depend on the order of the streams as
// repeated [AddSat] would. A stream shorter than dst counts as silence
// where it has no samples.
func Mix(dst []int16, streams ...[]int16) {
	var sum [FrameSamples]int32
	for off := 0; off < len(dst); off += FrameSamples {
		out := dst[off:min(len(dst), off+FrameSamples)]
		acc := sum[:len(out)]
		clear(acc)
		for _, s := range streams {
			if off >= len(s) {
				continue
			}
			s = s[off:min(len(s), off+len(out))]
			for i, x := range s {
				acc[i] += int32(x)
			}
		}
		for i, v := range acc {
			out[i] = clip16(v)
		}
	}
}

// Mixer is the conference mixing step, in which every member hears the
// sum of the others. Per 20 ms tick: [Mixer.Reset], [Mixer.Add] each
// talking member's samples, then [Mixer.Minus] for each listener with
// that listener's own samples. The total is computed once and each
// listener's own contribution subtracted, so a tick costs two passes per
// member however many members there are, instead of one pass per pair.
// The total is kept in 32 bits (65,536 full-scale members fit) and only
// the result heard is clipped.
//
// The zero Mixer is ready for use; it holds one frame and does not
// allocate.
type Mixer struct {
	sum     [FrameSamples]int32
	n       int // samples in use: the longest stream added this tick
	members int
}

// Reset starts a new tick.
func (m *Mixer) Reset() {
	clear(m.sum[:m.n])
	m.n = 0
	m.members = 0
}

// Add adds one member's samples to the tick's total. Samples past
// [FrameSamples] are ignored; a shorter stream is silence after its end.
func (m *Mixer) Add(samples []int16) {
	if len(samples) > FrameSamples {
		samples = samples[:FrameSamples]
	}
	sum := m.sum[:len(samples)]
	for i, s := range samples {
		sum[i] += int32(s)
	}
	m.n = max(m.n, len(samples))
	m.members++
}

// Members returns the number of streams added this tick.
func (m *Mixer) Members() int { return m.members }

// Len returns the length of the tick's mix: the longest stream added.
func (m *Mixer) Len() int { return m.n }

// Total writes the clipped sum of every stream to dst (what a recording of
// the conference holds) and returns the samples written:
// min(len(dst), m.Len()).
func (m *Mixer) Total(dst []int16) int {
	n := min(len(dst), m.n)
	dst = dst[:n]
	for i := range dst {
		dst[i] = clip16(m.sum[i])
	}
	return n
}

// Minus writes to dst what the member whose samples are own hears: the
// total less own, clipped, and returns the samples written:
// min(len(dst), m.Len()). own must be exactly what that member passed to
// Add this tick, or nil for a member who added nothing (muted, or only
// listening), who hears everyone.
func (m *Mixer) Minus(dst, own []int16) int {
	n := min(len(dst), m.n)
	dst = dst[:n]
	sum := m.sum[:n]
	if len(own) > n {
		own = own[:n]
	}
	for i, s := range own {
		dst[i] = clip16(sum[i] - int32(s))
	}
	for i := len(own); i < n; i++ {
		dst[i] = clip16(sum[i])
	}
	return n
}
