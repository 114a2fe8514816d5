package media

import (
	"path/filepath"
	"strconv"
	"testing"
)

// Per-frame costs of the hot paths. Every channel moves 50 frames a
// second, so ns/op × 50 × channels is the CPU share: 1 µs a frame is 5%
// of a core at 1,000 channels.

func BenchmarkTranscodeFrame(b *testing.B) {
	samples := testSamples(FrameSamples)
	var slin, ulaw Frame
	_ = slin.SetSamples(SLIN, samples)
	_ = ulaw.SetSamples(ULAW, samples)
	for _, tc := range []struct {
		name     string
		src      *Frame
		to, back Format
	}{
		{"slin-ulaw", &slin, ULAW, SLIN},
		{"ulaw-alaw", &ulaw, ALAW, ULAW},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := *tc.src
			for b.Loop() {
				// Two conversions an iteration to come back where we
				// started; the figure is halved below.
				_ = f.Convert(tc.to)
				_ = f.Convert(tc.back)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2, "ns/convert")
		})
	}
	b.Run("encode-ulaw", func(b *testing.B) {
		dst := make([]byte, FrameSamples)
		for b.Loop() {
			EncodeULaw(dst, samples)
		}
	})
	b.Run("decode-ulaw", func(b *testing.B) {
		codes := ulaw.Payload()
		dst := make([]int16, FrameSamples)
		for b.Loop() {
			DecodeULaw(dst, codes)
		}
	})
}

// BenchmarkMixerTick runs one 20 ms conference tick: every member adds a
// frame and gets the sum of the others. ns/member is the figure to
// compare with the 20 ms budget.
func BenchmarkMixerTick(b *testing.B) {
	for _, members := range []int{3, 10, 100} {
		b.Run(strconv.Itoa(members), func(b *testing.B) {
			in := make([][]int16, members)
			out := make([][]int16, members)
			for i := range in {
				g := NewToneGen(3000, float64(300+10*i), 0)
				in[i] = make([]int16, FrameSamples)
				g.Read(in[i])
				out[i] = make([]int16, FrameSamples)
			}
			var m Mixer
			for b.Loop() {
				m.Reset()
				for _, s := range in {
					m.Add(s)
				}
				for i := range out {
					m.Minus(out[i], in[i])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(members), "ns/member")
		})
	}
}

func BenchmarkMixFrame(b *testing.B) {
	a, c := testSamples(FrameSamples), testSamples(FrameSamples)
	dst := make([]int16, FrameSamples)
	b.Run("AddSat", func(b *testing.B) {
		for b.Loop() {
			copy(dst, a)
			AddSat(dst, c)
		}
	})
	b.Run("Mix2", func(b *testing.B) {
		for b.Loop() {
			Mix(dst, a, c)
		}
	})
}

func BenchmarkGoertzelFrame(b *testing.B) {
	samples := testSamples(FrameSamples)
	g := NewGoertzel(1000)
	for b.Loop() {
		g.Reset()
		g.Write(samples)
		_ = g.Amplitude()
	}
}

func BenchmarkDTMFDetectFrame(b *testing.B) {
	t, _ := DTMFTone('5', DefaultToneAmplitude)
	var f Frame
	t.ReadFrame(&f)
	_ = f.Convert(ULAW)
	var d DTMFDetector
	events := make([]DTMFEvent, 0, 4)
	for b.Loop() {
		events = d.FeedFrame(&f, events[:0])
	}
}

func BenchmarkToneGenFrame(b *testing.B) {
	g := NewToneGen(DefaultToneAmplitude, 440, 480)
	var f Frame
	for b.Loop() {
		g.ReadFrame(&f)
	}
}

func BenchmarkTonesFrame(b *testing.B) {
	samples := testSamples(FrameSamples)
	for b.Loop() {
		_ = Tones(samples)
	}
}

func BenchmarkWAVWriteFrame(b *testing.B) {
	w, err := CreateWAV(filepath.Join(b.TempDir(), "bench.wav"), 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Abort()
	var f Frame
	_ = f.SetSamples(ULAW, testSamples(FrameSamples))
	for b.Loop() {
		if err := w.WriteFrame(&f); err != nil {
			b.Fatal(err)
		}
	}
}
