package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
)

// Replies of the fake AMI server, byte for byte as Asterisk 20.20.1 sent
// them (see testdata/asterisk-20.20.1: command.txt, coreshowchannels.txt,
// login-md5-challenge.txt, userevent.txt).
const (
	fakeAMIBanner  = "Asterisk Call Manager/9.0.0\r\n"
	fakeAMIVersion = "Asterisk 20.20.1 built by root @ vm on a x86_64 running Linux on 2026-11-27 10:07:54 UTC"
	fakeAMIChal    = "173579639"
	fakeAMIEvents  = "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 157\r\nLastReload: 157\r\nStatus: Fully Booted\r\n\r\n" +
		"Event: Newchannel\r\nPrivilege: call,all\r\nSystemName: refast\r\nChannel: Local/2000@default-00001b58;1\r\nChannelState: 0\r\nChannelStateDesc: Down\r\nUniqueid: refast-1795775702.14000\r\n\r\n" +
		"Event: UserEvent\r\nPrivilege: user,all\r\nSystemName: refast\r\nUserEvent: MyEvent\r\nActionID: ue-1\r\nHeader1: value one\r\n\r\n" +
		"Event: Hangup\r\nPrivilege: call,all\r\nSystemName: refast\r\nChannel: Local/2000@default-00001b58;1\r\nCause: 16\r\nCause-txt: Normal Clearing\r\n\r\n"
)

// fakeAMI is a loopback AMI server with the demo's credentials. It answers
// actions until Logoff. With sendEvents it sends fakeAMIEvents after a
// login that asked for events, and with hangUp it then hangs up.
type fakeAMI struct {
	t                  *testing.T
	ln                 net.Listener
	sendEvents, hangUp bool
	wg                 sync.WaitGroup

	mu     sync.Mutex
	logins []*ami.Message
}

func startFakeAMI(t *testing.T, sendEvents, hangUp bool) *fakeAMI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeAMI{t: t, ln: ln, sendEvents: sendEvents, hangUp: hangUp}
	s.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() {
				defer nc.Close()
				s.serve(nc)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *fakeAMI) addr() string { return s.ln.Addr().String() }

func (s *fakeAMI) lastLogin() *ami.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.logins) == 0 {
		return nil
	}
	return s.logins[len(s.logins)-1]
}

func (s *fakeAMI) serve(nc net.Conn) {
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	r := ami.NewReader(bufio.NewReader(nc))
	send := func(format string, args ...any) bool {
		_, err := fmt.Fprintf(nc, format, args...)
		return err == nil
	}
	if !send(fakeAMIBanner) {
		return
	}
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return
		}
		id := m.ActionID()
		switch strings.ToLower(m.Action()) {
		case "challenge":
			send("Response: Success\r\nActionID: %s\r\nChallenge: %s\r\n\r\n", id, fakeAMIChal)
		case "login":
			s.mu.Lock()
			s.logins = append(s.logins, m)
			s.mu.Unlock()
			sum := md5.Sum([]byte(fakeAMIChal + "amp111"))
			ok := m.Get("Username") == "admin" &&
				(m.Get("Secret") == "amp111" || m.Get("AuthType") == "MD5" && m.Get("Key") == hex.EncodeToString(sum[:]))
			if !ok {
				send("Response: Error\r\nActionID: %s\r\nMessage: Authentication failed\r\n\r\n", id)
				return
			}
			send("Response: Success\r\nActionID: %s\r\nMessage: Authentication accepted\r\n\r\n", id)
			if s.sendEvents && !strings.EqualFold(m.Get("Events"), "off") {
				send(fakeAMIEvents)
				if s.hangUp {
					return
				}
			}
		case "ping":
			send("Response: Success\r\nActionID: %s\r\nPing: Pong\r\nTimestamp: 1795775108.903890\r\n\r\n", id)
		case "command":
			switch cmd := m.Get("Command"); cmd {
			case "core show version":
				send("Response: Success\r\nActionID: %s\r\nMessage: Command output follows\r\nOutput: %s\r\n\r\n", id, fakeAMIVersion)
			case "core show channels concise":
				send("Response: Success\r\nActionID: %s\r\nMessage: Command output follows\r\nOutput: \r\n\r\n", id)
			default:
				send("Response: Error\r\nActionID: %s\r\nMessage: Command output follows\r\n"+
					"Output: No such command '%s' (type 'core show help %[2]s' for other possible commands)\r\n\r\n", id, cmd)
			}
		case "coreshowchannels":
			send("Response: Success\r\nActionID: %s\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"+
				"Event: CoreShowChannel\r\nActionID: %[1]s\r\nChannel: Local/2000@default-00001b58;2\r\nDuration: 00:00:02\r\n\r\n"+
				"Event: CoreShowChannel\r\nActionID: %[1]s\r\nChannel: Local/2000@default-00001b58;1\r\nDuration: 00:00:02\r\n\r\n"+
				"Event: CoreShowChannelsComplete\r\nActionID: %[1]s\r\nEventList: Complete\r\nListItems: 2\r\n\r\n", id)
		case "getvar":
			send("Response: Success\r\nActionID: %s\r\nVariable: %s\r\nValue: %s\r\n\r\n", id, m.Get("Variable"), strings.Join(m.Values("Variable"), "|"))
		case "logoff":
			send("Response: Goodbye\r\nActionID: %s\r\nMessage: Thanks for all the fish.\r\n\r\n", id)
			return
		default:
			send("Response: Error\r\nActionID: %s\r\nMessage: Invalid/unknown command: %s. Use Action: ListCommands to show available commands.\r\n\r\n", id, m.Action())
		}
	}
}

// runCLI runs one of the client commands with the environment cleared.
func runCLI(t *testing.T, fn func([]string, *bytes.Buffer, *bytes.Buffer) int, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, k := range []string{"ASTERISM_ADDR", "ASTERISM_USER", "ASTERISM_SECRET"} {
		t.Setenv(k, "")
	}
	var out, errb bytes.Buffer
	code = fn(args, &out, &errb)
	return code, out.String(), errb.String()
}

func rx(args []string, out, errb *bytes.Buffer) int     { return runRX(args, out, errb) }
func action(args []string, out, errb *bytes.Buffer) int { return runAction(args, out, errb) }

func TestRunRX(t *testing.T) {
	s := startFakeAMI(t, false, false)
	for _, args := range [][]string{
		{"-addr", s.addr(), "core show version"},
		{"core show version", "-addr", s.addr()}, // flags after the command
		{"-addr", s.addr(), "core", "show", "version"},
		{"-addr", s.addr(), "-md5", "core show version"},
	} {
		code, out, errs := runCLI(t, rx, args...)
		if code != 0 || out != fakeAMIVersion+"\n" || errs != "" {
			t.Errorf("%q: code %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	if got := s.lastLogin().Get("Events"); got != "off" {
		t.Errorf("-rx logged in with Events %q, want off", got)
	}
}

func TestRunRXEmptyOutput(t *testing.T) {
	s := startFakeAMI(t, false, false)
	code, out, _ := runCLI(t, rx, "-addr", s.addr(), "core show channels concise")
	if code != 0 || out != "" {
		t.Errorf("code %d, stdout %q", code, out)
	}
}

func TestRunRXError(t *testing.T) {
	s := startFakeAMI(t, false, false)
	code, out, _ := runCLI(t, rx, "-addr", s.addr(), "core show nosuchthing")
	if code != 1 || !strings.HasPrefix(out, "No such command 'core show nosuchthing'") {
		t.Errorf("code %d, stdout %q", code, out)
	}
	if code, _, _ := runCLI(t, rx, "-addr", s.addr()); code != 2 {
		t.Errorf("no command: code %d, want 2", code)
	}
}

func TestRunRXFromEnvironment(t *testing.T) {
	s := startFakeAMI(t, false, false)
	var out, errb bytes.Buffer
	t.Setenv("ASTERISM_ADDR", s.addr())
	t.Setenv("ASTERISM_USER", "admin")
	t.Setenv("ASTERISM_SECRET", "wrong")
	if code := runRX([]string{"core show version"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), `cannot log in to `+s.addr()+` as "admin": authentication failed`) {
		t.Errorf("wrong secret from env: code %d, stderr %q", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := runRX([]string{"-s", "amp111", "core show version"}, &out, &errb); code != 0 || out.String() != fakeAMIVersion+"\n" {
		t.Errorf("-s overriding env: code %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

func TestRunRXConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, _, errs := runCLI(t, rx, "-addr", addr, "core show version")
	want := "asterism: cannot connect to " + addr + ": connection refused — is asterism running?\n"
	if code != 1 || errs != want {
		t.Errorf("code %d, stderr %q, want %q", code, errs, want)
	}
}

func TestRunRXNotAMI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		nc.Read(make([]byte, 1))
	}()
	code, _, errs := runCLI(t, rx, "-addr", ln.Addr().String(), "core show version")
	if code != 1 || !strings.Contains(errs, "does not look like an AMI server") {
		t.Errorf("code %d, stderr %q", code, errs)
	}
}

func TestRunAction(t *testing.T) {
	s := startFakeAMI(t, false, false)
	code, out, errs := runCLI(t, action, "-addr", s.addr(), "Ping")
	if code != 0 || !strings.HasPrefix(out, "Response: Success\nActionID: ") || !strings.HasSuffix(out, "Ping: Pong\nTimestamp: 1795775108.903890\n\n") {
		t.Errorf("Ping: code %d, stdout %q, stderr %q", code, out, errs)
	}

	code, out, _ = runCLI(t, action, "-addr", s.addr(), "-crlf", "Ping")
	if code != 0 || !strings.HasSuffix(out, "Ping: Pong\r\nTimestamp: 1795775108.903890\r\n\r\n") {
		t.Errorf("Ping -crlf: code %d, stdout %q", code, out)
	}

	// A list: the response, both items and the closing event.
	code, out, _ = runCLI(t, action, "-addr", s.addr(), "CoreShowChannels")
	blocks := strings.Split(strings.TrimSuffix(out, "\n\n"), "\n\n")
	if code != 0 || len(blocks) != 4 || !strings.Contains(blocks[1], "Event: CoreShowChannel\n") ||
		!strings.Contains(blocks[3], "ListItems: 2") {
		t.Errorf("CoreShowChannels: code %d, stdout %q", code, out)
	}

	// Repeated keys, and "=" inside a value.
	code, out, _ = runCLI(t, action, "-addr", s.addr(), "Getvar", "Variable=a=1", "Variable=b=2")
	if code != 0 || !strings.Contains(out, "Variable: a=1\nValue: a=1|b=2\n") {
		t.Errorf("Getvar: code %d, stdout %q", code, out)
	}

	code, out, _ = runCLI(t, action, "-addr", s.addr(), "NoSuchAction")
	if code != 1 || !strings.HasPrefix(out, "Response: Error\n") || !strings.Contains(out, "Invalid/unknown command: NoSuchAction.") {
		t.Errorf("unknown action: code %d, stdout %q", code, out)
	}

	for _, args := range [][]string{{"-addr", s.addr()}, {"-addr", s.addr(), "Ping", "novalue"}} {
		if code, _, _ := runCLI(t, action, args...); code != 2 {
			t.Errorf("%q: code %d, want 2", args, code)
		}
	}
	if code, _, _ := runCLI(t, action, "-h"); code != 0 {
		t.Errorf("-h: code %d, want 0", code)
	}
}

func TestRunEvents(t *testing.T) {
	s := startFakeAMI(t, true, true)
	code, out, errs := runCLI(t, func(args []string, o, e *bytes.Buffer) int { return runEvents(args, o, e) },
		"-addr", s.addr(), "-filter", "newchannel, Hangup", "-mask", "call,system")
	// The server hangs up after its events: exit 1, with every wanted
	// event printed first.
	want := "Event: Newchannel\nPrivilege: call,all\nSystemName: refast\nChannel: Local/2000@default-00001b58;1\n" +
		"ChannelState: 0\nChannelStateDesc: Down\nUniqueid: refast-1795775702.14000\n\n" +
		"Event: Hangup\nPrivilege: call,all\nSystemName: refast\nChannel: Local/2000@default-00001b58;1\n" +
		"Cause: 16\nCause-txt: Normal Clearing\n\n"
	if code != 1 || out != want || !strings.Contains(errs, "connection to "+s.addr()+" ended") {
		t.Errorf("code %d\nstdout %q\nwant   %q\nstderr %q", code, out, want, errs)
	}
	if got := s.lastLogin().Get("Events"); got != "call,system" {
		t.Errorf("login Events %q, want call,system", got)
	}
}

// syncBuffer is a stdout that can be read while written, and reports its
// first write.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
	once  sync.Once
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.once.Do(func() { close(w.wrote) })
	return w.buf.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestTailEventsInterrupted(t *testing.T) {
	s := startFakeAMI(t, true, false) // sends events after login, stays up
	for _, k := range []string{"ASTERISM_ADDR", "ASTERISM_USER", "ASTERISM_SECRET"} {
		t.Setenv(k, "")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{wrote: make(chan struct{})}
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- tailEvents(ctx, []string{"-addr", s.addr(), "-filter", "Hangup"}, out, &errb) }()
	// Events are printed once logged in; then interrupt.
	select {
	case <-out.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("no event printed")
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.HasPrefix(out.String(), "Event: Hangup\n") {
			t.Errorf("code %d after interrupt, stdout %q, stderr %q", code, out.String(), errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tailEvents did not stop on interrupt")
	}
}
