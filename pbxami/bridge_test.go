package pbxami_test

import (
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/media"
)

const bridgeExtensions = `
[bridge]
exten => b,1,Dial(Sim/b2k,10)
[echo]
exten => s,1,Answer()
 same => n,Echo()
`

const bridgeSim = `
[a1k]
answer=0
play=tone:1000
[b2k]
answer=30ms
play=tone:2000
`

var bridgeKeys = []string{"BridgeUniqueid", "BridgeType", "BridgeTechnology", "BridgeCreator", "BridgeName",
	"BridgeNumChannels", "BridgeVideoSourceMode"}

func prefixed(p string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = p + k
	}
	return out
}

// hears waits until the Sim phone on channel name hears freq well above
// other, in its last 200 ms.
func hears(t *testing.T, tech *sim.Tech, name string, freq, other float64) {
	t.Helper()
	amp := func(s []int16, f float64) float64 {
		g := media.NewGoertzel(f)
		g.Write(s)
		return g.Amplitude()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if rec, ok := tech.Recording(name); ok {
			if s := rec.Samples(); len(s) >= 1600 {
				s = s[len(s)-1600:]
				if amp(s, freq) > 1000 && amp(s, freq) > 10*amp(s, other) {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never heard %v Hz", name, freq)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The seed's scenario over AMI: Originate a 1 kHz phone into a Dial of a
// 2 kHz phone; each hears the other in the bridge; one Redirect with
// ExtraChannel sends both to an Echo, where each hears itself.
func TestDialBridgeRedirect(t *testing.T) {
	srv := start(t, amitest.ExtensionsConf(bridgeExtensions), amitest.SimConf(bridgeSim))
	srv.PBX.Sim.RecordSamples = 8000
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Sim/a1k", "Context", "bridge", "Exten", "b", "Priority", "1", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v", r)
	}
	// The Originate's own dial of Sim/a1k names no caller: the Dest
	// block alone, as Asterisk's dialling API sends it.
	alone := c.event("DialBegin", "DialString", "a1k")
	checkKeys(t, alone, append(append([]string{"Event", "Privilege"}, prefixed("Dest", snapshotKeys)...), "DialString")...)
	aloneEnd := c.event("DialEnd", "DestChannel", alone.Get("DestChannel"))
	checkKeys(t, aloneEnd, append(append([]string{"Event", "Privilege"}, prefixed("Dest", snapshotKeys)...), "DialStatus")...)
	if aloneEnd.Get("DialStatus") != "ANSWER" || aloneEnd.Get("DestChannelStateDesc") != "Up" {
		t.Errorf("the Originate's DialEnd: %v", aloneEnd)
	}
	begin := c.event("DialBegin", "DialString", "b2k")
	a, b := begin.Get("Channel"), begin.Get("DestChannel")
	checkKeys(t, begin, append(append(with(), prefixed("Dest", snapshotKeys)...), "DialString")...)
	if begin.Get("DialString") != "b2k" || begin.Get("DestLinkedid") != begin.Get("Uniqueid") || begin.Get("Privilege") != "call,all" {
		t.Errorf("DialBegin: %v", begin)
	}
	ringing := c.event("DialState", "DestChannel", b)
	checkKeys(t, ringing, append(append(with(), prefixed("Dest", snapshotKeys)...), "DialStatus")...)
	if ringing.Get("DialStatus") != "RINGING" || ringing.Get("DestChannelStateDesc") != "Ringing" || ringing.Get("Channel") != a {
		t.Errorf("DialState: %v", ringing)
	}
	end := c.event("DialEnd", "DestChannel", b)
	checkKeys(t, end, append(append(with(), prefixed("Dest", snapshotKeys)...), "DialStatus")...)
	if end.Get("DialStatus") != "ANSWER" || end.Get("DestChannel") != b {
		t.Errorf("DialEnd: %v", end)
	}
	create := c.event("BridgeCreate", "", "")
	checkKeys(t, create, append([]string{"Event", "Privilege"}, bridgeKeys...)...)
	id := create.Get("BridgeUniqueid")
	if create.Get("BridgeType") != "basic" || create.Get("BridgeTechnology") != "simple_bridge" ||
		create.Get("BridgeCreator") != "<unknown>" || create.Get("BridgeName") != "<unknown>" ||
		create.Get("BridgeNumChannels") != "0" || create.Get("BridgeVideoSourceMode") != "none" {
		t.Errorf("BridgeCreate: %v", create)
	}
	// The called party enters first, as in Asterisk.
	for i, name := range []string{b, a} {
		ent := c.event("BridgeEnter", "Channel", name)
		checkKeys(t, ent, append(append([]string{"Event", "Privilege"}, bridgeKeys...), snapshotKeys...)...)
		if ent.Get("BridgeUniqueid") != id || ent.Get("BridgeNumChannels") != string(rune('1'+i)) || ent.Get("ChannelStateDesc") != "Up" {
			t.Errorf("BridgeEnter: %v", ent)
		}
	}
	hears(t, srv.PBX.Sim, a, 2000, 1000)
	hears(t, srv.PBX.Sim, b, 1000, 2000)
	// Status and CoreShowChannels name the bridge the legs are in.
	for _, name := range []string{a, b} {
		// The items, then the Complete event.
		if _, items := c.list("Status", "Channel", name); len(items) != 2 || items[0].Get("BridgeID") != id {
			t.Errorf("Status of %s: %v", name, items)
		}
	}
	if _, items := c.list("CoreShowChannels"); len(items) != 3 || items[0].Get("BridgeId") != id || items[1].Get("BridgeId") != id {
		t.Errorf("CoreShowChannels: %v", items)
	}

	for _, tc := range []struct {
		kv  []string
		msg string
	}{
		{[]string{"Channel", "Sim/nosuch-00000000", "Context", "echo", "Exten", "s", "Priority", "1"}, "Channel does not exist: Sim/nosuch-00000000"},
		{[]string{"Channel", a, "Context", "echo"}, "Exten not specified"},
		{[]string{"Context", "echo", "Exten", "s", "Priority", "1"}, "Channel not specified"},
		{[]string{"Channel", a, "ExtraChannel", "Sim/nosuch-00000000", "Context", "echo", "Exten", "s", "Priority", "1"}, "ExtraChannel does not exist: Sim/nosuch-00000000"},
	} {
		if r := c.do("Redirect", tc.kv...); r.Get("Response") != "Error" || r.Get("Message") != tc.msg {
			t.Errorf("Redirect %v: %v", tc.kv, r)
		}
	}
	r = c.do("Redirect", "Channel", a, "ExtraChannel", b, "Context", "echo", "Exten", "s", "Priority", "1",
		"ExtraContext", "echo", "ExtraExten", "s", "ExtraPriority", "1")
	if r.Get("Response") != "Success" || r.Get("Message") != "Dual Redirect successful" {
		t.Fatalf("Redirect: %v", r)
	}
	var leaves []*ami.Message
	for _, name := range []string{b, a} {
		leaves = append(leaves, c.event("BridgeLeave", "Channel", name))
	}
	destroy := c.event("BridgeDestroy", "", "")
	if destroy.Get("BridgeUniqueid") != id || destroy.Get("BridgeNumChannels") != "0" {
		t.Errorf("BridgeDestroy: %v", destroy)
	}
	// Enter, Enter, Leave, Leave, Destroy in this order on the wire.
	var order []string
	for _, m := range c.seen {
		if m.Get("BridgeUniqueid") == id {
			order = append(order, m.Get("Event"))
		}
	}
	if got := strings.Join(order, " "); got != "BridgeCreate BridgeEnter BridgeEnter BridgeLeave BridgeLeave BridgeDestroy" {
		t.Errorf("bridge events: %s", got)
	}
	for _, l := range leaves {
		checkKeys(t, l, append(append([]string{"Event", "Privilege"}, bridgeKeys...), snapshotKeys...)...)
	}
	c.event("Newexten", "Channel", a)
	hears(t, srv.PBX.Sim, a, 1000, 2000)
	hears(t, srv.PBX.Sim, b, 2000, 1000)
	if r := c.do("Redirect", "Channel", a, "Context", "echo", "Exten", "s", "Priority", "1"); r.Get("Message") != "Redirect successful" {
		t.Errorf("single Redirect: %v", r)
	}
	for _, name := range []string{a, b} {
		if r := c.do("Hangup", "Channel", name); r.Get("Response") != "Success" {
			t.Errorf("Hangup %s: %v", name, r)
		}
	}
	waitIdle(t, srv)
}
