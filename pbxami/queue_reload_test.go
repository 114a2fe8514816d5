package pbxami_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
)

// queueShape is each queue's strategy and members with their ringinuse
// (which QueueStatus does not show), from the engine.
func queueShape(srv *amitest.Server) string {
	var got []string
	for _, q := range srv.PBX.Queues.Status("") {
		got = append(got, q.Name+":"+q.Strategy.String())
		for _, m := range q.Members {
			got = append(got, fmt.Sprintf("%s/%v", m.Interface, m.RingInUse))
		}
	}
	return strings.Join(got, " ")
}

// TestQueueMemberRingInUse checks QueueMemberRingInUse: its errors, a
// member changed in one queue or in all, with QueueMemberRinginuse
// events, and the effect on QueueStatus.
func TestQueueMemberRingInUse(t *testing.T) {
	srv := startQueueServer(t, "[q]\nmember => Sim/a\nmember => Sim/b\n[r]\nmember => Sim/a\n")
	c := dial(t, srv)
	for _, tc := range []struct {
		kv        []string
		resp, msg string
	}{
		{[]string{"Interface", "Sim/a"}, "Error", "Need 'Interface' and 'RingInUse' parameters."},
		{[]string{"RingInUse", "no"}, "Error", "Need 'Interface' and 'RingInUse' parameters."},
		{[]string{"Interface", "Sim/a", "RingInUse", "maybe"}, "Error", "'RingInUse' parameter must be a truth value (yes/no, on/off, 0/1)"},
		{[]string{"Interface", "Sim/zz", "RingInUse", "no"}, "Error", "Invalid interface, queuename, or ringinuse value"},
		{[]string{"Interface", "Sim/b", "RingInUse", "no", "Queue", "r"}, "Error", "Invalid interface, queuename, or ringinuse value"},
		{[]string{"Interface", "Sim/a", "RingInUse", "no", "Queue", "nosuch"}, "Error", "Invalid interface, queuename, or ringinuse value"},
		{[]string{"Interface", "Sim/b", "RingInUse", "off", "Queue", "q"}, "Success", "Interface ringinuse set successfully"},
		{[]string{"Interface", "Sim/a", "RingInUse", "0"}, "Success", "Interface ringinuse set successfully"},
	} {
		r := c.do("QueueMemberRingInUse", tc.kv...)
		if r.Get("Response") != tc.resp || r.Get("Message") != tc.msg {
			t.Errorf("QueueMemberRingInUse %v: %s %q, want %s %q", tc.kv, r.Get("Response"), r.Get("Message"), tc.resp, tc.msg)
		}
	}
	ev := c.event("QueueMemberRinginuse", "Interface", "Sim/b")
	checkKeys(t, ev, "Event", "Privilege", "Queue", "MemberName", "Interface", "StateInterface", "Membership", "Penalty",
		"CallsTaken", "LastCall", "LastPause", "LoginTime", "InCall", "Status", "Paused", "PausedReason", "Ringinuse", "Wrapuptime")
	if ev.Get("Queue") != "q" || ev.Get("Ringinuse") != "0" || ev.Get("Privilege") != "agent,all" {
		t.Errorf("QueueMemberRinginuse: %v", ev)
	}
	var queues []string
	c.wait(func(m *ami.Message) bool {
		if m.Get("Event") == "QueueMemberRinginuse" && m.Get("Interface") == "Sim/a" {
			queues = append(queues, m.Get("Queue"))
		}
		return len(queues) == 2
	})
	if got, want := queueShape(srv), "q:ringall Sim/a/false Sim/b/false r:ringall Sim/a/false"; got != want {
		t.Errorf("QueueStatus: %s, want %s", got, want)
	}
}

// TestQueueReloadAction checks QueueReload: all of one queue, only its
// members, only its parameters, every queue, and the error without
// queues.conf.
func TestQueueReloadAction(t *testing.T) {
	srv := startQueueServer(t, "[q]\nmember => Sim/a\n[r]\nmember => Sim/b\n")
	c := dial(t, srv)
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(srv.Dir, "queues.conf"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reload := func(kv ...string) {
		t.Helper()
		r := c.do("QueueReload", kv...)
		if r.Get("Response") != "Success" || r.Get("Message") != "Queue reloaded successfully" {
			t.Fatalf("QueueReload %v: %v", kv, r)
		}
	}
	next := "[q]\nstrategy = linear\nringinuse = no\nmember => Sim/c\n[r]\nstrategy = random\nmember => Sim/c\n[s]\n"
	write(next)
	reload("Queue", "q", "Members", "yes")
	if got, want := queueShape(srv), "q:ringall Sim/c/true r:ringall Sim/b/true"; got != want {
		t.Errorf("members of q: %s, want %s", got, want)
	}
	reload("Queue", "q", "Parameters", "yes")
	if got, want := queueShape(srv), "q:linear Sim/c/true r:ringall Sim/b/true"; got != want {
		t.Errorf("parameters of q: %s, want %s", got, want)
	}
	reload("Rules", "yes")
	if got, want := queueShape(srv), "q:linear Sim/c/true r:ringall Sim/b/true"; got != want {
		t.Errorf("rules only: %s, want %s", got, want)
	}
	write("[q]\nmember => Sim/a\n")
	reload("Queue", "q")
	reload("Members", "yes")
	// A queue new in the file comes only with the parameters; one gone
	// from it stays until they are reloaded.
	if got, want := queueShape(srv), "q:ringall Sim/a/true r:ringall Sim/b/true"; got != want {
		t.Errorf("members of all: %s, want %s", got, want)
	}
	write(next)
	reload()
	if got, want := queueShape(srv), "q:linear Sim/c/false r:random Sim/c/true s:ringall"; got != want {
		t.Errorf("everything: %s, want %s", got, want)
	}
	if err := os.Remove(filepath.Join(srv.Dir, "queues.conf")); err != nil {
		t.Fatal(err)
	}
	if r := c.do("QueueReload"); r.Get("Response") != "Error" || r.Get("Message") != "Error encountered while reloading queue" {
		t.Errorf("QueueReload without queues.conf: %v", r)
	}
}

// syncLog is a log destination for the server's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestQueueMemberHangsUpFirst checks that a queue call the member ends
// ends the caller's dialplan quietly (pbx.ErrEndDialplan: no warning,
// the Hangup after Queue not reached, h would run), and that the
// member's dial went through the core: the CDR engine and AMI both saw it.
func TestQueueMemberHangsUpFirst(t *testing.T) {
	dir := t.TempDir()
	simConf := "[short]\nanswer = 100ms\nplay = silence\nhangupafter = 300ms\n"
	ext := "[default]\nexten => 700,1,Answer()\n same => n,Queue(q)\n same => n,UserEvent(AfterQueue)\n"
	for name, text := range map[string]string{"manager.conf": amitest.DefaultManagerConf, "extensions.conf": ext,
		"sim.conf": simConf, "queues.conf": "[q]\nmember => Sim/short\n",
		"cdr.conf": "[general]\nenable = yes\n", "cdr_manager.conf": "[general]\nenabled = yes\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncLog{}
	srv := start(t, amitest.ConfigDir(dir), amitest.Logger(slog.New(slog.NewTextHandler(logs, nil))))
	c := dial(t, srv)
	callQueue(t, c, "700")
	complete := c.event("AgentComplete", "", "")
	if complete.Get("Reason") != "agent" {
		t.Errorf("AgentComplete: %v", complete)
	}
	caller := complete.Get("Channel")
	c.event("Hangup", "Channel", caller)
	waitIdle(t, srv)
	if index(c.seen, isEv("UserEvent", "UserEvent", "AfterQueue")) >= 0 {
		t.Errorf("the dialplan went on after the member hung up")
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("warnings: %s", logs.String())
	}
	begin := index(c.seen, isEv("DialBegin", "Channel", caller))
	if begin < 0 || c.seen[begin].Get("DialString") != "short" || !strings.HasPrefix(c.seen[begin].Get("DestChannel"), "Sim/short-") {
		t.Errorf("no DialBegin of the member from %s", caller)
	}
	cdr := c.wait(func(m *ami.Message) bool { return m.Get("Event") == "Cdr" && m.Get("Channel") == caller })
	if !strings.HasPrefix(cdr.Get("DestinationChannel"), "Sim/short-") || cdr.Get("Disposition") != "ANSWERED" {
		t.Errorf("the caller's CDR does not name the member: %v", cdr)
	}
}
