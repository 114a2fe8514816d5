package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"sync/atomic"
	"time"
)

// originateResult is the originate part of a report. Calls answered by an
// OriginateResponse with Response: Success are the report's Ops.
type originateResult struct {
	Requested int64  `json:"requested"`
	Window    int    `json:"window"`
	Channel   string `json:"channel"`
	Sent      int64  `json:"sent"`
	Success   int64  `json:"success"`  // OriginateResponse Success
	Failure   int64  `json:"failure"`  // OriginateResponse Failure
	Rejected  int64  `json:"rejected"` // the action itself answered with an error
	// Unresolved originates got no OriginateResponse within -drain after
	// sending stopped.
	Unresolved      int64 `json:"unresolved"`
	Hangups         int64 `json:"hangups"` // Hangup events of channels named Channel-…
	HangupsExpected int64 `json:"hangups_expected"`
	// CallEvents is what the -s subscribers saw.
	CallEvents *callEventsResult `json:"call_events,omitempty"`
}

// originateParams are the flags of originate.
type originateParams struct {
	n, w, hangups, subs                       int
	subEvents                                 string
	d                                         time.Duration
	channel, context, exten, priority, events string
}

// originateFlags registers the flags of originate.
func originateFlags(fs *flag.FlagSet) func(context.Context, *bench) error {
	var p originateParams
	fs.IntVar(&p.n, "n", 1000, "Originates to send")
	fs.IntVar(&p.w, "w", 20, "Originates in flight (until their OriginateResponse)")
	fs.DurationVar(&p.d, "d", 60*time.Second, "stop sending after this long")
	fs.StringVar(&p.channel, "channel", "Local/200@bench", "Channel of the Originate; Hangup events of channels named after it are counted")
	fs.StringVar(&p.context, "context", "bench", "Context of the Originate")
	fs.StringVar(&p.exten, "exten", "201", "Exten of the Originate")
	fs.StringVar(&p.priority, "priority", "1", "Priority of the Originate")
	fs.IntVar(&p.hangups, "hangups", 2, "Hangup events expected per successful call")
	fs.StringVar(&p.events, "events", "on", "Events value of the Login (must include call events)")
	fs.IntVar(&p.subs, "s", 0, "subscriber sessions that count every event of every call (Newchannel … Hangup) and report any lost")
	fs.StringVar(&p.subEvents, "subevents", "call", "Events value of the subscribers' Login")
	return func(ctx context.Context, b *bench) error {
		if p.n < 1 || p.w < 1 || p.d <= 0 || p.hangups < 0 || p.subs < 0 || p.channel == "" {
			return usageError{"originate: -n and -w must be at least 1, -d positive, -hangups and -s not negative, -channel set"}
		}
		return b.runOriginate(ctx, p)
	}
}

// Per-call states seen by the reader.
const (
	callSent = iota
	callQueued
	callDone
)

// originateReply applies m, a response (no Event) to one of the n
// Originates whose states are state, indexed by ActionID. A Success marks
// a call awaiting its reply queued, for its OriginateResponse; anything
// else marks it done, and originateReply reports true: m rejected the
// call. The Originate-driven runs (originate, calls) share this tracking.
func (b *bench) originateReply(m *message, state []uint8, n int64) (rejected bool) {
	id, ok := b.replyID(m)
	if !ok || id < 1 || id > n || state[id] != callSent {
		return false
	}
	if equalFold(m.Response, "Success") {
		state[id] = callQueued
		return false
	}
	state[id] = callDone
	return true
}

// originateResponse applies m, an OriginateResponse, to state as
// originateReply does: it marks the call done and returns its ActionID,
// ok false when m is not for one of the n calls or the call was already
// done.
func (b *bench) originateResponse(m *message, state []uint8, n int64) (id int64, ok bool) {
	id, ok = b.parseID(m.ActionID)
	if !ok || id < 1 || id > n || state[id] == callDone {
		return 0, false
	}
	state[id] = callDone
	return id, true
}

// runOriginate sends async Originates with p.w in flight and counts their
// OriginateResponse and Hangup events.
func (b *bench) runOriginate(ctx context.Context, p originateParams) error {
	res := &originateResult{Requested: int64(p.n), Window: p.w, Channel: p.channel}
	b.rep.Originate = res
	a, err := b.openOne(ctx, p.events)
	if err != nil {
		return err
	}
	defer a.close()
	var subs []*callSubscriber
	if p.subs > 0 {
		subs = b.startCallSubscribers(ctx, p.subs, p.subEvents, []byte(p.channel+"-"))
		if len(subs) < p.subs {
			for _, s := range subs {
				s.a.close()
			}
			return fmt.Errorf("originate: %d of %d subscribers logged in", len(subs), p.subs)
		}
	}
	n := int64(p.n)
	sentAt := make([]atomic.Int64, n+1)
	state := make([]uint8, n+1)
	var resolved, success, hangups atomic.Int64
	perCall := int64(p.hangups)
	// done reports whether all sent calls are resolved and have their
	// Hangup events.
	done := func(sent int64) bool {
		return resolved.Load() >= sent && hangups.Load() >= perCall*success.Load()
	}

	b.beginMeasure()
	start := time.Now()
	ww := b.startWindow(ctx, a, p.w, n, start.Add(p.d), done, func(buf []byte, sent int64) []byte {
		sentAt[sent].Store(int64(time.Since(start)))
		buf = b.appendAction(buf, "Originate", sent)
		buf = append(buf, "\r\nChannel: "...)
		buf = append(buf, p.channel...)
		buf = append(buf, "\r\nContext: "...)
		buf = append(buf, p.context...)
		buf = append(buf, "\r\nExten: "...)
		buf = append(buf, p.exten...)
		buf = append(buf, "\r\nPriority: "...)
		buf = append(buf, p.priority...)
		return append(buf, "\r\nAsync: true\r\n\r\n"...)
	})

	var (
		m      message
		h      histogram
		lastAt = start
		rerr   error
		// firstReject is the Message of the first Originate rejected.
		firstReject string
		prefix      = []byte(p.channel + "-")
	)
	for !done(ww.target.Load()) {
		if err := a.rd.next(&m); err != nil {
			rerr = err
			break
		}
		switch {
		case m.Event == nil:
			if !b.originateReply(&m, state, n) {
				continue
			}
			if res.Rejected == 0 {
				firstReject = string(m.Message)
			}
			res.Rejected++
			lastAt = time.Now()
			resolved.Add(1)
			ww.release()
		case equalFold(m.Event, "OriginateResponse"):
			id, ok := b.originateResponse(&m, state, n)
			if !ok {
				continue
			}
			lastAt = time.Now()
			if equalFold(m.Response, "Success") {
				h.record(lastAt.Sub(start) - time.Duration(sentAt[id].Load()))
				success.Add(1)
			} else {
				res.Failure++
			}
			resolved.Add(1)
			ww.release()
		case equalFold(m.Event, "Hangup"):
			if bytes.HasPrefix(m.Channel, prefix) {
				hangups.Add(1)
			}
		}
	}
	sent, werr := ww.wait()
	res.Sent = sent
	res.Success = success.Load()
	res.Unresolved = sent - resolved.Load()
	res.Hangups = hangups.Load()
	res.HangupsExpected = perCall * res.Success
	b.endMeasure(res.Success, "call", lastAt.Sub(start))
	if subs != nil {
		res.CallEvents = b.finishCallSubscribers(subs, res.HangupsExpected, res.Success)
	}
	b.rep.Latency = h.summary()

	if !b.stopped(ctx) {
		if werr != nil {
			b.rep.problemf("writing Originates: %v", werr)
		}
		if rerr != nil && !isTimeout(rerr) {
			b.rep.problemf("reading: %v", rerr)
		}
	}
	if res.Failure > 0 {
		b.rep.problemf("%d Originates failed (OriginateResponse Failure)", res.Failure)
	}
	if res.Rejected > 0 {
		b.rep.problemf("%d Originates were rejected; first: %q", res.Rejected, firstReject)
	}
	if res.Unresolved > 0 {
		b.rep.problemf("%d Originates got no OriginateResponse", res.Unresolved)
	}
	if res.Hangups < res.HangupsExpected {
		b.rep.problemf("saw %d Hangup events for %s, expected %d", res.Hangups, p.channel, res.HangupsExpected)
	}
	return nil
}
