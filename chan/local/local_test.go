package local

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/pbx"
)

func TestParseResource(t *testing.T) {
	for in, want := range map[string][3]string{
		"1234@default":   {"1234", "default", ""},
		"600@test/n":     {"600", "test", "n"},
		"s":              {"s", "default", ""},
		"100@from-sip/j": {"100", "from-sip", "j"},
	} {
		e, c, o, err := ParseResource(in)
		if err != nil || [3]string{e, c, o} != want {
			t.Errorf("ParseResource(%q) = %q %q %q, %v; want %q", in, e, c, o, err, want)
		}
	}
	for _, bad := range []string{"", "@default", "/n"} {
		if _, _, _, err := ParseResource(bad); !errors.Is(err, ErrBadResource) {
			t.Errorf("ParseResource(%q): %v", bad, err)
		}
	}
}

// eventLog is a pbx.EventSink keeping every event.
type eventLog struct {
	mu  sync.Mutex
	evs []pbx.Event
}

func (l *eventLog) HandleEvent(e pbx.Event) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
}

func (l *eventLog) find(kind pbx.EventKind, name string) (pbx.Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.evs {
		if e.Kind == kind && e.Channel.Name == name {
			return e, true
		}
	}
	return pbx.Event{}, false
}

// Calling a pair announces LocalBridge with both halves as they are then
// and the pair's place; LocalOptimization says whether /n was left out.
// While the pair is up its device is in use.
func TestLocalBridge(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, err := conf.Parse("extensions.conf", strings.NewReader("[default]\nexten => 600,1,Answer()\n same => n,Wait(10)\n"))
	if err != nil {
		t.Fatal(err)
	}
	dp, err := dialplan.Parse(f, log)
	if err != nil {
		t.Fatal(err)
	}
	rec := &eventLog{}
	core := pbx.New(pbx.Options{Sink: rec, Dialplan: func() *dialplan.Dialplan { return dp }, Logger: log})
	if err := core.Register(New()); err != nil {
		t.Fatal(err)
	}
	for res, opt := range map[string]bool{"600@default": true, "600@default/n": false} {
		one, err := core.RequestDial("Local/"+res, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := one.Dial(context.Background(), 10*time.Second); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		ev, ok := rec.find(pbx.EventLocalBridge, one.Name())
		two := strings.TrimSuffix(one.Name(), ";1") + ";2"
		if !ok || ev.Peer == nil || ev.Peer.Name != two || ev.LocalContext != "default" || ev.LocalExten != "600" ||
			ev.LocalOptimization != opt || ev.Channel.State != pbx.StateDown || ev.Peer.State != pbx.StateRing {
			t.Errorf("%s: LocalBridge %+v (found %v)", res, ev, ok)
		}
		if st := core.DeviceState("Local/600@default"); st != pbx.DeviceInUse {
			t.Errorf("%s: device %v while up", res, st)
		}
		one.Hangup(pbx.CauseNormalClearing)
		<-one.Gone()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := core.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if st := core.DeviceState("Local/600@default"); st != pbx.DeviceNotInUse {
		t.Errorf("device %v after hangup", st)
	}
}
