package sim

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/pbx"

	"github.com/asterism-pbx/asterism/media"
)

func TestToneLoop(t *testing.T) {
	tech := New(nil, nil)
	for _, tc := range []struct {
		freq   float64
		frames int
	}{{440, 5}, {1000, 1}, {2000, 1}, {350, 1}, {123, 50}, {1000.5, 0}} {
		loop := tech.toneLoop(tc.freq)
		if len(loop) != tc.frames {
			t.Errorf("%v Hz: loop of %d frames, want %d", tc.freq, len(loop), tc.frames)
			continue
		}
		if loop == nil {
			continue
		}
		if again := tech.toneLoop(tc.freq); &again[0] != &loop[0] {
			t.Errorf("%v Hz: loop rendered twice, want it shared", tc.freq)
		}
		// Played twice round, the loop is the generator's waveform: it
		// joins without a click where it wraps.
		g := media.NewToneGen(media.DefaultToneAmplitude, tc.freq, 0)
		var want media.Frame
		for i := range 2 * len(loop) {
			g.ReadFrame(&want)
			got := loop[i%len(loop)]
			ws, gs := want.AppendSamples(nil), got.AppendSamples(nil)
			if len(gs) != media.FrameSamples {
				t.Fatalf("%v Hz frame %d: %d samples", tc.freq, i, len(gs))
			}
			for j := range ws {
				// The generator's phase accumulator rounds its step, so
				// the second time round may differ by a unit or two.
				if d := int(ws[j]) - int(gs[j]); d < -4 || d > 4 {
					t.Fatalf("%v Hz frame %d sample %d: %d, generator %d", tc.freq, i, j, gs[j], ws[j])
				}
			}
		}
	}
}

func TestPTime(t *testing.T) {
	f, err := conf.Parse("sim.conf", strings.NewReader("[p20]\n[p60]\nptime=60\n[p60ms]\nptime=60ms\n[bad]\nptime=30\n[big]\nptime=1s\n"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg := Parse(f, slog.New(slog.NewTextHandler(&logs, nil)))
	for name, want := range map[string]time.Duration{"p20": 20 * time.Millisecond, "p60": 60 * time.Millisecond,
		"p60ms": 60 * time.Millisecond, "bad": 20 * time.Millisecond, "big": 20 * time.Millisecond} {
		p, ok := cfg.Phone(name)
		if !ok || p.PTime != want {
			t.Errorf("phone %s: ptime %v, want %v", name, p.PTime, want)
		}
	}
	if n := strings.Count(logs.String(), "ptime"); n != 2 {
		t.Errorf("%d warnings about ptime, want 2:\n%s", n, logs.String())
	}
	// A 60 ms phone sends three frames on every third tick of the clock,
	// a 20 ms phone one on every tick.
	core := pbx.New(pbx.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ch := core.NewChannel(pbx.ChannelConfig{Name: "Test/ptime"})
	defer ch.Hangup(0)
	made := 0
	next := func(f *media.Frame) { *f = media.SilenceFrame(media.ULAW); made++ }
	p60, p20 := newSource(ch, next, 60*time.Millisecond), newSource(ch, next, 20*time.Millisecond)
	var fr media.Frame
	for tick := range uint64(9) {
		before := made
		wake := p60.emit(&fr, tick)
		want := 0
		if tick%3 == 0 {
			want = 3
		}
		if made-before != want || wake != (want > 0) {
			t.Errorf("ptime 60, tick %d: %d frames, wake %v; want %d", tick, made-before, wake, want)
		}
		before = made
		if !p20.emit(&fr, tick) || made-before != 1 {
			t.Errorf("ptime 20, tick %d: %d frames; want 1", tick, made-before)
		}
		for {
			if _, err := ch.Read(expired); err != nil {
				break
			}
		}
	}
	if got := ch.DroppedFrames(); got != 0 {
		t.Errorf("%d frames dropped", got)
	}
}

// expired is a done context: Read with it takes what is queued.
var expired = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()
