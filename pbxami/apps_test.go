package pbxami_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Originate with Application, asynchronously (originate-async-application.txt):
// OriginateResponse names the application instead of a context; the
// channel shows it in Status with no Newexten; Account, ChannelId and
// OtherChannelId give the account code and the uniqueids.
func TestOriginateApplicationAsync(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	id := c.send("Originate", "Channel", "Local/2000@default", "Application", "Wait", "Data", "30",
		"CallerID", `"App Test" <5554>`, "Async", "true", "Account", "acct9",
		"ChannelId", "my-one", "OtherChannelId", "my-two")
	or := c.event("OriginateResponse", "ActionID", id)
	checkKeys(t, or, "Event", "Privilege", "ActionID", "Response", "Channel", "Application", "Data", "Reason",
		"Uniqueid", "CallerIDNum", "CallerIDName")
	one := or.Get("Channel")
	if or.Get("Response") != "Success" || or.Get("Application") != "Wait" || or.Get("Data") != "30" ||
		or.Get("Reason") != "4" || or.Get("Uniqueid") != "my-one" || !strings.HasSuffix(one, ";1") {
		t.Errorf("OriginateResponse: %v", or)
	}
	acc := c.event("NewAccountCode", "Channel", one)
	checkKeys(t, acc, with("OldAccountCode")...)
	if acc.Get("AccountCode") != "acct9" || acc.Get("OldAccountCode") != "" || acc.Get("Uniqueid") != "my-one" {
		t.Errorf("NewAccountCode: %v", acc)
	}
	two := strings.TrimSuffix(one, ";1") + ";2"
	cl := c.event("NewConnectedLine", "Channel", two)
	checkKeys(t, cl, with()...)
	if cl.Get("Uniqueid") != "my-two" || cl.Get("CallerIDNum") != "5554" || cl.Get("ConnectedLineNum") != "5554" ||
		cl.Get("AccountCode") != "acct9" {
		t.Errorf("NewConnectedLine ;2: %v", cl)
	}
	c.event("Newexten", "Application", "Wait")

	_, items := c.list("Status", "Channel", one)
	if len(items) != 2 || items[0].Get("Application") != "Wait" || items[0].Get("Data") != "30" ||
		items[0].Get("TimeToHangup") != "0" || items[0].Get("AccountCode") != "acct9" {
		t.Fatalf("Status: %v", items)
	}
	// TimeToHangup is the deadline of the absolute timeout, in epoch seconds.
	c.do("AbsoluteTimeout", "Channel", one, "Timeout", "100")
	_, items = c.list("Status", "Channel", one)
	if n, err := strconv.ParseInt(items[0].Get("TimeToHangup"), 10, 64); err != nil ||
		n < time.Now().Unix()+98 || n > time.Now().Unix()+100 {
		t.Errorf("TimeToHangup %q", items[0].Get("TimeToHangup"))
	}
	for _, m := range c.seen {
		if m.Get("Event") == "Newexten" && m.Get("Channel") == one && m.Get("Application") != "AppDial2" {
			t.Errorf("Newexten on the application's channel: %v", m)
		}
	}
	// No dialplan ran on ;1, so no SoftHangupRequest: Hangup (cause 16)
	// ends the application.
	if r := c.do("Hangup", "Channel", one, "Cause", "16"); r.Get("Message") != "Channel Hungup" {
		t.Errorf("Hangup: %v", r)
	}
	h := c.event("Hangup", "Channel", one)
	if h.Get("Cause") != "16" {
		t.Errorf("Hangup: %v", h)
	}
	c.event("Hangup", "Channel", two)
	for _, m := range c.seen {
		if m.Get("Event") == "SoftHangupRequest" && m.Get("Channel") == one {
			t.Errorf("SoftHangupRequest on ;1: %v", m)
		}
	}
	// A ChannelId in use fails the Originate.
	id = c.send("Originate", "Channel", "Sim/101", "Application", "Wait", "Data", "1", "Async", "true", "ChannelId", "dup")
	c.event("OriginateResponse", "ActionID", id)
	r := c.do("Originate", "Channel", "Sim/100", "Application", "Wait", "Data", "1", "ChannelId", "dup")
	if r.Get("Response") != "Error" || r.Get("Message") != "Originate failed" {
		t.Errorf("Originate with a uniqueid in use: %v", r)
	}
	c.list("Hangup", "Channel", "/^Sim/")
	waitIdle(t, srv)
}

// Originate with Application, synchronously: Success once answered, then the
// application runs and the channel hangs up after it.
func TestOriginateApplicationSync(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Sim/101", "Application", "Wait", "Data", "0.1")
	if r.Get("Response") != "Success" || r.Get("Message") != "Originate successfully queued" {
		t.Fatalf("Originate: %v", r)
	}
	name := c.event("Newchannel", "", "").Get("Channel")
	h := c.event("Hangup", "Channel", name)
	if h.Get("Cause") != "0" || h.Get("Cause-txt") != "Unknown" {
		t.Errorf("Hangup: %v", h)
	}
	// An application that does not exist: answered, then hung up; the
	// Originate itself succeeded (Asterisk looks the application up only
	// once the call is answered, pbx.c pbx_outgoing_exec).
	r = c.do("Originate", "Channel", "Sim/101", "Application", "NoSuchApp")
	if r.Get("Response") != "Success" || r.Get("Message") != "Originate successfully queued" {
		t.Errorf("Originate NoSuchApp: %v", r)
	}
	waitIdle(t, srv)
}

// Setvar without a channel sets a global variable (VarSet with Channel:
// none), which Getvar and the channels' dialplans read.
func TestSetvarGlobal(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	if r := c.do("Setvar", "Variable", "G1", "Value", "v1"); r.Get("Message") != "Variable Set" {
		t.Fatalf("Setvar: %v", r)
	}
	vs := c.event("VarSet", "Variable", "G1")
	checkKeys(t, vs, "Event", "Privilege", "Channel", "Uniqueid", "Variable", "Value")
	if vs.Get("Channel") != "none" || vs.Get("Uniqueid") != "none" || vs.Get("Value") != "v1" || vs.Get("Privilege") != "dialplan,all" {
		t.Errorf("VarSet: %v", vs)
	}
	if r := c.do("Getvar", "Variable", "G1"); r.Get("Value") != "v1" {
		t.Errorf("Getvar: %v", r)
	}
	if r := c.do("Setvar", "Variable", "TESTGLOBAL", "Value", "changed"); r.Get("Message") != "Variable Set" {
		t.Fatalf("Setvar: %v", r)
	}
	if r := c.do("Getvar", "Variable", "TESTGLOBAL"); r.Get("Value") != "changed" {
		t.Errorf("Getvar of a changed [globals] entry: %v", r)
	}
	c.do("Originate", "Channel", "Local/2000@default", "Application", "Wait", "Data", "30", "Async", "true")
	two := c.event("VarSet", "Variable", "TESTVAR").Get("Channel")
	if r := c.do("Getvar", "Channel", two, "Variable", "G1"); r.Get("Value") != "v1" {
		t.Errorf("Getvar of a global on a channel: %v", r)
	}
	if r := c.do("Setvar", "Variable", "CALLERID(num)", "Value", "1"); r.Get("Response") != "Error" {
		t.Errorf("Setvar of a function without a channel: %v", r)
	}
	c.list("Hangup", "Channel", "/^Local/")
	waitIdle(t, srv)
}

func TestCLIApplications(t *testing.T) {
	srv := start(t)
	run := func(line string) string { return cliOut(t, srv, line) }
	got := run("core show applications")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	n := len(srv.PBX.Core.Apps())
	if lines[0] != "    -= Registered Asterisk Applications =-" || lines[len(lines)-1] != "    -= "+strconv.Itoa(n)+" Applications Registered =-" ||
		len(lines) != n+2 || !strings.Contains(got, "\n                Answer: Answer a channel if ringing.\n") {
		t.Errorf("core show applications:\n%s", got)
	}
	if got := run("core show application playback"); !strings.Contains(got, "-= Info about application 'Playback' =-") ||
		!strings.Contains(got, "[Synopsis]\nPlay a file.\n") {
		t.Errorf("core show application:\n%s", got)
	}
	if got := run("core show application nosuch"); got != "Your application(s) is (are) not registered\n" {
		t.Errorf("core show application nosuch: %q", got)
	}
}
