package pbx_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// An audio hook sees the voice frames queued from the far end as "in"
// and those written to it as "out", not control or DTMF frames, and
// nothing once removed; two hooks on one channel both see every frame.
func TestAudioHookDirections(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/hook", nil)
	defer ch.Hangup(0)
	type seen struct {
		dir pbx.AudioDirection
		seq uint32
	}
	var got1, got2 []seen
	rm1 := ch.AddAudioHook(func(d pbx.AudioDirection, f media.Frame) { got1 = append(got1, seen{d, f.Seq}) })
	rm2 := ch.AddAudioHook(func(d pbx.AudioDirection, f media.Frame) { got2 = append(got2, seen{d, f.Seq}) })
	ch.Queue(voice(1))
	ch.Queue(media.DTMFEnd('1', 0))
	ch.Queue(media.ControlFrame(media.ControlRinging))
	if err := ch.Write(voice(2)); err != nil {
		t.Fatal(err)
	}
	_ = ch.Write(media.DTMFBegin('2'))
	rm1()
	rm1() // idempotent
	ch.Queue(voice(3))
	rm2()
	ch.Queue(voice(4))
	_ = ch.Write(voice(5))
	want1 := []seen{{pbx.AudioIn, 1}, {pbx.AudioOut, 2}}
	want2 := []seen{{pbx.AudioIn, 1}, {pbx.AudioOut, 2}, {pbx.AudioIn, 3}}
	if len(got1) != len(want1) || len(got2) != len(want2) {
		t.Fatalf("hook 1 saw %v, hook 2 %v", got1, got2)
	}
	for i := range want1 {
		if got1[i] != want1[i] {
			t.Errorf("hook 1 frame %d: %v, want %v", i, got1[i], want1[i])
		}
	}
	for i := range want2 {
		if got2[i] != want2[i] {
			t.Errorf("hook 2 frame %d: %v, want %v", i, got2[i], want2[i])
		}
	}
	if pbx.AudioIn.String() != "in" || pbx.AudioOut.String() != "out" {
		t.Error("direction names")
	}
}

// An AudioTap never blocks the frame path: once its buffer is full the
// newest frames are dropped and counted, and the buffered ones arrive in
// order.
func TestAudioTapDrops(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/tap", nil)
	defer ch.Hangup(0)
	tap := pbx.NewAudioTap(3)
	rm := ch.AddAudioHook(tap.Hook)
	defer rm()
	for i := range uint32(5) {
		ch.Queue(voice(i))
	}
	if d := tap.Dropped(); d != 2 {
		t.Errorf("dropped %d, want 2", d)
	}
	for i := range uint32(3) {
		tf := <-tap.C()
		if tf.Frame.Seq != i || tf.Dir != pbx.AudioIn {
			t.Errorf("frame %d: %v seq %d", i, tf.Dir, tf.Frame.Seq)
		}
	}
}

// A bridge's frames pass through the hooks of both its channels: what one
// party sends is "in" on its channel and "out" on the other's.
func TestAudioHookInBridge(t *testing.T) {
	core := pbx.New(pbx.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	a := core.NewChannel(pbx.ChannelConfig{Name: "Test/a", State: pbx.StateUp})
	x := core.NewChannel(pbx.ChannelConfig{Name: "Test/x", State: pbx.StateUp})
	cnt := &counter{hit: make(chan struct{}, 1)}
	x.SetEndpoint(cnt)
	var aIn, xOut atomic.Int64
	defer a.AddAudioHook(func(d pbx.AudioDirection, _ media.Frame) {
		if d == pbx.AudioIn {
			aIn.Add(1)
		}
	})()
	defer x.AddAudioHook(func(d pbx.AudioDirection, _ media.Frame) {
		if d == pbx.AudioOut {
			xOut.Add(1)
		}
	})()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = core.Bridge(ctx, a, x)
	}()
	cnt.target.Store(10)
	for i := range uint32(10) {
		a.Queue(voice(i))
	}
	<-cnt.hit
	cancel()
	<-done
	a.Hangup(0)
	x.Hangup(0)
	if aIn.Load() != 10 || xOut.Load() != 10 {
		t.Errorf("a in %d, x out %d, want 10 and 10", aIn.Load(), xOut.Load())
	}
}

// BenchmarkBridgeFramesRecorded is BenchmarkBridgeFrames with both
// channels tapped by an AudioTap drained by a goroutine, as a Monitor
// does: the cost a recording adds to the frame path. (Frames come far
// faster than real time here, so the tap drops many; the real-time
// throughput is app/monitor's BenchmarkRecordedCalls.)
func BenchmarkBridgeFramesRecorded(b *testing.B) {
	core := pbx.New(pbx.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	a := core.NewChannel(pbx.ChannelConfig{Name: "Test/a", State: pbx.StateUp})
	x := core.NewChannel(pbx.ChannelConfig{Name: "Test/x", State: pbx.StateUp})
	cnt := &counter{hit: make(chan struct{}, 1)}
	x.SetEndpoint(cnt)
	tap := pbx.NewAudioTap(500)
	rmA, rmX := a.AddAudioHook(tap.Hook), x.AddAudioHook(tap.Hook)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-tap.C():
			case <-stop:
				return
			}
		}
	}()
	bridgeFrames(b, core, a, x, cnt)
	rmA()
	rmX()
	a.Hangup(0)
	x.Hangup(0)
}
