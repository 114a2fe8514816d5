package pbx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/chan/local"
	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/sounds"
)

// waitLimit bounds every wait of these tests; nothing here measures time.
const waitLimit = 10 * time.Second

// recorder is an EventSink keeping every event.
type recorder struct {
	mu     sync.Mutex
	events []pbx.Event
}

func (r *recorder) HandleEvent(e pbx.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// of returns the events of the channel called name.
func (r *recorder) of(name string) []pbx.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []pbx.Event
	for _, e := range r.events {
		if e.Channel.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) all() []pbx.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pbx.Event(nil), r.events...)
}

// waitEvent waits until the channel has an event matching match.
func (r *recorder) waitEvent(t *testing.T, name string, match func(pbx.Event) bool) pbx.Event {
	t.Helper()
	var found pbx.Event
	waitFor(t, fmt.Sprintf("event on %s", name), func() bool {
		for _, e := range r.of(name) {
			if match(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

func isKind(k pbx.EventKind) func(pbx.Event) bool {
	return func(e pbx.Event) bool { return e.Kind == k }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

const testDialplan = `
[default]
exten => 100,1,Answer()
 same => n,Playback(beep)
exten => 600,1,Answer()
 same => n,Echo()
exten => tones,1,Answer()
 same => n,Playtones(440)
 same => n,Wait(0.3)
 same => n,StopPlaytones()
 same => n,Hangup()

[apps]
exten => s,1,Set(CALLERID(num)=4242)
 same => n,Set(__X=${CALLERID(num)})
 same => n,GotoIf($[${X} = 4242]?yes:no)
 same => n(no),Set(RESULT=wrong)
 same => n,Hangup()
 same => n(yes),Gosub(sub,s,1(a,b))
 same => n,Set(RESULT=${GOSUB_RETVAL}-${CHANNEL(state)}-${EXTEN}@${CONTEXT}:${PRIORITY})
 same => n,Hangup(USER_BUSY)
exten => h,1,Set(HANGUP_RAN=${HANGUPCAUSE})

[sub]
exten => s,1,Return(${ARG1}${ARG2})

[wait]
exten => s,1,Wait(30)
exten => jump,1,Set(JUMPED=yes)

[timeout]
exten => s,1,Wait(30)
exten => T,1,Set(TIMEDOUT=yes)

[invalid]
exten => i,1,Set(WAS=${INVALID_EXTEN})

[exc]
exten => raise,1,Set(X=1)
 same => n,RaiseException(BADTHING)
 same => n,Set(NOTREACHED=1)
exten => invalid,1,Goto(exc,nosuch,1)
exten => timeout,1,Set(TIMEOUT(absolute)=0.05)
 same => n,Wait(5)
exten => e,1,Set(WHY=${EXCEPTION(reason)}:${EXCEPTION(exten)}:${EXCEPTION(priority)})
 same => n,Hangup()

[noe]
exten => raise,1,RaiseException(X)
 same => n,Set(NOTREACHED=1)

[dial]
exten => tone2k,1,Dial(Sim/tone2k,5)
exten => busy,1,Dial(Sim/busy,5)
exten => never,1,Dial(Sim/never,0.2)
exten => unavail,1,Dial(Sim/nosuch&Bogus/1)
exten => multi,1,Dial(Sim/never&Sim/tone2k,5,rtT)
exten => short,1,Dial(Sim/short,5)
 same => n,Set(AFTER=yes)
exten => shortg,1,Dial(Sim/short,5,g)
 same => n,Set(AFTER=yes)

[echo]
exten => s,1,Answer()
 same => n,Echo()
`

const testSimConf = `
[100]
answer=20ms
play=silence

[tone]
answer=0
play=tone:1000

[busy]
answer=busy

[reject]
answer=reject

[never]
answer=noanswer

[tone2k]
answer=30ms
play=tone:2000

[short]
answer=0
play=dtmf:5
hangupafter=50ms
`

type env struct {
	core *pbx.Core
	rec  *recorder
	sim  *sim.Tech
}

func newEnv(t *testing.T) *env {
	t.Helper()
	before := runtime.NumGoroutine()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dp := parseDialplan(t, testDialplan, log)
	sf, err := conf.Parse("sim.conf", strings.NewReader(testSimConf))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	core := pbx.New(pbx.Options{
		Sink:     rec,
		Dialplan: func() *dialplan.Dialplan { return dp },
		Sounds:   sounds.Embedded(),
		Logger:   log,
	})
	st := sim.New(sim.Parse(sf, log), sounds.Embedded())
	st.RecordSamples = 8000
	for _, tech := range []pbx.Technology{local.New(), st} {
		if err := core.Register(tech); err != nil {
			t.Fatal(err)
		}
	}
	shutdownAtEnd(t, core, before)
	return &env{core: core, rec: rec, sim: st}
}

// shutdownAtEnd shuts core down at the end of the test and waits for its
// channels to go and the goroutines to return to before, the count taken
// before the core was built: the teardown of the test cores that check
// for leaks.
func shutdownAtEnd(t *testing.T, core *pbx.Core, before int) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := core.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		waitFor(t, "channels to go", func() bool { return core.Count() == 0 })
		waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	})
}

// dial requests and calls a channel, failing the test on error.
func (e *env) dial(t *testing.T, dial string) *pbx.Channel {
	t.Helper()
	ch, err := e.core.RequestDial(dial, nil)
	if err != nil {
		t.Fatalf("request %s: %v", dial, err)
	}
	if err := ch.Dial(context.Background(), waitLimit); err != nil {
		ch.Hangup(pbx.CauseOf(err))
		t.Fatalf("dial %s: %v", dial, err)
	}
	return ch
}

func kinds(evs []pbx.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Kind.String())
		switch e.Kind {
		case pbx.EventNewstate:
			fmt.Fprintf(&b, "(%s)", e.Channel.State)
		case pbx.EventNewexten:
			fmt.Fprintf(&b, "(%s)", e.App)
		case pbx.EventVarSet:
			fmt.Fprintf(&b, "(%s=%s)", e.Variable, e.Value)
		case pbx.EventHangup:
			fmt.Fprintf(&b, "(%d %s)", e.Cause, e.CauseText)
		}
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// amplitude measures freq in a block of samples.
func amplitude(samples []int16, freq float64) float64 {
	g := media.NewGoertzel(freq)
	g.Write(samples)
	return g.Amplitude()
}

func TestSimCallIntoDialplan(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(t, "Sim/100")
	name := ch.Name()
	if !regexp.MustCompile(`^Sim/100-[0-9a-f]{8}$`).MatchString(name) {
		t.Errorf("name %q", name)
	}
	rec, ok := e.sim.Recording(name)
	if !ok {
		t.Fatal("no recording for the call")
	}
	if err := e.core.StartPBX(ch, "default", "100", 1); err != nil {
		t.Fatal(err)
	}
	hup := e.rec.waitEvent(t, name, isKind(pbx.EventHangup))
	if hup.Cause != 16 || hup.CauseText != "Normal Clearing" {
		t.Errorf("hangup cause %d %q", hup.Cause, hup.CauseText)
	}
	want := "Newchannel Newstate(Ringing) Newstate(Up) Newexten(Answer) Newexten(Playback) VarSet(PLAYBACKSTATUS=SUCCESS) SoftHangupRequest Hangup(16 Normal Clearing)"
	if got := kinds(e.rec.of(name)); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	first := e.rec.of(name)[0]
	if first.Channel.State != pbx.StateDown || first.Channel.Uniqueid != first.Channel.Linkedid || first.Channel.Language != "en" {
		t.Errorf("Newchannel snapshot %+v", first.Channel)
	}
	// The beep (1 kHz) reached the phone.
	if a := amplitude(rec.Samples(), 1000); a < 1000 {
		t.Errorf("phone heard 1 kHz at amplitude %.0f; want the beep", a)
	}
}

func TestLocalEcho(t *testing.T) {
	e := newEnv(t)
	one := e.dial(t, "Local/600@default")
	if !regexp.MustCompile(`^Local/600@default-[0-9a-f]{8};1$`).MatchString(one.Name()) {
		t.Errorf("name %q", one.Name())
	}
	twoName := strings.TrimSuffix(one.Name(), ";1") + ";2"
	all := e.rec.all()
	if len(all) < 2 || all[0].Kind != pbx.EventNewchannel || all[0].Channel.Name != one.Name() ||
		all[1].Kind != pbx.EventNewchannel || all[1].Channel.Name != twoName ||
		all[0].Channel.State != pbx.StateDown || all[1].Channel.State != pbx.StateRing {
		t.Fatalf("first events: %s", kinds(all[:min(2, len(all))]))
	}
	if all[1].Channel.Linkedid != one.Uniqueid() {
		t.Errorf(";2 linkedid %q, want %q", all[1].Channel.Linkedid, one.Uniqueid())
	}
	if one.State() != pbx.StateUp {
		t.Errorf(";1 state %v after answer", one.State())
	}

	// A 1 kHz tone written into ;1 comes back from ;2's Echo.
	gen := media.NewToneGen(8000, 1000, 0)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	heard := false
	var buf []int16
	for i := 0; i < 200 && !heard; i++ {
		var f media.Frame
		gen.ReadFrame(&f)
		if err := one.Write(f); err != nil {
			t.Fatal(err)
		}
		got, err := one.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if got.Type != media.FrameVoice {
			continue
		}
		buf = got.AppendSamples(buf[:0])
		heard = amplitude(buf, 1000) > 4000
	}
	if !heard {
		t.Fatal("the tone did not come back")
	}

	if err := e.core.Hangup(one.Name(), 0); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, twoName, isKind(pbx.EventHangup))
	got := kinds(e.rec.of(twoName))
	if !strings.HasPrefix(got, "Newchannel Newexten(Answer) Newstate(Up) Newexten(Echo) HangupRequest") ||
		!strings.HasSuffix(got, "Hangup(0 Unknown)") {
		t.Errorf(";2 events: %s", got)
	}
	if _, err := one.Read(ctx); !errors.Is(err, pbx.ErrHangup) {
		t.Errorf("read after hangup: %v", err)
	}
}

func TestLocalToMissingExtension(t *testing.T) {
	e := newEnv(t)
	one, err := e.core.RequestDial("Local/nowhere@default", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = one.Dial(context.Background(), waitLimit)
	if pbx.CauseOf(err) != pbx.CauseNoRouteDestination {
		t.Fatalf("dial: %v", err)
	}
	one.Hangup(pbx.CauseOf(err))
	if n := e.core.Count(); n != 0 {
		t.Errorf("%d channels left", n)
	}
}

func TestSimFailures(t *testing.T) {
	e := newEnv(t)
	for phone, cause := range map[string]int{"busy": pbx.CauseUserBusy, "reject": pbx.CauseCallRejected} {
		ch, err := e.core.RequestDial("Sim/"+phone, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = ch.Dial(context.Background(), waitLimit)
		if pbx.CauseOf(err) != cause {
			t.Errorf("%s: %v, want cause %d", phone, err, cause)
		}
		ch.Hangup(pbx.CauseOf(err))
	}
	// No answer: the caller's timeout.
	ch, err := e.core.RequestDial("Sim/never", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Dial(context.Background(), 50*time.Millisecond)
	if !errors.Is(err, pbx.ErrNoAnswer) || pbx.CauseOf(err) != pbx.CauseNoAnswer {
		t.Errorf("noanswer: %v", err)
	}
	ch.Hangup(pbx.CauseOf(err))
}

func TestSimToneThroughEcho(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(t, "Sim/tone")
	rec, _ := e.sim.Recording(ch.Name())
	if err := e.core.StartPBX(ch, "default", "600", 1); err != nil {
		t.Fatal(err)
	}
	// The phone's 1 kHz goes through Echo and back to the phone.
	waitFor(t, "the phone to hear its tone", func() bool {
		s := rec.Samples()
		return len(s) >= 800 && amplitude(s[len(s)-800:], 1000) > 3000
	})
}

func TestPlaytones(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(t, "Sim/100")
	rec, _ := e.sim.Recording(ch.Name())
	if err := e.core.StartPBX(ch, "default", "tones", 1); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
	if a := amplitude(rec.Samples(), 440); a < 1000 {
		t.Errorf("440 Hz at amplitude %.0f", a)
	}
}

// bare makes a published channel without a technology.
func bare(e *env, name string, parent *pbx.Channel) *pbx.Channel {
	ch := e.core.NewChannel(pbx.ChannelConfig{Name: name, State: pbx.StateRing, Parent: parent})
	ch.Publish()
	return ch
}

func TestDialplanApps(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/apps-00000001", nil)
	if err := e.core.StartPBX(ch, "apps", "s", 1); err != nil {
		t.Fatal(err)
	}
	hup := e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
	if hup.Cause != 17 || hup.CauseText != "User busy" {
		t.Errorf("hangup %d %q", hup.Cause, hup.CauseText)
	}
	vars := map[string]string{}
	var calls []string
	for _, ev := range e.rec.of(ch.Name()) {
		switch ev.Kind {
		case pbx.EventVarSet:
			vars[ev.Variable] = ev.Value
		case pbx.EventNewCallerid:
			calls = append(calls, ev.Channel.CallerIDNum)
		}
	}
	if want := "ab-Ring-s@apps:7"; vars["RESULT"] != want {
		t.Errorf("RESULT=%q, want %q (events %s)", vars["RESULT"], want, kinds(e.rec.of(ch.Name())))
	}
	if vars["__X"] != "4242" || vars["HANGUP_RAN"] != "17" || len(calls) != 1 || calls[0] != "4242" {
		t.Errorf("vars %v, callerid events %v", vars, calls)
	}
}

func TestInvalidExtension(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/invalid-00000001", nil)
	if err := e.core.StartPBX(ch, "invalid", "999", 1); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
	if got := kinds(e.rec.of(ch.Name())); !strings.Contains(got, "VarSet(WAS=999)") {
		t.Errorf("events: %s", got)
	}
}

func TestVariableInheritance(t *testing.T) {
	e := newEnv(t)
	parent := bare(e, "Test/parent", nil)
	parent.SetVar("_ONE", "1")
	parent.SetVar("__ALL", "2")
	parent.SetVar("PLAIN", "3")
	child := bare(e, "Test/child", parent)
	grandchild := bare(e, "Test/grandchild", child)
	if got := fmt.Sprint(child.Vars()); got != "[[ONE 1] [__ALL 2]]" {
		t.Errorf("child vars %s", got)
	}
	if got := fmt.Sprint(grandchild.Vars()); got != "[[__ALL 2]]" {
		t.Errorf("grandchild vars %s", got)
	}
	if child.Linkedid() != parent.Uniqueid() || grandchild.Linkedid() != parent.Uniqueid() {
		t.Errorf("linkedids %s %s, want %s", child.Linkedid(), grandchild.Linkedid(), parent.Uniqueid())
	}
	child.SetCallerID("555", "Alice")
	got, err := dialplan.Substitute("${ONE}-${ALL}-${CHANNEL}-${CALLERID(num)}-${CALLERID(name)}-${CHANNEL(language)}", child, e.core.Funcs())
	if err != nil || got != "1-2-Test/child-555-Alice-en" {
		t.Errorf("substitute: %q, %v", got, err)
	}
	for _, ch := range []*pbx.Channel{parent, child, grandchild} {
		if err := e.core.Hangup(ch.Name(), 0); err != nil {
			t.Error(err)
		}
	}
}

func TestAsyncGoto(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/goto-00000001", nil)
	if err := e.core.StartPBX(ch, "wait", "s", 1); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), func(ev pbx.Event) bool { return ev.Kind == pbx.EventNewexten && ev.App == "Wait" })
	if err := ch.AsyncGoto("", "jump", 1); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
	want := "Newchannel Newexten(Wait) Newexten(Set) VarSet(JUMPED=yes) SoftHangupRequest Hangup(16 Normal Clearing)"
	if got := kinds(e.rec.of(ch.Name())); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	if err := ch.AsyncGoto("wait", "s", 1); !errors.Is(err, pbx.ErrNoChannel) {
		t.Errorf("goto after hangup: %v", err)
	}
}

func TestAsyncGotoStartsDialplan(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/idle-00000001", nil)
	if err := ch.AsyncGoto("wait", "jump", 1); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
}

// The timeout itself is not announced (Asterisk's ast_check_hangup only
// flags the channel); the SoftHangupRequest is the dialplan's when it ends.
func TestAbsoluteTimeout(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ context, want string }{
		{"wait", "Newchannel Newexten(Wait) SoftHangupRequest Hangup(0 Unknown)"},
		{"timeout", "Newchannel Newexten(Wait) Newexten(Set) VarSet(TIMEDOUT=yes) SoftHangupRequest Hangup(16 Normal Clearing)"},
	} {
		ch := bare(e, "Test/"+tc.context+"-00000001", nil)
		if err := e.core.StartPBX(ch, tc.context, "s", 1); err != nil {
			t.Fatal(err)
		}
		e.rec.waitEvent(t, ch.Name(), func(ev pbx.Event) bool { return ev.Kind == pbx.EventNewexten })
		ch.SetAbsoluteTimeout(20 * time.Millisecond)
		e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
		if got := kinds(e.rec.of(ch.Name())); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.context, got, tc.want)
		}
	}
	// A channel without a dialplan is hung up by its timeout.
	idle := bare(e, "Test/idle", nil)
	idle.SetAbsoluteTimeout(time.Millisecond)
	e.rec.waitEvent(t, idle.Name(), isKind(pbx.EventHangup))
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t)
	for _, dial := range []string{"Nope/1", "Sim/999", "Local/", "garbage", "Sim/"} {
		_, err := e.core.RequestDial(dial, nil)
		if err == nil || pbx.CauseOf(err) != pbx.CauseRequestedChanUnavail {
			t.Errorf("%s: %v, want CHANUNAVAIL", dial, err)
		}
	}
	if _, err := e.core.Request("nope", "1", nil); !errors.Is(err, pbx.ErrNoTechnology) {
		t.Errorf("unknown tech: %v", err)
	}
	if _, err := e.core.Request("sim", "999", nil); !errors.Is(err, pbx.ErrChanUnavail) {
		t.Errorf("unknown phone: %v", err)
	}
	if n := len(e.rec.all()); n != 0 || e.core.Count() != 0 {
		t.Errorf("%d events, %d channels after failed requests", n, e.core.Count())
	}
	if err := e.core.Hangup("Sim/none-00000000", 0); !errors.Is(err, pbx.ErrNoChannel) {
		t.Errorf("hangup of nothing: %v", err)
	}
	if err := e.core.Register(local.New()); err == nil {
		t.Error("registering Local twice succeeded")
	}
}

func TestQueueOverflow(t *testing.T) {
	e := newEnv(t)
	ch := bare(e, "Test/queue", nil)
	defer ch.Hangup(0)
	ch.Queue(media.ControlFrame(media.ControlAnswer))
	for i := 0; i < pbx.MaxQueuedFrames+50; i++ {
		ch.Queue(media.SilenceFrame(media.ULAW))
	}
	if n := ch.DroppedFrames(); n != 51 {
		t.Errorf("dropped %d, want 51", n)
	}
	f, err := ch.Read(context.Background())
	if err != nil || f.Type != media.FrameControl || f.Control != media.ControlAnswer {
		t.Errorf("first frame %v, %v; want the answer kept", f, err)
	}
	if ch.State() != pbx.StateUp {
		t.Errorf("state %v after reading an answer", ch.State())
	}
}

func TestCauses(t *testing.T) {
	for code, text := range map[int]string{0: "Unknown", 16: "Normal Clearing", 17: "User busy", 21: "Call Rejected", 34: "Circuit/channel congestion", 44: "Requested channel not available", 127: "Interworking, unspecified", 200: "Unknown"} {
		if got := pbx.CauseText(code); got != text {
			t.Errorf("CauseText(%d) = %q, want %q", code, got, text)
		}
	}
	for s, want := range map[string]int{"USER_BUSY": 17, "normal_clearing": 16, "21": 21, "x": 0, "0": 0, "": 0} {
		if got, _ := pbx.ParseCause(s); got != want {
			t.Errorf("ParseCause(%q) = %d, want %d", s, got, want)
		}
	}
	if s := pbx.StateDialingOffhook.String(); s != "Dialing Offhook" {
		t.Errorf("state 8 %q", s)
	}
	if s := pbx.State(42).String(); s != "Unknown (42)" {
		t.Errorf("state 42 %q", s)
	}
}

func TestSimHangsUp(t *testing.T) {
	e := newEnv(t)
	ch := e.dial(t, "Sim/short")
	if err := e.core.StartPBX(ch, "wait", "s", 1); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
	want := "Newchannel Newstate(Ringing) Newstate(Up) Newexten(Wait) HangupRequest SoftHangupRequest Hangup(16 Normal Clearing)"
	if got := kinds(e.rec.of(ch.Name())); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
}

func TestLocalHangupCrossesOver(t *testing.T) {
	e := newEnv(t)
	one := e.dial(t, "Local/tones@default")
	// ;2 plays 440 Hz, then its dialplan hangs up: ;1 hears the tone,
	// then the hangup.
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var heard []int16
	for {
		f, err := one.Read(ctx)
		if errors.Is(err, pbx.ErrHangup) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		heard = f.AppendSamples(heard)
	}
	if a := amplitude(heard, 440); a < 1000 {
		t.Errorf(";1 heard 440 Hz at amplitude %.0f", a)
	}
	req := e.rec.waitEvent(t, one.Name(), isKind(pbx.EventHangupRequest))
	if req.Cause != 16 {
		t.Errorf("HangupRequest cause %d", req.Cause)
	}
	one.Hangup(0)
	if ev := e.rec.waitEvent(t, one.Name(), isKind(pbx.EventHangup)); ev.Cause != 16 {
		t.Errorf("Hangup cause %d", ev.Cause)
	}
}
