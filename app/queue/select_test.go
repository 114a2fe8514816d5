package queue

import (
	"bytes"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/conf"
)

func members(penalties ...int) []*Member {
	out := make([]*Member, len(penalties))
	for i, p := range penalties {
		out[i] = &Member{Interface: "Sim/" + string(rune('a'+i)), Penalty: p}
	}
	return out
}

func seeded() func(int) int {
	r := rand.New(rand.NewPCG(1, 2))
	return r.IntN
}

// TestRRMemoryRotates checks that round robin memory starts each caller
// after the member rung last, across callers (q->rrpos).
func TestRRMemoryRotates(t *testing.T) {
	for _, st := range []Strategy{RRMemory, RROrdered} {
		s := &Selector{Strategy: st, Members: members(0, 0, 0), Rand: seeded()}
		var got []int
		for range 7 {
			got = append(got, s.Next(time.Now())...)
		}
		want := []int{0, 1, 2, 0, 1, 2, 0}
		if !equalInts(got, want) {
			t.Errorf("%v: rung %v, want %v", st, got, want)
		}
	}
}

// TestLinearRestarts checks that linear starts every new caller at the
// first member.
func TestLinearRestarts(t *testing.T) {
	s := &Selector{Strategy: Linear, Members: members(0, 0, 0), Rand: seeded()}
	for i := range 3 {
		if got := s.Next(time.Now()); !equalInts(got, []int{0}) {
			t.Fatalf("caller %d: rung %v, want [0]", i, got)
		}
	}
}

// TestRingAllTier checks that ringall rings the whole lowest penalty tier.
func TestRingAllTier(t *testing.T) {
	s := &Selector{Strategy: RingAll, Members: members(1, 0, 0, 2), Rand: seeded()}
	if got := s.Next(time.Now()); !equalInts(got, []int{1, 2}) {
		t.Fatalf("rung %v, want [1 2]", got)
	}
}

// TestFewestCallsAndTies checks fewestcalls' choice and that the last
// member wins a tie, as in Asterisk's attempt list.
func TestFewestCallsAndTies(t *testing.T) {
	ms := members(0, 0, 0)
	ms[0].Calls, ms[1].Calls, ms[2].Calls = 2, 0, 1
	s := &Selector{Strategy: FewestCalls, Members: ms, Rand: seeded()}
	if got := s.Next(time.Now()); !equalInts(got, []int{1}) {
		t.Fatalf("rung %v, want [1]", got)
	}
	ms[0].Calls, ms[1].Calls, ms[2].Calls = 0, 0, 0
	if got := s.Next(time.Now()); !equalInts(got, []int{2}) {
		t.Fatalf("tie: rung %v, want the last member [2]", got)
	}
}

// TestLeastRecent checks that a never-called member goes first, then the
// one whose last call is oldest.
func TestLeastRecent(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ms := members(0, 0, 0)
	ms[0].LastCall = now.Add(-10 * time.Second)
	ms[1].LastCall = now.Add(-20 * time.Second)
	s := &Selector{Strategy: LeastRecent, Members: ms, Rand: seeded()}
	if got := s.Next(now); !equalInts(got, []int{2}) {
		t.Fatalf("rung %v, want the never-called [2]", got)
	}
	ms[2].LastCall = now.Add(-time.Second)
	if got := s.Next(now); !equalInts(got, []int{1}) {
		t.Fatalf("rung %v, want the least recent [1]", got)
	}
}

// TestPenaltyDominates checks that a lower penalty wins whatever the
// other strategy's metric says, except with wrandom.
func TestPenaltyDominates(t *testing.T) {
	for _, st := range []Strategy{Random, FewestCalls, RRMemory, Linear, LeastRecent} {
		ms := members(1, 0)
		ms[1].Calls = 500
		s := &Selector{Strategy: st, Members: ms, Rand: seeded()}
		for range 20 {
			if got := s.Next(time.Now()); !equalInts(got, []int{1}) {
				t.Fatalf("%v: rung %v, want the penalty 0 member", st, got)
			}
		}
	}
}

// fairness runs n first picks and returns each member's share.
func fairness(st Strategy, ms []*Member, n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, seed+1))
	s := &Selector{Strategy: st, Members: ms, Rand: r.IntN}
	counts := make([]int, len(ms))
	now := time.Unix(1_800_000_000, 0)
	for i := range n {
		picked := s.Next(now)
		for _, p := range picked {
			counts[p]++
		}
		// The one rung first answers: the call completes.
		if len(picked) > 0 {
			m := ms[picked[0]]
			m.Calls++
			m.LastCall = now
		}
		now = now.Add(time.Second)
		_ = i
	}
	out := make([]float64, len(ms))
	for i, c := range counts {
		out[i] = float64(c) / float64(n)
	}
	return out
}

// TestFairness checks each strategy's distribution over 10,000 calls
// against what the strategy promises.
func TestFairness(t *testing.T) {
	const n = 10000
	uniform := func(st Strategy) {
		shares := fairness(st, members(0, 0, 0), n, 7)
		t.Logf("%-11v first rings over %d calls: %.4f", st, n, shares)
		for i, s := range shares {
			if math.Abs(s-1.0/3) > 0.03 {
				t.Errorf("%v: member %d got %.3f of the calls, want 1/3±0.03", st, i, s)
			}
		}
	}
	for _, st := range []Strategy{Random, RRMemory, RROrdered, FewestCalls, LeastRecent} {
		uniform(st)
	}
	t.Logf("%-11v first rings over %d calls: %.4f", RingAll, n, fairness(RingAll, members(0, 0, 0), n, 7))
	if shares := fairness(Linear, members(0, 0, 0), n, 7); shares[0] != 1 {
		t.Errorf("linear: shares %v, want every first ring on member 0", shares)
	}
	// wrandom: metric U[0,1000·(1+penalty)); the expected share of each
	// is P(its draw is the lowest), computed numerically.
	pens := []int{0, 1, 2}
	shares := fairness(WRandom, members(pens...), n, 7)
	want := wrandomShares(pens)
	t.Logf("%-11v penalties %v over %d calls: %.4f (expected %.4f)", WRandom, pens, n, shares, want)
	for i := range pens {
		if math.Abs(shares[i]-want[i]) > 0.02 {
			t.Errorf("wrandom: member %d (penalty %d) got %.3f, want %.3f±0.02", i, pens[i], shares[i], want[i])
		}
	}
}

// wrandomShares integrates P(X_i < min of the others) for uniform X_i
// on [0, 1000(1+p_i)).
func wrandomShares(pens []int) []float64 {
	out := make([]float64, len(pens))
	for i, pi := range pens {
		wi := 1000.0 * float64(1+pi)
		const steps = 200000
		sum := 0.0
		for k := range steps {
			x := (float64(k) + 0.5) / steps * wi
			p := 1.0
			for j, pj := range pens {
				if j != i {
					p *= math.Max(0, 1-x/(1000.0*float64(1+pj)))
				}
			}
			sum += p
		}
		out[i] = sum / steps
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestParse checks queues.conf parsing: defaults, strategies, members,
// empty conditions, and warnings for what is wrong.
func TestParse(t *testing.T) {
	text := `[general]
persistentmembers = no

[support]
strategy = bogus
timeout = -3
retry = 0
joinempty = no
leavewhenempty = yes
whatever = 1
member => Local/1@members,0,Alice
member => Local/2@members,3,Bob,Custom:bob,no,7
member => notaninterface

[sales]
strategy = roundrobin
musicclass = jazz
maxlen = 4
joinempty = paused,unavailable,nonsense

[late]
member => Sim/x
ringinuse = no
`
	f, err := conf.Parse("queues.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg := Parse(f, slog.New(slog.NewTextHandler(&logs, nil)))
	if len(cfg.Queues) != 3 {
		t.Fatalf("queues = %d, want 3", len(cfg.Queues))
	}
	if m := cfg.Queues[2].Members[0]; m.RingInUse {
		t.Errorf("a member listed before ringinuse=no keeps ringinuse: %+v", m)
	}
	s := cfg.Queues[0]
	if s.Strategy != RingAll || s.Timeout != 15 || s.Retry != 5 {
		t.Errorf("support: strategy %v timeout %d retry %d, want ringall 15 5", s.Strategy, s.Timeout, s.Retry)
	}
	if s.JoinEmpty != EmptyPenalty|EmptyInvalid|EmptyPaused || s.LeaveWhenEmpty != EmptyPenalty|EmptyInvalid|EmptyPaused {
		t.Errorf("support: joinempty %b leavewhenempty %b", s.JoinEmpty, s.LeaveWhenEmpty)
	}
	if len(s.Members) != 2 {
		t.Fatalf("support members = %+v", s.Members)
	}
	b := s.Members[1]
	if b.Name != "Bob" || b.Penalty != 3 || b.StateInterface != "Custom:bob" || b.RingInUse || b.Wrapup != 7 {
		t.Errorf("Bob = %+v", b)
	}
	if a := s.Members[0]; a.StateInterface != "Local/1@members" || !a.RingInUse {
		t.Errorf("Alice = %+v", a)
	}
	sa := cfg.Queues[1]
	if sa.Strategy != RRMemory || sa.MusicClass != "jazz" || sa.MaxLen != 4 || sa.JoinEmpty != EmptyPaused|EmptyUnavailable {
		t.Errorf("sales = %+v", sa)
	}
	for _, w := range []string{"unknown strategy", "unknown option", "invalid member interface", "unknown empty condition"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("no warning %q in:\n%s", w, logs.String())
		}
	}
}

// BenchmarkSelect measures one selection among 100 members.
func BenchmarkSelect(b *testing.B) {
	for _, st := range []Strategy{RingAll, Random, RRMemory, FewestCalls, WRandom} {
		b.Run(st.String(), func(b *testing.B) {
			ms := make([]*Member, 100)
			for i := range ms {
				ms[i] = &Member{Penalty: i % 3}
			}
			s := &Selector{Strategy: st, Members: ms, Rand: seeded()}
			now := time.Now()
			for b.Loop() {
				s.Next(now)
			}
		})
	}
}
