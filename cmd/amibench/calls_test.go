package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/amitest"
)

// benchBusy is a phone added to the demo's for the failure test.
const benchBusy = `
[bench-busy]
answer = busy
`

// startDemo starts a server with the phones and dialplan of the embedded
// demo config of cmd/asterism, which `calls` is made for.
func startDemo(t *testing.T) *amitest.Server {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "asterism", "demo", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return amitest.Start(t, amitest.SimConf(read("sim.conf")+benchBusy), amitest.ExtensionsConf(read("extensions.conf")))
}

// runCallsOn runs the calls subcommand against srv with args.
func runCallsOn(t *testing.T, srv *amitest.Server, args ...string) *report {
	t.Helper()
	var stderr bytes.Buffer
	args = append([]string{"calls", "-addr", srv.Addr, "-user", srv.Username, "-secret", srv.Secret, "-timeout", "60s"}, args...)
	rep, _, err := execute(context.Background(), args, &stderr)
	if err != nil {
		t.Fatalf("calls: %v (stderr %s)", err, stderr.String())
	}
	return rep
}

// TestCalls sets up bridged calls of simulated phones on a real server,
// holds them, lists them with Status and CoreShowChannels and hangs them
// up.
func TestCalls(t *testing.T) {
	for _, tc := range []struct{ channel, exten string }{{"Sim/bench-a", "300"}, {"Sim/bench-a60", "360"}} {
		t.Run(tc.exten, func(t *testing.T) {
			srv := startDemo(t)
			rep := runCallsOn(t, srv, "-n", "30", "-w", "8", "-hold", "300ms", "-pid", fmt.Sprint(os.Getpid()),
				"-channel", tc.channel, "-exten", tc.exten)
			checkCalls(t, rep)
		})
	}
}

// checkCalls checks the report of 30 calls.
func checkCalls(t *testing.T, rep *report) {
	t.Helper()
	c := rep.Calls
	if !rep.OK || c.Success != 30 || c.Bridged != 30 || c.Channels != 60 {
		t.Fatalf("got ok=%v %+v problems=%q, want 30 calls bridged", rep.OK, *c, rep.Problems)
	}
	for name, l := range map[string]*listTiming{"Status": c.Status, "CoreShowChannels": c.CoreShow} {
		if l == nil || l.Items != 60 || l.Matching != 60 || l.ListItems != 60 {
			t.Errorf("%s: %+v, want 60 channels listed", name, l)
		}
	}
	if c.ListedHungUp != 60 || c.Hangups != 60 || c.LeftAfter != 0 || c.CoreShowAfter == nil || c.CoreShowAfter.Items != 0 {
		t.Errorf("hangup: listed %d, Hangup events %d, left %d (%+v); want 60, 60, 0", c.ListedHungUp, c.Hangups, c.LeftAfter, c.CoreShowAfter)
	}
	if rep.OpUnit != "frame" || rep.Ops <= 0 || c.FramesPerS != 3000 || rep.Server == nil || c.RSSKiBMax <= 0 {
		t.Errorf("measure: unit %q ops %d frames/s %v server %+v rss %d", rep.OpUnit, rep.Ops, c.FramesPerS, rep.Server, c.RSSKiBMax)
	}
	var text strings.Builder
	if err := rep.writeText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"30/30 calls bridged", "Status: 60 items", "CoreShowChannels: 60 items", "channels left: 0"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestCallsFailure: calls that cannot be set up are reported, and the run
// still ends (lists and hangup with nothing to list).
func TestCallsFailure(t *testing.T) {
	srv := startDemo(t)
	rep := runCallsOn(t, srv, "-n", "4", "-w", "2", "-hold", "0s", "-channel", "Sim/bench-busy")
	c := rep.Calls
	if rep.OK || c.Failure != 4 || c.Bridged != 0 || len(rep.Problems) == 0 {
		t.Errorf("got ok=%v %+v problems=%q, want 4 failures reported", rep.OK, *c, rep.Problems)
	}
}

// TestOriginateSubscribers: 10 subscribers see every event of every call
// of a real server.
func TestOriginateSubscribers(t *testing.T) {
	srv := amitest.Start(t)
	var stderr bytes.Buffer
	rep, _, err := execute(context.Background(), []string{"originate", "-n", "40", "-w", "8", "-s", "10",
		"-addr", srv.Addr, "-user", srv.Username, "-secret", srv.Secret}, &stderr)
	if err != nil {
		t.Fatalf("originate: %v (stderr %s)", err, stderr.String())
	}
	o := rep.Originate
	c := o.CallEvents
	if !rep.OK || o.Success != 40 || c == nil {
		t.Fatalf("got ok=%v %+v problems=%q", rep.OK, *o, rep.Problems)
	}
	// A call of Local/200@bench is two channels, each with at least
	// Newchannel, Newstate, Hangup.
	if c.Subscribers != 10 || c.Complete != 10 || c.Lost != 0 || c.Missed != 0 || c.Disorder != 0 || c.PerCall < 6 || c.Events < 10*40*6 {
		t.Errorf("call events %+v, want 10 complete subscribers", *c)
	}
}

// TestCallEventsAccounting: events or calls a subscriber missed, and
// events out of order, are reported; a call that differs from the others
// at every subscriber is not a loss.
func TestCallEventsAccounting(t *testing.T) {
	b := &bench{g: defaultGlobals(), rep: &report{}}
	b.g.drain = 0
	sub := func(perCall map[string]int64, disorder int64) *callSubscriber {
		c1, c2 := net.Pipe()
		c2.Close()
		s := &callSubscriber{a: &amiConn{c: c1}, perCall: perCall, disorder: disorder, done: make(chan struct{})}
		close(s.done)
		return s
	}
	full := map[string]int64{"x-1": 8, "x-2": 8, "x-3": 7} // x-3 differs everywhere: not a loss
	subs := []*callSubscriber{
		sub(full, 0),
		sub(map[string]int64{"x-1": 8, "x-2": 5, "x-3": 7}, 0), // 3 lost
		sub(map[string]int64{"x-1": 8, "x-2": 8}, 0),           // a call missed: 7 lost
		sub(full, 1), // out of order
		sub(full, 0),
	}
	c := b.finishCallSubscribers(subs, 0, 3)
	if c.PerCall != 8 || c.Varying != 1 || c.Lost != 10 || c.Missed != 1 || c.Disorder != 1 || c.Complete != 2 || c.Events != 0 {
		t.Errorf("got %+v", *c)
	}
	if len(b.rep.Problems) != 1 {
		t.Errorf("problems %q, want one", b.rep.Problems)
	}
	// A fourth call reached nobody: every subscriber missed it.
	if c := b.finishCallSubscribers(subs, 0, 4); c.Missed != 1+5 || c.Complete != 0 {
		t.Errorf("with a call seen by nobody: %+v", *c)
	}
}
