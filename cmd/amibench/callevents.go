package main

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// callEventsResult is what the subscribers of originate -s saw: every
// event of every call's channels (Newchannel … Hangup; OriginateResponse
// is not one), counted per call and per subscriber.
type callEventsResult struct {
	Subscribers int `json:"subscribers"` // reading subscribers logged in
	// PerCall is how many events most calls produce. How a call's two
	// channels interleave may change a call's count (a Local channel
	// hung up before its Newstate); Varying counts the calls that
	// differ, for information.
	PerCall int64 `json:"events_per_call"`
	Varying int64 `json:"calls_varying"`
	Events  int64 `json:"events"` // call events received, all subscribers
	// Lost is the events a subscriber missed: every subscriber must see
	// as many events of a call as the one that saw most.
	Lost     int64 `json:"lost"`
	Missed   int64 `json:"missed"`   // calls a subscriber saw nothing of
	Disorder int64 `json:"disorder"` // channel events before its Newchannel or after its Hangup
	Complete int   `json:"complete"` // subscribers that saw every event of every call
}

// callSubscriber is one reading subscriber of originate -s.
type callSubscriber struct {
	a      *amiConn
	prefix []byte
	// perCall counts the events of each call: the channel name up to its
	// ';' (both halves of a Local channel are one call).
	perCall map[string]int64
	// chans is each channel's state: 1 after its Newchannel, 2 after its
	// Hangup.
	chans    map[string]uint8
	events   int64
	disorder int64
	hangups  atomic.Int64
	err      error
	done     chan struct{}
}

// read counts call events until the connection ends (the run closes it
// once every subscriber has its Hangups, or at -drain).
func (s *callSubscriber) read() {
	defer close(s.done)
	var m message
	for {
		if err := s.a.rd.next(&m); err != nil {
			s.err = err
			return
		}
		// OriginateResponse names the channel but is the originate's
		// outcome, not a channel event: it may come after the call ended.
		if m.Event == nil || !bytes.HasPrefix(m.Channel, s.prefix) || equalFold(m.Event, "OriginateResponse") {
			continue
		}
		s.events++
		name := m.Channel
		call := name
		if i := bytes.IndexByte(call, ';'); i >= 0 {
			call = call[:i]
		}
		if n, ok := s.perCall[string(call)]; ok {
			s.perCall[string(call)] = n + 1
		} else {
			s.perCall[string(call)] = 1
		}
		st := s.chans[string(name)]
		switch {
		case equalFold(m.Event, "Newchannel"):
			if st != 0 {
				s.disorder++
			}
			s.chans[string(name)] = 1
		case st != 1:
			s.disorder++ // before Newchannel or after Hangup
		case equalFold(m.Event, "Hangup"):
			s.chans[string(name)] = 2
			s.hangups.Add(1)
		}
	}
}

// startCallSubscribers logs in n subscribers with the given Events value
// and starts their readers.
func (b *bench) startCallSubscribers(ctx context.Context, n int, events string, prefix []byte) []*callSubscriber {
	conns, _, _ := b.openMany(ctx, n, events, bulkReadBuf, smallWriteBuf)
	subs := make([]*callSubscriber, len(conns))
	for i, a := range conns {
		s := &callSubscriber{a: a, prefix: prefix, perCall: map[string]int64{}, chans: map[string]uint8{}, done: make(chan struct{})}
		subs[i] = s
		go s.read()
	}
	return subs
}

// finishCallSubscribers waits until every subscriber has seen hangups
// Hangup events, or -drain passed, stops them and fills the result.
// calls is how many calls succeeded.
func (b *bench) finishCallSubscribers(subs []*callSubscriber, hangups, calls int64) *callEventsResult {
	end := time.Now().Add(b.g.drain)
	for _, s := range subs {
		for s.hangups.Load() < hangups && time.Now().Before(end) && !isClosedChan(s.done) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, s := range subs {
		s.a.setReadDeadline(time.Now())
	}
	res := &callEventsResult{Subscribers: len(subs)}
	// A call's reference count is the most any subscriber saw of it.
	ref := map[string]int64{}
	for _, s := range subs {
		<-s.done
		for call, n := range s.perCall {
			ref[call] = max(ref[call], n)
		}
	}
	freq := map[int64]int{}
	for _, n := range ref {
		freq[n]++
	}
	for n, f := range freq {
		if f > freq[res.PerCall] || f == freq[res.PerCall] && n > res.PerCall {
			res.PerCall = n
		}
	}
	for _, n := range ref {
		if n != res.PerCall {
			res.Varying++
		}
	}
	for _, s := range subs {
		res.Events += s.events
		res.Disorder += s.disorder
		var lost int64
		for call, n := range ref {
			seen, ok := s.perCall[call]
			if !ok {
				res.Missed++
			}
			lost += n - seen
		}
		if missed := calls - int64(len(ref)); missed > 0 {
			// Calls no subscriber saw at all.
			res.Missed += missed
		}
		res.Lost += lost
		if lost == 0 && s.disorder == 0 && int64(len(s.perCall)) >= calls {
			res.Complete++
		}
		s.a.close()
	}
	if res.Lost > 0 || res.Missed > 0 || res.Disorder > 0 || res.Complete < res.Subscribers {
		b.rep.problemf("call events: %d of %d subscribers saw every event of every call; lost %d, calls missed %d, out of order %d",
			res.Complete, res.Subscribers, res.Lost, res.Missed, res.Disorder)
	}
	return res
}

// isClosedChan reports whether c is closed.
func isClosedChan(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// callEventsText is the text report line of originate -s.
func callEventsText(c *callEventsResult) string {
	return fmt.Sprintf("  %d subscribers: %d call events (%d per call, %d calls differ); lost %d, calls missed %d, out of order %d; complete %d/%d\n",
		c.Subscribers, c.Events, c.PerCall, c.Varying, c.Lost, c.Missed, c.Disorder, c.Complete, c.Subscribers)
}
