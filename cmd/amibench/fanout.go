package main

import (
	"context"
	"errors"
	"flag"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// fanoutResult is the fanout part of a report. Delivered events are the
// report's Ops.
type fanoutResult struct {
	Requested     int     `json:"subscribers_requested"`
	Subscribers   int     `json:"subscribers"` // reading subscribers logged in
	Window        int     `json:"window"`
	Written       int64   `json:"written"`
	Published     int64   `json:"published"` // acked with Success
	PublishErrors int64   `json:"publish_errors"`
	PublishS      float64 `json:"publish_s"`
	PublishPerS   float64 `json:"publish_per_s"`
	Lost          int64   `json:"lost"`      // over all reading subscribers
	Reordered     int64   `json:"reordered"` // events that came after a later one
	Complete      int     `json:"complete"`  // reading subscribers that got every event
	MinDelivered  int64   `json:"min_delivered"`
	MaxDelivered  int64   `json:"max_delivered"`
	// Disconnected counts reading subscribers the server closed.
	Disconnected int             `json:"disconnected"`
	Stalled      []stalledResult `json:"stalled,omitempty"`
	StallFailed  int             `json:"stalled_login_failures,omitempty"`
}

// stalledResult tells what happened to a subscriber that never read during
// the run. Its socket is read only at the end, to count what the server had
// sent and see whether the connection was closed.
type stalledResult struct {
	Events       int64 `json:"events"`   // events found in the socket at the end
	LastSeq      int64 `json:"last_seq"` // highest sequence number among them
	Lost         int64 `json:"lost"`     // gaps, if the server dropped events without closing
	Disconnected bool  `json:"disconnected"`
	// CutAtS is when the last event it got was published, in seconds from
	// the start of publishing: about when the server gave up on it.
	CutAtS float64 `json:"cut_at_s,omitempty"`
	// End is how reading its socket ended: "closed", "reset", "complete"
	// (got every event) or "timeout".
	End string `json:"end"`
}

// markEvery is how many published events share one timestamp in the
// publisher's record of when each sequence number was sent.
const markEvery = 16

// fanoutFlags registers the flags of fanout.
func fanoutFlags(fs *flag.FlagSet) func(context.Context, *bench) error {
	s := fs.Int("s", 10, "subscriber connections (reading)")
	d := fs.Duration("d", 10*time.Second, "publish for this long")
	w := fs.Int("w", 50, "UserEvent actions in flight (window)")
	stall := fs.Int("stall", 0, "extra subscribers that log in but never read")
	events := fs.String("events", "user", "Events value of the subscribers' Login (user, on, …)")
	return func(ctx context.Context, b *bench) error {
		if *s < 1 || *w < 1 || *d <= 0 || *stall < 0 {
			return usageError{"fanout: -s and -w must be at least 1, -d positive, -stall not negative"}
		}
		return b.runFanout(ctx, *s, *stall, *w, *d, *events)
	}
}

// subscriberRun is the state of one reading subscriber.
type subscriberRun struct {
	a         *amiConn
	lastSeen  atomic.Int64 // highest sequence number seen
	events    int64
	lost      int64
	reordered int64
	lastAt    time.Time
	err       error
}

// eventName returns the UserEvent name of this run's events.
func (b *bench) eventName() string { return "amibench-" + b.tag[:len(b.tag)-1] }

// userEventSeq returns the BenchSeq number of m if m is the UserEvent name
// of this run.
func (m *message) userEventSeq(name string) (int64, bool) {
	if m.Event == nil || string(m.UserEvent) != name || !equalFold(m.Event, "UserEvent") {
		return 0, false
	}
	return parseUint(m.Seq)
}

// read counts this run's UserEvents until the sequence number final is
// seen or reading fails.
func (s *subscriberRun) read(name string, final *atomic.Int64) {
	var m message
	next := int64(1)
	for {
		if err := s.a.rd.next(&m); err != nil {
			s.err = err
			return
		}
		seq, ok := m.userEventSeq(name)
		if !ok {
			continue
		}
		s.events++
		s.lastAt = time.Now()
		switch {
		case seq == next:
			next++
		case seq > next:
			s.lost += seq - next
			next = seq + 1
		default:
			s.reordered++
			if s.lost > 0 {
				s.lost-- // it was counted lost when the gap was seen
			}
		}
		s.lastSeen.Store(next - 1)
		if next-1 >= final.Load() {
			return
		}
	}
}

// runFanout runs one publisher and s reading plus stall non-reading
// subscribers.
func (b *bench) runFanout(ctx context.Context, s, stall, w int, d time.Duration, events string) error {
	res := &fanoutResult{Requested: s, Window: w}
	b.rep.Fanout = res
	pub, err := b.openOne(ctx, "off")
	if err != nil {
		return err
	}
	defer pub.close()
	subConns, _, _ := b.openMany(ctx, s, events, 64<<10, smallWriteBuf)
	defer closeAll(subConns)
	res.Subscribers = len(subConns)
	if len(subConns) == 0 {
		return errNoSession
	}
	var stalled []*amiConn
	if stall > 0 {
		stalled, _, _ = b.openMany(ctx, stall, events, 64<<10, smallWriteBuf)
		defer closeAll(stalled)
		res.StallFailed = stall - len(stalled)
	}
	if b.stopped(ctx) {
		return errors.New("fanout: run stopped while logging in")
	}

	name := b.eventName()
	var final atomic.Int64
	final.Store(notWritten)
	subs := make([]*subscriberRun, len(subConns))
	var wg sync.WaitGroup
	for i, a := range subConns {
		sr := &subscriberRun{a: a}
		subs[i] = sr
		wg.Go(func() { sr.read(name, &final) })
	}

	b.beginMeasure()
	start := time.Now()
	marks, written := b.publish(ctx, pub, w, start.Add(d), res)

	// Every event is out: let subscribers that have them all stop now and
	// give the others -drain to catch up.
	final.Store(written)
	for _, sr := range subs {
		b.wakeOrDrain(sr.a, sr.lastSeen.Load() >= written)
	}
	wg.Wait()
	lastAt := start
	var delivered int64
	res.MinDelivered = 1<<63 - 1
	for _, sr := range subs {
		delivered += sr.events
		res.MinDelivered = min(res.MinDelivered, sr.events)
		res.MaxDelivered = max(res.MaxDelivered, sr.events)
		if sr.lastAt.After(lastAt) {
			lastAt = sr.lastAt
		}
		seen := sr.lastSeen.Load()
		if seen < written {
			sr.lost += written - seen // the tail never came
		}
		res.Lost += sr.lost
		res.Reordered += sr.reordered
		if sr.lost == 0 && seen >= written {
			res.Complete++
		}
		switch {
		case sr.err == nil:
		case isClosed(sr.err):
			res.Disconnected++
		case isTimeout(sr.err) && seen >= written:
		case isTimeout(sr.err):
			b.rep.problemf("a subscriber still missed events %d after -drain %v", seen+1, b.g.drain)
		default:
			b.rep.problemf("a subscriber stopped reading: %v", sr.err)
		}
	}
	b.endMeasure(delivered, "event", lastAt.Sub(start))

	// Now look into the stalled subscribers' sockets.
	res.Stalled = make([]stalledResult, len(stalled))
	var swg sync.WaitGroup
	for i, a := range stalled {
		swg.Go(func() { res.Stalled[i] = b.drainStalled(a, name, written, marks) })
	}
	swg.Wait()

	if res.Written == 0 {
		b.rep.problemf("no UserEvent could be published")
	}
	if res.PublishErrors > 0 {
		b.rep.problemf("%d UserEvent actions were not answered with Success", res.PublishErrors)
	}
	if res.Lost > 0 {
		b.rep.problemf("reading subscribers lost %d events", res.Lost)
	}
	if res.Reordered > 0 {
		b.rep.problemf("reading subscribers got %d events out of order", res.Reordered)
	}
	if res.Disconnected > 0 {
		b.rep.problemf("the server closed %d reading subscribers", res.Disconnected)
	}
	for i, st := range res.Stalled {
		if !st.Disconnected && st.Lost > 0 {
			b.rep.problemf("stalled subscriber %d lost %d events without being disconnected", i+1, st.Lost)
		}
	}
	if res.StallFailed > 0 {
		b.rep.problemf("%d stalled subscribers could not log in", res.StallFailed)
	}
	return nil
}

// publish sends UserEvents on a with w in flight until end, then waits up
// to -drain for the outstanding replies. It returns when each
// markEvery-th event was sent (offsets from the start) and how many were
// written.
func (b *bench) publish(ctx context.Context, a *amiConn, w int, end time.Time, res *fanoutResult) ([]time.Duration, int64) {
	start := time.Now()
	name := b.eventName()
	var acked atomic.Int64
	var marks []time.Duration
	ww := b.startWindow(ctx, a, w, notWritten, end,
		func(n int64) bool { return acked.Load() >= n },
		func(buf []byte, n int64) []byte {
			if (n-1)%markEvery == 0 {
				marks = append(marks, time.Since(start))
			}
			buf = b.appendAction(buf, "UserEvent", n)
			buf = append(buf, "\r\nUserEvent: "...)
			buf = append(buf, name...)
			buf = append(buf, "\r\n"+seqHeader+": "...)
			buf = strconv.AppendInt(buf, n, 10)
			return append(buf, "\r\n\r\n"...)
		})

	var m message
	var got int64
	lastAt := start
	var rerr error
	for got < ww.target.Load() {
		if err := a.rd.next(&m); err != nil {
			rerr = err
			break
		}
		if _, ok := b.replyID(&m); !ok {
			continue
		}
		got++
		lastAt = time.Now()
		if !equalFold(m.Response, "Success") {
			res.PublishErrors++
		}
		acked.Store(got)
		ww.release()
	}
	n, werr := ww.wait()
	res.Written = n
	res.Published = got - res.PublishErrors
	res.PublishS = lastAt.Sub(start).Seconds()
	if res.PublishS > 0 {
		res.PublishPerS = float64(res.Published) / res.PublishS
	}
	if !b.stopped(ctx) {
		if werr != nil {
			b.rep.problemf("publisher: writing UserEvents: %v", werr)
		}
		if rerr != nil && !(isTimeout(rerr) && got >= n) {
			b.rep.problemf("publisher: %d of %d UserEvents unanswered: %v", n-got, n, rerr)
		}
	}
	return marks, n
}

// drainStalled reads what a stalled subscriber's socket holds at the end
// of the run: this run's events up to final, then end of stream or nothing.
func (b *bench) drainStalled(a *amiConn, name string, final int64, marks []time.Duration) stalledResult {
	var r stalledResult
	a.setReadDeadline(time.Now().Add(b.g.drain))
	var m message
	next := int64(1)
	for {
		err := a.rd.next(&m)
		if err != nil {
			switch {
			case isReset(err):
				r.Disconnected, r.End = true, "reset"
			case errors.Is(err, errMessageTooLarge):
				r.End = err.Error()
			case isClosed(err):
				r.Disconnected, r.End = true, "closed"
			case isTimeout(err):
				r.End = "timeout"
			default:
				r.End = err.Error()
			}
			break
		}
		seq, ok := m.userEventSeq(name)
		if !ok {
			continue
		}
		r.Events++
		if seq > next {
			r.Lost += seq - next
		}
		next = max(next, seq+1)
		r.LastSeq = max(r.LastSeq, seq)
		if seq >= final {
			r.End = "complete"
			break
		}
	}
	if r.Disconnected && r.LastSeq > 0 {
		if i := (r.LastSeq - 1) / markEvery; i < int64(len(marks)) {
			r.CutAtS = marks[i].Seconds()
		}
	}
	return r
}
