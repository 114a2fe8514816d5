package pbx

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/asterism-pbx/asterism/media"
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
// BridgeCreate, BridgeEnter for a then x, and at the end BridgeLeave for
// the channel that left, then the other, and BridgeDestroy. It returns
// the channel that left and why (ErrHangup, ErrAsyncGoto or ctx's
// error); neither channel is hung up.
func (c *Core) Bridge(ctx context.Context, a, x *Channel) (left *Channel, err error) {
	b := &bridge{core: c, id: newUUID()}
	b.change(EventBridgeCreate, nil, 0)
	b.change(EventBridgeEnter, a, 1)
	b.change(EventBridgeEnter, x, 1)

	ctx, cancel := context.WithCancel(ctx)
	type exit struct {
		ch  *Channel
		err error
	}
	first := make(chan exit, 2)
	move := func(from, to *Channel) {
		for {
			f, err := from.Read(ctx)
			if err != nil {
				first <- exit{from, err}
				cancel()
				return
			}
			if f.Type == media.FrameControl {
				continue
			}
			_ = to.Write(f)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		move(x, a)
	}()
	move(a, x)
	wg.Wait()
	cancel()
	e := <-first
	// The second exit is the other side seeing the cancel, unless it
	// left by itself at the same time.
	other := a
	if e.ch == a {
		other = x
	}
	b.change(EventBridgeLeave, e.ch, -1)
	b.change(EventBridgeLeave, other, -1)
	b.change(EventBridgeDestroy, nil, 0)
	return e.ch, e.err
}
