package pbx_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/asterism-pbx/asterism/pbx"
)

func TestDeviceName(t *testing.T) {
	for in, want := range map[string]string{
		"Local/2000@default-00000004;1": "Local/2000@default",
		"Local/2000@default-00000004;2": "Local/2000@default",
		"Sim/100-0000000a":              "Sim/100",
		"Local/a-b@from-sip-0000000c;1": "Local/a-b@from-sip",
		"Custom:100":                    "Custom:100",
	} {
		if got := pbx.DeviceName(in); got != want {
			t.Errorf("DeviceName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeviceAggregate(t *testing.T) {
	for _, tc := range []struct {
		in   []pbx.DeviceState
		want pbx.DeviceState
	}{
		{nil, pbx.DeviceInvalid},
		{[]pbx.DeviceState{pbx.DeviceNotInUse}, pbx.DeviceNotInUse},
		{[]pbx.DeviceState{pbx.DeviceNotInUse, pbx.DeviceInUse}, pbx.DeviceInUse},
		{[]pbx.DeviceState{pbx.DeviceInUse, pbx.DeviceNotInUse}, pbx.DeviceInUse},
		{[]pbx.DeviceState{pbx.DeviceRinging, pbx.DeviceInUse}, pbx.DeviceRingInUse},
		{[]pbx.DeviceState{pbx.DeviceOnHold, pbx.DeviceRinging}, pbx.DeviceRingInUse},
		{[]pbx.DeviceState{pbx.DeviceInUse, pbx.DeviceBusy}, pbx.DeviceBusy},
		{[]pbx.DeviceState{pbx.DeviceUnavailable, pbx.DeviceNotInUse}, pbx.DeviceNotInUse},
		{[]pbx.DeviceState{pbx.DeviceInvalid, pbx.DeviceUnknown}, pbx.DeviceUnknown},
		{[]pbx.DeviceState{pbx.DeviceRinging, pbx.DeviceNotInUse}, pbx.DeviceRinging},
	} {
		var a pbx.DeviceAggregate
		for _, s := range tc.in {
			a.Add(s)
		}
		if got := a.Result(); got != tc.want {
			t.Errorf("aggregate of %v = %v, want %v", tc.in, got, tc.want)
		}
	}
	if s := pbx.DeviceRingInUse.String(); s != "RINGINUSE" {
		t.Errorf("String %q", s)
	}
	for st, want := range map[pbx.State]pbx.DeviceState{
		pbx.StateDown: pbx.DeviceNotInUse, pbx.StateRing: pbx.DeviceInUse, pbx.StateRinging: pbx.DeviceRinging,
		pbx.StateUp: pbx.DeviceInUse, pbx.StateBusy: pbx.DeviceBusy, pbx.StatePreRing: pbx.DeviceRinging,
	} {
		if got := pbx.ChannelDeviceState(st); got != want {
			t.Errorf("ChannelDeviceState(%v) = %v, want %v", st, got, want)
		}
	}
}

// deviceEvents returns the states announced for device, in order.
func deviceEvents(r *recorder, device string) []string {
	var out []string
	for _, ev := range r.all() {
		if ev.Kind == pbx.EventDeviceStateChange && ev.Device == device {
			out = append(out, ev.DeviceState.String())
		}
	}
	return out
}

// A Sim phone's device follows its channel's state, announced only when
// it changes.
func TestDeviceStateFromChannels(t *testing.T) {
	e := newEnv(t)
	if got := e.core.DeviceState("Sim/tone2k"); got != pbx.DeviceNotInUse {
		t.Errorf("idle device: %v", got)
	}
	ch := e.dial(t, "Sim/tone2k")
	if got := e.core.DeviceState("Sim/tone2k"); got != pbx.DeviceInUse {
		t.Errorf("device of an answered call: %v", got)
	}
	if err := e.core.Hangup(ch.Name(), pbx.CauseNormalClearing); err != nil {
		t.Fatal(err)
	}
	<-ch.Gone()
	if got := e.core.DeviceState("Sim/tone2k"); got != pbx.DeviceNotInUse {
		t.Errorf("device after hangup: %v", got)
	}
	evs := deviceEvents(e.rec, "Sim/tone2k")
	if len(evs) < 2 || evs[len(evs)-2] != "INUSE" || evs[len(evs)-1] != "NOT_INUSE" {
		t.Errorf("DeviceStateChange: %v", evs)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i] == evs[i-1] {
			t.Errorf("state announced twice in a row: %v", evs)
		}
	}
	for _, ev := range e.rec.all() {
		if ev.Kind == pbx.EventDeviceStateChange && ev.Channel.Name != "" {
			t.Errorf("DeviceStateChange names a channel: %+v", ev)
		}
	}
}

// A Local device is in use while a called pair is up, and (like
// Asterisk's, which are not cached) is announced on every state change
// and hangup of either half; a missing extension is an invalid device.
func TestDeviceStateLocal(t *testing.T) {
	e := newEnv(t)
	if got := e.core.DeviceState("Local/600@default"); got != pbx.DeviceNotInUse {
		t.Errorf("idle: %v", got)
	}
	if got := e.core.DeviceState("Local/nosuch@default"); got != pbx.DeviceInvalid {
		t.Errorf("missing extension: %v", got)
	}
	one := e.dial(t, "Local/600@default")
	two := strings.TrimSuffix(one.Name(), ";1") + ";2"
	// ;2 may still be announcing its own answer.
	waitFor(t, "both answers announced", func() bool {
		return len(deviceEvents(e.rec, "Local/600@default")) == 2
	})
	if got := e.core.DeviceState("Local/600@default"); got != pbx.DeviceInUse {
		t.Errorf("answered: %v", got)
	}
	if err := e.core.Hangup(one.Name(), 0); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, two, isKind(pbx.EventHangup))
	waitFor(t, "both hangups announced", func() bool {
		return len(deviceEvents(e.rec, "Local/600@default")) == 4
	})
	// ;2 Up, ;1 Up (both in use), then the two hangups.
	if got := strings.Join(deviceEvents(e.rec, "Local/600@default"), " "); got != "INUSE INUSE NOT_INUSE NOT_INUSE" {
		t.Errorf("DeviceStateChange: %s", got)
	}
	if got := e.core.DeviceState("Local/600@default"); got != pbx.DeviceNotInUse {
		t.Errorf("after hangup: %v", got)
	}
}

// A watcher sees the changes the DeviceStateChange events report, in the
// same order, and nothing once cancelled.
func TestWatchDevices(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var seen []string
	cancel := e.core.WatchDevices(func(device string, s pbx.DeviceState) {
		if device == "Sim/tone2k" {
			mu.Lock()
			seen = append(seen, s.String())
			mu.Unlock()
		}
	})
	ch := e.dial(t, "Sim/tone2k")
	if err := e.core.Hangup(ch.Name(), pbx.CauseNormalClearing); err != nil {
		t.Fatal(err)
	}
	<-ch.Gone()
	cancel()
	mu.Lock()
	got := slices.Clone(seen)
	mu.Unlock()
	if want := deviceEvents(e.rec, "Sim/tone2k"); !slices.Equal(got, want) || len(got) < 2 {
		t.Errorf("watcher saw %v, events said %v", got, want)
	}
	ch = e.dial(t, "Sim/tone2k")
	if err := e.core.Hangup(ch.Name(), pbx.CauseNormalClearing); err != nil {
		t.Fatal(err)
	}
	<-ch.Gone()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(got) {
		t.Errorf("watcher called after cancel: %v", seen[len(got):])
	}
}

// A device set explicitly is announced the first time whatever its state
// (NOT_INUSE too), then only on change, and reads back as set.
func TestSetDeviceState(t *testing.T) {
	e := newEnv(t)
	e.core.SetDeviceState("Custom:100", pbx.DeviceNotInUse)
	e.core.SetDeviceState("Custom:100", pbx.DeviceNotInUse)
	e.core.SetDeviceState("Custom:100", pbx.DeviceBusy)
	if got := e.core.DeviceState("Custom:100"); got != pbx.DeviceBusy {
		t.Errorf("DeviceState = %v", got)
	}
	if got := deviceEvents(e.rec, "Custom:100"); !slices.Equal(got, []string{"NOT_INUSE", "BUSY"}) {
		t.Errorf("DeviceStateChange: %v", got)
	}
}
