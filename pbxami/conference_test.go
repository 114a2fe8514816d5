package pbxami_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/media"
)

const confExtensions = `
[bridge]
exten => b,1,Dial(Sim/b2k,10)
[conf]
exten => 680,1,Answer()
 same => n,MeetMe(680)
exten => 700,1,ConfBridge(700)
[bad]
exten => nosuch,1,MeetMe(999)
 same => n,UserEvent(After,Result: ${MEETME_RESULT})
exten => wrongpin,1,MeetMe(681,,9999)
 same => n,UserEvent(After,Result: ${MEETME_RESULT})
exten => goodpin,1,MeetMe(681,qZ!w,1234)
 same => n,UserEvent(After,Result: ${MEETME_RESULT})
exten => noprofile,1,ConfBridge(700,nosuch_bridge)
 same => n,UserEvent(After,Result: unreachable)
exten => noname,1,ConfBridge()
 same => n,UserEvent(After,Result: unreachable)
`

const confSim = `
[a1k]
answer=0
play=tone:1000
[b2k]
answer=30ms
play=tone:2000
[c3k]
answer=0
play=tone:3000
`

// confDir writes a configuration directory with the conference
// extensions, meetme.conf and confbridge.conf.
func confDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"manager.conf":    amitest.DefaultManagerConf,
		"extensions.conf": confExtensions,
		"sim.conf":        confSim,
		"meetme.conf":     "[rooms]\nconf => 680\nconf => 681,1234,4321\n",
		"confbridge.conf": "[general]\n[default_user]\ntype=user\n[default_bridge]\ntype=bridge\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// level returns the Goertzel amplitude of freq in the last 200 ms name
// heard, or -1 before there are 200 ms.
func level(tech *sim.Tech, name string, freq float64) float64 {
	rec, ok := tech.Recording(name)
	if !ok {
		return -1
	}
	s := rec.Samples()
	if len(s) < 1600 {
		return -1
	}
	g := media.NewGoertzel(freq)
	g.Write(s[len(s)-1600:])
	return g.Amplitude()
}

// hearsNothing waits until name hears none of freqs in its last 200 ms.
func hearsNothing(t *testing.T, tech *sim.Tech, name string, freqs ...float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		quiet := true
		for _, f := range freqs {
			if l := level(tech, name, f); l < 0 || l > 100 {
				quiet = false
			}
		}
		if quiet {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still hears one of %v", name, freqs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The seed's scenario: two phones in a call, one Redirect with
// ExtraChannel to the extension running MeetMe(680); both join, and what
// each phone hears proves the mix: A hears B's tone and not its own, B
// hears A's and not its own.
func TestMeetMeRedirect(t *testing.T) {
	srv := start(t, amitest.ConfigDir(confDir(t)))
	srv.PBX.Sim.RecordSamples = 8000
	c := dial(t, srv)
	if r := c.do("Originate", "Channel", "Sim/a1k", "Context", "bridge", "Exten", "b", "Priority", "1", "Async", "true"); r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v", r)
	}
	begin := c.event("DialBegin", "DialString", "b2k")
	a, b := begin.Get("Channel"), begin.Get("DestChannel")
	c.event("BridgeEnter", "Channel", a)
	hears(t, srv.PBX.Sim, a, 2000, 1000)

	if r := c.do("MeetmeListRooms"); r.Get("Response") != "Error" || r.Get("Message") != "No active conferences." {
		t.Errorf("MeetmeListRooms with no conference: %v", r)
	}
	r := c.do("Redirect", "Channel", a, "ExtraChannel", b, "Context", "conf", "Exten", "680", "Priority", "1",
		"ExtraContext", "conf", "ExtraExten", "680", "ExtraPriority", "1")
	if r.Get("Message") != "Dual Redirect successful" {
		t.Fatalf("Redirect: %v", r)
	}
	users := map[string]string{}
	for _, name := range []string{a, b} {
		j := c.event("MeetmeJoin", "Channel", name)
		checkKeys(t, j, append(append([]string{"Event", "Privilege", "Meetme"}, snapshotKeys...), "User")...)
		if j.Get("Meetme") != "680" || j.Get("Privilege") != "call,all" || j.Get("Exten") != "680" {
			t.Errorf("MeetmeJoin: %v", j)
		}
		users[name] = j.Get("User")
	}
	if users[a] == users[b] || users[a] == "" {
		t.Errorf("user numbers: %v", users)
	}
	hears(t, srv.PBX.Sim, a, 2000, 1000)
	hears(t, srv.PBX.Sim, b, 1000, 2000)

	_, items := c.list("MeetmeList", "Conference", "680")
	if len(items) != 3 || items[2].Get("Event") != "MeetmeListComplete" || items[2].Get("ListItems") != "2" {
		t.Fatalf("MeetmeList: %v", items)
	}
	checkKeys(t, items[0], "Event", "ActionID", "Conference", "UserNumber", "CallerIDNum", "CallerIDName",
		"ConnectedLineNum", "ConnectedLineName", "Channel", "Admin", "Role", "MarkedUser", "Muted", "Talking")
	if items[0].Get("Role") != "Talk and listen" || items[0].Get("Muted") != "No" || items[0].Get("Talking") != "Not monitored" {
		t.Errorf("MeetmeList item: %v", items[0])
	}
	_, rooms := c.list("MeetmeListRooms")
	if len(rooms) != 2 || rooms[0].Get("Conference") != "680" || rooms[0].Get("Parties") != "2" ||
		rooms[0].Get("Creation") != "Static" || rooms[0].Get("Locked") != "No" || rooms[0].Get("Marked") != "N/A" {
		t.Errorf("MeetmeListRooms: %v", rooms)
	}

	// Muting B: A hears nothing at all; unmuting: B again.
	if r := c.do("MeetmeMute", "Meetme", "680", "Usernum", users[b]); r.Get("Message") != "User muted" {
		t.Fatalf("MeetmeMute: %v", r)
	}
	mute := c.event("MeetmeMute", "Channel", b)
	checkKeys(t, mute, append(append([]string{"Event", "Privilege", "Meetme"}, snapshotKeys...), "Status", "User")...)
	if mute.Get("Status") != "on" {
		t.Errorf("MeetmeMute: %v", mute)
	}
	hearsNothing(t, srv.PBX.Sim, a, 1000, 2000)
	hears(t, srv.PBX.Sim, b, 1000, 2000)
	if r := c.do("MeetmeUnmute", "Meetme", "680", "Usernum", users[b]); r.Get("Message") != "User unmuted" {
		t.Fatalf("MeetmeUnmute: %v", r)
	}
	if c.event("MeetmeMute", "Status", "off").Get("Channel") != b {
		t.Error("no MeetmeMute off for B")
	}
	hears(t, srv.PBX.Sim, a, 2000, 1000)

	for _, tc := range []struct {
		kv  []string
		msg string
	}{
		{[]string{"Usernum", "1"}, "Meetme conference not specified"},
		{[]string{"Meetme", "680"}, "Meetme user number not specified"},
		{[]string{"Meetme", "680", "Usernum", "x"}, "Invalid user number"},
		{[]string{"Meetme", "999", "Usernum", "1"}, "Meetme conference does not exist"},
		{[]string{"Meetme", "680", "Usernum", "99"}, "User number not found"},
	} {
		if r := c.do("MeetmeMute", tc.kv...); r.Get("Response") != "Error" || r.Get("Message") != tc.msg {
			t.Errorf("MeetmeMute %v: %v", tc.kv, r)
		}
	}

	// The CLI sees the room and kicks A, which goes on in the dialplan
	// (there: the end of the extension).
	out := cliCommand(t, c, "meetme list")
	if !containsAll(out, "680", "0002", "Static", "Total number of MeetMe users: 2") {
		t.Errorf("meetme list:\n%s", out)
	}
	cliCommand(t, c, "meetme kick 680 "+users[a])
	l := c.event("MeetmeLeave", "Channel", a)
	if l.Get("User") != users[a] {
		t.Errorf("MeetmeLeave: %v", l)
	}
	if r := c.do("Hangup", "Channel", b); r.Get("Response") != "Success" {
		t.Errorf("Hangup: %v", r)
	}
	c.event("MeetmeLeave", "Channel", b)
	end := c.event("MeetmeEnd", "", "")
	checkKeys(t, end, "Event", "Privilege", "Meetme")
	waitIdle(t, srv)
	if r := c.do("MeetmeList"); r.Get("Message") != "No active conferences." {
		t.Errorf("MeetmeList after the end: %v", r)
	}
}

// cliCommand runs a CLI command over AMI and returns its output.
func cliCommand(t *testing.T, c *conn, cmd string) string {
	t.Helper()
	return command(t, c, cmd)
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// ConfBridge: three phones, the mix, the Confbridge events with
// Asterisk 20's headers, list, mute, lock, kick, and the end.
func TestConfBridge(t *testing.T) {
	srv := start(t, amitest.ConfigDir(confDir(t)))
	srv.PBX.Sim.RecordSamples = 8000
	c := dial(t, srv)
	var chans []string
	for i, dev := range []string{"Sim/a1k", "Sim/c3k"} {
		if r := c.do("Originate", "Channel", dev, "Context", "conf", "Exten", "700", "Priority", "1", "Async", "true"); r.Get("Response") != "Success" {
			t.Fatalf("Originate: %v", r)
		}
		j := c.event("ConfbridgeJoin", "", "")
		if i == 0 {
			st := c.event("ConfbridgeStart", "", "")
			checkKeys(t, st, append([]string{"Event", "Privilege", "Conference"}, bridgeKeys...)...)
			if st.Get("BridgeType") != "base" || st.Get("BridgeTechnology") != "softmix" || st.Get("BridgeCreator") != "ConfBridge" || st.Get("BridgeName") != "700" {
				t.Errorf("ConfbridgeStart: %v", st)
			}
		}
		checkKeys(t, j, append(append(append([]string{"Event", "Privilege", "Conference"}, bridgeKeys...), snapshotKeys...), "Admin", "Muted")...)
		if j.Get("Conference") != "700" || j.Get("Admin") != "No" || j.Get("Muted") != "No" {
			t.Errorf("ConfbridgeJoin: %v", j)
		}
		chans = append(chans, j.Get("Channel"))
		c.seen = nil // the next Join is a new one
	}
	a, x := chans[0], chans[1]
	hears(t, srv.PBX.Sim, a, 3000, 1000)
	hears(t, srv.PBX.Sim, x, 1000, 3000)

	_, items := c.list("ConfbridgeList", "Conference", "700")
	if len(items) != 3 || items[2].Get("ListItems") != "2" {
		t.Fatalf("ConfbridgeList: %v", items)
	}
	checkKeys(t, items[0], append([]string{"Event", "ActionID", "Conference", "Admin", "MarkedUser", "WaitMarked", "EndMarked",
		"EndMarkedAny", "Waiting", "Muted", "Talking", "AnsweredTime"}, snapshotKeys...)...)
	_, rooms := c.list("ConfbridgeListRooms")
	if len(rooms) != 2 || rooms[0].Get("Parties") != "2" || rooms[0].Get("Locked") != "No" {
		t.Errorf("ConfbridgeListRooms: %v", rooms)
	}
	if r := c.do("ConfbridgeMute", "Conference", "700", "Channel", x); r.Get("Message") != "User muted" {
		t.Fatalf("ConfbridgeMute: %v", r)
	}
	m := c.event("ConfbridgeMute", "Channel", x)
	checkKeys(t, m, append(append(append([]string{"Event", "Privilege", "Conference"}, bridgeKeys...), snapshotKeys...), "Admin")...)
	hearsNothing(t, srv.PBX.Sim, a, 3000)
	if r := c.do("ConfbridgeUnmute", "Conference", "700", "Channel", x); r.Get("Message") != "User unmuted" {
		t.Fatalf("ConfbridgeUnmute: %v", r)
	}
	c.event("ConfbridgeUnmute", "Channel", x)
	hears(t, srv.PBX.Sim, a, 3000, 1000)

	if r := c.do("ConfbridgeLock", "Conference", "700"); r.Get("Message") != "Conference locked" {
		t.Fatalf("ConfbridgeLock: %v", r)
	}
	if _, rooms := c.list("ConfbridgeListRooms"); len(rooms) != 2 || rooms[0].Get("Locked") != "Yes" {
		t.Errorf("locked: %v", rooms)
	}
	// A third phone is refused by the locked conference: its dialplan
	// ends and it hangs up.
	if r := c.do("Originate", "Channel", "Sim/b2k", "Context", "conf", "Exten", "700", "Priority", "1", "Async", "true"); r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v", r)
	}
	refused := c.event("Newexten", "Application", "ConfBridge")
	hup := c.event("Hangup", "Channel", refused.Get("Channel"))
	if hup.Get("Channel") == a || hup.Get("Channel") == x {
		t.Errorf("Hangup: %v", hup)
	}
	if r := c.do("ConfbridgeUnlock", "Conference", "700"); r.Get("Message") != "Conference unlocked" {
		t.Errorf("ConfbridgeUnlock: %v", r)
	}

	for _, tc := range []struct {
		action string
		kv     []string
		msg    string
	}{
		{"ConfbridgeKick", nil, "No Conference name provided."},
		{"ConfbridgeKick", []string{"Conference", "701", "Channel", a}, "No Conference by that name found."},
		{"ConfbridgeKick", []string{"Conference", "700", "Channel", "Sim/nosuch-00000000"}, "No Channel by that name found in Conference."},
		{"ConfbridgeMute", []string{"Conference", "700"}, "No channel name provided."},
		{"ConfbridgeList", nil, "No Conference name provided."},
		{"ConfbridgeList", []string{"Conference", "701"}, "No Conference by that name found."},
		{"ConfbridgeLock", []string{"Conference", "701"}, "No Conference by that name found."},
	} {
		if r := c.do(tc.action, tc.kv...); r.Get("Response") != "Error" || r.Get("Message") != tc.msg {
			t.Errorf("%s %v: %v", tc.action, tc.kv, r)
		}
	}
	out := cliCommand(t, c, "confbridge list")
	if !containsAll(out, "Conference Bridge Name", "700") {
		t.Errorf("confbridge list:\n%s", out)
	}
	if out := cliCommand(t, c, "confbridge list 700"); !containsAll(out, a, x) {
		t.Errorf("confbridge list 700:\n%s", out)
	}
	if r := c.do("ConfbridgeKick", "Conference", "700", "Channel", a); r.Get("Message") != "User kicked" {
		t.Fatalf("ConfbridgeKick: %v", r)
	}
	leave := c.event("ConfbridgeLeave", "Channel", a)
	checkKeys(t, leave, append(append(append([]string{"Event", "Privilege", "Conference"}, bridgeKeys...), snapshotKeys...), "Admin")...)
	if v := c.event("VarSet", "Variable", "CONFBRIDGE_RESULT"); v.Get("Value") != "KICKED" || v.Get("Channel") != a {
		t.Errorf("CONFBRIDGE_RESULT: %v", v)
	}
	cliCommand(t, c, "confbridge kick 700 all")
	c.event("ConfbridgeLeave", "Channel", x)
	end := c.event("ConfbridgeEnd", "", "")
	checkKeys(t, end, append([]string{"Event", "Privilege", "Conference"}, bridgeKeys...)...)
	waitIdle(t, srv)
	if r := c.do("ConfbridgeListRooms"); r.Get("Message") != "No active conferences." {
		t.Errorf("ConfbridgeListRooms after the end: %v", r)
	}
}

// Bad input behaves as Asterisk: an unknown room and a wrong PIN return
// to the dialplan (MEETME_RESULT says why); malformed options are
// ignored; a ConfBridge with no name or an unknown profile ends the
// call.
func TestConferenceBadInput(t *testing.T) {
	srv := start(t, amitest.ConfigDir(confDir(t)))
	c := dial(t, srv)
	for _, tc := range []struct{ exten, result string }{
		{"nosuch", "INVALID"},
		{"wrongpin", "INVALIDPIN"},
	} {
		if r := c.do("Originate", "Channel", "Sim/a1k", "Context", "bad", "Exten", tc.exten, "Priority", "1", "Async", "true"); r.Get("Response") != "Success" {
			t.Fatalf("Originate: %v", r)
		}
		ue := c.event("UserEvent", "Exten", tc.exten)
		if ue.Get("Result") != tc.result {
			t.Errorf("%s: %v", tc.exten, ue)
		}
	}
	// The right PIN with malformed options: in the room.
	if r := c.do("Originate", "Channel", "Sim/a1k", "Context", "bad", "Exten", "goodpin", "Priority", "1", "Async", "true"); r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v", r)
	}
	j := c.event("MeetmeJoin", "Meetme", "681")
	if r := c.do("Hangup", "Channel", j.Get("Channel")); r.Get("Response") != "Success" {
		t.Errorf("Hangup: %v", r)
	}
	c.event("MeetmeEnd", "Meetme", "681")
	for _, exten := range []string{"noprofile", "noname"} {
		if r := c.do("Originate", "Channel", "Sim/a1k", "Context", "bad", "Exten", exten, "Priority", "1", "Async", "true"); r.Get("Response") != "Success" {
			t.Fatalf("Originate: %v", r)
		}
		n := c.event("Newexten", "Exten", exten)
		c.event("Hangup", "Channel", n.Get("Channel"))
	}
	waitIdle(t, srv)
	for _, m := range c.seen {
		if m.Get("Event") == "UserEvent" && m.Get("Result") == "unreachable" {
			t.Errorf("the dialplan went on after a failed ConfBridge: %v", m)
		}
		if m.Get("Event") == "ConfbridgeJoin" {
			t.Errorf("joined: %v", m)
		}
	}
}
