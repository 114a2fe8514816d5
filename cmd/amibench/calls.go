package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
)

// framesPerCallPerS is the audio a bridged call of two simulated phones
// moves: each leg sends a 20 ms frame 50 times a second.
const framesPerCallPerS = 2 * 50

// callsResult is the calls part of a report.
type callsResult struct {
	Requested int64  `json:"requested"`
	Window    int    `json:"window"`
	Channel   string `json:"channel"`
	Prefix    string `json:"prefix"`
	Sent      int64  `json:"sent"`
	Success   int64  `json:"success"`  // OriginateResponse Success
	Failure   int64  `json:"failure"`  // OriginateResponse Failure
	Rejected  int64  `json:"rejected"` // the Originate itself answered with an error
	// BridgedLegs counts BridgeEnter events of channels named Prefix…;
	// a call is bridged once both its legs entered.
	BridgedLegs int64   `json:"bridged_legs"`
	Bridged     int64   `json:"bridged"`
	SetupS      float64 `json:"setup_s"` // first Originate to the last BridgeEnter
	// Hold: the calls held for HoldS, the server sampled once a second.
	HoldS         float64     `json:"hold_s"`
	CPUPctOfCore  float64     `json:"cpu_pct_of_core,omitempty"`
	CPUPctMax     float64     `json:"cpu_pct_max,omitempty"`
	RSSKiBMax     int64       `json:"rss_kib_max,omitempty"`
	FramesPerS    float64     `json:"frames_per_s"` // nominal: Bridged × 100
	Channels      int64       `json:"channels"`     // expected: 2 per bridged call
	Status        *listTiming `json:"status,omitempty"`
	CoreShow      *listTiming `json:"coreshowchannels,omitempty"`
	HangupMs      float64     `json:"hangup_ms"` // Hangup sent to the last Hangup event
	Hangups       int64       `json:"hangups"`   // Hangup events of Prefix… channels
	ListedHungUp  int64       `json:"listed_hung_up"`
	LeftAfter     int64       `json:"left_after"` // Prefix… channels still listed after the hangup
	CoreShowAfter *listTiming `json:"coreshowchannels_after,omitempty"`
}

// listTiming is one list action timed to its Complete event.
type listTiming struct {
	Ms        float64 `json:"ms"`
	Items     int64   `json:"items"`      // item events received
	Matching  int64   `json:"matching"`   // items of Prefix… channels
	ListItems int64   `json:"list_items"` // the Complete event's ListItems
}

// callsParams are the flags of calls.
type callsParams struct {
	n, w                                             int
	hold                                             time.Duration
	filter                                           bool
	channel, context, exten, priority, prefix, hupRe string
}

// callsFlags registers the flags of calls.
func callsFlags(fs *flag.FlagSet) func(context.Context, *bench) error {
	var p callsParams
	fs.IntVar(&p.n, "n", 1000, "bridged calls to set up")
	fs.IntVar(&p.w, "w", 200, "Originates in flight (until their OriginateResponse)")
	fs.DurationVar(&p.hold, "hold", 10*time.Second, "how long to hold the calls while sampling the server")
	fs.StringVar(&p.channel, "channel", "Sim/bench-a", "Channel of the Originate (the caller)")
	fs.StringVar(&p.context, "context", "bench", "Context of the Originate: its extension must Dial the callee")
	fs.StringVar(&p.exten, "exten", "300", "Exten of the Originate")
	fs.StringVar(&p.priority, "priority", "1", "Priority of the Originate")
	fs.StringVar(&p.prefix, "prefix", "Sim/bench-", "name prefix of both legs' channels: what is counted")
	fs.BoolVar(&p.filter, "filter", true, "add an event Filter so that only the events counted are sent")
	fs.StringVar(&p.hupRe, "hangup", `/^Sim\/bench-/`, "Channel of the final Hangup (a /regex/ matching both legs)")
	return func(ctx context.Context, b *bench) error {
		if p.n < 1 || p.w < 1 || p.hold < 0 || p.channel == "" || p.prefix == "" || p.hupRe == "" {
			return usageError{"calls: -n and -w must be at least 1, -hold not negative, -channel, -prefix and -hangup set"}
		}
		return b.runCalls(ctx, p)
	}
}

// callsRun is the state of one calls run, read from the one connection.
type callsRun struct {
	b      *bench
	a      *amiConn
	p      callsParams
	res    *callsResult
	prefix []byte
	m      message
}

// runCalls sets up p.n bridged calls, holds them while sampling the
// server, times Status and CoreShowChannels over them, then hangs them up.
func (b *bench) runCalls(ctx context.Context, p callsParams) error {
	res := &callsResult{Requested: int64(p.n), Window: p.w, Channel: p.channel, Prefix: p.prefix}
	b.rep.Calls = res
	a, err := b.openOne(ctx, "call")
	if err != nil {
		return err
	}
	defer a.close()
	r := &callsRun{b: b, a: a, p: p, res: res, prefix: []byte(p.prefix)}
	if p.filter {
		if err := r.filter(int64(p.n) + 5); err != nil {
			return err
		}
	}
	if err := r.setup(ctx); err != nil {
		return err
	}
	res.Channels = 2 * res.Bridged
	res.FramesPerS = float64(res.Bridged * framesPerCallPerS)
	if res.Bridged < res.Requested {
		b.rep.problemf("%d of %d calls bridged", res.Bridged, res.Requested)
	}
	r.hold(ctx)
	if res.Status, err = r.list(ctx, int64(p.n)+1, "Status", "Status", "StatusComplete"); err != nil {
		return err
	}
	if res.CoreShow, err = r.list(ctx, int64(p.n)+2, "CoreShowChannels", "CoreShowChannel", "CoreShowChannelsComplete"); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		t    *listTiming
	}{{"Status", res.Status}, {"CoreShowChannels", res.CoreShow}} {
		if l.t.Matching != res.Channels || l.t.ListItems != l.t.Items {
			b.rep.problemf("%s listed %d items (ListItems %d), %d of them %s…; want %d channels",
				l.name, l.t.Items, l.t.ListItems, l.t.Matching, p.prefix, res.Channels)
		}
	}
	if err := r.hangup(ctx, int64(p.n)+3); err != nil {
		return err
	}
	if res.CoreShowAfter, err = r.list(ctx, int64(p.n)+4, "CoreShowChannels", "CoreShowChannel", "CoreShowChannelsComplete"); err != nil {
		return err
	}
	res.LeftAfter = res.CoreShowAfter.Matching
	if res.LeftAfter != 0 {
		b.rep.problemf("%d %s… channels still up after the Hangup", res.LeftAfter, p.prefix)
	}
	return nil
}

// setup sends the Originates, p.w in flight, and reads until every one is
// resolved and every call that succeeded has both legs bridged.
func (r *callsRun) setup(ctx context.Context) error {
	b, a, p, res := r.b, r.a, r.p, r.res
	n := int64(p.n)
	tokens := make(chan struct{}, p.w)
	werr := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	start := time.Now()
	go func() {
		var buf []byte
		var err error
		defer func() { werr <- err }()
		for i := int64(1); i <= n; i++ {
			select {
			case tokens <- struct{}{}:
			default:
				if err = a.w.Flush(); err != nil {
					return
				}
				select {
				case tokens <- struct{}{}:
				case <-stop:
					return
				case <-ctx.Done():
					return
				}
			}
			buf = b.appendAction(buf[:0], "Originate", i)
			buf = append(buf, "\r\nChannel: "...)
			buf = append(buf, p.channel...)
			buf = append(buf, "\r\nContext: "...)
			buf = append(buf, p.context...)
			buf = append(buf, "\r\nExten: "...)
			buf = append(buf, p.exten...)
			buf = append(buf, "\r\nPriority: "...)
			buf = append(buf, p.priority...)
			buf = append(buf, "\r\nAsync: true\r\n\r\n"...)
			if _, err = a.w.Write(buf); err != nil {
				return
			}
			res.Sent = i
		}
		err = a.w.Flush()
	}()
	release := func() {
		select {
		case <-tokens:
		default:
		}
	}
	state := make([]uint8, n+1)
	var resolved int64
	var firstReject string
	for resolved < n || res.BridgedLegs < 2*res.Success {
		if err := a.rd.next(&r.m); err != nil {
			return fmt.Errorf("calls: reading during setup (%d resolved, %d legs bridged): %w", resolved, res.BridgedLegs, err)
		}
		m := &r.m
		switch {
		case m.Event == nil:
			if !b.originateReply(m, state, n) {
				continue
			}
			if res.Rejected == 0 {
				firstReject = string(m.Message)
			}
			res.Rejected++
			resolved++
			release()
		case equalFold(m.Event, "OriginateResponse"):
			if _, ok := b.originateResponse(m, state, n); !ok {
				continue
			}
			if equalFold(m.Response, "Success") {
				res.Success++
			} else {
				res.Failure++
			}
			resolved++
			release()
		case equalFold(m.Event, "BridgeEnter"):
			if bytes.HasPrefix(m.Channel, r.prefix) {
				res.BridgedLegs++
			}
		}
	}
	res.SetupS = time.Since(start).Seconds()
	res.Bridged = res.BridgedLegs / 2
	if err := <-werr; err != nil {
		return fmt.Errorf("calls: writing Originates: %w", err)
	}
	if res.Failure > 0 {
		b.rep.problemf("%d Originates failed (OriginateResponse Failure)", res.Failure)
	}
	if res.Rejected > 0 {
		b.rep.problemf("%d Originates were rejected; first: %q", res.Rejected, firstReject)
	}
	return nil
}

// hold keeps the calls up for p.hold. With -pid it samples the server's
// CPU time and RSS once a second; the hold is the report's measured phase,
// its ops the frames the calls move.
func (r *callsRun) hold(ctx context.Context) {
	b, res := r.b, r.res
	start := time.Now()
	b.beginMeasure()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.NewTimer(r.p.hold)
	defer end.Stop()
	lastAt := start
	lastCPU, cpuErr := int64(0), error(nil)
	if b.g.pid > 0 {
		lastCPU, cpuErr = cpuTicks(b.g.pid)
	}
	sample := func() {
		if b.g.pid <= 0 || cpuErr != nil {
			return
		}
		now := time.Now()
		c, err := cpuTicks(b.g.pid)
		if err != nil {
			cpuErr = err
			return
		}
		if wall := now.Sub(lastAt).Seconds(); wall > 0.5 {
			pct := 100 * float64(c-lastCPU) / float64(b.ticks) / wall
			res.CPUPctMax = max(res.CPUPctMax, pct)
		}
		lastAt, lastCPU = now, c
		if kib, err := rssKiB(b.g.pid); err == nil {
			res.RSSKiBMax = max(res.RSSKiBMax, kib)
		}
	}
	sample()
wait:
	for {
		select {
		case <-tick.C:
			sample()
		case <-end.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	sample()
	elapsed := time.Since(start)
	res.HoldS = elapsed.Seconds()
	b.endMeasure(int64(res.FramesPerS*elapsed.Seconds()), "frame", elapsed)
	if b.g.pid > 0 && b.server.err == nil && b.server.wall > 0 {
		res.CPUPctOfCore = 100 * float64(b.server.ticks) / float64(b.ticks) / b.server.wall.Seconds()
	}
}

// list sends action (ActionID tag+id) and reads its item events until the
// Complete event, timing it.
func (r *callsRun) list(ctx context.Context, id int64, action, item, complete string) (*listTiming, error) {
	b, a := r.b, r.a
	lt := &listTiming{}
	a.buf = append(b.appendAction(a.buf[:0], action, id), "\r\n\r\n"...)
	start := time.Now()
	if err := a.send(a.buf); err != nil {
		return nil, fmt.Errorf("calls: sending %s: %w", action, err)
	}
	for {
		if err := a.rd.next(&r.m); err != nil {
			if ctx.Err() != nil {
				err = errors.Join(err, ctx.Err())
			}
			return nil, fmt.Errorf("calls: reading the %s list (%d items so far): %w", action, lt.Items, err)
		}
		m := &r.m
		if got, ok := b.parseID(m.ActionID); !ok || got != id {
			continue
		}
		switch {
		case m.Event == nil:
			if !equalFold(m.Response, "Success") {
				return nil, fmt.Errorf("calls: %s answered %s: %s", action, m.Response, m.Message)
			}
		case equalFold(m.Event, item):
			lt.Items++
			if bytes.HasPrefix(m.Channel, r.prefix) {
				lt.Matching++
			}
		case equalFold(m.Event, complete):
			lt.Ms = float64(time.Since(start).Microseconds()) / 1e3
			lt.ListItems, _ = parseUint(m.ListItems)
			return lt, nil
		}
	}
}

// hangup hangs up every channel matching p.hupRe and waits for the Hangup
// events of all bridged legs. The Hangup goes on a connection of its own
// with events off, so that its list of the channels hung up does not
// share an output queue with the burst of events it causes.
func (r *callsRun) hangup(ctx context.Context, id int64) error {
	b, a, res := r.b, r.a, r.res
	h, err := b.openOne(ctx, "off")
	if err != nil {
		return fmt.Errorf("calls: opening the Hangup connection: %w", err)
	}
	defer h.close()
	h.buf = b.appendAction(h.buf[:0], "Hangup", id)
	h.buf = append(h.buf, "\r\nChannel: "...)
	h.buf = append(h.buf, r.p.hupRe...)
	h.buf = append(h.buf, "\r\n\r\n"...)
	start := time.Now()
	if err := h.send(h.buf); err != nil {
		return fmt.Errorf("calls: sending Hangup: %w", err)
	}
	listed := make(chan error, 1)
	go func() {
		err := r.readHungUp(h, id)
		if err != nil {
			a.setReadDeadline(time.Now()) // stop waiting for Hangup events
		}
		listed <- err
	}()
	for res.Hangups < res.Channels {
		if err := a.rd.next(&r.m); err != nil {
			if ctx.Err() != nil {
				err = errors.Join(err, ctx.Err())
			}
			return errors.Join(fmt.Errorf("calls: waiting for Hangup events (%d of %d): %w", res.Hangups, res.Channels, err), <-listed)
		}
		if equalFold(r.m.Event, "Hangup") && bytes.HasPrefix(r.m.Channel, r.prefix) {
			res.Hangups++
		}
	}
	res.HangupMs = float64(time.Since(start).Microseconds()) / 1e3
	return <-listed
}

// readHungUp reads the answer to the Hangup action id on h: the list of
// the channels hung up, counted in ListedHungUp.
func (r *callsRun) readHungUp(h *amiConn, id int64) error {
	var m message
	for {
		if err := h.rd.next(&m); err != nil {
			return fmt.Errorf("calls: reading the Hangup list (%d so far): %w", r.res.ListedHungUp, err)
		}
		if got, ok := r.b.parseID(m.ActionID); !ok || got != id {
			continue
		}
		switch {
		case m.Event == nil:
			if !equalFold(m.Response, "Success") {
				return fmt.Errorf("calls: Hangup %s answered %s: %s", r.p.hupRe, m.Response, m.Message)
			}
		case equalFold(m.Event, "ChannelHungup"):
			r.res.ListedHungUp++
		case equalFold(m.Event, "ChannelsHungupListComplete"):
			return nil
		}
	}
}

// filter asks the server to send a only the events the run counts, so that
// a burst of call events (thousands of hangups at once) stays small.
func (r *callsRun) filter(id int64) error {
	b, a := r.b, r.a
	a.buf = b.appendAction(a.buf[:0], "Filter", id)
	a.buf = append(a.buf, "\r\nOperation: Add\r\nFilter: Event: (OriginateResponse|BridgeEnter|Hangup)\\s\r\n\r\n"...)
	if err := a.send(a.buf); err != nil {
		return fmt.Errorf("calls: sending Filter: %w", err)
	}
	for {
		if err := a.rd.next(&r.m); err != nil {
			return fmt.Errorf("calls: reading the Filter answer: %w", err)
		}
		if got, ok := b.replyID(&r.m); ok && got == id {
			if !equalFold(r.m.Response, "Success") {
				return fmt.Errorf("calls: Filter answered %s: %s", r.m.Response, r.m.Message)
			}
			return nil
		}
	}
}

// writeCallsText writes the calls part of a text report.
func writeCallsText(b *strings.Builder, r *report) {
	c := r.Calls
	fmt.Fprintf(b, "  %d originates sent: %d Success, %d Failure, %d rejected; %d/%d calls bridged in %.2fs\n",
		c.Sent, c.Success, c.Failure, c.Rejected, c.Bridged, c.Requested, c.SetupS)
	fmt.Fprintf(b, "  held %.1fs: %d channels, %.0f frames/s (nominal, 100 per call)", c.HoldS, c.Channels, c.FramesPerS)
	if c.RSSKiBMax > 0 {
		fmt.Fprintf(b, "; server CPU %.0f%% of a core (max %.0f%% over 1 s), RSS max %d KiB", c.CPUPctOfCore, c.CPUPctMax, c.RSSKiBMax)
	}
	b.WriteString("\n")
	for _, l := range []struct {
		name string
		t    *listTiming
	}{{"Status", c.Status}, {"CoreShowChannels", c.CoreShow}} {
		if l.t != nil {
			fmt.Fprintf(b, "  %s: %d items (ListItems %d, %d %s…) in %.1f ms to its Complete event\n",
				l.name, l.t.Items, l.t.ListItems, l.t.Matching, c.Prefix, l.t.Ms)
		}
	}
	if c.CoreShowAfter != nil {
		fmt.Fprintf(b, "  Hangup: %d listed, %d Hangup events in %.1f ms; %s… channels left: %d\n",
			c.ListedHungUp, c.Hangups, c.HangupMs, c.Prefix, c.LeftAfter)
	}
}
