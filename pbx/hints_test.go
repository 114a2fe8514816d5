package pbx_test

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/pbx"
)

// hintDialplan has hints on Custom devices, on a driver not registered
// (SIP), a pattern hint and an included context.
const hintDialplan = `[default]
include => inner
exten => 100,hint,Custom:a&Custom:b
exten => 100,1,NoOp()
exten => 101,hint,SIP/101
exten => 101,1,NoOp()
exten => _1XX,hint,Custom:p${EXTEN}
exten => _1XX,1,NoOp()
exten => 103,1,NoOp(no hint of its own: _1XX gives it one)
exten => 5000,1,NoOp(no hint)

[inner]
exten => 200,hint,Custom:a,CustomPresence:200
exten => 200,1,NoOp()
`

// parseDialplan parses text as extensions.conf, failing the test on an
// error; log receives the parser's warnings (nil discards them). The test
// cores of this package share it.
func parseDialplan(t *testing.T, text string, log *slog.Logger) *dialplan.Dialplan {
	t.Helper()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f, err := conf.Parse("extensions.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	dp, err := dialplan.Parse(f, log)
	if err != nil {
		t.Fatal(err)
	}
	return dp
}

// hintCore returns a core (no technology registered) whose dialplan is
// what cur holds, and the recorder of its events.
func hintCore(t *testing.T, cur *atomic.Pointer[dialplan.Dialplan]) (*pbx.Core, *recorder) {
	rec := &recorder{}
	core := pbx.New(pbx.Options{
		Sink:     rec,
		Dialplan: cur.Load,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	core.LoadHints()
	return core, rec
}

// extEvents returns the ExtensionStatus events as "exten@context=status".
func extEvents(r *recorder) []string {
	var out []string
	for _, ev := range r.all() {
		if ev.Kind == pbx.EventExtensionStatus {
			if ev.Channel.Name != "" {
				panic("ExtensionStatus names a channel")
			}
			out = append(out, ev.HintExten+"@"+ev.HintContext+"="+ev.ExtState.Code())
		}
	}
	return out
}

func TestExtState(t *testing.T) {
	for _, tc := range []struct {
		s    pbx.ExtState
		text string
	}{
		{-2, "Unknown"}, {-1, "Unknown"}, {0, "Idle"}, {1, "InUse"}, {2, "Busy"}, {4, "Unavailable"},
		{8, "Ringing"}, {9, "InUse&Ringing"}, {16, "Hold"}, {17, "InUse&Hold"}, {3, "Unknown"}, {32, "Unknown"},
	} {
		if got := tc.s.String(); got != tc.text {
			t.Errorf("ExtState(%d) = %q, want %q", tc.s, got, tc.text)
		}
	}
	for d, want := range map[pbx.DeviceState]pbx.ExtState{
		pbx.DeviceUnknown: 0, pbx.DeviceNotInUse: 0, pbx.DeviceInUse: 1, pbx.DeviceBusy: 2,
		pbx.DeviceInvalid: 4, pbx.DeviceUnavailable: 4, pbx.DeviceRinging: 8, pbx.DeviceRingInUse: 9,
		pbx.DeviceOnHold: 16,
	} {
		if got := pbx.ExtStateOf(d); got != want {
			t.Errorf("ExtStateOf(%v) = %d, want %d", d, got, want)
		}
	}
	for in, want := range map[string]pbx.DeviceState{
		"INUSE": pbx.DeviceInUse, "not_inuse": pbx.DeviceNotInUse, "RingInUse": pbx.DeviceRingInUse,
		"ONHOLD": pbx.DeviceOnHold, "bogus": pbx.DeviceUnknown, "": pbx.DeviceUnknown,
	} {
		if got := pbx.ParseDeviceState(in); got != want {
			t.Errorf("ParseDeviceState(%q) = %v, want %v", in, got, want)
		}
	}
	if got := pbx.HintDevices("Sim/1&Custom:1,CustomPresence:1"); !slices.Equal(got, []string{"Sim/1", "Custom:1"}) {
		t.Errorf("HintDevices = %q", got)
	}
}

// Devices nothing owns: a provider's device never set is UNKNOWN (Idle in
// a hint), a driver not registered or a name that is no device INVALID
// (Unavailable).
func TestDeviceStateWithoutDriver(t *testing.T) {
	var cur atomic.Pointer[dialplan.Dialplan]
	core, _ := hintCore(t, &cur)
	for dev, want := range map[string]pbx.DeviceState{
		"Custom:never": pbx.DeviceUnknown, "Queue:q": pbx.DeviceUnknown,
		"SIP/101": pbx.DeviceInvalid, "nodevice": pbx.DeviceInvalid, "": pbx.DeviceInvalid,
	} {
		if got := core.DeviceState(dev); got != want {
			t.Errorf("DeviceState(%q) = %v, want %v", dev, got, want)
		}
	}
}

// Hints aggregate their devices as Asterisk does, announce each change
// once, follow the dialplan's matching for ExtensionState, and are
// rebuilt when the dialplan is swapped.
func TestHintsFollowDevices(t *testing.T) {
	var cur atomic.Pointer[dialplan.Dialplan]
	cur.Store(parseDialplan(t, hintDialplan, nil))
	core, rec := hintCore(t, &cur)

	list := func() string {
		var b []string
		for _, h := range core.Hints() {
			b = append(b, h.Exten+"@"+h.Context+" "+h.Hint+" "+h.State.Code())
		}
		return strings.Join(b, "|")
	}
	// Dialplan order (the contexts as "dialplan show" walks them), the
	// pattern hint left out; Custom devices never set
	// are Idle, a SIP device with no SIP driver Unavailable.
	if got, want := list(), "200@inner Custom:a,CustomPresence:200 0|100@default Custom:a&Custom:b 0|101@default SIP/101 4"; got != want {
		t.Errorf("Hints:\n got %s\nwant %s", got, want)
	}

	steps := []struct {
		dev   string
		state pbx.DeviceState
		want  []string // ExtensionStatus events this step adds
	}{
		{"Custom:a", pbx.DeviceInUse, []string{"200@inner=1", "100@default=1"}},
		{"Custom:a", pbx.DeviceInUse, nil},                         // no change, no event
		{"Custom:b", pbx.DeviceRinging, []string{"100@default=9"}}, // RINGINUSE
		{"Custom:a", pbx.DeviceNotInUse, []string{"200@inner=0", "100@default=8"}},
		{"Custom:b", pbx.DeviceOnHold, []string{"100@default=16"}},
		{"Custom:a", pbx.DeviceInUse, []string{"200@inner=1", "100@default=1"}}, // INUSE+ONHOLD aggregate to INUSE, never 17
		{"Custom:b", pbx.DeviceBusy, []string{"100@default=2"}},
		{"Custom:zzz", pbx.DeviceBusy, nil},  // in no hint
		{"Custom:p150", pbx.DeviceBusy, nil}, // pattern hints announce nothing
	}
	var want []string
	for _, s := range steps {
		core.SetDeviceState(s.dev, s.state)
		want = append(want, s.want...)
		if got := extEvents(rec); !slices.Equal(got, want) {
			t.Fatalf("after %s=%v: events\n got %v\nwant %v", s.dev, s.state, got, want)
		}
	}
	// The DeviceStateChange comes before the ExtensionStatus it causes.
	evs := rec.all()
	for i, ev := range evs {
		if ev.Kind == pbx.EventExtensionStatus && (i == 0 || evs[i-1].Kind != pbx.EventDeviceStateChange && evs[i-1].Kind != pbx.EventExtensionStatus) {
			t.Errorf("ExtensionStatus %d not after a DeviceStateChange", i)
		}
	}

	for _, tc := range []struct {
		ctx, exten, hint string
		state            pbx.ExtState
	}{
		{"default", "100", "Custom:a&Custom:b", 2},
		{"default", "101", "SIP/101", 4},
		{"default", "150", "Custom:p150", 2}, // through the pattern, expanded for 150
		{"default", "151", "Custom:p151", 0},
		{"default", "103", "Custom:p103", 0},                 // 103 has none, the pattern after it does
		{"default", "5000", "", -1},                          // no hint
		{"default", "999", "", -1},                           // no such extension
		{"nosuch", "100", "", -1},                            // no such context
		{"default", "200", "Custom:a,CustomPresence:200", 1}, // through the include
	} {
		hint, st := core.ExtensionState(tc.ctx, tc.exten)
		if hint != tc.hint || st != tc.state {
			t.Errorf("ExtensionState(%s, %s) = %q %d, want %q %d", tc.ctx, tc.exten, hint, st, tc.hint, tc.state)
		}
	}

	// A reload that drops 100 and adds 300: 100 is no longer announced,
	// 101 keeps its state, and 300 starts from its devices' states.
	cur.Store(parseDialplan(t, "[default]\nexten => 101,hint,SIP/101\nexten => 300,hint,Custom:b\n", nil))
	core.LoadHints()
	if got, want := list(), "101@default SIP/101 4|300@default Custom:b 2"; got != want {
		t.Errorf("Hints after reload:\n got %s\nwant %s", got, want)
	}
	n := len(extEvents(rec))
	core.SetDeviceState("Custom:a", pbx.DeviceNotInUse)
	core.SetDeviceState("Custom:b", pbx.DeviceNotInUse)
	if got := extEvents(rec)[n:]; !slices.Equal(got, []string{"300@default=0"}) {
		t.Errorf("events after reload: %v", got)
	}
	if hint, st := core.ExtensionState("default", "100"); hint != "" || st != pbx.ExtNoHint {
		t.Errorf("removed hint: %q %d", hint, st)
	}

	// DeviceStateList's view: every device set, sorted.
	var devs []string
	for _, d := range core.DeviceStates() {
		devs = append(devs, d.Device+"="+d.State.String())
	}
	if want := []string{"Custom:a=NOT_INUSE", "Custom:b=NOT_INUSE", "Custom:p150=BUSY", "Custom:zzz=BUSY"}; !slices.Equal(devs, want) {
		t.Errorf("DeviceStates = %v", devs)
	}
}

// A phone's device stays listed (DeviceStateList) once idle again, as in
// Asterisk's cache.
func TestDeviceStatesKeepIdle(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(t, "Sim/tone2k")
	if err := e.core.Hangup(ch.Name(), pbx.CauseNormalClearing); err != nil {
		t.Fatal(err)
	}
	<-ch.Gone()
	waitFor(t, "idle device listed", func() bool {
		for _, d := range e.core.DeviceStates() {
			if d.Device == "Sim/tone2k" {
				return d.State == pbx.DeviceNotInUse
			}
		}
		return false
	})
}

// hintBenchCore returns a core whose dialplan has n hints, 1000+i on
// Custom:i.
func hintBenchCore(b *testing.B, n int) *pbx.Core {
	var sb strings.Builder
	sb.WriteString("[default]\n")
	for i := range n {
		fmt.Fprintf(&sb, "exten => %d,hint,Custom:%d\n", 1000+i, i)
	}
	f, err := conf.Parse("extensions.conf", strings.NewReader(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	dp, err := dialplan.Parse(f, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	core := pbx.New(pbx.Options{Dialplan: func() *dialplan.Dialplan { return dp },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	core.LoadHints()
	return core
}

// The cost of a device change that moves a hint (announced), with 1000
// hints loaded.
func BenchmarkHintedDeviceChange(b *testing.B) {
	core := hintBenchCore(b, 1000)
	states := [2]pbx.DeviceState{pbx.DeviceInUse, pbx.DeviceNotInUse}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		core.SetDeviceState("Custom:500", states[i&1])
	}
}

// The cost of a device change for a device in no hint, with 1000 hints
// loaded: the path every phone's state change takes.
func BenchmarkUnhintedDeviceChange(b *testing.B) {
	core := hintBenchCore(b, 1000)
	states := [2]pbx.DeviceState{pbx.DeviceInUse, pbx.DeviceNotInUse}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		core.SetDeviceState("Custom:none", states[i&1])
	}
}

// ExtensionState's cost on a dialplan of 1000 hints.
func BenchmarkExtensionState(b *testing.B) {
	core := hintBenchCore(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, st := core.ExtensionState("default", "1500"); st != pbx.ExtNotInUse {
			b.Fatal(st)
		}
	}
}
