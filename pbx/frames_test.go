package pbx_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

func voice(seq uint32) media.Frame {
	f := media.SilenceFrame(media.ULAW)
	f.Seq = seq
	return f
}

// readSeqs reads n frames and returns their sequence numbers.
func readSeqs(t *testing.T, ch *pbx.Channel, n int) []uint32 {
	t.Helper()
	var out []uint32
	for range n {
		f, err := ch.Read(context.Background())
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		out = append(out, f.Seq)
	}
	return out
}

func wantSeqs(t *testing.T, got []uint32, from uint32) {
	t.Helper()
	for i, s := range got {
		if s != from+uint32(i) {
			t.Fatalf("frame %d has seq %d, want %d (got %v)", i, s, from+uint32(i), got)
		}
	}
}

// TestQueueOrder: the queue keeps frames in order while its ring grows,
// wraps, overflows and is released once drained.
func TestQueueOrder(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/order", nil)
	defer ch.Hangup(0)
	seq := uint32(1)
	queue := func(n int) {
		for range n {
			ch.Queue(voice(seq))
			seq++
		}
	}
	queue(3)
	wantSeqs(t, readSeqs(t, ch, 2), 1)
	queue(9) // wraps the first ring, then grows it twice
	wantSeqs(t, readSeqs(t, ch, 10), 3)
	queue(pbx.MaxQueuedFrames + 20) // overflows: the oldest 20 go
	if n := ch.DroppedFrames(); n != 20 {
		t.Errorf("dropped %d, want 20", n)
	}
	wantSeqs(t, readSeqs(t, ch, pbx.MaxQueuedFrames), 13+20)
	queue(5) // after the drained ring was released
	wantSeqs(t, readSeqs(t, ch, 5), 13+20+pbx.MaxQueuedFrames)
}

// TestQueueBatch: frames queued with QueueBatch are read once woken, and
// a hung-up channel takes none.
func TestQueueBatch(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/batch", nil)
	got := make(chan uint32)
	go func() {
		f, err := ch.Read(context.Background())
		if err != nil {
			close(got)
			return
		}
		got <- f.Seq
	}()
	f := voice(7)
	if !ch.QueueBatch(&f) {
		t.Fatal("QueueBatch on a live channel asked for no wake")
	}
	ch.Wake()
	select {
	case s := <-got:
		if s != 7 {
			t.Errorf("read seq %d, want 7", s)
		}
	case <-time.After(waitLimit):
		t.Fatal("the reader was not woken")
	}
	ch.Hangup(0)
	if ch.QueueBatch(&f) {
		t.Error("QueueBatch on a hung-up channel asked for a wake")
	}
}

// counter is an endpoint counting the voice frames written to it.
type counter struct {
	n      atomic.Int64
	target atomic.Int64
	hit    chan struct{}
}

func (c *counter) Call(string, time.Duration) error    { return nil }
func (c *counter) Answer() error                       { return nil }
func (c *counter) Hangup(int)                          {}
func (c *counter) Indicate(media.Control) error        { return nil }
func (c *counter) SendDigit(rune, time.Duration) error { return nil }
func (c *counter) Write(f media.Frame) error {
	if c.n.Add(1) == c.target.Load() {
		c.hit <- struct{}{}
	}
	return nil
}

// BenchmarkBridgeFrames moves frames through a bridge as fast as they
// come: an op is one frame queued on one channel and written to the other
// (queue, wakeup, read, write), batched as a 20 ms clock delivers them.
func BenchmarkBridgeFrames(b *testing.B) {
	core := pbx.New(pbx.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	a := core.NewChannel(pbx.ChannelConfig{Name: "Test/a", State: pbx.StateUp})
	x := core.NewChannel(pbx.ChannelConfig{Name: "Test/x", State: pbx.StateUp})
	cnt := &counter{hit: make(chan struct{}, 1)}
	x.SetEndpoint(cnt)
	bridgeFrames(b, core, a, x, cnt)
	a.Hangup(0)
	x.Hangup(0)
}

// bridgeFrames bridges a and x (whose endpoint is cnt) and, for each
// b.Loop iteration, queues a voice frame on a, waiting every few frames
// for cnt to have seen them; then it ends the bridge. It is the timed
// part of the bridge frame benchmarks, which differ only in their setup.
func bridgeFrames(b *testing.B, core *pbx.Core, a, x *pbx.Channel, cnt *counter) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = core.Bridge(ctx, a, x)
	}()
	const batch = 4
	f := voice(0)
	b.ReportAllocs()
	sent := int64(0)
	for b.Loop() {
		if sent%batch == 0 {
			if sent > 0 {
				<-cnt.hit
			}
			cnt.target.Store(sent + batch)
		}
		a.Queue(f)
		sent++
	}
	cancel()
	<-done
}
