package pbx_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/sounds"
)

// syncBuffer is a log destination safe for the core's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const hooksDialplan = `
[end]
exten => s,1,EndIt()
 same => n,Set(NOTREACHED=1)
exten => h,1,Set(HRAN=yes)
[fail]
exten => s,1,FailIt()
 same => n,Set(NOTREACHED=1)
[ann]
exten => s,1,Announce()
`

// hooksEnv is a core whose log is kept, with the test applications of
// the hooks the core exports for applications outside it.
func hooksEnv(t *testing.T, apps map[string]pbx.App) (*pbx.Core, *recorder, *syncBuffer) {
	t.Helper()
	before := runtime.NumGoroutine()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	dp := parseDialplan(t, hooksDialplan, log)
	sf, err := conf.Parse("sim.conf", strings.NewReader(testSimConf))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	core := pbx.New(pbx.Options{Sink: rec, Dialplan: func() *dialplan.Dialplan { return dp }, Logger: log})
	if err := core.Register(sim.New(sim.Parse(sf, log), sounds.Embedded())); err != nil {
		t.Fatal(err)
	}
	for name, fn := range apps {
		core.RegisterApp(name, fn)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := core.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	})
	return core, rec, logs
}

func runTo(t *testing.T, core *pbx.Core, dpContext string) *pbx.Channel {
	t.Helper()
	ch, err := core.RequestDial("Sim/100", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Dial(context.Background(), waitLimit); err != nil {
		t.Fatal(err)
	}
	if err := core.StartPBX(ch, dpContext, "s", 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the channel to hang up", func() bool { return core.Count() == 0 })
	return ch
}

func varSet(evs []pbx.Event, name string) (string, bool) {
	for _, ev := range evs {
		if ev.Kind == pbx.EventVarSet && ev.Variable == name {
			return ev.Value, true
		}
	}
	return "", false
}

// TestErrEndDialplan checks that an application returning ErrEndDialplan
// ends the dialplan quietly (the h extension runs, nothing after it, no
// warning), where any other error is logged as a failure.
func TestErrEndDialplan(t *testing.T) {
	core, rec, logs := hooksEnv(t, map[string]pbx.App{
		"EndIt":  func(*pbx.Channel, string) error { return pbx.ErrEndDialplan },
		"FailIt": func(*pbx.Channel, string) error { return errors.New("boom") },
	})
	ch := runTo(t, core, "end")
	evs := rec.of(ch.Name())
	if v, ok := varSet(evs, "HRAN"); !ok || v != "yes" {
		t.Errorf("the h extension did not run after ErrEndDialplan: %s", kinds(evs))
	}
	if _, ok := varSet(evs, "NOTREACHED"); ok {
		t.Errorf("the dialplan went on after ErrEndDialplan")
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("ErrEndDialplan logged: %s", logs.String())
	}
	ch = runTo(t, core, "fail")
	if _, ok := varSet(rec.of(ch.Name()), "NOTREACHED"); ok {
		t.Errorf("the dialplan went on after a failure")
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "boom") {
		t.Errorf("a failing application was not logged: %q", logs.String())
	}
}

// TestAnnounceDial checks the dial events an application outside the
// core announces through it, with DialProgress's ringing, and the
// refusal of other kinds.
func TestAnnounceDial(t *testing.T) {
	var (
		progress []media.Control
		dialErr  error
		kindErr  error
		callee   string
	)
	var core *pbx.Core
	core, rec, _ := hooksEnv(t, map[string]pbx.App{
		"Announce": func(ch *pbx.Channel, _ string) error {
			b, err := core.Request("Sim", "tone2k", ch)
			if err != nil {
				return err
			}
			callee = b.Name()
			if err := ch.AnnounceDial(pbx.EventDialBegin, b, "tone2k", ""); err != nil {
				return err
			}
			dialErr = b.DialProgress(ch.Ctx(), waitLimit, func(c media.Control) {
				progress = append(progress, c)
				_ = ch.AnnounceDial(pbx.EventDialState, b, "tone2k", "RINGING")
			})
			if err := ch.AnnounceDial(pbx.EventDialEnd, b, "tone2k", pbx.DialAnswer); err != nil {
				return err
			}
			kindErr = ch.AnnounceDial(pbx.EventHangup, b, "", "")
			b.Hangup(pbx.CauseNormalClearing)
			return nil
		},
	})
	ch := runTo(t, core, "ann")
	if dialErr != nil || len(progress) == 0 || progress[0] != media.ControlRinging {
		t.Errorf("DialProgress: %v, progress %v", dialErr, progress)
	}
	if !errors.Is(kindErr, pbx.ErrNotDialEvent) {
		t.Errorf("AnnounceDial of a Hangup: %v", kindErr)
	}
	var got []string
	for _, ev := range rec.of(ch.Name()) {
		switch ev.Kind {
		case pbx.EventDialBegin, pbx.EventDialState, pbx.EventDialEnd:
			if ev.Dest == nil || ev.Dest.Name != callee || ev.Channel.Name != ch.Name() {
				t.Errorf("%v: dest %+v", ev.Kind, ev.Dest)
				continue
			}
			got = append(got, ev.Kind.String()+"("+ev.DialString+ev.DialStatus+")")
		}
	}
	if want := "DialBegin(tone2k) DialState(tone2kRINGING) DialEnd(tone2kANSWER)"; strings.Join(got, " ") != want {
		t.Errorf("dial events: %v, want %s", got, want)
	}
}
