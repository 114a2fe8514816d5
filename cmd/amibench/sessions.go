package main

import (
	"context"
	"flag"
	"sync"
	"sync/atomic"
	"time"
)

// sessionsResult is the sessions part of a report. Logins are the report's
// Ops; the measured phase is the opening of the sessions.
type sessionsResult struct {
	Requested    int            `json:"requested"`
	Opened       int            `json:"opened"`
	Failures     map[string]int `json:"failures,omitempty"` // by kind
	OpenS        float64        `json:"open_s"`
	LoginsPerS   float64        `json:"logins_per_s"`
	LoginLatency *latency       `json:"login_latency,omitempty"` // connect to "Authentication accepted"
	HoldS        float64        `json:"hold_s"`
	Alive        int            `json:"alive"` // answered a Ping after the hold
	// DeadKinds counts, by error, the sessions that did not answer.
	DeadKinds     map[string]int `json:"dead,omitempty"`
	RSSBeforeKiB  int64          `json:"rss_before_kib,omitempty"`
	RSSHeldKiB    int64          `json:"rss_held_kib,omitempty"`
	RSSAfterKiB   int64          `json:"rss_after_kib,omitempty"`
	KiBPerSession float64        `json:"kib_per_session,omitempty"`
}

// sessionsFlags registers the flags of sessions.
func sessionsFlags(fs *flag.FlagSet) func(context.Context, *bench) error {
	m := fs.Int("m", 200, "sessions to open")
	hold := fs.Duration("hold", 4*time.Second, "how long to hold them open")
	settle := fs.Duration("settle", time.Second, "with -pid: wait this long after closing before reading RSS")
	return func(ctx context.Context, b *bench) error {
		if *m < 1 || *hold < 0 || *settle < 0 {
			return usageError{"sessions: -m must be at least 1, -hold and -settle not negative"}
		}
		return b.runSessions(ctx, *m, *hold, *settle)
	}
}

// runSessions opens m sessions, b.g.par logins at a time, holds them, then
// checks each answers a Ping.
func (b *bench) runSessions(ctx context.Context, m int, hold, settle time.Duration) error {
	res := &sessionsResult{Requested: m, RSSBeforeKiB: b.rssBefore}
	b.rep.Sessions = res

	b.beginMeasure()
	start := time.Now()
	conns, fails, lat := b.openMany(ctx, m, "off", smallReadBuf, smallWriteBuf)
	openTook := time.Since(start)
	b.endMeasure(int64(len(conns)), "login", openTook)
	defer closeAll(conns)
	res.Opened = len(conns)
	res.OpenS = openTook.Seconds()
	res.LoginsPerS = b.rep.OpsPerS
	res.LoginLatency = lat.summary()
	if len(fails) > 0 {
		res.Failures = fails
	}
	if len(conns) == 0 {
		return errNoSession
	}

	held := time.Now()
	select {
	case <-time.After(hold):
	case <-ctx.Done():
	}
	res.HoldS = time.Since(held).Seconds()
	if b.g.pid > 0 {
		res.RSSHeldKiB, _ = rssKiB(b.g.pid)
	}

	// Alive check: one Ping on each session, par at a time.
	var next, alive atomic.Int64
	var mu sync.Mutex
	dead := map[string]int{}
	var wg sync.WaitGroup
	for range min(b.g.par, len(conns)) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(conns)) || b.stopped(ctx) {
					return
				}
				a := conns[i]
				a.setDeadline(time.Now().Add(b.g.opTimeout))
				ok, err := b.ping(a, 1)
				if err == nil && ok {
					alive.Add(1)
					continue
				}
				kind := "ping: error response"
				switch {
				case err == nil:
				case isTimeout(err):
					kind = "ping: timeout"
				case isClosed(err):
					kind = "ping: connection closed"
				default:
					kind = "ping: " + err.Error()
				}
				mu.Lock()
				dead[kind]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Alive = int(alive.Load())
	if len(dead) > 0 {
		res.DeadKinds = dead
	}

	closeAll(conns)
	if b.g.pid > 0 {
		select {
		case <-time.After(settle):
		case <-ctx.Done():
		}
		res.RSSAfterKiB, _ = rssKiB(b.g.pid)
		if res.RSSHeldKiB > 0 && res.RSSBeforeKiB > 0 {
			res.KiBPerSession = float64(res.RSSHeldKiB-res.RSSBeforeKiB) / float64(res.Opened)
		}
	}
	if !b.stopped(ctx) && res.Alive < res.Opened {
		b.rep.problemf("%d of %d sessions did not answer a Ping after the hold (%s)", res.Opened-res.Alive, res.Opened, countsText(dead))
	}
	return nil
}
