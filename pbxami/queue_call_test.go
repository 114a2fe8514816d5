package pbxami_test

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
)

// index returns the position in ms of the first message ok accepts, or -1.
func index(ms []*ami.Message, ok func(*ami.Message) bool) int {
	for i, m := range ms {
		if ok(m) {
			return i
		}
	}
	return -1
}

func isEv(name, key, value string) func(*ami.Message) bool {
	return func(m *ami.Message) bool { return m.Get("Event") == name && (key == "" || m.Get(key) == value) }
}

func memberOf(items []*ami.Message, iface string) *ami.Message {
	for _, m := range items {
		if m.Get("Event") == "QueueMember" && m.Get("Location") == iface {
			return m
		}
	}
	return nil
}

var destKeys = func() []string {
	var out []string
	for _, k := range snapshotKeys {
		out = append(out, "Dest"+k)
	}
	return out
}()

func agentKeys(extra ...string) []string {
	k := with(destKeys...)
	return append(append(k, "Queue", "Interface", "MemberName"), extra...)
}

// TestQueueRingallCall follows one answered ringall call: every member
// rung at once, the first to answer connected and the others cancelled,
// the caller leaving the queue before the bridge, the member in call
// during it, and the statistics after, with the events' headers in
// Asterisk's order.
func TestQueueRingallCall(t *testing.T) {
	srv := startQueueServer(t, "[q]\nstrategy = ringall\ntimeout = 10\nmember => Sim/a,0,Alice\nmember => Sim/na\nmember => Sim/nb\n")
	c := dial(t, srv)
	callQueue(t, c, "700")
	connect := c.event("AgentConnect", "", "")
	caller := connect.Get("Channel")
	_, items := c.list("QueueStatus", "Queue", "q")
	if m := memberOf(items, "Sim/a"); m == nil || m.Get("InCall") != "1" || m.Get("Status") != "2" {
		t.Errorf("QueueStatus during the call: Sim/a = %v", m)
	}
	c.do("Hangup", "Channel", caller)
	complete := c.event("AgentComplete", "Channel", caller)
	if complete.Get("Reason") != "caller" || complete.Get("Interface") != "Sim/a" || complete.Get("MemberName") != "Alice" {
		t.Errorf("AgentComplete: %v", complete)
	}
	// As in Asterisk, the call's end is reported before the bridge is
	// left.
	c.event("BridgeDestroy", "", "")
	for _, m := range c.seen {
		if m == complete {
			break
		}
		if m.Get("Event") == "BridgeLeave" && m.Get("Channel") == caller {
			t.Errorf("BridgeLeave of %s came before AgentComplete", caller)
		}
	}
	waitIdle(t, srv)
	c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == "QueueMemberStatus" && m.Get("Interface") == "Sim/a" && m.Get("Status") == "1"
	})
	ms := c.seen
	var called []string
	for _, m := range ms {
		if m.Get("Event") == "AgentCalled" {
			called = append(called, m.Get("Interface"))
		}
	}
	if strings.Join(called, ",") != "Sim/a,Sim/na,Sim/nb" {
		t.Errorf("AgentCalled for %v, want all three at once", called)
	}
	join := index(ms, isEv("QueueCallerJoin", "", ""))
	lastCalled := index(ms, isEv("AgentCalled", "Interface", "Sim/nb"))
	answer := index(ms, func(m *ami.Message) bool {
		return m.Get("Event") == "DialEnd" && m.Get("DialStatus") == "ANSWER" && m.Get("Channel") == caller
	})
	leave := index(ms, isEv("QueueCallerLeave", "", ""))
	conn := index(ms, isEv("AgentConnect", "", ""))
	enter := index(ms, isEv("BridgeEnter", "Channel", caller))
	if !(join >= 0 && join < lastCalled && lastCalled < answer && answer < leave && leave < conn && conn < enter) {
		t.Errorf("order: join %d, called %d, answer %d, leave %d, connect %d, bridge %d", join, lastCalled, answer, leave, conn, enter)
	}
	if ms[answer].Get("DestChannel") == "" || !strings.HasPrefix(ms[answer].Get("DestChannel"), "Sim/a-") {
		t.Errorf("DialEnd ANSWER for %s", ms[answer].Get("DestChannel"))
	}
	for _, iface := range []string{"Sim/na", "Sim/nb"} {
		if index(ms, func(m *ami.Message) bool {
			return m.Get("Event") == "DialEnd" && m.Get("DialStatus") == "CANCEL" && strings.HasPrefix(m.Get("DestChannel"), iface+"-")
		}) < 0 {
			t.Errorf("no DialEnd CANCEL for %s", iface)
		}
	}
	checkKeys(t, ms[join], with("Queue", "Position", "Count")...)
	checkKeys(t, ms[leave], with("Queue", "Position", "Count")...)
	checkKeys(t, ms[lastCalled], agentKeys()...)
	checkKeys(t, ms[conn], agentKeys("HoldTime", "RingTime")...)
	checkKeys(t, complete, agentKeys("HoldTime", "TalkTime", "Reason")...)
	if ms[join].Get("Privilege") != "agent,all" || ms[join].Get("Position") != "1" || ms[join].Get("Count") != "1" {
		t.Errorf("QueueCallerJoin: %v", ms[join])
	}
	// The member's phone rang (6), was in use (2) and is free again (1).
	var st []string
	for _, m := range ms {
		if m.Get("Event") == "QueueMemberStatus" && m.Get("Interface") == "Sim/a" {
			st = append(st, m.Get("Status"))
		}
	}
	if strings.Join(st, ",") != "6,2,1" {
		t.Errorf("QueueMemberStatus of Sim/a: %v, want 6,2,1", st)
	}
	if m := index(ms, isEv("QueueMemberStatus", "", "")); m >= 0 {
		checkKeys(t, ms[m], "Event", "Privilege", "Queue", "MemberName", "Interface", "StateInterface", "Membership", "Penalty",
			"CallsTaken", "LastCall", "LastPause", "LoginTime", "InCall", "Status", "Paused", "PausedReason", "Ringinuse", "Wrapuptime")
	}
	_, items = c.list("QueueStatus", "Queue", "q")
	a := memberOf(items, "Sim/a")
	if a == nil || a.Get("CallsTaken") != "1" || a.Get("LastCall") == "0" || a.Get("InCall") != "0" {
		t.Errorf("after the call: %v", a)
	}
	if items[0].Get("Completed") != "1" || items[0].Get("Abandoned") != "0" {
		t.Errorf("QueueParams after the call: %v", items[0])
	}
}

// TestQueuePenaltyTiers checks that ringall rings only the lowest penalty
// tier and goes on to the next within the same round when the whole tier
// failed.
func TestQueuePenaltyTiers(t *testing.T) {
	srv := startQueueServer(t, "[q]\nstrategy = ringall\ntimeout = 10\nmember => Sim/busy,0\nmember => Sim/a,1\nmember => Sim/b,2\n")
	c := dial(t, srv)
	callQueue(t, c, "700")
	connect := c.event("AgentConnect", "", "")
	if connect.Get("Interface") != "Sim/a" {
		t.Errorf("connected %s, want Sim/a", connect.Get("Interface"))
	}
	var called []string
	for _, m := range c.seen {
		if m.Get("Event") == "AgentCalled" {
			called = append(called, m.Get("Interface"))
		}
	}
	if strings.Join(called, ",") != "Sim/busy,Sim/a" {
		t.Errorf("rung %v, want Sim/busy then Sim/a", called)
	}
	rna := c.event("AgentRingNoAnswer", "Interface", "Sim/busy")
	checkKeys(t, rna, agentKeys("RingTime")...)
	if i := index(c.seen, isEv("DialEnd", "DialStatus", "BUSY")); i < 0 {
		t.Error("no DialEnd BUSY for Sim/busy")
	}
	c.do("Hangup", "Channel", connect.Get("DestChannel"))
	if m := c.event("AgentComplete", "", ""); m.Get("Reason") != "agent" {
		t.Errorf("AgentComplete Reason %q, want agent", m.Get("Reason"))
	}
	waitIdle(t, srv)
}

// TestQueueTimeoutAbandon checks Queue's timeout argument with nobody
// answering: AgentRingNoAnswer for each member rung, then the caller
// abandons (QueueCallerAbandon, QueueCallerLeave) with QUEUESTATUS=TIMEOUT.
func TestQueueTimeoutAbandon(t *testing.T) {
	srv := startQueueServer(t, "[q]\nstrategy = ringall\ntimeout = 15\nretry = 1\nmember => Sim/na\nmember => Sim/nb\n")
	c := dial(t, srv)
	callQueue(t, c, "701")
	done := c.event("UserEvent", "UserEvent", "QueueDone")
	if done.Get("Status") != "TIMEOUT" || done.Get("Abandoned") != "TRUE" {
		t.Errorf("QueueDone: %v", done)
	}
	ms := c.seen
	for _, iface := range []string{"Sim/na", "Sim/nb"} {
		if index(ms, isEv("AgentRingNoAnswer", "Interface", iface)) < 0 {
			t.Errorf("no AgentRingNoAnswer for %s", iface)
		}
	}
	ab := index(ms, isEv("QueueCallerAbandon", "", ""))
	leave := index(ms, isEv("QueueCallerLeave", "", ""))
	if ab < 0 || leave < ab {
		t.Fatalf("abandon %d, leave %d", ab, leave)
	}
	checkKeys(t, ms[ab], with("Queue", "Position", "OriginalPosition", "HoldTime")...)
	if ms[leave].Get("Count") != "0" || ms[ab].Get("OriginalPosition") != "1" {
		t.Errorf("leave %v abandon %v", ms[leave], ms[ab])
	}
	if i := index(ms, isEv("DialEnd", "DialStatus", "NOANSWER")); i < 0 {
		t.Error("no DialEnd NOANSWER")
	}
	_, items := c.list("QueueStatus", "Queue", "q")
	if items[0].Get("Abandoned") != "1" || items[0].Get("Calls") != "0" {
		t.Errorf("QueueParams: %v", items[0])
	}
	waitIdle(t, srv)
}

// TestQueueJoinConditions checks the join refusals: an unknown queue,
// joinempty with every member paused, a full queue; and leavewhenempty
// when the last member is paused while a caller waits.
func TestQueueJoinConditions(t *testing.T) {
	srv := startQueueServer(t, `[q]
strategy = ringall
joinempty = no
leavewhenempty = yes
maxlen = 1
timeout = 1
retry = 1
member => Sim/na
`)
	c := dial(t, srv)
	callQueue(t, c, "702")
	if m := c.event("UserEvent", "UserEvent", "QueueDone"); m.Get("Status") != "UNKNOWN" {
		t.Errorf("unknown queue: %v", m)
	}
	c.do("QueuePause", "Queue", "q", "Interface", "Sim/na", "Paused", "yes")
	mark := len(c.seen)
	callQueue(t, c, "704")
	if m := c.waitNew(mark, isEv("UserEvent", "UserEvent", "QueueDone")); m.Get("Status") != "JOINEMPTY" {
		t.Errorf("joinempty: %v", m)
	}
	if i := index(c.seen, isEv("QueueCallerJoin", "", "")); i >= 0 {
		t.Errorf("a caller joined: %v", c.seen[i])
	}
	waitIdle(t, srv)
	c.do("QueuePause", "Queue", "q", "Interface", "Sim/na", "Paused", "no")
	mark = len(c.seen)
	callQueue(t, c, "704")
	waiting := c.waitNew(mark, isEv("QueueCallerJoin", "", "")).Get("Channel")
	// The queue holds one caller: the next is refused.
	mark2 := len(c.seen)
	callQueue(t, c, "704")
	if m := c.waitNew(mark2, isEv("UserEvent", "UserEvent", "QueueDone")); m.Get("Status") != "FULL" {
		t.Errorf("maxlen: %v", m)
	}
	// Pausing the only member empties the queue: the waiting caller leaves.
	c.do("QueuePause", "Interface", "Sim/na", "Paused", "yes")
	if m := c.waitNew(mark, isEv("UserEvent", "Channel", waiting)); m.Get("Status") != "LEAVEEMPTY" || m.Get("Abandoned") != "TRUE" {
		t.Errorf("leavewhenempty: %v", m)
	}
	waitIdle(t, srv)
}

// TestQueuePositions checks callers' positions: joins in order, a
// caller leaving from the middle, QueueStatus's entries, and QUEUE_PRIO
// putting a caller first.
func TestQueuePositions(t *testing.T) {
	srv := startQueueServer(t, "[q]\nstrategy = ringall\n")
	c := dial(t, srv)
	var chans []string
	for i := 1; i <= 3; i++ {
		mark := len(c.seen)
		callQueue(t, c, "700")
		j := c.waitNew(mark, isEv("QueueCallerJoin", "", ""))
		if j.Get("Position") != itoa(i) || j.Get("Count") != itoa(i) {
			t.Fatalf("caller %d joined at %s of %s", i, j.Get("Position"), j.Get("Count"))
		}
		chans = append(chans, j.Get("Channel"))
	}
	_, items := c.list("QueueStatus", "Queue", "q")
	var entries []string
	for _, m := range items {
		if m.Get("Event") == "QueueEntry" {
			entries = append(entries, m.Get("Position")+"="+m.Get("Channel"))
			checkKeys(t, m, "Event", "Queue", "Position", "Channel", "Uniqueid", "CallerIDNum", "CallerIDName",
				"ConnectedLineNum", "ConnectedLineName", "Wait", "Priority", "ActionID")
		}
	}
	if want := "1=" + chans[0] + " 2=" + chans[1] + " 3=" + chans[2]; strings.Join(entries, " ") != want {
		t.Errorf("entries %v, want %s", entries, want)
	}
	mark := len(c.seen)
	c.do("Hangup", "Channel", chans[1])
	l := c.waitNew(mark, isEv("QueueCallerLeave", "Channel", chans[1]))
	if l.Get("Position") != "2" || l.Get("Count") != "2" {
		t.Errorf("leave: %v", l)
	}
	mark = len(c.seen)
	callQueue(t, c, "705")
	if j := c.waitNew(mark, isEv("QueueCallerJoin", "", "")); j.Get("Position") != "1" || j.Get("Count") != "3" {
		t.Errorf("QUEUE_PRIO=10 joined at %s of %s, want 1 of 3", j.Get("Position"), j.Get("Count"))
	}
	_, items = c.list("QueueStatus", "Queue", "q")
	if e := items[len(items)-2]; e.Get("Channel") != chans[2] || e.Get("Position") != "3" {
		t.Errorf("last entry %v, want %s at 3", e, chans[2])
	}
	c.do("Hangup", "Channel", "/^Local/")
	waitIdle(t, srv)
}

// TestQueueWrapupAndRingInUse checks that a member in wrap-up is not
// rung, and that with ringinuse=no a member busy on another call is
// neither rung nor counted available.
func TestQueueWrapupAndRingInUse(t *testing.T) {
	srv := startQueueServer(t, "[q]\nstrategy = ringall\nwrapuptime = 60\nringinuse = no\ntimeout = 5\nmember => Sim/a\nmember => Sim/slow\n")
	c := dial(t, srv)
	called, connected := oneCall(t, srv, c)
	if connected != "Sim/a" || len(called) != 2 {
		t.Fatalf("first call: rung %v, connected %s", called, connected)
	}
	called, connected = oneCall(t, srv, c)
	if strings.Join(called, ",") != "Sim/slow" || connected != "Sim/slow" {
		t.Errorf("in wrap-up: rung %v, connected %s; want Sim/slow only", called, connected)
	}
	// Sim/slow, also in wrap-up now; a fresh queue state.
	c.do("QueueReset", "Queue", "q")
	mark := len(c.seen)
	r := c.do("Originate", "Channel", "Sim/a", "Application", "Wait", "Data", "30", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatal(r)
	}
	c.waitNew(mark, func(m *ami.Message) bool {
		return m.Get("Event") == "QueueMemberStatus" && m.Get("Interface") == "Sim/a" && m.Get("Status") == "2"
	})
	_, sum := c.list("QueueSummary", "Queue", "q")
	if sum[0].Get("Available") != "1" || sum[0].Get("LoggedIn") != "2" {
		t.Errorf("QueueSummary with Sim/a in use: %v", sum[0])
	}
	called, _ = oneCallKeep(t, srv, c, 1)
	if strings.Join(called, ",") != "Sim/slow" {
		t.Errorf("ringinuse=no: rung %v, want Sim/slow only", called)
	}
	c.do("Hangup", "Channel", "/^Sim/")
	waitIdle(t, srv)
}

// TestQueueMemberApps checks AddQueueMember, PauseQueueMember,
// UnpauseQueueMember and RemoveQueueMember and their status variables.
func TestQueueMemberApps(t *testing.T) {
	srv := startQueueServer(t, "[q]\nmember => Sim/a\n")
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Local/703@default", "Application", "Wait", "Data", "5", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatal(r)
	}
	want := []string{"ADDED", "MEMBERALREADY", "PAUSED", "NOTFOUND", "NOTDYNAMIC", "REMOVED", "NOSUCHQUEUE"}
	var got []string
	c.wait(func(m *ami.Message) bool {
		if m.Get("Event") == "UserEvent" && m.Get("UserEvent") == "QueueApp" {
			got = append(got, m.Get("Status"))
		}
		return len(got) == len(want)
	})
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if p := c.event("QueueMemberPause", "Interface", "Sim/d"); p.Get("PausedReason") != "tea" || p.Get("Paused") != "1" {
		t.Errorf("QueueMemberPause: %v", p)
	}
	c.event("QueueMemberRemoved", "Interface", "Sim/d")
	waitIdle(t, srv)
}

// TestQueueBadInput checks the answers to actions naming queues and
// members that don't exist, static members, missing headers and
// malformed interfaces.
func TestQueueBadInput(t *testing.T) {
	srv := startQueueServer(t, "[q]\nmember => Sim/a\n")
	c := dial(t, srv)
	cases := []struct {
		action string
		kv     []string
		resp   string
		msg    string
	}{
		{"QueueAdd", []string{"Queue", "nosuch", "Interface", "Sim/x"}, "Error", "Unable to add interface to queue: No such queue"},
		{"QueueAdd", []string{"Interface", "Sim/x"}, "Error", "'Queue' not specified."},
		{"QueueAdd", []string{"Queue", "q"}, "Error", "'Interface' not specified."},
		{"QueueAdd", []string{"Queue", "q", "Interface", "Sim/a"}, "Error", "Unable to add interface: Already there"},
		{"QueueAdd", []string{"Queue", "q", "Interface", "sim/A"}, "Error", "Unable to add interface: Already there"},
		{"QueueAdd", []string{"Queue", "q", "Interface", "nochannel"}, "Error", "Unable to add interface to queue: Invalid interface"},
		{"QueueAdd", []string{"Queue", "q", "Interface", "Sim/has space"}, "Error", "Unable to add interface to queue: Invalid interface"},
		{"QueueRemove", []string{"Queue", "q", "Interface", "Sim/a"}, "Error", "Member not dynamic"},
		{"QueueRemove", []string{"Queue", "q", "Interface", "Sim/zz"}, "Error", "Unable to remove interface: Not there"},
		{"QueueRemove", []string{"Queue", "nosuch", "Interface", "Sim/a"}, "Error", "Unable to remove interface from queue: No such queue"},
		{"QueueRemove", []string{"Queue", "q"}, "Error", "Need 'Queue' and 'Interface' parameters."},
		{"QueuePause", []string{"Interface", "Sim/zz", "Paused", "true"}, "Error", "Interface not found"},
		{"QueuePause", []string{"Queue", "nosuch", "Interface", "Sim/a", "Paused", "true"}, "Error", "Interface not found"},
		{"QueuePause", []string{"Interface", "Sim/a"}, "Error", "Need 'Interface' and 'Paused' parameters."},
		{"QueuePenalty", []string{"Interface", "Sim/zz", "Penalty", "3"}, "Error", "Invalid interface, queuename or penalty"},
		{"QueuePenalty", []string{"Interface", "Sim/a", "Penalty", "-2"}, "Error", "Invalid interface, queuename or penalty"},
		{"QueuePenalty", []string{"Interface", "Sim/a"}, "Error", "Need 'Interface' and 'Penalty' parameters."},
		// Asterisk's clear_stats succeeds whatever the name.
		{"QueueReset", []string{"Queue", "nosuch"}, "Success", "Queue stats reset successfully"},
		{"QueueReset", []string{"Queue", "q"}, "Success", "Queue stats reset successfully"},
		{"QueueAdd", []string{"Queue", "q", "Interface", "Sim/n", "Penalty", "abc"}, "Success", "Added interface to queue"},
		{"QueueAdd", []string{"Queue", "q", "Interface", "Sim/m", "Penalty", "-5"}, "Success", "Added interface to queue"},
	}
	for _, tc := range cases {
		r := c.do(tc.action, tc.kv...)
		if r.Get("Response") != tc.resp || r.Get("Message") != tc.msg {
			t.Errorf("%s %v: %s %q, want %s %q", tc.action, tc.kv, r.Get("Response"), r.Get("Message"), tc.resp, tc.msg)
		}
	}
	_, items := c.list("QueueStatus", "Queue", "q", "Member", "Sim/m")
	if len(items) != 3 || items[1].Get("Penalty") != "0" {
		t.Errorf("Penalty -5 → %v", items)
	}
	if _, items := c.list("QueueStatus", "Queue", "nosuch"); len(items) != 1 || items[0].Get("ListItems") != "0" {
		t.Errorf("QueueStatus nosuch: %v", items)
	}
	if _, items := c.list("QueueStatus", "Member", "nobody"); len(items) != 2 || items[1].Get("ListItems") != "1" {
		t.Errorf("QueueStatus Member nobody: %v", items)
	}
	show := command(t, c, "queue show q")
	// (The AMI reader trims the Output lines' leading blanks.)
	if !strings.HasPrefix(show, "q has 0 calls (max unlimited) in 'ringall' strategy (0s holdtime, 0s talktime), W:0, C:0, A:0, SL:0.0%, SL2:0.0% within 0s\nMembers: \nSim/a (ringinuse enabled) (Not in use) has taken no calls yet (login was ") ||
		!strings.Contains(show, "\nSim/m (ringinuse enabled) (dynamic) (Not in use) has taken no calls yet (login was ") ||
		!strings.HasSuffix(show, "\nNo Callers") {
		t.Errorf("queue show q:\n%s", show)
	}
	out := command(t, c, "queue show nosuch")
	if out != "No such queue: nosuch." {
		t.Errorf("queue show nosuch: %q", out)
	}
	for _, cw := range [][2]string{
		{"queue add member Sim/k to nosuch", "Unable to add interface to queue 'nosuch': No such queue"},
		{"queue add member Sim/a to q", "Unable to add interface 'Sim/a' to queue 'q': Already there"},
		{"queue add member Sim/k to q penalty 2 as Kay", "Added interface 'Sim/k' to queue 'q'"},
		{"queue remove member Sim/k from q", "Removed interface Sim/k from queue 'q'"},
		{"queue remove member Sim/k from q", "Unable to remove interface 'Sim/k' from queue 'q': Not there"},
		{"queue remove member Sim/k from nosuch", "Unable to remove interface from queue 'nosuch': No such queue"},
	} {
		if got := command(t, c, cw[0]); got != cw[1] {
			t.Errorf("%s: %q, want %q", cw[0], got, cw[1])
		}
	}
}

// command runs a CLI command through Action: Command and returns its
// output lines joined by newlines.
func command(t *testing.T, c *conn, cmd string) string {
	t.Helper()
	r := c.do("Command", "Command", cmd)
	return strings.TrimRight(strings.Join(r.Values("Output"), "\n"), "\n")
}

// TestQueuesLegacy checks Action: Queues: the text of "queue show" with
// CRLF line ends and no Response line, after which the session goes on.
func TestQueuesLegacy(t *testing.T) {
	srv := startQueueServer(t, "[support]\nstrategy = ringall\nmember => Sim/a,0,Alice\nmember => Sim/b,3\n[hold]\nmaxlen = 5\n")
	nc, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	br.ReadString('\n')
	nc.Write([]byte("Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nEvents: off\r\n\r\n"))
	readBlock := func() string {
		var sb strings.Builder
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v after %q", err, sb.String())
			}
			sb.WriteString(l)
			if l == "\r\n" && sb.Len() > 2 {
				return sb.String()
			}
		}
	}
	readBlock()
	nc.Write([]byte("Action: Queues\r\nActionID: q1\r\n\r\nAction: Ping\r\nActionID: p1\r\n\r\n"))
	want := "hold has 0 calls (max 5) in 'ringall' strategy (0s holdtime, 0s talktime), W:0, C:0, A:0, SL:0.0%, SL2:0.0% within 0s\r\n" +
		"   No Members\r\n" +
		"   No Callers\r\n" +
		"\r\n"
	if got := readBlock(); got != want {
		t.Errorf("first queue:\n got %q\nwant %q", got, want)
	}
	got := readBlock()
	lines := strings.Split(got, "\r\n")
	if len(lines) < 5 || lines[0] != "support has 0 calls (max unlimited) in 'ringall' strategy (0s holdtime, 0s talktime), W:0, C:0, A:0, SL:0.0%, SL2:0.0% within 0s" ||
		lines[1] != "   Members: " ||
		!strings.HasPrefix(lines[2], "      Alice (Sim/a) (ringinuse enabled) (Not in use) has taken no calls yet (login was ") ||
		!strings.HasPrefix(lines[3], "      Sim/b with penalty 3 (ringinuse enabled) (Not in use) has taken no calls yet (login was ") ||
		lines[4] != "   No Callers" {
		t.Errorf("second queue: %q", got)
	}
	if strings.Contains(got, "Response") || strings.Contains(got, "\x1b") {
		t.Errorf("legacy output has a Response line or escapes: %q", got)
	}
	if end := readBlock(); end != "\r\n\r\n" && !strings.HasPrefix(end, "\r\n") {
		t.Errorf("end: %q", end)
	}
}

// TestQueueReload checks "queue reload": new settings and static
// members, dynamic members and waiting callers kept.
func TestQueueReload(t *testing.T) {
	srv := startQueueServer(t, "[q]\nstrategy = ringall\nmember => Sim/na\n")
	c := dial(t, srv)
	c.do("QueuePause", "Interface", "Sim/na", "Paused", "1")
	if r := c.do("QueueAdd", "Queue", "q", "Interface", "Sim/d", "Paused", "yes"); r.Get("Response") != "Success" {
		t.Fatal(r)
	}
	callQueue(t, c, "700")
	caller := c.event("QueueCallerJoin", "", "").Get("Channel")
	if err := os.WriteFile(filepath.Join(srv.Dir, "queues.conf"), []byte("[q]\nstrategy = rrmemory\nmember => Sim/nb,0,Bee\n[new]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := command(t, c, "queue reload"); out != "Queue reloaded successfully" {
		t.Errorf("queue reload: %q", out)
	}
	_, items := c.list("QueueStatus")
	var got []string
	for _, m := range items {
		switch m.Get("Event") {
		case "QueueParams":
			got = append(got, m.Get("Queue")+":"+m.Get("Strategy")+":"+m.Get("Calls"))
		case "QueueMember":
			got = append(got, m.Get("Name")+"/"+m.Get("Membership"))
		case "QueueEntry":
			got = append(got, m.Get("Channel"))
		}
	}
	want := "q:rrmemory:1 Bee/static Sim/d/dynamic " + caller + " new:ringall:0"
	if strings.Join(got, " ") != want {
		t.Errorf("after reload: %v\nwant %s", got, want)
	}
	c.do("Hangup", "Channel", caller)
	c.event("QueueCallerLeave", "Channel", caller)
	waitIdle(t, srv)
}

// TestQueueWeightAndOneCycle checks that a member shared with a queue of
// higher weight whose callers need it is not rung from the lighter
// queue, and option n: one round of attempts, then out as a timeout.
func TestQueueWeightAndOneCycle(t *testing.T) {
	srv := startQueueServer(t, "[hi]\nweight = 10\ntimeout = 30\nmember => Sim/na\n[lo]\ntimeout = 1\nretry = 1\nmember => Sim/na\nmember => Sim/nb\n")
	c := dial(t, srv)
	callQueue(t, c, "706")
	c.event("AgentCalled", "Queue", "hi")
	mark := len(c.seen)
	callQueue(t, c, "707")
	done := c.waitNew(mark, isEv("UserEvent", "UserEvent", "QueueDone"))
	if done.Get("Status") != "TIMEOUT" || done.Get("Abandoned") != "TRUE" {
		t.Errorf("option n: %v", done)
	}
	var lo []string
	for _, m := range c.since(mark) {
		if m.Get("Event") == "AgentCalled" && m.Get("Queue") == "lo" {
			lo = append(lo, m.Get("Interface"))
		}
	}
	if strings.Join(lo, ",") != "Sim/nb,Sim/nb" {
		t.Errorf("lo rang %v, want Sim/nb in each of its two rounds (Sim/na is kept for hi)", lo)
	}
	c.do("Hangup", "Channel", "/^Local/")
	waitIdle(t, srv)
}

// TestQueueFunctions checks QUEUE_EXISTS, QUEUE_WAITING_COUNT and
// QUEUE_MEMBER with a caller waiting and a member paused.
func TestQueueFunctions(t *testing.T) {
	srv := startQueueServer(t, "[q]\nstrategy = ringall\nmember => Sim/a\nmember => Sim/b,4\nmember => Sim/na\n")
	c := dial(t, srv)
	c.do("QueuePause", "Queue", "q", "Interface", "Sim/a", "Paused", "1")
	c.do("QueuePause", "Queue", "q", "Interface", "Sim/b", "Paused", "1")
	callQueue(t, c, "700") // rings Sim/na, which does not answer
	c.event("AgentCalled", "Interface", "Sim/na")
	// The member counts as busy once its device rings, which comes just
	// after AgentCalled.
	c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == "QueueMemberStatus" && m.Get("Interface") == "Sim/na" && m.Get("Status") == "6"
	})
	if r := c.do("Originate", "Channel", "Local/708@default", "Application", "Wait", "Data", "1", "Async", "true"); r.Get("Response") != "Success" {
		t.Fatal(r)
	}
	m := c.event("UserEvent", "UserEvent", "QueueFuncs")
	want := map[string]string{"Exists": "10", "Waiting": "1", "Count": "3", "Logged": "3", "Free": "0", "Ready": "0",
		"Penalty": "4", "Paused": "1", "Bad": ""}
	for k, v := range want {
		if got := m.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	c.do("Hangup", "Channel", "/^Local/")
	waitIdle(t, srv)
}

// TestQueueAvailDevice checks Queue:<q>_avail: INUSE when no member can
// take a call (the only one is on another call, ringinuse=no), then
// NOT_INUSE when it is free again.
func TestQueueAvailDevice(t *testing.T) {
	srv := startQueueServer(t, "[q]\nringinuse = no\nmember => Sim/a\n")
	c := dial(t, srv)
	if r := c.do("Originate", "Channel", "Sim/a", "Application", "Wait", "Data", "30", "Async", "true"); r.Get("Response") != "Success" {
		t.Fatal(r)
	}
	if m := c.event("DeviceStateChange", "Device", "Queue:q_avail"); m.Get("State") != "INUSE" {
		t.Errorf("with Sim/a in use: %v", m)
	}
	mark := len(c.seen)
	c.do("Hangup", "Channel", "/^Sim/a-/")
	if m := c.waitNew(mark, isEv("DeviceStateChange", "Device", "Queue:q_avail")); m.Get("State") != "NOT_INUSE" {
		t.Errorf("with Sim/a free: %v", m)
	}
	waitIdle(t, srv)
}
