package pbxami_test

import (
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
)

// TestQueueLocalMembers runs a call through the reference configuration's
// queue support, whose members are Local channels answering in
// [members]: both are rung, one answers and is bridged with the caller,
// and the other's Local pair is hung up.
func TestQueueLocalMembers(t *testing.T) {
	srv := start(t, amitest.ConfigDir(refWithSounds(t)), amitest.SystemName("refast"))
	srv.Secret = "adminpw" // the reference manager.conf's
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Local/700@default", "Application", "Wait", "Data", "30",
		"CallerID", `"Queue Caller" <5556>`, "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatal(r)
	}
	conn := c.event("AgentConnect", "Queue", "support")
	if !strings.HasPrefix(conn.Get("DestChannel"), conn.Get("Interface")+"-") {
		t.Errorf("AgentConnect: member channel %s for %s", conn.Get("DestChannel"), conn.Get("Interface"))
	}
	var called []string
	for _, m := range c.seen {
		if m.Get("Event") == "AgentCalled" {
			called = append(called, m.Get("Interface")+"="+m.Get("MemberName"))
		}
	}
	if strings.Join(called, ",") != "Local/1@members=Alice,Local/2@members=Bob" {
		t.Errorf("rung %v", called)
	}
	c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == "BridgeEnter" && m.Get("Channel") == conn.Get("Channel")
	})
	c.do("Hangup", "Channel", conn.Get("Channel"))
	if m := c.event("AgentComplete", "Queue", "support"); m.Get("Reason") != "caller" {
		t.Errorf("AgentComplete: %v", m)
	}
	c.do("Hangup", "Channel", "/^Local/")
	waitIdle(t, srv)
}
