package pbx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/pbx"
)

// tail returns the last n samples the phone on the channel called name
// heard.
func (e *env) tail(t *testing.T, name string, n int) []int16 {
	t.Helper()
	rec, ok := e.sim.Recording(name)
	if !ok {
		t.Fatalf("no recording of %s", name)
	}
	s := rec.Samples()
	if len(s) < n {
		t.Fatalf("%s heard %d samples, want %d", name, len(s), n)
	}
	return s[len(s)-n:]
}

// hears waits until the phone on name hears freq louder than other.
func (e *env) hears(t *testing.T, name string, freq, other float64) {
	t.Helper()
	waitFor(t, name+" to hear its partner", func() bool {
		rec, _ := e.sim.Recording(name)
		if rec == nil || len(rec.Samples()) < 1600 {
			return false
		}
		s := e.tail(t, name, 1600)
		return amplitude(s, freq) > 1000 && amplitude(s, freq) > 10*amplitude(s, other)
	})
}

// bridgeKinds returns the Bridge* events in order, with the channel.
func (e *env) bridgeKinds() string {
	var b []string
	for _, ev := range e.rec.all() {
		if ev.Bridge != nil {
			b = append(b, strings.TrimSpace(ev.Kind.String()+" "+ev.Channel.Name))
		}
	}
	return strings.Join(b, ", ")
}

// The seed's scenario in the core: a phone playing 1 kHz dials one
// playing 2 kHz; each hears the other through the bridge. Both are then
// redirected together to an Echo and each hears itself.
func TestDialBridgeRedirect(t *testing.T) {
	e := newEnv(t)
	a := e.dial(t, "Sim/tone")
	if err := e.core.StartPBX(a, "dial", "tone2k", 1); err != nil {
		t.Fatal(err)
	}
	begin := e.rec.waitEvent(t, a.Name(), isKind(pbx.EventDialBegin))
	if begin.Dest == nil || begin.DialString != "tone2k" || begin.Dest.Linkedid != a.Uniqueid() {
		t.Fatalf("DialBegin: %+v", begin)
	}
	bName := begin.Dest.Name
	// The phone rings before it answers (DialState).
	st := e.rec.waitEvent(t, a.Name(), isKind(pbx.EventDialState))
	if st.DialStatus != "RINGING" || st.Dest == nil || st.Dest.Name != bName || st.Dest.State != pbx.StateRinging {
		t.Errorf("DialState: %+v", st)
	}
	end := e.rec.waitEvent(t, a.Name(), isKind(pbx.EventDialEnd))
	if end.DialStatus != "ANSWER" || end.Dest.Name != bName {
		t.Errorf("DialEnd: %+v", end)
	}
	waitFor(t, "both in the bridge", func() bool { return strings.Count(e.bridgeKinds(), "BridgeEnter") == 2 })
	e.hears(t, a.Name(), 2000, 1000)
	e.hears(t, bName, 1000, 2000)

	b, ok := e.core.Channel(bName)
	if !ok {
		t.Fatal("called channel gone")
	}
	if err := pbx.AsyncGotoAll(pbx.Goto{Channel: a, Context: "echo", Exten: "s"},
		pbx.Goto{Channel: b, Context: "echo", Exten: "s"}); err != nil {
		t.Fatal(err)
	}
	e.rec.waitEvent(t, bName, func(ev pbx.Event) bool { return ev.Kind == pbx.EventNewexten && ev.App == "Echo" })
	e.rec.waitEvent(t, a.Name(), func(ev pbx.Event) bool { return ev.Kind == pbx.EventNewexten && ev.App == "Echo" })
	e.hears(t, a.Name(), 1000, 2000)
	e.hears(t, bName, 2000, 1000)
	// The called party enters first, as in Asterisk, and, redirected
	// together with the caller, leaves first.
	want := "BridgeCreate, BridgeEnter " + bName + ", BridgeEnter " + a.Name() + ", " +
		"BridgeLeave " + bName + ", BridgeLeave " + a.Name() + ", BridgeDestroy"
	if got := e.bridgeKinds(); got != want {
		t.Errorf("bridge events:\n got %s\nwant %s", got, want)
	}
	// Each knew the other as BRIDGEPEER; the redirect cleared it and
	// moved each at once to echo,s,1 (Newexten with the application it
	// ran), whence its dialplan went on at priority 2, as Asterisk's
	// async goto of a bridged channel does.
	for _, c := range []struct{ name, peer, app string }{{a.Name(), bName, "Dial"}, {bName, a.Name(), pbx.AppDialOutgoing}} {
		var peers []string
		moved := false
		for _, ev := range e.rec.all() {
			if ev.Channel.Name != c.name {
				continue
			}
			if ev.Kind == pbx.EventVarSet && ev.Variable == "BRIDGEPEER" {
				peers = append(peers, ev.Value)
			}
			if ev.Kind == pbx.EventNewexten && ev.Channel.Context == "echo" && ev.Channel.Priority == 1 {
				moved = ev.App == c.app
			}
		}
		if strings.Join(peers, "|") != c.peer+"|" || !moved {
			t.Errorf("%s: BRIDGEPEER %q, moved to echo,s,1 with %s: %v", c.name, peers, c.app, moved)
		}
	}
	for _, ev := range e.rec.all() {
		if ev.Kind == pbx.EventBridgeEnter && (ev.Bridge.Type != "basic" || ev.Bridge.Technology != "simple_bridge" ||
			ev.Bridge.VideoSourceMode != "none" || len(ev.Bridge.Uniqueid) != 36) {
			t.Errorf("bridge block %+v", ev.Bridge)
		}
	}
	if err := e.core.Hangup(a.Name(), 0); err != nil {
		t.Fatal(err)
	}
	if err := e.core.Hangup(bName, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "hangups", func() bool { return e.core.Count() == 0 })
}

// dialStatus runs Dial at exten of [dial] from a fresh Sim channel and
// returns the DIALSTATUS it set and the caller's events.
func dialStatus(t *testing.T, e *env, exten string) (string, []pbx.Event) {
	t.Helper()
	a := e.dial(t, "Sim/100")
	name := a.Name()
	if err := e.core.StartPBX(a, "dial", exten, 1); err != nil {
		t.Fatal(err)
	}
	if exten == "short" || exten == "shortg" || exten == "multi" {
		e.rec.waitEvent(t, name, isKind(pbx.EventBridgeEnter))
		if exten == "multi" {
			if err := e.core.Hangup(name, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.rec.waitEvent(t, name, isKind(pbx.EventHangup))
	evs := e.rec.of(name)
	status := ""
	for _, ev := range evs {
		if ev.Kind == pbx.EventVarSet && ev.Variable == "DIALSTATUS" {
			status = ev.Value
		}
	}
	return status, evs
}

func TestDialStatus(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ exten, status, end string }{
		{"busy", "BUSY", "BUSY"},
		{"never", "NOANSWER", "NOANSWER"},
		{"unavail", "CHANUNAVAIL", ""},
		{"multi", "ANSWER", "ANSWER CANCEL"},
		{"short", "ANSWER", "ANSWER"},
	} {
		start := time.Now()
		status, evs := dialStatus(t, e, tc.exten)
		if status != tc.status {
			t.Errorf("%s: DIALSTATUS %q, want %q", tc.exten, status, tc.status)
		}
		var ends []string
		for _, ev := range evs {
			if ev.Kind == pbx.EventDialEnd {
				ends = append(ends, ev.DialStatus)
			}
		}
		if got := strings.Join(ends, " "); got != tc.end {
			t.Errorf("%s: DialEnd statuses %q, want %q", tc.exten, got, tc.end)
		}
		if tc.exten == "never" && time.Since(start) > 5*time.Second {
			t.Errorf("the 0.2 s timeout took %v", time.Since(start))
		}
	}
	waitFor(t, "channels to go", func() bool { return e.core.Count() == 0 })
	// The loser of multi was hung up as answered elsewhere.
	var lost bool
	for _, ev := range e.rec.all() {
		if ev.Kind == pbx.EventHangup && strings.HasPrefix(ev.Channel.Name, "Sim/never-") && ev.Cause == pbx.CauseAnsweredElsewhere {
			lost = true
		}
	}
	if !lost {
		t.Error("no Sim/never hung up with cause 26")
	}
}

// Without g the caller hangs up when the called party does; with g it goes
// on at the next priority.
func TestDialContinue(t *testing.T) {
	e := newEnv(t)
	has := func(evs []pbx.Event) bool {
		for _, ev := range evs {
			if ev.Kind == pbx.EventVarSet && ev.Variable == "AFTER" {
				return true
			}
		}
		return false
	}
	if _, evs := dialStatus(t, e, "short"); has(evs) {
		t.Error("without g the dialplan went on")
	}
	if _, evs := dialStatus(t, e, "shortg"); !has(evs) {
		t.Error("with g the dialplan did not go on")
	}
}

// DialAlone (an Originate's call) announces DialBegin and DialEnd with no
// calling channel, the status saying how the call ended.
func TestDialAlone(t *testing.T) {
	e := newEnv(t)
	for dest, want := range map[string]string{"Sim/busy": pbx.DialBusy, "Sim/tone2k": pbx.DialAnswer} {
		ch, err := e.core.RequestDial(dest, nil)
		if err != nil {
			t.Fatal(err)
		}
		ch.SetOutgoing(pbx.AppOriginateOutgoing)
		err = ch.DialAlone(context.Background(), waitLimit)
		if (err == nil) != (want == pbx.DialAnswer) {
			t.Errorf("%s: %v", dest, err)
		}
		ch.Hangup(pbx.CauseNormalClearing)
		var got []string
		for _, ev := range e.rec.all() {
			if ev.Dest != nil && ev.Dest.Uniqueid == ch.Uniqueid() {
				if ev.Channel.Uniqueid != "" {
					t.Errorf("%v names a caller: %+v", ev.Kind, ev.Channel)
				}
				got = append(got, ev.Kind.String()+"("+ev.DialString+ev.DialStatus+")")
			}
		}
		res := strings.TrimPrefix(dest, "Sim/")
		if s := strings.Join(got, " "); s != "DialBegin("+res+") DialEnd("+res+want+")" {
			t.Errorf("%s: %s", dest, s)
		}
		if app, data := ch.Application(); app != "AppDial2" || data != "(Outgoing Line)" {
			t.Errorf("%s: application %q %q", dest, app, data)
		}
	}
}
