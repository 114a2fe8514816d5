package pbx

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
)

// BridgeSnapshot is a bridge as it was when an event happened: the bridge
// block of Asterisk's Bridge* events (main/manager_bridges.c).
type BridgeSnapshot struct {
	Uniqueid        string
	Type            string // "basic"
	Technology      string // "simple_bridge"
	Creator         string // "" for a bridge no application named
	Name            string
	NumChannels     int
	VideoSourceMode string // "none"
}

// bridge is a two-party bridge (see [Core.Bridge]).
type bridge struct {
	core *Core
	id   string

	mu  sync.Mutex
	num int
}

// newUUID returns a random (version 4) UUID, as Asterisk names bridges.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (b *bridge) snapshotLocked() BridgeSnapshot {
	return BridgeSnapshot{Uniqueid: b.id, Type: "basic", Technology: "simple_bridge",
		NumChannels: b.num, VideoSourceMode: "none"}
}

// change adds d to the number of channels and announces kind for ch (or
// for the bridge alone when ch is nil) with the bridge as it is after.
func (b *bridge) change(kind EventKind, ch *Channel, d int) {
	b.mu.Lock()
	b.num += d
	s := b.snapshotLocked()
	b.mu.Unlock()
	if ch == nil {
		b.core.sink.HandleEvent(Event{Kind: kind, Bridge: &s})
		return
	}
	ch.emit(Event{Kind: kind, Bridge: &s})
}

// Bridge connects a and x (both answered, neither read by anyone else)
// in a two-party bridge (type basic, technology simple_bridge) and moves
// frames both ways between them (voice and DTMF; indications stay where
// they are) until one leaves: it hangs up, is
// redirected ([Channel.AsyncGoto]) or ctx ends. It announces
// BridgeCreate, BridgeEnter for a then x, each one's BRIDGEPEER (the
// other's name), and at the end BridgeLeave for the channel that left
// (a when both were redirected together), then the other, and
// BridgeDestroy. A redirect of a bridged channel clears its BRIDGEPEER
// (see [AsyncGotoAll]). It returns the channel that left and why
// (ErrHangup, ErrAsyncGoto or ctx's error); neither channel is hung up.
func (c *Core) Bridge(ctx context.Context, a, x *Channel) (left *Channel, err error) {
	return c.BridgeNotify(ctx, a, x, nil)
}

// BridgeNotify is [Core.Bridge] that calls onLeave (when not nil) once a
// channel has left, with the channel and why, before the BridgeLeave
// events: what an application reports about the end of the call (Queue's
// AgentComplete) then comes before them, as in Asterisk, where the
// bridge's hangup reaches the application before the channels leave.
func (c *Core) BridgeNotify(ctx context.Context, a, x *Channel, onLeave func(left *Channel, err error)) (left *Channel, err error) {
	b := &bridge{core: c, id: newUUID()}
	b.change(EventBridgeCreate, nil, 0)
	b.change(EventBridgeEnter, a, 1)
	b.change(EventBridgeEnter, x, 1)
	// Each learns who is on the other side, as Asterisk's two-party
	// bridges tell their channels.
	a.setBridgePeer(x, b.id)
	x.setBridgePeer(a, b.id)

	left, err = moveFrames(ctx, a, x)
	a.setBridgePeer(nil, "")
	x.setBridgePeer(nil, "")
	if a.redirected() && x.redirected() {
		// Redirected together (Redirect with ExtraChannel): the one that
		// entered first leaves first, whichever was seen first.
		left, err = a, ErrAsyncGoto
	}
	if onLeave != nil {
		onLeave(left, err)
	}
	other := a
	if left == a {
		other = x
	}
	b.change(EventBridgeLeave, left, -1)
	b.change(EventBridgeLeave, other, -1)
	b.change(EventBridgeDestroy, nil, 0)
	return left, err
}
