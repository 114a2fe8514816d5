package pbxami_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/internal/transcript"
)

const refDir = "../testdata/asterisk-20.20.1"

// Originate Async to an extension (the seed's example, as
// originate-async-exten.txt): the response, then the channels' events with
// Asterisk's header blocks, and OriginateResponse.
func TestOriginateAsyncExten(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Local/600@default", "Context", "default", "Exten", "2000",
		"Priority", "1", "CallerID", `"Async Test" <5553>`, "Timeout", "15000", "Async", "true",
		"Variable", "FOO=bar", "Variable", "BAZ=qux")
	if r.Get("Response") != "Success" || r.Get("Message") != "Originate successfully queued" {
		t.Fatalf("Originate: %v", r)
	}
	id := r.ActionID()
	nc := c.event("Newchannel", "", "")
	checkKeys(t, nc, with()...)
	one := nc.Get("Channel")
	if !strings.HasPrefix(one, "Local/600@default-") || !strings.HasSuffix(one, ";1") {
		t.Fatalf("first channel %q", one)
	}
	if nc.Get("ChannelState") != "0" || nc.Get("ChannelStateDesc") != "Down" || nc.Get("CallerIDNum") != "<unknown>" ||
		nc.Get("ConnectedLineName") != "<unknown>" || nc.Get("Language") != "en" || nc.Get("Exten") != "600" ||
		nc.Get("Uniqueid") != nc.Get("Linkedid") {
		t.Errorf("Newchannel ;1: %v", nc)
	}
	two := strings.TrimSuffix(one, ";1") + ";2"
	nc2 := c.event("Newchannel", "Channel", two)
	if nc2.Get("ChannelState") != "4" || nc2.Get("ChannelStateDesc") != "Ring" || nc2.Get("Linkedid") != nc.Get("Uniqueid") {
		t.Errorf("Newchannel ;2: %v", nc2)
	}
	// Asterisk sets the variables last to first.
	vs := c.event("VarSet", "Channel", one)
	checkKeys(t, vs, with("Variable", "Value")...)
	if vs.Get("Privilege") != "dialplan,all" || vs.Get("Variable") != "BAZ" || vs.Get("Value") != "qux" {
		t.Errorf("first VarSet: %v", vs)
	}
	cid := c.event("NewCallerid", "Channel", one)
	checkKeys(t, cid, with("CID-CallingPres")...)
	if cid.Get("CallerIDNum") != "5553" || cid.Get("CallerIDName") != "Async Test" ||
		cid.Get("CID-CallingPres") != "0 (Presentation Allowed, Not Screened)" {
		t.Errorf("NewCallerid: %v", cid)
	}
	ex := c.event("Newexten", "Channel", two)
	checkKeys(t, ex, with("Extension", "Application", "AppData")...)
	if ex.Get("Application") != "Answer" || ex.Get("Extension") != "600" {
		t.Errorf("Newexten: %v", ex)
	}
	or := c.event("OriginateResponse", "ActionID", id)
	checkKeys(t, or, "Event", "Privilege", "ActionID", "Response", "Channel", "Context", "Exten", "Reason",
		"Uniqueid", "CallerIDNum", "CallerIDName")
	if or.Get("Privilege") != "call,all" || or.Get("Response") != "Success" || or.Get("Channel") != one ||
		or.Get("Context") != "default" || or.Get("Exten") != "2000" || or.Get("Reason") != "4" ||
		or.Get("Uniqueid") != nc.Get("Uniqueid") || or.Get("CallerIDNum") != "5553" {
		t.Errorf("OriginateResponse: %v", or)
	}
	// ;1 runs the dialplan at Context/Exten/Priority once answered.
	c.event("Newexten", "Channel", one)
	if srv.PBX.Core.Count() != 2 {
		t.Errorf("%d channels, want 2", srv.PBX.Core.Count())
	}

	// Hangup by regex lists the channels it hung up.
	resp, items := c.list("Hangup", "Channel", `/^Local\/600@default-/`)
	if resp.Get("Message") != "Channels hung up will follow" || resp.Get("EventList") != "start" {
		t.Errorf("Hangup regex: %v", resp)
	}
	if len(items) != 3 || items[2].Get("Event") != "ChannelsHungupListComplete" || items[2].Get("ListItems") != "2" {
		t.Fatalf("Hangup regex items: %v", items)
	}
	checkKeys(t, items[0], "Event", "Channel", "ActionID")
	checkKeys(t, items[2], "Event", "ActionID", "EventList", "ListItems")
	h := c.event("Hangup", "Channel", one)
	checkKeys(t, h, with("Cause", "Cause-txt")...)
	c.event("Hangup", "Channel", two)
	sh := c.event("SoftHangupRequest", "Channel", one)
	checkKeys(t, sh, with("Cause")...)
	if sh.Get("Cause") != "16" {
		t.Errorf("SoftHangupRequest: %v", sh)
	}
	waitIdle(t, srv)
}

// Originate to an extension, synchronously: the answer comes once the phone
// has answered; Hangup by name as in hangup.txt.
func TestOriginateSyncAndHangup(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Sim/100", "Context", "default", "Exten", "2000", "Priority", "1")
	if r.Get("Response") != "Success" || r.Get("Message") != "Originate successfully queued" {
		t.Fatalf("Originate: %v", r)
	}
	nc := c.event("Newchannel", "", "")
	name := nc.Get("Channel")
	if !strings.HasPrefix(name, "Sim/100-") {
		t.Fatalf("channel %q", name)
	}
	c.event("Newstate", "ChannelStateDesc", "Up")
	c.event("VarSet", "Variable", "TESTVAR")
	if r := c.do("Hangup", "Channel", name, "Cause", "16"); r.Get("Message") != "Channel Hungup" {
		t.Errorf("Hangup: %v", r)
	}
	h := c.event("Hangup", "Channel", name)
	if h.Get("Cause") != "16" || h.Get("Cause-txt") != "Normal Clearing" || h.Get("Privilege") != "call,all" {
		t.Errorf("Hangup event: %v", h)
	}
	if r := c.do("Hangup", "Channel", name); r.Get("Response") != "Error" || r.Get("Message") != "No such channel" {
		t.Errorf("Hangup gone channel: %v", r)
	}
	if r := c.do("Hangup"); r.Get("Message") != "No channel specified" {
		t.Errorf("Hangup without channel: %v", r)
	}
	// A busy phone: the synchronous Originate fails.
	if r := c.do("Originate", "Channel", "Sim/102", "Context", "default", "Exten", "2000", "Priority", "1"); r.Get("Response") != "Error" || r.Get("Message") != "Originate failed" {
		t.Errorf("Originate busy: %v", r)
	}
	// A phone that never answers: Failure, Reason 3 after the timeout.
	id := c.send("Originate", "Channel", "Sim/103", "Context", "default", "Exten", "2000", "Priority", "1",
		"Timeout", "200", "Async", "true")
	or := c.event("OriginateResponse", "ActionID", id)
	if or.Get("Response") != "Failure" || or.Get("Reason") != "3" || or.Get("Channel") != "Sim/103" || or.Get("Uniqueid") != "<unknown>" {
		t.Errorf("OriginateResponse no answer: %v", or)
	}
	waitIdle(t, srv)
}

// Bad Originates get Asterisk's errors (originate-bad.txt) and leave no
// channel behind.
func TestOriginateBad(t *testing.T) {
	srv := start(t, amitest.ManagerConf(amitest.DefaultManagerConf+`
[orig]
secret = origpw
read = all
write = originate,call,reporting
`))
	c := dial(t, srv)
	long := strings.Repeat("x", 150)
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"Channel", "NoSuchTech/123", "Context", "default", "Exten", "600", "Priority", "1", "Timeout", "5000"}, "Originate failed"},
		{[]string{"Channel", "justaname", "Context", "default", "Exten", "600", "Priority", "1"}, "Invalid channel"},
		{[]string{"Context", "default", "Exten", "600", "Priority", "1"}, "Channel not specified"},
		{[]string{"Channel", "Local/600@default"}, "Originate with 'Exten' requires 'Context' and 'Priority'"},
		{[]string{"Channel", "Local/600@default", "Context", "default", "Exten", "600", "Priority", "notanumber"}, "Invalid priority"},
		{[]string{"Channel", "Local/600@default", "Context", "default", "Exten", "600", "Priority", "1", "Timeout", "x"}, "Invalid timeout"},
		{[]string{"Channel", "Local/600@default", "Context", "default", "Exten", "99999", "Priority", "1"}, "Extension does not exist."},
		{[]string{"Channel", "Local/600@default", "Context", "default", "Exten", "600", "Priority", "1", "ChannelId", long}, "Uniqueid length exceeds maximum of 149"},
		{[]string{"Channel", "Local/99999@default", "Context", "default", "Exten", "600", "Priority", "1"}, "Originate failed"},
	} {
		r := c.do("Originate", tc.kv...)
		if r.Get("Response") != "Error" || r.Get("Message") != tc.want {
			t.Errorf("Originate %q: %v, want %q", tc.kv, r, tc.want)
		}
	}
	// Asynchronous failures come as OriginateResponse.
	id := c.send("Originate", "Channel", "NoSuchTech/123", "Context", "default", "Exten", "600", "Priority", "1", "Async", "true")
	or := c.event("OriginateResponse", "ActionID", id)
	checkKeys(t, or, "Event", "Privilege", "ActionID", "Response", "Channel", "Context", "Exten", "Reason",
		"Uniqueid", "CallerIDNum", "CallerIDName")
	if or.Get("Response") != "Failure" || or.Get("Reason") != "0" || or.Get("Uniqueid") != "<unknown>" ||
		or.Get("CallerIDNum") != "<unknown>" {
		t.Errorf("OriginateResponse: %v", or)
	}

	// Without the system class: the blacklist, SHELL and EVAL.
	o := dialAs(t, srv, "orig", "origpw")
	for _, kv := range [][]string{
		{"Application", "System", "Data", "touch /tmp/x"},
		{"Application", "ExEc", "Data", "Wait(1)"},
		{"Application", "Wait", "Data", "${SHELL(id)}"},
	} {
		r := o.do("Originate", append([]string{"Channel", "Local/600@default"}, kv...)...)
		if r.Get("Message") != "Originate Access Forbidden: app or data blacklisted" {
			t.Errorf("Originate %q: %v", kv, r)
		}
	}
	if r := o.do("Getvar", "Variable", "SHELL(id)"); r.Get("Message") != "GetVar Access Forbidden: Variable" {
		t.Errorf("Getvar SHELL: %v", r)
	}
	if r := o.do("Status", "Variables", "EVAL(${x})"); r.Get("Message") != "Status Access Forbidden: Variables" {
		t.Errorf("Status EVAL: %v", r)
	}
	waitIdle(t, srv)
}

func dialAs(t *testing.T, srv *amitest.Server, user, secret string) *conn {
	s := *srv
	s.Username, s.Secret = user, secret
	return dial(t, &s)
}

// Status and CoreShowChannels frame their lists as status-*.txt and
// coreshowchannels.txt show.
func TestStatusAndCoreShowChannels(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	resp, items := c.list("Status")
	checkKeys(t, resp, "Response", "ActionID", "EventList", "Message")
	if resp.Get("Message") != "Channel status will follow" || len(items) != 1 {
		t.Fatalf("Status: %v %v", resp, items)
	}
	checkKeys(t, items[0], "Event", "ActionID", "EventList", "ListItems", "Items")
	if items[0].Get("ListItems") != "0" || items[0].Get("Items") != "0" {
		t.Errorf("StatusComplete: %v", items[0])
	}
	resp, items = c.list("CoreShowChannels")
	if resp.Get("Message") != "Channels will follow" || len(items) != 1 {
		t.Fatalf("CoreShowChannels: %v %v", resp, items)
	}
	checkKeys(t, items[0], "Event", "ActionID", "EventList", "ListItems")

	c.do("Originate", "Channel", "Local/2000@default", "Context", "default", "Exten", "600", "Priority", "1",
		"CallerID", `"Status Test" <5551>`)
	two := c.event("VarSet", "Variable", "TESTVAR").Get("Channel")
	c.event("Newexten", "Application", "Wait")
	c.event("Newexten", "Application", "Echo")

	resp, items = c.list("Status")
	if len(items) != 3 || items[2].Get("ListItems") != "2" || items[2].Get("Items") != "2" {
		t.Fatalf("Status: %v %v", resp, items)
	}
	st := append([]string{"Event", "Privilege"}, snapshotKeys...)
	st = append(st, "Type", "DNID", "EffectiveConnectedLineNum", "EffectiveConnectedLineName", "TimeToHangup",
		"BridgeID", "Application", "Data", "Nativeformats", "Readformat", "Readtrans", "Writeformat", "Writetrans",
		"Callgroup", "Pickupgroup", "Seconds")
	checkKeys(t, items[0], append(st, "ActionID")...)
	if items[0].Get("Privilege") != "Call" || items[0].Get("Type") != "Local" {
		t.Errorf("Status event: %v", items[0])
	}
	_, items = c.list("Status", "Channel", two, "Variables", "TESTVAR,CHANNEL(state)")
	checkKeys(t, items[0], append(st, "Variable", "Variable", "ActionID")...)
	if got := items[0].Values("Variable"); strings.Join(got, "|") != "TESTVAR=testvalue|CHANNEL(state)=Up" {
		t.Errorf("Status Variables: %q", got)
	}
	if items[0].Get("Application") != "Wait" || items[0].Get("Data") != "120" {
		t.Errorf("Status application: %v", items[0])
	}
	_, items = c.list("Status", "Channel", two, "AllVariables", "true")
	if got := items[0].Values("Variable"); len(got) == 0 || got[len(got)-1] != "TESTVAR=testvalue" {
		t.Errorf("Status AllVariables: %q", got)
	}
	if r := c.do("Status", "Channel", "Local/nosuch@default-00000000;1"); r.Get("Message") != "No such channel" {
		t.Errorf("Status no such channel: %v", r)
	}

	resp, items = c.list("CoreShowChannels")
	if len(items) != 3 || items[2].Get("ListItems") != "2" {
		t.Fatalf("CoreShowChannels: %v %v", resp, items)
	}
	checkKeys(t, items[0], append(append([]string{"Event", "ActionID"}, snapshotKeys...),
		"Application", "ApplicationData", "Duration", "BridgeId")...)
	if items[0].Get("Duration") == "" || !strings.HasPrefix(items[0].Get("Duration"), "00:00:0") {
		t.Errorf("CoreShowChannel: %v", items[0])
	}

	// channel request hangup all ends them.
	var out bytes.Buffer
	if err := srv.Manager.CLI().Run(context.Background(), "channel request hangup all", &out); err != nil || out.String() != "Requested Hangup on all channels\n" {
		t.Errorf("channel request hangup all: %q %v", out.String(), err)
	}
	waitIdle(t, srv)
}

// Getvar and Setvar as getvar-setvar.txt: globals without a channel,
// channel variables and functions with one.
func TestGetvarSetvar(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	r := c.do("Getvar", "Variable", "TESTGLOBAL")
	checkKeys(t, r, "Response", "ActionID", "Variable", "Value")
	if r.Get("Value") != "hello" {
		t.Errorf("Getvar global: %v", r)
	}
	if r := c.do("Getvar", "Variable", "NOSUCHVAR"); r.Get("Response") != "Success" || r.Get("Value") != "" {
		t.Errorf("Getvar unset: %v", r)
	}
	if r := c.do("Getvar"); r.Get("Message") != "No variable specified" {
		t.Errorf("Getvar without variable: %v", r)
	}
	c.do("Originate", "Channel", "Local/2000@default", "Context", "default", "Exten", "2000", "Priority", "1", "Async", "true")
	two := c.event("VarSet", "Variable", "TESTVAR").Get("Channel")
	if r := c.do("Getvar", "Channel", two, "Variable", "TESTVAR"); r.Get("Value") != "testvalue" {
		t.Errorf("Getvar channel: %v", r)
	}
	if r := c.do("Getvar", "Channel", two, "Variable", "CHANNEL(state)"); r.Get("Value") != "Up" {
		t.Errorf("Getvar function: %v", r)
	}
	r = c.do("Setvar", "Channel", two, "Variable", "NEWVAR", "Value", "set by ami")
	if r.Get("Message") != "Variable Set" {
		t.Errorf("Setvar: %v", r)
	}
	vs := c.event("VarSet", "Variable", "NEWVAR")
	if vs.Get("Value") != "set by ami" || vs.Get("Channel") != two {
		t.Errorf("VarSet: %v", vs)
	}
	if r := c.do("Getvar", "Channel", two, "Variable", "NEWVAR"); r.Get("Value") != "set by ami" {
		t.Errorf("Getvar after Setvar: %v", r)
	}
	if r := c.do("Setvar", "Channel", "nosuch", "Variable", "X", "Value", "1"); r.Get("Message") != "No such channel" {
		t.Errorf("Setvar no such channel: %v", r)
	}
	if r := c.do("Getvar", "Channel", "nosuch", "Variable", "X"); r.Get("Message") != "No such channel" {
		t.Errorf("Getvar no such channel: %v", r)
	}
	c.list("Hangup", "Channel", "/^Local/")
	waitIdle(t, srv)
}

// AbsoluteTimeout as absolutetimeout.txt: "Timeout Set", then the channel is
// asked to hang up when it fires.
func TestAbsoluteTimeout(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	c.do("Originate", "Channel", "Local/2000@default", "Context", "default", "Exten", "2000", "Priority", "1", "Async", "true")
	two := c.event("VarSet", "Variable", "TESTVAR").Get("Channel")
	r := c.do("AbsoluteTimeout", "Channel", two, "Timeout", "1")
	checkKeys(t, r, "Response", "ActionID", "Message")
	if r.Get("Message") != "Timeout Set" {
		t.Errorf("AbsoluteTimeout: %v", r)
	}
	c.event("SoftHangupRequest", "Channel", two)
	c.event("Hangup", "Channel", two)
	if r := c.do("AbsoluteTimeout", "Channel", "Local/nosuch@default-00000000;1", "Timeout", "2"); r.Get("Message") != "No such channel" {
		t.Errorf("AbsoluteTimeout no such channel: %v", r)
	}
	if r := c.do("AbsoluteTimeout"); r.Get("Message") != "No channel specified" {
		t.Errorf("AbsoluteTimeout no channel: %v", r)
	}
	waitIdle(t, srv)
}

// channelvars of manager.conf add ChanVariable lines to the snapshot block.
func TestChanVariable(t *testing.T) {
	srv := start(t, amitest.ManagerConf(strings.Replace(amitest.DefaultManagerConf,
		"[general]\n", "[general]\nchannelvars = TESTVAR,CHANNEL(state)\n", 1)))
	c := dial(t, srv)
	c.do("Originate", "Channel", "Local/2000@default", "Context", "default", "Exten", "600", "Priority", "1", "Async", "true")
	vs := c.event("VarSet", "Variable", "TESTVAR")
	checkKeys(t, vs, with("ChanVariable", "ChanVariable", "Variable", "Value")...)
	if got := vs.Values("ChanVariable"); strings.Join(got, "|") != "TESTVAR=testvalue|CHANNEL(state)=Up" {
		t.Errorf("ChanVariable: %q", got)
	}
	c.list("Hangup", "Channel", "/^Local/")
	waitIdle(t, srv)
}

// The CLI commands: core show channels prints command.txt's empty table.
func TestCLI(t *testing.T) {
	srv := start(t)
	run := func(line string) string { return cliOut(t, srv, line) }
	want := "Channel                                                          Location                         State   Application(Data)             \n" +
		"0 active channels\n0 active calls\n0 calls processed\n"
	if got := run("core show channels"); got != want {
		t.Errorf("core show channels:\n%q\nwant\n%q", got, want)
	}
	if got := run("core show channels concise"); got != "" {
		t.Errorf("concise: %q", got)
	}
	if got := run("dialplan show default"); !strings.Contains(got, "[ Context 'default' created by 'pbx_config' ]") {
		t.Errorf("dialplan show:\n%s", got)
	}
	if got := run("dialplan reload"); got != "Dialplan reloaded.\n" {
		t.Errorf("dialplan reload: %q", got)
	}
	if got := run("sim show phones"); !strings.Contains(got, "4 phones") {
		t.Errorf("sim show phones:\n%s", got)
	}
	if got := run("core show channel nosuch"); got != "nosuch is not a known channel\n" {
		t.Errorf("core show channel: %q", got)
	}
	if got := run("channel request hangup nosuch"); got != "nosuch is not a known channel\n" {
		t.Errorf("channel request hangup: %q", got)
	}

	c := dial(t, srv)
	c.do("Originate", "Channel", "Local/2000@default", "Context", "default", "Exten", "600", "Priority", "1")
	c.event("Newexten", "Application", "Wait")
	got := run("core show channels")
	if !strings.Contains(got, "2 active channels\n1 active call\n1 call processed\n") || !strings.Contains(got, "2000@default:3") {
		t.Errorf("core show channels with a call:\n%s", got)
	}
	if got := run("core show channel " + c.event("Newexten", "Application", "Wait").Get("Channel")); !strings.Contains(got, "TESTVAR=testvalue") {
		t.Errorf("core show channel:\n%s", got)
	}
	cs := c.do("CoreStatus")
	if cs.Get("CoreCurrentCalls") != "1" {
		t.Errorf("CoreStatus: %v", cs)
	}
	run("channel request hangup all")
	waitIdle(t, srv)
}

// The dialplan reloads from the config directory, atomically.
func TestDialplanReload(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	if r := c.do("Originate", "Channel", "Local/600@default", "Context", "default", "Exten", "4000", "Priority", "1"); r.Get("Message") != "Extension does not exist." {
		t.Fatalf("before reload: %v", r)
	}
	conf := amitest.DefaultExtensionsConf + "\n[default]\nexten => 4000,1,Answer()\n same => n,Hangup()\n"
	if err := os.WriteFile(filepath.Join(srv.Dir, "extensions.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := c.do("Reload", "Module", "pbx_config"); r.Get("Response") != "Success" {
		t.Fatalf("Reload: %v", r)
	}
	if r := c.do("Originate", "Channel", "Sim/101", "Context", "default", "Exten", "4000", "Priority", "1"); r.Get("Response") != "Success" {
		t.Fatalf("after reload: %v", r)
	}
	waitIdle(t, srv)
}

// The transcripts that replay against Asterism: originate-bad.txt and
// status-no-channels.txt.
func TestGolden(t *testing.T) {
	skipEv := transcript.SkipEvents("SuccessfulAuth")
	for _, name := range []string{"originate-bad", "status-no-channels"} {
		t.Run(name, func(t *testing.T) {
			tr, err := transcript.ParseFile(filepath.Join(refDir, name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			srv := start(t, amitest.ConfigDir(filepath.Join(refDir, "etc")), amitest.SystemName("refast"))
			transcript.Replay(t, tr, func() (net.Conn, error) { return net.Dial("tcp", srv.Addr) }, transcript.Options{
				Secrets: map[string]string{"admin": "adminpw"},
				Order:   transcript.EventsBetweenResponses,
				Skip:    skipEv,
			})
			waitIdle(t, srv)
		})
	}
}

// TestOriginateAnswerThenHangupIsSuccess pins a race found by amibench's
// originate run: when Local's ;2 answers and hangs up at once (the bench
// context: Answer, Hangup), the answer queued on ;1 before the hangup
// still counts, as in Asterisk, so every OriginateResponse is Success.
func TestOriginateAnswerThenHangupIsSuccess(t *testing.T) {
	srv := start(t, amitest.ExtensionsConf(amitest.DefaultExtensionsConf+`
[bench]
exten => 200,1,Answer()
 same => n,Hangup()
exten => 201,1,NoOp(bench)
 same => n,Hangup()
`))
	c := dial(t, srv)
	const n = 50
	ids := map[string]bool{}
	for range n {
		r := c.do("Originate", "Channel", "Local/200@bench", "Context", "bench", "Exten", "201", "Priority", "1", "Async", "true")
		ids[r.ActionID()] = true
	}
	for got := 0; got < n; got++ {
		ev := c.wait(func(m *ami.Message) bool { return m.Get("Event") == "OriginateResponse" && ids[m.ActionID()] })
		if ev.Get("Response") != "Success" || ev.Get("Reason") != "4" {
			t.Fatalf("OriginateResponse %d: %v", got, ev)
		}
	}
	waitIdle(t, srv)
}
