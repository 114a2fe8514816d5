package sim_test

import (
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/media"
)

// amplitude measures freq in samples.
func amplitude(samples []int16, freq float64) float64 {
	g := media.NewGoertzel(freq)
	g.Write(samples)
	return g.Amplitude()
}

// TestBridgedPhonesHearEachOther bridges calls of a phone sending 440 Hz
// with one sending 1000 Hz (or echoing): each phone hears the other's
// tone, not its own, and the phones sharing the clock all talk.
func TestBridgedPhonesHearEachOther(t *testing.T) {
	for _, callee := range []string{"b", "e", "b60"} {
		t.Run(callee, func(t *testing.T) {
			const calls = 20
			recs, stop := bridgedCalls(t, calls, callee, 1600)
			defer stop()
			deadline := time.Now().Add(10 * time.Second)
			for _, r := range recs {
				for r.Frames() < 15 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if r.Frames() < 15 {
					t.Fatalf("a phone heard %d frames, want 15", r.Frames())
				}
			}
			for i, r := range recs {
				s := r.Samples()
				a440, a1000 := amplitude(s, 440), amplitude(s, 1000)
				caller := i%2 == 0
				switch {
				case caller && callee != "e" && (a1000 < 1000 || a440 > 100):
					t.Errorf("caller %d heard 1000 Hz at %.0f, 440 Hz at %.0f; want the callee's 1000 Hz only", i/2, a1000, a440)
				case caller && callee == "e" && (a440 < 1000 || a1000 > 100):
					t.Errorf("caller %d heard 440 Hz at %.0f, 1000 Hz at %.0f; want its own 440 Hz echoed", i/2, a440, a1000)
				case !caller && (a440 < 1000 || a1000 > 100):
					t.Errorf("callee %d heard 440 Hz at %.0f, 1000 Hz at %.0f; want the caller's 440 Hz only", i/2, a440, a1000)
				}
			}
		})
	}
}
