package queue

import (
	"time"
)

// selState is a rotation position: the queue's for rrmemory and
// rrordered (q->rrpos, q->wrapped), the caller's for linear
// (qe->linpos, qe->linwrapped).
type selState struct {
	pos     int
	wrapped bool
}

// Candidate is a member considered for one attempt, with its metric
// (lower is rung first) and its index in the queue's member list.
type Candidate struct {
	Index  int
	Metric int
}

// metric is calc_metric: the ordering key of member m at index pos.
// The penalty dominates (a tier of 1,000,000 per point) except for
// wrandom, where it widens the random range instead. rnd(n) is uniform in
// [0,n).
func metric(s Strategy, m *Member, pos int, rr, lin *selState, now time.Time, rnd func(int) int) int {
	p := m.Penalty * 1000000
	rotate := func(st *selState) int {
		if pos < st.pos {
			return 1000 + pos + p
		}
		if pos > st.pos {
			st.wrapped = true
		}
		return pos + p
	}
	switch s {
	case Linear:
		return rotate(lin)
	case RRMemory, RROrdered:
		return rotate(rr)
	case Random:
		return rnd(1000) + p
	case WRandom:
		return rnd((1 + m.Penalty) * 1000)
	case FewestCalls:
		return m.Calls + p
	case LeastRecent:
		if m.LastCall.IsZero() {
			return p
		}
		return 1000000 - int(now.Sub(m.LastCall)/time.Second) + p
	}
	return p // ringall
}

// best is find_best: the lowest metric among the candidates left. On a
// tie the later member wins, as Asterisk's attempt list is built in
// reverse and keeps the first lowest.
func best(cands []Candidate, left func(i int) bool) int {
	b := -1
	for i := len(cands) - 1; i >= 0; i-- {
		if !left(i) {
			continue
		}
		if b < 0 || cands[i].Metric < cands[b].Metric {
			b = i
		}
	}
	return b
}

// storeNext is store_next_rr and store_next_lin: the rotation goes on at
// the best member not yet tried, or past the end.
func storeNext(st *selState, cands []Candidate, left func(i int) bool) {
	if b := best(cands, left); b >= 0 {
		st.pos = cands[b].Metric % 1000
	} else if st.wrapped {
		st.pos = 0
	} else {
		st.pos++
	}
	st.wrapped = false
}

// Selector picks members as a queue would for a stream of calls, with no
// channels: it exposes the strategies for simulations (fairness
// measurements) and tests. Each call of Next is one caller's first
// attempt.
type Selector struct {
	Strategy Strategy
	Members  []*Member
	Rand     func(n int) int
	rr       selState
}

// Next returns the indexes of the members rung first for a new caller
// (every member of the best tier for ringall, else one), updating the
// round robin position as a queue does. Available members only.
func (s *Selector) Next(now time.Time) []int {
	var lin selState
	cands := make([]Candidate, 0, len(s.Members))
	for i, m := range s.Members {
		cands = append(cands, Candidate{Index: i, Metric: metric(s.Strategy, m, i, &s.rr, &lin, now, s.Rand)})
	}
	tried := make([]bool, len(cands))
	left := func(i int) bool { return !tried[i] }
	b := best(cands, left)
	if b < 0 {
		return nil
	}
	var out []int
	if s.Strategy == RingAll {
		for i, c := range cands {
			if c.Metric <= cands[b].Metric {
				out = append(out, c.Index)
				tried[i] = true
			}
		}
		return out
	}
	tried[b] = true
	if s.Strategy == RRMemory || s.Strategy == RROrdered {
		storeNext(&s.rr, cands, left)
	}
	return []int{cands[b].Index}
}
