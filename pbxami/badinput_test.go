package pbxami_test

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
)

// badInputSim adds a phone that answers and hangs up 30 ms later, so that
// actions on it race with its hangup.
const badInputSim = amitest.DefaultSimConf + `
[104]
answer = 0
hangupafter = 30ms
`

// settled waits until the PBX has no channel, no Originate in flight and
// no more goroutines than base: the bad input left nothing behind. It is a
// wait with a generous deadline, not a timing assertion.
func settled(t *testing.T, srv *amitest.Server, base int) {
	t.Helper()
	srv.PBX.Adapter.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for srv.PBX.Core.Count() != 0 || runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d channels and %d goroutines left (baseline %d):\n%s",
				srv.PBX.Core.Count(), runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// baseline starts a server with the extra phone, logs in, and returns the
// connection and the goroutine count once the session is up.
func baseline(t *testing.T) (*amitest.Server, *conn, int) {
	t.Helper()
	srv := start(t, amitest.SimConf(badInputSim))
	c := dial(t, srv)
	c.do("Ping") // the session's goroutines are all running now
	return srv, c, runtime.NumGoroutine()
}

// raw writes block (without its closing blank line) as it is and returns
// the response carrying id.
func (c *conn) raw(block, id string) *ami.Message {
	c.t.Helper()
	if _, err := c.c.Write([]byte(block + "\r\n")); err != nil {
		c.t.Fatal(err)
	}
	return c.wait(func(m *ami.Message) bool { return m.Get("Response") != "" && m.ActionID() == id })
}

// expect fails unless r is the response resp with message msg.
func expect(t *testing.T, what string, r *ami.Message, resp, msg string) {
	t.Helper()
	if r.Get("Response") != resp || r.Get("Message") != msg {
		t.Errorf("%s: got %s %q, want %s %q", what, r.Get("Response"), r.Get("Message"), resp, msg)
	}
}

// Originate with a dial string that names no usable channel gets
// action_originate's errors (originate-bad.txt) and leaves nothing.
func TestBadInputOriginateChannel(t *testing.T) {
	srv, c, base := baseline(t)
	ext := []string{"Context", "default", "Exten", "600", "Priority", "1", "Timeout", "5000"}
	// The events of a Local channel named by a 1000-byte dial string have
	// lines longer than this test's reader takes: do without events here.
	if r := c.do("Events", "EventMask", "off"); r.Get("Events") != "Off" {
		t.Fatalf("Events off: %v", r)
	}
	for _, tc := range []struct{ channel, resp, msg string }{
		{"NoSuchTech/123", "Error", "Originate failed"},
		{"Local/", "Error", "Originate failed"},
		{"Sim/", "Error", "Originate failed"},
		{"Sim/999", "Error", "Originate failed"},
		{"/600", "Error", "Originate failed"},
		{"nonsense", "Error", "Invalid channel"},
		{"Sim/" + strings.Repeat("x", 996), "Error", "Originate failed"},
		{"Local/" + strings.Repeat("9", 990) + "@default", "Error", "Originate failed"},
		{"Local/99999@default", "Error", "Originate failed"},
		{"Local/600@nosuchcontext", "Error", "Originate failed"},
		{"Sim/102", "Error", "Originate failed"}, // busy
	} {
		r := c.do("Originate", append([]string{"Channel", tc.channel}, ext...)...)
		expect(t, "Originate "+tc.channel[:min(len(tc.channel), 30)], r, tc.resp, tc.msg)
	}

	if r := c.do("Events", "EventMask", "call"); r.Get("Events") != "On" {
		t.Fatalf("Events call: %v", r)
	}

	// Async: queued, then a failed OriginateResponse (Reason 0, no
	// Uniqueid), as for NoSuchTech in originate-bad.txt.
	for _, ch := range []string{"NoSuchTech/123", "Local/", "Sim/999"} {
		id := c.send("Originate", append([]string{"Channel", ch, "Async", "true"}, ext...)...)
		r := c.wait(func(m *ami.Message) bool {
			return m.Get("Response") != "" && m.ActionID() == id && m.Get("Event") == ""
		})
		expect(t, "async Originate "+ch, r, "Success", "Originate successfully queued")
		ev := c.wait(func(m *ami.Message) bool { return m.Get("Event") == "OriginateResponse" && m.ActionID() == id })
		if ev.Get("Response") != "Failure" || ev.Get("Reason") != "0" || ev.Get("Uniqueid") != "<unknown>" || ev.Get("Channel") != ch {
			t.Errorf("OriginateResponse for %s: %v", ch, ev)
		}
	}

	// A bare CR inside a value stays in it (only CRLF or LF ends a line),
	// so the phone "10\r0" does not exist. A LF ends the header early: the
	// rest, a line without a colon, is ignored.
	r := c.raw("Action: Originate\r\nActionID: cr\r\nChannel: Sim/10\r0\r\nContext: default\r\nExten: 600\r\nPriority: 1\r\n", "cr")
	expect(t, "Channel with CR", r, "Error", "Originate failed")
	r = c.raw("Action: Originate\r\nActionID: lf\r\nChannel: Sim/1\n00\r\nContext: default\r\nExten: 600\r\nPriority: 1\r\n", "lf")
	expect(t, "Channel with LF", r, "Error", "Originate failed")
	// A line of more than 1024 bytes: the codec's error, the session lives.
	r = c.raw("Action: Originate\r\nActionID: long\r\nChannel: Sim/"+strings.Repeat("x", 1100)+"\r\n", "long")
	expect(t, "1100-byte Channel", r, "Error", "Failed to parse message: line too long")
	expect(t, "Ping after", c.do("Ping"), "Success", "")
	settled(t, srv, base)
}

// Originate to a place that does not exist, or with the dialplan half
// given, is refused before any channel is made.
func TestBadInputOriginateDestination(t *testing.T) {
	srv, c, base := baseline(t)
	for _, tc := range []struct {
		kv  []string
		msg string
	}{
		{[]string{"Context", "nosuch", "Exten", "600", "Priority", "1"}, "Extension does not exist."},
		{[]string{"Context", "default", "Exten", "99999", "Priority", "1"}, "Extension does not exist."},
		{[]string{"Context", "default", "Exten", "600", "Priority", "7"}, "Extension does not exist."},
		{[]string{"Context", "default", "Exten", "600", "Priority", "notanumber"}, "Invalid priority"},
		{[]string{"Context", "default", "Exten", "600", "Priority", "1", "Timeout", "soon"}, "Invalid timeout"},
		{[]string{"Context", "default", "Exten", "600"}, "Originate with 'Exten' requires 'Context' and 'Priority'"},
		{[]string{"Exten", "600", "Priority", "1"}, "Originate with 'Exten' requires 'Context' and 'Priority'"},
		{nil, "Originate with 'Exten' requires 'Context' and 'Priority'"},
	} {
		r := c.do("Originate", append([]string{"Channel", "Sim/100"}, tc.kv...)...)
		expect(t, fmt.Sprint("Originate ", tc.kv), r, "Error", tc.msg)
	}
	expect(t, "Originate without Channel", c.do("Originate", "Context", "default", "Exten", "600", "Priority", "1"),
		"Error", "Channel not specified")
	expect(t, "Originate with a long ChannelId", c.do("Originate", "Channel", "Sim/100", "Application", "Wait", "Data", "1",
		"ChannelId", strings.Repeat("u", 150)), "Error", "Uniqueid length exceeds maximum of 149")
	settled(t, srv, base)
}

// Asterisk's pbx_outgoing_exec answers the call first and only then looks
// the application up; an unknown one is logged, the channel hung up, and
// the Originate is a success.
func TestBadInputOriginateUnknownApp(t *testing.T) {
	srv, c, base := baseline(t)
	expect(t, "sync", c.do("Originate", "Channel", "Sim/100", "Application", "NoSuchApp"), "Success", "Originate successfully queued")
	id := c.send("Originate", "Channel", "Sim/100", "Application", "NoSuchApp", "Async", "true")
	ev := c.wait(func(m *ami.Message) bool { return m.Get("Event") == "OriginateResponse" && m.ActionID() == id })
	if ev.Get("Response") != "Success" || ev.Get("Reason") != "4" {
		t.Errorf("OriginateResponse: %v", ev)
	}
	settled(t, srv, base)
}

// varHeaders returns n "Variable: Vi=value-i" pairs.
func varHeaders(n int) []string {
	kv := make([]string, 0, 2*n)
	for i := range n {
		kv = append(kv, "Variable", fmt.Sprintf("V%d=value-%d", i, i))
	}
	return kv
}

// getvar reads a channel variable over AMI.
func (c *conn) getvar(channel, name string) string {
	c.t.Helper()
	r := c.do("Getvar", "Channel", channel, "Variable", name)
	if r.Get("Response") != "Success" {
		c.t.Errorf("Getvar %s %s: %v", channel, name, r)
	}
	return r.Get("Value")
}

// Variable lists: as many Variable headers as the codec takes are all set;
// a longer list is refused whole by the codec, before any channel exists;
// one header packed with pairs up to the line limit works too.
func TestBadInputOriginateVariables(t *testing.T) {
	srv, c, base := baseline(t)
	call := []string{"Channel", "Sim/101", "Context", "default", "Exten", "2000", "Priority", "1"}

	// 6 headers of the action, ActionID and 120 Variables: 127 < 128.
	expect(t, "120 Variable headers", c.do("Originate", append(call, varHeaders(120)...)...), "Success", "Originate successfully queued")
	name := c.event("Newexten", "Application", "Wait").Get("Channel")
	for _, i := range []int{0, 64, 119} {
		if got, want := c.getvar(name, "V"+strconv.Itoa(i)), "value-"+strconv.Itoa(i); got != want {
			t.Errorf("V%d = %q, want %q", i, got, want)
		}
	}
	c.do("Hangup", "Channel", name)

	// Thousands of headers: the codec's error, with the ActionID since it
	// came first (malformed-many-headers.txt), and no call at all.
	var b strings.Builder
	b.WriteString("Action: Originate\r\nActionID: many\r\nChannel: Sim/101\r\nContext: default\r\nExten: 2000\r\nPriority: 1\r\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "Variable: W%d=%d\r\n", i, i)
	}
	expect(t, "3000 Variable headers", c.raw(b.String(), "many"), "Error", "Too many lines in message or allocation failure")

	// One header holding as many comma-separated pairs as fit in a line,
	// with empty and malformed pairs among them.
	var pairs []string
	for i := 0; len(strings.Join(pairs, ",")) < 980; i++ {
		pairs = append(pairs, "P"+strconv.Itoa(i)+"=x")
	}
	packed := strings.Join(pairs, ",") + ",,=nameless,novalue"
	expect(t, "packed Variable", c.do("Originate", append(call, "Variable", packed)...), "Success", "Originate successfully queued")
	first := name
	name = c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == "Newexten" && m.Get("Application") == "Wait" && m.Get("Channel") != first
	}).Get("Channel")
	if got := c.getvar(name, "P0"); got != "x" {
		t.Errorf("P0 = %q", got)
	}
	c.do("Hangup", "Channel", name)
	settled(t, srv, base)
}

// Actions on channels that do not exist get Asterisk's errors
// (hangup.txt, redirect.txt, status-no-channels.txt, getvar-setvar.txt,
// absolutetimeout.txt), and so do the CLI commands.
func TestBadInputNoSuchChannel(t *testing.T) {
	srv, c, base := baseline(t)
	const nosuch = "Local/nosuch@default-00000000;1"
	for _, tc := range []struct {
		action string
		kv     []string
		msg    string
	}{
		{"Hangup", []string{"Channel", nosuch}, "No such channel"},
		{"Hangup", nil, "No channel specified"},
		{"Redirect", []string{"Channel", nosuch, "Context", "default", "Exten", "600", "Priority", "1"}, "Channel does not exist: " + nosuch},
		{"Redirect", []string{"Channel", nosuch, "Context", "default"}, "Exten not specified"},
		{"Status", []string{"Channel", nosuch}, "No such channel"},
		{"Getvar", []string{"Channel", nosuch, "Variable", "X"}, "No such channel"},
		{"Setvar", []string{"Channel", nosuch, "Variable", "X", "Value", "1"}, "No such channel"},
		{"AbsoluteTimeout", []string{"Channel", nosuch, "Timeout", "5"}, "No such channel"},
		{"AbsoluteTimeout", []string{"Timeout", "5"}, "No channel specified"},
		{"ShowDialPlan", []string{"Context", "nosuch"}, "Did not find context nosuch"},
	} {
		expect(t, fmt.Sprint(tc.action, tc.kv), c.do(tc.action, tc.kv...), "Error", tc.msg)
	}
	// A regex that matches nothing is still a (empty) list.
	resp, items := c.list("Hangup", "Channel", "/^nosuch/")
	if resp.Get("Message") != "Channels hung up will follow" || len(items) != 1 || items[0].Get("ListItems") != "0" {
		t.Errorf("Hangup /^nosuch/: %v %v", resp, items)
	}
	for _, line := range []string{"core show channel " + nosuch, "channel request hangup " + nosuch} {
		if got := cliOut(t, srv, line); got != nosuch+" is not a known channel\n" {
			t.Errorf("%s: %q", line, got)
		}
	}
	if got := cliOut(t, srv, "dialplan show nosuch"); got != "There is no existence of 'nosuch' context\n" {
		t.Errorf("dialplan show nosuch: %q", got)
	}
	settled(t, srv, base)
}

// Redirect of a channel that is hanging up: whichever comes first, the
// answer is one of action_redirect's, and the channel still ends — a
// redirect must not revive a channel whose hangup was requested.
func TestBadInputRedirectWhileHangingUp(t *testing.T) {
	srv, c, base := baseline(t)
	okAnswer := func(r *ami.Message, name string) bool {
		switch r.Get("Message") {
		case "Redirect successful":
			return r.Get("Response") == "Success"
		case "Channel does not exist: " + name, "Redirect failed, channel not up.":
			return r.Get("Response") == "Error"
		}
		return false
	}
	redirect := "Context: default\r\nExten: 2000\r\nPriority: 1\r\n"

	// Our own hangup, pipelined with the Redirect in one write.
	for i := range 10 {
		expect(t, "Originate", c.do("Originate", "Channel", "Sim/101", "Context", "default", "Exten", "2000", "Priority", "1"),
			"Success", "Originate successfully queued")
		name := c.wait(func(m *ami.Message) bool {
			return m.Get("Event") == "Newexten" && m.Get("Application") == "Wait" && m.Get("Exten") == "2000" &&
				m.Get("Priority") == "3" && srv.PBX.Core.Count() > 0 && chanLive(srv, m.Get("Channel"))
		}).Get("Channel")
		hid, rid := fmt.Sprintf("h%d", i), fmt.Sprintf("r%d", i)
		block := "Action: Hangup\r\nActionID: " + hid + "\r\nChannel: " + name + "\r\n\r\n" +
			"Action: Redirect\r\nActionID: " + rid + "\r\nChannel: " + name + "\r\n" + redirect
		r := c.raw(block, rid)
		expect(t, "Hangup", c.wait(func(m *ami.Message) bool { return m.Get("Response") != "" && m.ActionID() == hid }),
			"Success", "Channel Hungup")
		if !okAnswer(r, name) {
			t.Errorf("Redirect after Hangup: %v", r)
		}
		waitIdle(t, srv)
	}

	// The far end hangs up 30 ms after answering, while the Redirect runs.
	for i := range 10 {
		id := c.send("Originate", "Channel", "Sim/104", "Context", "default", "Exten", "2000", "Priority", "1", "Async", "true")
		ev := c.wait(func(m *ami.Message) bool { return m.Get("Event") == "OriginateResponse" && m.ActionID() == id })
		name := ev.Get("Channel")
		rid := fmt.Sprintf("far%d", i)
		r := c.raw("Action: Redirect\r\nActionID: "+rid+"\r\nChannel: "+name+"\r\n"+redirect, rid)
		if !okAnswer(r, name) {
			t.Errorf("Redirect during the far end's hangup: %v", r)
		}
		waitIdle(t, srv)
	}
	settled(t, srv, base)
}

// chanLive reports whether the core still has a channel called name.
func chanLive(srv *amitest.Server, name string) bool {
	_, ok := srv.PBX.Core.Channel(name)
	return ok
}

// One Variable header is split as AST_STANDARD_APP_ARGS splits it into at
// most 64 items (man_do_variable_value): the 64th holds the rest of the
// line, unsplit; commas inside parentheses or quotes do not split.
func TestBadInputOriginateVariableSplit(t *testing.T) {
	srv, c, base := baseline(t)
	pairs := make([]string, 100)
	for i := range pairs {
		pairs[i] = "P" + strconv.Itoa(i) + "=x"
	}
	expect(t, "Originate", c.do("Originate", "Channel", "Sim/101", "Context", "default", "Exten", "2000", "Priority", "1",
		"Variable", strings.Join(pairs, ","), "Variable", `A=f(1,2),B="c,d"`), "Success", "Originate successfully queued")
	name := c.event("Newexten", "Application", "Wait").Get("Channel")
	for v, want := range map[string]string{
		"P0": "x", "P62": "x", "P63": "x," + strings.Join(pairs[64:], ","), "P64": "", "A": "f(1,2)", "B": "c,d",
	} {
		if got := c.getvar(name, v); got != want {
			t.Errorf("%s = %q, want %q", v, got, want)
		}
	}
	c.do("Hangup", "Channel", name)
	settled(t, srv, base)
}
