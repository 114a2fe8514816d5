package media

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAddSat(t *testing.T) {
	dst := []int16{1, 32000, -32000, 100, 7}
	AddSat(dst, []int16{2, 1000, -1000, -200})
	if !slices.Equal(dst, []int16{3, math.MaxInt16, math.MinInt16, -100, 7}) {
		t.Errorf("AddSat = %v", dst)
	}
}

func TestMixOrderIndependent(t *testing.T) {
	a := []int16{30000, -30000, 5}
	b := []int16{10000, -10000}
	c := []int16{-20000, 20000, 5}
	d1, d2 := make([]int16, 3), make([]int16, 3)
	Mix(d1, a, b, c)
	Mix(d2, c, b, a)
	if !slices.Equal(d1, []int16{20000, -20000, 10}) || !slices.Equal(d1, d2) {
		t.Errorf("Mix = %v and %v; want [20000 -20000 10]", d1, d2)
	}
	// Repeated AddSat would have clipped at the first step.
	Mix(d1, a, b)
	if d1[0] != math.MaxInt16 || d1[1] != math.MinInt16 || d1[2] != 5 {
		t.Errorf("Mix = %v", d1)
	}
}

// TestMixerEveryoneHearsTheOthers compares the mixer with the obvious
// computation for random conferences, some loud enough to clip.
func TestMixerEveryoneHearsTheOthers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var m Mixer
	for round := range 50 {
		members := 1 + rng.IntN(12)
		amp := 1000 + rng.IntN(31000)
		in := make([][]int16, members)
		for i := range in {
			if rng.IntN(4) == 0 {
				continue // muted: adds nothing
			}
			in[i] = make([]int16, FrameSamples-rng.IntN(3)*40)
			for j := range in[i] {
				in[i][j] = int16(rng.IntN(2*amp) - amp)
			}
		}
		m.Reset()
		longest := 0
		for _, s := range in {
			if s != nil {
				m.Add(s)
				longest = max(longest, len(s))
			}
		}
		if m.Len() != longest {
			t.Fatalf("Len %d, want %d", m.Len(), longest)
		}
		for i := range in {
			got := make([]int16, FrameSamples)
			n := m.Minus(got, in[i])
			if n != longest {
				t.Fatalf("Minus wrote %d, want %d", n, longest)
			}
			for j := range n {
				var want int32
				for k, s := range in {
					if k != i && j < len(s) {
						want += int32(s[j])
					}
				}
				if got[j] != clip16(want) {
					t.Fatalf("round %d member %d sample %d: %d, want %d", round, i, j, got[j], clip16(want))
				}
			}
		}
		total := make([]int16, FrameSamples)
		m.Total(total)
		others := make([]int16, FrameSamples)
		Mix(others, in...)
		if !slices.Equal(total[:longest], others[:longest]) {
			t.Fatalf("round %d: Total differs from Mix", round)
		}
	}
}

func TestMixerLongAndShort(t *testing.T) {
	var m Mixer
	m.Add(make([]int16, 3*FrameSamples)) // only one frame is kept
	if m.Len() != FrameSamples || m.Members() != 1 {
		t.Errorf("Len %d Members %d", m.Len(), m.Members())
	}
	m.Reset()
	m.Add([]int16{1, 2})
	m.Add([]int16{10})
	out := make([]int16, 1)
	if n := m.Minus(out, []int16{1, 2}); n != 1 || out[0] != 10 {
		t.Errorf("short dst: %d %v", n, out)
	}
	if m.Minus(nil, nil) != 0 || m.Total(nil) != 0 {
		t.Error("nil dst written")
	}
	// After Reset nothing of the last tick remains.
	m.Reset()
	m.Add([]int16{0, 0})
	out = make([]int16, 2)
	m.Total(out)
	if out[0] != 0 || out[1] != 0 {
		t.Errorf("stale total %v", out)
	}
}

func TestMixerNoAllocs(t *testing.T) {
	var m Mixer
	in := make([]int16, FrameSamples)
	out := make([]int16, FrameSamples)
	if a := testing.AllocsPerRun(100, func() {
		m.Reset()
		m.Add(in)
		m.Minus(out, in)
	}); a != 0 {
		t.Errorf("%v allocations a tick", a)
	}
}
