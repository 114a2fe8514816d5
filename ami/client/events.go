package client

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/asterism-pbx/asterism/ami"
)

// DefaultEventBuffer is the capacity of the channel returned by
// [Client.Events] when Options.EventBuffer is 0.
const DefaultEventBuffer = 1024

// Subscription receives the events that pass its filter. Events are
// delivered without blocking the connection: when the buffer is full the
// event is dropped for this subscription, counted in [Subscription.Dropped]
// and [Client.Dropped], and logged (once when dropping starts, once when it
// stops, with the number lost).
//
// Messages are shared between subscriptions: treat them as read-only, or
// Clone them.
type Subscription struct {
	c      *Client
	ch     chan *ami.Message
	filter func(*ami.Message) bool

	dropped atomic.Uint64

	mu      sync.Mutex // guards closed, run, and sends on ch
	closed  bool
	run     uint64 // events lost in the current run of drops
	dropLog *slog.Logger
}

// Subscribe returns a subscription to the events for which filter returns
// true (all events when filter is nil), buffered to hold buffer events
// (DefaultEventBuffer when buffer <= 0). filter runs on the connection's
// reader goroutine: it must be quick and must not call the client.
//
// The channel is closed by [Subscription.Close], and when the client stops
// for good ([Client.Close], or a lost connection without Options.Reconnect).
// Subscribing to a stopped client returns an already closed subscription.
//
// Besides broadcast events, subscribers see events that answer an action
// but are not list items (UserEvent, OriginateResponse carry the ActionID of
// the action that caused them).
func (c *Client) Subscribe(buffer int, filter func(*ami.Message) bool) *Subscription {
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	s := &Subscription{c: c, ch: make(chan *ami.Message, buffer), filter: filter, dropLog: c.log}
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if c.subsDone {
		s.closed = true
		close(s.ch)
		return s
	}
	c.subs = append(slices.Clip(c.subs), s) // copy on write, see publish
	return s
}

// C returns the channel on which events arrive.
func (s *Subscription) C() <-chan *ami.Message { return s.ch }

// Dropped reports how many events this subscription lost to a full buffer.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes its channel. It is safe to call
// more than once and concurrently with delivery.
func (s *Subscription) Close() {
	s.c.subMu.Lock()
	// Copy on write: publish iterates the old slice without the lock.
	s.c.subs = slices.DeleteFunc(slices.Clone(s.c.subs), func(x *Subscription) bool { return x == s })
	s.c.subMu.Unlock()
	s.shut()
}

func (s *Subscription) shut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// deliver hands m to the subscription without blocking.
func (s *Subscription) deliver(m *ami.Message) {
	if s.filter != nil && !s.filter(m) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- m:
		if s.run > 0 {
			s.dropLog.Warn("ami client: slow event subscriber caught up", "lost", s.run, "lost_total", s.dropped.Load())
			s.run = 0
		}
	default:
		s.dropped.Add(1)
		s.c.dropped.Add(1)
		if s.run == 0 {
			s.dropLog.Warn("ami client: event subscriber too slow, dropping events",
				"buffer", cap(s.ch), "event", m.Get("Event"))
		}
		s.run++
	}
}

// Events returns the channel of the subscription to all events that the
// client opens when it is dialed, so that nothing sent right after login
// (FullyBooted) is missed. Its capacity is Options.EventBuffer. It returns
// nil when Options.EventBuffer is negative.
//
// A client whose Events channel is not read drops, counts and logs events
// once the buffer is full: set Options.EventBuffer to -1 when events are of
// no interest, and Options.Events to "off" to stop the server sending them.
func (c *Client) Events() <-chan *ami.Message {
	if c.def == nil {
		return nil
	}
	return c.def.ch
}

// Dropped reports how many events were lost to full subscriber buffers,
// over all subscriptions and the client's life.
func (c *Client) Dropped() uint64 { return c.dropped.Load() }

// publish hands an event to every subscription.
func (c *Client) publish(m *ami.Message) {
	// c.subs is copied on write, so the slice read here never changes.
	c.subMu.Lock()
	subs := c.subs
	c.subMu.Unlock()
	for _, s := range subs {
		s.deliver(m)
	}
}

// endSubscriptions closes every subscription for good; later Subscribe
// calls get closed ones.
func (c *Client) endSubscriptions() {
	c.subMu.Lock()
	subs := c.subs
	c.subs = nil
	c.subsDone = true
	c.subMu.Unlock()
	for _, s := range subs {
		s.shut()
	}
}
