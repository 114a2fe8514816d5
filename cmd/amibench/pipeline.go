package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync/atomic"
	"time"
)

// pipelineResult is the pipeline part of a report.
type pipelineResult struct {
	Requested  int64 `json:"requested"`
	Written    int64 `json:"written"`
	Answered   int64 `json:"answered"` // distinct ActionIDs answered
	OutOfOrder int64 `json:"out_of_order"`
	Duplicates int64 `json:"duplicates"`
	Unanswered int64 `json:"unanswered"`
	Errors     int64 `json:"errors"` // responses other than Success
	InOrder    bool  `json:"all_answered_in_order"`
	// StoppedByDuration is set when -d ended the writing before -k Pings.
	StoppedByDuration bool `json:"stopped_by_duration,omitempty"`
}

// pipelineFlags registers the flags of pipeline.
func pipelineFlags(fs *flag.FlagSet) func(context.Context, *bench) error {
	k := fs.Int("k", 100000, "Pings to write without waiting")
	d := fs.Duration("d", 30*time.Second, "stop writing after this long")
	return func(ctx context.Context, b *bench) error {
		if *k < 1 || *d <= 0 {
			return usageError{"pipeline: -k must be at least 1, -d positive"}
		}
		return b.runPipeline(ctx, int64(*k), *d)
	}
}

// checkEvery is how many messages a sending loop writes between two looks
// at the clock.
const checkEvery = 64

// runPipeline writes k Pings on one connection from a writer goroutine
// while this goroutine reads and checks the replies.
func (b *bench) runPipeline(ctx context.Context, k int64, d time.Duration) error {
	res := &pipelineResult{Requested: k}
	b.rep.Pipeline = res
	a, err := b.openOne(ctx, "off")
	if err != nil {
		return err
	}
	defer a.close()

	var (
		answered atomic.Int64
		target   atomic.Int64 // how many were written, once the writer is done
		werr     error
		wdone    = make(chan struct{})
	)
	target.Store(notWritten)
	b.beginMeasure()
	start := time.Now()
	end := start.Add(d)
	go func() {
		defer close(wdone)
		var buf []byte
		var n int64
		defer func() {
			res.Written = n
			target.Store(n)
			b.wakeOrDrain(a, answered.Load() >= n)
		}()
		for n < k {
			if n%checkEvery == 0 && time.Now().After(end) {
				break
			}
			n++
			buf = b.appendPing(buf[:0], n)
			if _, err := a.w.Write(buf); err != nil {
				n--
				werr = err
				return
			}
		}
		if err := a.w.Flush(); err != nil {
			werr = err
		}
	}()

	seen := make([]uint64, (k+64)/64)
	var last, got int64
	lastAt := start
	var rerr error
	var m message
	for got < target.Load() {
		if err := a.rd.next(&m); err != nil {
			rerr = err
			break
		}
		id, ok := b.replyID(&m)
		if !ok || id < 1 || id > k {
			continue
		}
		if seen[id/64]&(1<<(id%64)) != 0 {
			res.Duplicates++
			continue
		}
		seen[id/64] |= 1 << (id % 64)
		if id != last+1 {
			res.OutOfOrder++
		}
		last = id
		got++
		lastAt = time.Now()
		answered.Store(got)
		if !equalFold(m.Response, "Success") {
			res.Errors++
		}
	}
	elapsed := lastAt.Sub(start)
	<-wdone
	b.endMeasure(got, "ping", elapsed)

	res.Answered = got
	res.Unanswered = res.Written - got
	res.StoppedByDuration = res.Written < k && werr == nil && !b.stopped(ctx)
	res.InOrder = res.Written > 0 && res.Unanswered == 0 && res.OutOfOrder == 0 && res.Duplicates == 0 && res.Errors == 0
	if rerr != nil && (got < res.Written || !isTimeout(rerr)) && !b.stopped(ctx) {
		b.rep.problemf("reading replies: %v", rerr)
	}
	if werr != nil && !b.stopped(ctx) {
		b.rep.problemf("writing Pings: %v", werr)
	}
	if !res.InOrder {
		b.rep.problemf("not all Pings answered in order: written %d, answered %d, out of order %d, duplicates %d, errors %d",
			res.Written, got, res.OutOfOrder, res.Duplicates, res.Errors)
	}
	if rerr != nil && errors.Is(rerr, errMessageTooLarge) {
		return fmt.Errorf("pipeline: %w", rerr)
	}
	return nil
}
