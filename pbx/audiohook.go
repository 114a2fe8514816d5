package pbx

import (
	"sync"
	"sync/atomic"

	"github.com/asterism-pbx/asterism/media"
)

// AudioDirection says which way a frame tapped by an [AudioHook] travels.
type AudioDirection uint8

// The directions, named as Asterisk's audiohooks and Monitor files name
// them.
const (
	// AudioIn is audio from the channel's far end: what its party says
	// (Monitor's -in file, MixMonitor's r() file).
	AudioIn AudioDirection = iota
	// AudioOut is audio written to the far end: what its party hears
	// (Monitor's -out file, MixMonitor's t() file).
	AudioOut
)

// String returns "in" or "out".
func (d AudioDirection) String() string {
	if d == AudioIn {
		return "in"
	}
	return "out"
}

// AudioHook sees each voice frame that a channel queues from its far end
// ([AudioIn]) and each it writes to it ([AudioOut]). It is called on the
// frame path with no lock of the channel held, by whichever goroutine
// moves the frame (a technology, a bridge, an application), possibly by two
// at once: it must return at once and never block. [AudioTap] is a hook
// that meets those rules. The frame is passed by value so that the frame
// path, when no hook is installed, never lets a frame escape to the heap.
type AudioHook func(dir AudioDirection, f media.Frame)

// hookList is the immutable set of hooks of one channel
// (Channel.hooks); adding or removing one replaces the list, so the frame
// path reads it with one atomic load and no lock.
type hookList struct {
	hooks []*AudioHook
}

// AddAudioHook taps the channel's audio: h sees its voice frames both ways
// until remove is called (remove is idempotent). Hooks stay installed over
// bridges, applications and redirects; whoever adds one removes it, at
// the latest when the channel is [Channel.Done].
func (ch *Channel) AddAudioHook(h AudioHook) (remove func()) {
	hp := &h
	ch.hooksMu.Lock()
	var list []*AudioHook
	if l := ch.hooks.Load(); l != nil {
		list = l.hooks
	}
	ch.hooks.Store(&hookList{hooks: append(append([]*AudioHook(nil), list...), hp)})
	ch.hooksMu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { ch.removeAudioHook(hp) }) }
}

func (ch *Channel) removeAudioHook(hp *AudioHook) {
	ch.hooksMu.Lock()
	defer ch.hooksMu.Unlock()
	l := ch.hooks.Load()
	if l == nil {
		return
	}
	kept := make([]*AudioHook, 0, len(l.hooks))
	for _, x := range l.hooks {
		if x != hp {
			kept = append(kept, x)
		}
	}
	if len(kept) == 0 {
		ch.hooks.Store(nil)
		return
	}
	ch.hooks.Store(&hookList{hooks: kept})
}

// runAudioHooks hands a voice frame to the channel's hooks, if any.
func (ch *Channel) runAudioHooks(dir AudioDirection, f *media.Frame) {
	l := ch.hooks.Load()
	if l == nil || f.Type != media.FrameVoice {
		return
	}
	for _, h := range l.hooks {
		(*h)(dir, *f)
	}
}

// TappedFrame is a frame an [AudioTap] took off a channel.
type TappedFrame struct {
	Dir   AudioDirection
	Frame media.Frame
}

// AudioTap is an [AudioHook] that hands the frames it sees to a consumer
// goroutine through a bounded buffer: when the consumer falls behind, the
// newest frames are dropped and counted rather than the frame path being
// held up.
type AudioTap struct {
	c       chan TappedFrame
	dropped atomic.Uint64
}

// NewAudioTap returns a tap buffering up to size frames (at least 1).
func NewAudioTap(size int) *AudioTap {
	return &AudioTap{c: make(chan TappedFrame, max(size, 1))}
}

// Hook is the tap's [AudioHook], for [Channel.AddAudioHook].
func (t *AudioTap) Hook(dir AudioDirection, f media.Frame) {
	select {
	case t.c <- TappedFrame{Dir: dir, Frame: f}:
	default:
		t.dropped.Add(1)
	}
}

// C delivers the tapped frames in the order they were tapped.
func (t *AudioTap) C() <-chan TappedFrame { return t.c }

// Dropped returns the number of frames dropped because the buffer was
// full.
func (t *AudioTap) Dropped() uint64 { return t.dropped.Load() }
