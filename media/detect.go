package media

import (
	"math"
	"slices"
	"time"
)

// Goertzel measures one frequency in a stream of samples: a single bin of
// a Fourier transform at any frequency, in two multiply-adds a sample. Feed
// it with [Goertzel.Write] (across frames if need be), read
// [Goertzel.Amplitude], and [Goertzel.Reset] it for the next block.
type Goertzel struct {
	coeff  float64
	s1, s2 float64
	n      int
}

// NewGoertzel returns a detector of freq (Hz).
func NewGoertzel(freq float64) Goertzel {
	return Goertzel{coeff: 2 * math.Cos(2*math.Pi*freq/SampleRate)}
}

// Write adds samples to the block being measured.
func (g *Goertzel) Write(samples []int16) {
	s1, s2, c := g.s1, g.s2, g.coeff
	for _, x := range samples {
		s1, s2 = float64(x)+c*s1-s2, s1
	}
	g.s1, g.s2 = s1, s2
	g.n += len(samples)
}

// Reset empties the block.
func (g *Goertzel) Reset() { g.s1, g.s2, g.n = 0, 0, 0 }

// power returns |X(f)|² of the block.
func (g *Goertzel) power() float64 {
	return g.s1*g.s1 + g.s2*g.s2 - g.coeff*g.s1*g.s2
}

// Amplitude returns the peak amplitude, in sample units, of the block's
// component at the detector's frequency: a sine of amplitude A at exactly
// that frequency reads A (less a little leakage from other components
// when the block is short). An empty block reads 0.
func (g *Goertzel) Amplitude() float64 {
	if g.n == 0 {
		return 0
	}
	return 2 * math.Sqrt(max(0, g.power())) / float64(g.n)
}

// Amplitude returns the peak amplitude of the component of samples at freq
// (see [Goertzel.Amplitude]).
func Amplitude(samples []int16, freq float64) float64 {
	g := NewGoertzel(freq)
	g.Write(samples)
	return g.Amplitude()
}

// RMS returns the root-mean-square level of samples, in sample units: a
// sine of amplitude A reads A/√2, silence 0.
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, x := range samples {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// Tone is a sinusoidal component found by [Tones].
type Tone struct {
	Freq      float64 // Hz
	Amplitude float64 // peak, in sample units
}

// Tones parameters.
const (
	// tonesRelative: components weaker than the strongest by more than
	// 20 dB are not reported; the Hann window's side lobes are at -31 dB,
	// so leakage never shows up as a tone.
	tonesRelative = 0.1
	// tonesMinAmplitude: nothing quieter than about -70 dBFS is a tone.
	tonesMinAmplitude = 10
	// tonesMinSamples: below 4 ms a frequency cannot be told apart from
	// its neighbours by more than a few hundred hertz.
	tonesMinSamples = 32
)

// Tones finds the sinusoidal components of samples, strongest first: each
// peak of a Hann-windowed Goertzel scan of 0-4000 Hz within 20 dB of the
// strongest, its frequency refined to a fraction of a hertz. Two tones are
// told apart when they are more than about 4·8000/len(samples) Hz apart:
// 200 Hz in a 20 ms frame, 40 Hz in 100 ms (enough for 350+440 dial tone
// from 800 samples). Silence and blocks under 32 samples give none.
//
// Tones is an analysis tool for tests and diagnostics: it allocates and
// costs about len(samples)² multiply-adds, which is fine for a test but
// not for every frame of every call. Use [Goertzel] or [DTMFDetector] on live audio.
func Tones(samples []int16) []Tone {
	n := len(samples)
	if n < tonesMinSamples {
		return nil
	}
	x := make([]float64, n)
	var gain float64
	for i, s := range samples {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
		x[i] = float64(s) * w
		gain += w
	}
	amp := func(freq float64) float64 {
		c := 2 * math.Cos(2*math.Pi*freq/SampleRate)
		var s1, s2 float64
		for _, v := range x {
			s1, s2 = v+c*s1-s2, s1
		}
		return 2 * math.Sqrt(max(0, s1*s1+s2*s2-c*s1*s2)) / gain
	}

	// Half a bin between grid points puts at least four of them inside
	// the Hann main lobe (±2 bins), so no peak falls between two.
	step := SampleRate / float64(n) / 2
	grid := make([]float64, 0, int(SampleRate/2/step)+1)
	for f := 0.0; f <= SampleRate/2; f += step {
		grid = append(grid, amp(f))
	}
	strongest := slices.Max(grid)
	if strongest < tonesMinAmplitude {
		return nil
	}
	var tones []Tone
	for k := 1; k+1 < len(grid); k++ {
		a := grid[k]
		if a < grid[k-1] || a <= grid[k+1] || a < tonesRelative*strongest || a < tonesMinAmplitude {
			continue
		}
		f := refinePeak(amp, float64(k-1)*step, float64(k+1)*step)
		tones = append(tones, Tone{Freq: f, Amplitude: amp(f)})
	}
	slices.SortFunc(tones, func(a, b Tone) int {
		switch {
		case a.Amplitude > b.Amplitude:
			return -1
		case a.Amplitude < b.Amplitude:
			return 1
		}
		return 0
	})
	return tones
}

// refinePeak finds the maximum of f on [lo, hi], over which it is
// unimodal, by golden-section search to within 0.01 Hz.
func refinePeak(f func(float64) float64, lo, hi float64) float64 {
	const invPhi = 0.6180339887498949
	a, b := lo, hi
	c, d := b-invPhi*(b-a), a+invPhi*(b-a)
	fc, fd := f(c), f(d)
	for b-a > 0.01 {
		if fc > fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = f(d)
		}
	}
	return (a + b) / 2
}

// DominantFrequency returns the strongest tone in samples (see [Tones]),
// and false when there is none.
func DominantFrequency(samples []int16) (Tone, bool) {
	t := Tones(samples)
	if len(t) == 0 {
		return Tone{}, false
	}
	return t[0], true
}

// DTMF detection follows Asterisk's dsp.c (itself after spandsp): Goertzel
// filters at the eight Q.23 frequencies over blocks of 102 samples
// (12.75 ms), then per block a level test, a twist test, a relative-peak
// test and a share-of-energy test; a digit begins after 2 consecutive
// blocks agree and ends after 3 blocks without it.
const (
	dtmfBlock = 102
	// dtmfMinAmplitude: each tone at least about -35 dBm0.
	dtmfMinAmplitude = 400
	// dtmfNormalTwist and dtmfReverseTwist are power ratios: the high
	// tone may be up to 8 dB weaker or 4 dB stronger than the low one.
	dtmfNormalTwist  = 6.31
	dtmfReverseTwist = 2.51
	// dtmfRelativePeak: the chosen tone of each group is 8 dB above the
	// other three of its group.
	dtmfRelativePeak = 6.3
	// dtmfShareOfEnergy: the two tones carry at least 82% of the block's
	// energy (Asterisk's DTMF_TO_TOTAL_ENERGY of 42 for 102-sample
	// blocks, in these units), which speech almost never does.
	dtmfShareOfEnergy = 0.82
	dtmfHitsToBegin   = 2
	dtmfMissesToEnd   = 3
)

var dtmfCoeffs = func() (c [8]float64) {
	for i := range 4 {
		c[i] = 2 * math.Cos(2*math.Pi*dtmfRows[i]/SampleRate)
		c[4+i] = 2 * math.Cos(2*math.Pi*dtmfCols[i]/SampleRate)
	}
	return c
}()

// DTMFEvent is a digit found by a [DTMFDetector]: its beginning, or its
// end with how long it lasted.
type DTMFEvent struct {
	Digit    byte
	End      bool
	Duration time.Duration // on End: time the digit was heard, to a block
}

// DTMFDetector finds DTMF digits in signed-linear audio fed to it in
// pieces of any size. The zero DTMFDetector is ready for use, keeps its
// state in the struct and does not allocate.
type DTMFDetector struct {
	s1, s2 [8]float64
	energy float64
	n      int // samples in the current block

	current   byte // digit being heard, 0 for none
	length    int  // samples the current digit has been heard
	misses    int  // blocks without the current digit
	candidate byte // digit seen in the last blocks but not yet begun
	hits      int  // consecutive blocks with candidate
}

// Feed processes samples and appends the digits that began or ended to
// events, returning the extended slice.
func (d *DTMFDetector) Feed(samples []int16, events []DTMFEvent) []DTMFEvent {
	for len(samples) > 0 {
		take := min(len(samples), dtmfBlock-d.n)
		d.accumulate(samples[:take])
		samples = samples[take:]
		d.n += take
		if d.n == dtmfBlock {
			events = d.step(d.classify(), events)
			d.s1, d.s2, d.energy, d.n = [8]float64{}, [8]float64{}, 0, 0
		}
	}
	return events
}

// FeedFrame decodes a voice frame to signed linear and processes it like
// [DTMFDetector.Feed]; other frames are ignored.
func (d *DTMFDetector) FeedFrame(f *Frame, events []DTMFEvent) []DTMFEvent {
	var buf [FrameSamples]int16
	return d.Feed(f.AppendSamples(buf[:0]), events)
}

func (d *DTMFDetector) accumulate(samples []int16) {
	// All eight filters advance together: eight independent dependency
	// chains keep the FPU busy where one filter at a time would wait on
	// each multiply-add (twice as fast).
	s1, s2 := d.s1, d.s2
	c := &dtmfCoeffs
	e := d.energy
	for _, x := range samples {
		v := float64(x)
		e += v * v
		for k := range 8 {
			s1[k], s2[k] = v+c[k]*s1[k]-s2[k], s1[k]
		}
	}
	d.s1, d.s2, d.energy = s1, s2, e
}

// classify returns the digit the finished block holds, or 0.
func (d *DTMFDetector) classify() byte {
	// Powers of each component as the mean power of a sine, A²/2, so
	// that they compare directly with the block's mean power.
	var p [8]float64
	for k := range p {
		raw := d.s1[k]*d.s1[k] + d.s2[k]*d.s2[k] - dtmfCoeffs[k]*d.s1[k]*d.s2[k]
		p[k] = 2 * raw / (dtmfBlock * dtmfBlock)
	}
	row, col := 0, 4
	for k := 1; k < 4; k++ {
		if p[k] > p[row] {
			row = k
		}
		if p[4+k] > p[col] {
			col = 4 + k
		}
	}
	const minPower = dtmfMinAmplitude * dtmfMinAmplitude / 2
	if p[row] < minPower || p[col] < minPower {
		return 0
	}
	if p[col] > p[row]*dtmfReverseTwist || p[col]*dtmfNormalTwist < p[row] {
		return 0
	}
	for k := range 4 {
		if (k != row && p[k]*dtmfRelativePeak > p[row]) || (4+k != col && p[4+k]*dtmfRelativePeak > p[col]) {
			return 0
		}
	}
	if p[row]+p[col] < dtmfShareOfEnergy*d.energy/dtmfBlock {
		return 0
	}
	return dtmfKeys[row][col-4]
}

// step advances the digit state machine by one block whose result is hit.
func (d *DTMFDetector) step(hit byte, events []DTMFEvent) []DTMFEvent {
	if d.current != 0 {
		if hit == d.current {
			d.misses = 0
			d.length += dtmfBlock
			return events
		}
		d.misses++
		if d.misses >= dtmfMissesToEnd {
			events = append(events, DTMFEvent{
				Digit:    d.current,
				End:      true,
				Duration: time.Duration(d.length) * time.Second / SampleRate,
			})
			d.current = 0
		}
	}
	switch {
	case hit == 0:
		d.candidate, d.hits = 0, 0
	case hit == d.candidate:
		d.hits++
	default:
		d.candidate, d.hits = hit, 1
	}
	if d.current == 0 && d.hits >= dtmfHitsToBegin {
		d.current, d.length, d.misses = d.candidate, d.hits*dtmfBlock, 0
		d.candidate, d.hits = 0, 0
		events = append(events, DTMFEvent{Digit: d.current})
	}
	return events
}

// DetectDTMF returns the digits heard in samples, in order.
func DetectDTMF(samples []int16) string {
	var d DTMFDetector
	var digits []byte
	for _, ev := range d.Feed(samples, nil) {
		if !ev.End {
			digits = append(digits, ev.Digit)
		}
	}
	return string(digits)
}
