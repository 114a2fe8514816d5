package main

import (
	"context"
	"sync/atomic"
	"time"
)

// notWritten is what [windowWriter.target] holds while the writer runs: more
// than any run can write.
const notWritten = 1<<62 - 1

// windowWriter writes numbered actions on one connection from its own
// goroutine, keeping at most a window of them unanswered, while the
// caller's goroutine reads the answers and calls release for each one
// resolved. fanout's publisher and originate use it.
type windowWriter struct {
	tokens chan struct{} // one per action awaiting its answer
	stop   chan struct{} // closed by wait: the reader is done
	done   chan struct{} // closed when the writer goroutine returns
	// target is how many actions were written once the writer is done,
	// notWritten until then; the reader reads until it has that many.
	target  atomic.Int64
	written int64 // valid after wait
	err     error // the error that stopped writing, valid after wait
}

// startWindow starts writing actions 1, 2, … on a, each one appended to a
// buffer by appendAction, until limit are written, end has passed or ctx is
// done, with at most w unanswered. When the window is full it flushes and
// waits for a release. When it stops it sets target and wakes or drains
// the reader (see [bench.wakeOrDrain]); caughtUp tells, given how many were
// written, whether every answer is already in.
func (b *bench) startWindow(ctx context.Context, a *amiConn, w int, limit int64, end time.Time,
	caughtUp func(written int64) bool, appendAction func(buf []byte, n int64) []byte) *windowWriter {
	ww := &windowWriter{
		tokens: make(chan struct{}, w),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	ww.target.Store(notWritten)
	go func() {
		defer close(ww.done)
		defer func() {
			ww.target.Store(ww.written)
			b.wakeOrDrain(a, caughtUp(ww.written))
		}()
		var buf []byte
		for ww.written < limit && time.Now().Before(end) {
			select {
			case ww.tokens <- struct{}{}:
			default:
				if ww.err = a.w.Flush(); ww.err != nil {
					return
				}
				select {
				case ww.tokens <- struct{}{}:
				case <-ww.stop:
					return
				case <-ctx.Done():
					return
				}
			}
			ww.written++
			buf = appendAction(buf[:0], ww.written)
			if _, ww.err = a.w.Write(buf); ww.err != nil {
				return
			}
		}
		ww.err = a.w.Flush()
	}()
	return ww
}

// release frees the window slot of one resolved action.
func (ww *windowWriter) release() {
	select {
	case <-ww.tokens:
	default:
	}
}

// wait stops the writer and returns how many actions it wrote and the
// error that stopped it, if any.
func (ww *windowWriter) wait() (int64, error) {
	close(ww.stop)
	<-ww.done
	return ww.written, ww.err
}

// wakeOrDrain sets a's read deadline once sending on it has stopped: now
// if caughtUp (every answer is in, so a reader waiting for more wakes up),
// else -drain from now for the rest to come.
func (b *bench) wakeOrDrain(a *amiConn, caughtUp bool) {
	if caughtUp {
		a.setReadDeadline(time.Now())
	} else {
		a.setReadDeadline(time.Now().Add(b.g.drain))
	}
}
