package pbx

import (
	"context"
	"sync/atomic"

	"github.com/asterism-pbx/asterism/media"
)

// maxBatch bounds the frames moved from one side before the other side
// gets its turn, so that a flooding side cannot starve the other.
const maxBatch = MaxQueuedFrames

// moveFrames moves voice and DTMF frames both ways between a and x until
// one of them hangs up or is redirected (it returns that channel and
// ErrHangup or ErrAsyncGoto) or ctx ends (a and ctx's error).
//
// One goroutine serves both directions and sleeps on the two channels'
// wake signals only: a goroutine per direction would cost a wakeup per
// frame, and every case of a select costs a channel lock on each sleep
// (ctx is often shared by all calls, so its lock would be contended by
// every bridge 100 times a second). The rarer reasons to stop — ctx ending,
// a channel hung up without a signal — are watched once, by a goroutine
// that then signals the loop.
func moveFrames(ctx context.Context, a, x *Channel) (*Channel, error) {
	var ctxDone atomic.Bool
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			ctxDone.Store(true)
		case <-a.done:
		case <-x.done:
		case <-stop:
			return
		}
		a.signal()
		x.signal()
	}()
	var f media.Frame
	for {
		for _, d := range [2][2]*Channel{{a, x}, {x, a}} {
			from, to := d[0], d[1]
			for range maxBatch {
				ok, err := from.pollFrame(&f)
				if err != nil {
					return from, err
				}
				if !ok {
					break
				}
				if f.Type != media.FrameControl {
					_ = to.Write(f)
				}
			}
		}
		if ctxDone.Load() {
			return a, ctx.Err()
		}
		select {
		case <-a.wake:
		case <-x.wake:
		}
		// Both queues are polled next, so a pending signal of the other
		// side is spent too: it would only wake this loop for nothing.
		// Queue signals after it queues, so no frame is missed.
		select {
		case <-a.wake:
		default:
		}
		select {
		case <-x.wake:
		default:
		}
	}
}
