package monitor

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// File names never leave the monitor directory: empty, NUL, absolute,
// ".." and a symbolic link out are refused; names inside it, in
// subdirectories too, resolve there.
func TestPathStaysInMonitorDir(t *testing.T) {
	spool := t.TempDir()
	s := New(Options{SpoolDir: spool})
	outside := t.TempDir()
	if err := os.MkdirAll(s.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir(), "link")); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "a\x00b", "/etc/passwd", "../x", "a/../../x", "..", "link/x", "link/sub/x"} {
		if p, err := s.Path(bad); !errors.Is(err, ErrBadFileName) {
			t.Errorf("Path(%q) = %q, %v; want ErrBadFileName", bad, p, err)
		}
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("created outside the monitor directory: %v", ents)
	}
	for name, want := range map[string]string{
		"call":         filepath.Join(s.Dir(), "call"),
		"day/call":     filepath.Join(s.Dir(), "day", "call"),
		"a/../b":       filepath.Join(s.Dir(), "b"),
		"Sim-100-0001": filepath.Join(s.Dir(), "Sim-100-0001"),
	} {
		if got, err := s.Path(name); err != nil || got != want {
			t.Errorf("Path(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if st, err := os.Stat(filepath.Join(s.Dir(), "day")); err != nil || !st.IsDir() {
		t.Errorf("the subdirectory was not created: %v", err)
	}
}

func TestParseMixOptions(t *testing.T) {
	o, err := ParseMixOptions("abv(2)V(-3)r(in.wav)t(out.wav)i(ID)")
	if err != nil {
		t.Fatal(err)
	}
	want := MixOptions{Append: true, BridgedOnly: true, VolIn: 2, VolOut: -3, RecvFile: "in.wav", SendFile: "out.wav", IDVar: "ID"}
	o.Ack = nil
	if o.Append != want.Append || o.BridgedOnly != want.BridgedOnly || o.VolIn != want.VolIn || o.VolOut != want.VolOut ||
		o.RecvFile != want.RecvFile || o.SendFile != want.SendFile || o.IDVar != want.IDVar {
		t.Errorf("got %+v, want %+v", o, want)
	}
	if o, err := ParseMixOptions("W(4)"); err != nil || o.VolIn != 4 || o.VolOut != 4 {
		t.Errorf("W(4): %+v %v", o, err)
	}
	for _, bad := range []string{"v(5)", "V(x)", "r(unclosed"} {
		if _, err := ParseMixOptions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The volume factors are app_mixmonitor's: 2^x up, 2^-x down, clipped.
func TestAdjust(t *testing.T) {
	s := []int16{1000, -1000, 20000}
	adjust(s, 1)
	if s[0] != 2000 || s[1] != -2000 || s[2] != 32767 {
		t.Errorf("x2: %v", s)
	}
	adjust(s, -2)
	if s[0] != 500 || s[1] != -500 {
		t.Errorf("/4: %v", s)
	}
}

// Live mixing adds what both directions have; a direction whose other
// is silent is written once it runs mixLag ahead, and all of it at the
// end, so no audio is lost.
func TestFlushMix(t *testing.T) {
	dir := t.TempDir()
	w, err := media.CreateWAV(filepath.Join(dir, "m.wav"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	r := &recording{svc: New(Options{SpoolDir: dir}), mixed: w}
	fill := func(n int, v int16) []int16 {
		s := make([]int16, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	r.pendIn = fill(160, 100)
	r.pendOut = fill(320, 10)
	r.flushMix(false)
	if w.Samples() != 160 || len(r.pendOut) != 160 {
		t.Fatalf("after one mixed frame: %d written, %d out pending", w.Samples(), len(r.pendOut))
	}
	r.pendOut = append(r.pendOut, fill(mixLag, 10)...)
	r.flushMix(false)
	if w.Samples() != 320 || len(r.pendOut) != mixLag {
		t.Fatalf("a lagging side: %d written, %d pending", w.Samples(), len(r.pendOut))
	}
	r.flushMix(true)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := media.ReadWAVFile(filepath.Join(dir, "m.wav"), 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 320+mixLag || got[0] != 110 || got[200] != 10 {
		t.Errorf("mixed %d samples, [0]=%d [200]=%d", len(got), got[0], got[200])
	}
}

// Joining the legs of a Monitor with Mix: the samples add (clipped), the
// longer leg's tail stays, the legs are removed; a leg that was skipped
// counts as silence.
func TestJoinFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, s []int16) string {
		p := filepath.Join(dir, name)
		w, err := media.CreateWAV(p, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteSamples(s); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	in := write("x-in.wav", []int16{100, 200, 30000})
	out := write("x-out.wav", []int16{1, 2, 30000, 7})
	if err := joinFiles(in, out, filepath.Join(dir, "x.wav")); err != nil {
		t.Fatal(err)
	}
	got, err := media.ReadWAVFile(filepath.Join(dir, "x.wav"), 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int16{101, 202, 32767, 7}; len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("joined %v, want %v", got, want)
	}
	for _, p := range []string{in, out} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", p, err)
		}
	}
	only := write("y-out.wav", []int16{5, 6})
	if err := joinFiles(filepath.Join(dir, "y-in.wav"), only, filepath.Join(dir, "y.wav")); err != nil {
		t.Fatal(err)
	}
	if got, err := media.ReadWAVFile(filepath.Join(dir, "y.wav"), 100); err != nil || len(got) != 2 || got[1] != 6 {
		t.Errorf("one leg: %v %v", got, err)
	}
}

// MixMonitor on a channel of a bare core: what the far end sends is in
// the file at the volume v() asks; a second recording with a appends to
// the first; a hangup completes the file.
func TestMixMonitorAppendAndVolume(t *testing.T) {
	spool := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	core := pbx.New(pbx.Options{Logger: log})
	s := New(Options{SpoolDir: spool, Logger: log})
	defer s.Close()
	ch := core.NewChannel(pbx.ChannelConfig{Name: "Test/mix", State: pbx.StateUp})
	send := func(n int, v int16) {
		samples := make([]int16, media.FrameSamples)
		for i := range samples {
			samples[i] = v
		}
		var f media.Frame
		if err := f.SetSamples(media.SLIN, samples); err != nil {
			t.Fatal(err)
		}
		for range n {
			ch.Queue(f)
		}
	}
	if _, err := s.MixMonitor(ch, "app", MixOptions{VolIn: 1}); err != nil {
		t.Fatal(err)
	}
	send(3, 1000)
	if err := s.StopMixMonitor(ch, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MixMonitor(ch, "app.wav", MixOptions{Append: true}); err != nil {
		t.Fatal(err)
	}
	send(2, 500)
	ch.Hangup(0)
	s.Close()
	got, err := media.ReadWAVFile(filepath.Join(s.Dir(), "app.wav"), 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5*media.FrameSamples || got[0] != 2000 || got[3*media.FrameSamples] != 500 {
		t.Fatalf("%d samples, [0]=%d, [480]=%v", len(got), got[0], got[min(len(got)-1, 3*media.FrameSamples)])
	}
	if err := s.StopMixMonitor(ch, "", nil); !errors.Is(err, ErrNotMonitored) {
		t.Errorf("StopMixMonitor after hangup: %v", err)
	}
	if _, err := s.MixMonitor(ch, "late.wav", MixOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("MixMonitor after Close: %v", err)
	}
}
