package pbx_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/pbx"
)

// RunApp runs one application on its own goroutine, shows it as the
// channel's application without a Newexten, and hangs up after it (no
// SoftHangupRequest: no dialplan ran).
func TestRunApp(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(t, "Sim/100")
	if err := e.core.RunApp(ch, "playback", "beep"); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
	want := "Newchannel Newstate(Ringing) Newstate(Up) VarSet(PLAYBACKSTATUS=SUCCESS) Hangup(0 Unknown)"
	if got := kinds(e.rec.of(ch.Name())); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	if app, data := ch.Application(); app != "playback" || data != "beep" {
		t.Errorf("Application() = %q %q", app, data)
	}

	// An unknown application: an error, and the channel is the caller's.
	ch = e.dial(t, "Sim/100")
	if err := e.core.RunApp(ch, "NoSuchApp", ""); !errors.Is(err, pbx.ErrNoApp) {
		t.Errorf("RunApp(NoSuchApp): %v", err)
	}
	ch.Hangup(pbx.CauseNormalClearing)

	// A hangup request ends the application.
	ch = e.dial(t, "Sim/100")
	if err := e.core.RunApp(ch, "Wait", "30"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Wait to run", func() bool { app, _ := ch.Application(); return app == "Wait" })
	if err := e.core.RunApp(ch, "Wait", "1"); err == nil {
		t.Error("a second RunApp on a busy channel succeeded")
	}
	if err := e.core.Hangup(ch.Name(), pbx.CauseNormalClearing); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
	want = "Newchannel Newstate(Ringing) Newstate(Up) Hangup(16 Normal Clearing)"
	if got := kinds(e.rec.of(ch.Name())); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}

	// A redirect ends the application and runs the dialplan there.
	ch = e.dial(t, "Sim/100")
	if err := e.core.RunApp(ch, "Wait", "30"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Wait to run", func() bool { app, _ := ch.Application(); return app == "Wait" })
	if err := ch.AsyncGoto("wait", "jump", 1); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
	want = "Newchannel Newstate(Ringing) Newstate(Up) Newexten(Set) VarSet(JUMPED=yes) SoftHangupRequest Hangup(16 Normal Clearing)"
	if got := kinds(e.rec.of(ch.Name())); got != want {
		t.Errorf("events after redirect:\n got %s\nwant %s", got, want)
	}
}

func TestApps(t *testing.T) {
	e := newEnv(t)
	e.core.RegisterApp("MyApp", func(*pbx.Channel, string) error { return nil })
	apps := e.core.Apps()
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	for i := 1; i < len(names); i++ {
		if strings.ToLower(names[i-1]) > strings.ToLower(names[i]) {
			t.Errorf("not sorted: %q", names)
			break
		}
	}
	a, ok := e.core.App("ANSWER")
	if !ok || a.Name != "Answer" || a.Synopsis != "Answer a channel if ringing." {
		t.Errorf("App(ANSWER) = %+v, %v", a, ok)
	}
	if a, ok := e.core.App("myapp"); !ok || a.Name != "MyApp" || a.Synopsis != "" {
		t.Errorf("App(myapp) = %+v, %v", a, ok)
	}
	if _, ok := e.core.App("nosuch"); ok {
		t.Error("App(nosuch) found")
	}
}

// Global variables set at run time are announced without a channel and
// read after the channel's own variables.
func TestGlobals(t *testing.T) {
	e := newEnv(t)
	if _, ok := e.core.Global("G"); ok {
		t.Fatal("G set before SetGlobal")
	}
	e.core.SetGlobal("G", "one")
	evs := e.rec.all()
	if len(evs) != 1 || evs[0].Kind != pbx.EventVarSet || !evs[0].Global || evs[0].Variable != "G" ||
		evs[0].Value != "one" || evs[0].Channel.Name != "" {
		t.Fatalf("events: %+v", evs)
	}
	ch := e.dial(t, "Sim/100")
	defer ch.Hangup(0)
	if v, ok := ch.Get("G"); !ok || v != "one" {
		t.Errorf("Get(G) = %q, %v", v, ok)
	}
	ch.SetVar("G", "mine")
	if v, _ := ch.Get("G"); v != "mine" {
		t.Errorf("channel variable does not come first: %q", v)
	}
	e.core.SetGlobal("G", "")
	if v, ok := e.core.Global("G"); !ok || v != "" {
		t.Errorf("Global(G) after empty set = %q, %v", v, ok)
	}
}

// RequestWith: the uniqueids asked for, the account code announced, and
// Local's ;2 set up from ;1 as ast_unreal_call_setup does.
func TestRequestWithAndLocalParties(t *testing.T) {
	e := newEnv(t)
	one, err := e.core.RequestDialWith("Local/600@default", nil, pbx.RequestOptions{
		AccountCode: "acct", Uniqueid: "chan-1", OtherUniqueid: "chan-2"})
	if err != nil {
		t.Fatal(err)
	}
	two, ok := e.core.ChannelByID("chan-2")
	if one.Uniqueid() != "chan-1" || !ok || two.Linkedid() != "chan-1" {
		t.Fatalf("uniqueids %q %v", one.Uniqueid(), ok)
	}
	if !strings.HasSuffix(one.Name(), ";1") || strings.TrimSuffix(one.Name(), ";1") != strings.TrimSuffix(two.Name(), ";2") {
		t.Errorf("names %q %q", one.Name(), two.Name())
	}
	if _, err := e.core.RequestDialWith("Sim/100", nil, pbx.RequestOptions{Uniqueid: "chan-2"}); !errors.Is(err, pbx.ErrUniqueidInUse) || pbx.CauseOf(err) != pbx.CauseRequestedChanUnavail {
		t.Errorf("duplicate uniqueid: %v", err)
	}
	one.SetCallerID("5554", "App Test")
	one.SetConnectedLine("777", "Conn")
	if err := one.Dial(t.Context(), waitLimit); err != nil {
		t.Fatal(err)
	}
	if num, name := two.CallerID(); num != "777" || name != "Conn" {
		t.Errorf(";2 caller ID %q %q", num, name)
	}
	if num, name := two.ConnectedLine(); num != "5554" || name != "App Test" {
		t.Errorf(";2 connected line %q %q", num, name)
	}
	var seq []string
	for _, ev := range e.rec.of(two.Name()) {
		switch ev.Kind {
		case pbx.EventNewCallerid, pbx.EventNewAccountCode, pbx.EventNewConnectedLine:
			seq = append(seq, ev.Kind.String())
			if ev.Channel.CallerIDNum != "777" || ev.Channel.ConnectedLineNum != "5554" || ev.Channel.AccountCode != "acct" {
				t.Errorf("%s snapshot: %+v", ev.Kind, ev.Channel)
			}
		}
	}
	if got := strings.Join(seq, " "); got != "NewCallerid NewAccountCode NewConnectedLine" {
		t.Errorf(";2 party events: %s", got)
	}
	var acct []pbx.Event
	for _, ev := range e.rec.of(one.Name()) {
		if ev.Kind == pbx.EventNewAccountCode {
			acct = append(acct, ev)
		}
	}
	if len(acct) != 1 || acct[0].OldAccountCode != "" || acct[0].Channel.AccountCode != "acct" {
		t.Errorf(";1 NewAccountCode: %+v", acct)
	}
	// Setting the same parties again is not announced.
	before := len(e.rec.of(one.Name()))
	one.SetAccountCode("acct")
	one.SetConnectedLine("777", "Conn")
	if after := len(e.rec.of(one.Name())); after != before {
		t.Errorf("unchanged parties announced: %d events, then %d", before, after)
	}

	// The absolute timeout's deadline.
	if !one.HangupAt().IsZero() {
		t.Error("HangupAt set without a timeout")
	}
	one.SetAbsoluteTimeout(time.Hour)
	if d := time.Until(one.HangupAt()); d < 59*time.Minute || d > time.Hour {
		t.Errorf("HangupAt in %v", d)
	}
	one.SetAbsoluteTimeout(0)
	if !one.HangupAt().IsZero() {
		t.Error("HangupAt kept after cancel")
	}
	one.Hangup(pbx.CauseNormalClearing)
	e.rec.waitEvent(t, two.Name(), isKind(pbx.EventHangup))
}
