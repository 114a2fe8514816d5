package main

import (
	"context"
	"flag"
	"sync"
	"time"
)

// pingResult is the ping part of a report.
type pingResult struct {
	Requested   int   `json:"connections_requested"`
	Connections int   `json:"connections"`
	PerConn     int   `json:"pings_per_connection"`
	Errors      int64 `json:"errors"` // non-Success responses and broken connections
}

// pingFlags registers the flags of ping.
func pingFlags(fs *flag.FlagSet) func(context.Context, *bench) error {
	c := fs.Int("c", 1, "connections")
	n := fs.Int("n", 10000, "Pings per connection")
	d := fs.Duration("d", 30*time.Second, "stop sending after this long")
	return func(ctx context.Context, b *bench) error {
		if *c < 1 || *n < 1 || *d <= 0 {
			return usageError{"ping: -c and -n must be at least 1, -d positive"}
		}
		return b.runPing(ctx, *c, *n, *d)
	}
}

// runPing opens c connections; each sends n sequential Pings, waiting for
// each reply, or stops after d.
func (b *bench) runPing(ctx context.Context, c, n int, d time.Duration) error {
	conns, _, _ := b.openMany(ctx, c, "off", 16<<10, 4<<10)
	defer closeAll(conns)
	res := &pingResult{Requested: c, Connections: len(conns), PerConn: n}
	b.rep.Ping = res
	if len(conns) == 0 {
		return errNoSession
	}

	type connStats struct {
		h    histogram
		ops  int64
		errs int64
		err  error
	}
	stats := make([]*connStats, len(conns))
	b.beginMeasure()
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i, a := range conns {
		st := &connStats{}
		stats[i] = st
		wg.Go(func() {
			a.setDeadline(end.Add(b.g.opTimeout))
			for j := int64(1); j <= int64(n); j++ {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				ok, err := b.ping(a, j)
				if err != nil {
					st.err = err
					st.errs++
					return
				}
				st.h.record(time.Since(t0))
				st.ops++
				if !ok {
					st.errs++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var all histogram
	var ops int64
	var firstErr error
	for _, st := range stats {
		all.merge(&st.h)
		ops += st.ops
		res.Errors += st.errs
		if st.err != nil && firstErr == nil {
			firstErr = st.err
		}
	}
	b.endMeasure(ops, "ping", elapsed)
	b.rep.Latency = all.summary()
	if res.Errors > 0 {
		b.rep.problemf("%d Pings failed", res.Errors)
	}
	if firstErr != nil && !b.stopped(ctx) {
		b.rep.problemf("a connection broke: %v", firstErr)
	}
	return nil
}
