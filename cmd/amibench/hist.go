package main

import (
	"math/bits"
	"time"
)

// Shape of the latency histogram: values below histSub nanoseconds get one
// bucket each; above, every power of two is cut into histSub buckets, so a
// bucket is less than 1 % wide. Values of 2^44 ns (about 5 hours) and more
// share the last bucket.
const (
	histSub     = 128
	histMaxBits = 44
	histBuckets = (histMaxBits-7)*histSub + histSub
)

// histogram counts durations with a fixed memory size and no allocation
// per sample. The zero value is ready to use.
type histogram struct {
	counts [histBuckets]uint32
	n      int64
	max    time.Duration
}

// bucketOf returns the bucket index of v nanoseconds.
func bucketOf(v int64) int {
	if v < histSub {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - 8 // v>>shift is in [128, 256)
	if shift > histMaxBits-8 {
		return histBuckets - 1
	}
	return shift*histSub + int(v>>shift)
}

// bucketMid returns the middle of bucket i in nanoseconds.
func bucketMid(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	shift := i/histSub - 1
	m := int64(i%histSub + histSub)
	return m<<shift + (int64(1)<<shift)/2
}

// record adds one duration.
func (h *histogram) record(d time.Duration) {
	h.counts[bucketOf(int64(d))]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

// merge adds the samples of o to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0 < q <= 1) of the samples, or 0 if
// there are none.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.max)
		}
	}
	return h.max
}

// latency summarizes a histogram for reports.
type latency struct {
	Count int64   `json:"count"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// summary returns the report form of h, or nil if it is empty.
func (h *histogram) summary() *latency {
	if h.n == 0 {
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return &latency{Count: h.n, P50Ms: ms(h.quantile(0.50)), P99Ms: ms(h.quantile(0.99)), MaxMs: ms(h.max)}
}
