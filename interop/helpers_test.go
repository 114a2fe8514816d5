package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/manager"
)

// clientTimeout bounds one client run, start to exit. A run takes well
// under a second; the slack is for a loaded 2-core CI machine under -race.
const clientTimeout = 60 * time.Second

// missing skips the test when a client or its runtime is not installed,
// loudly, since a skipped interop test proves nothing. With CI=true it
// fails instead: CI must have installed everything (.ci/run does).
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("interop client missing in CI: %s", msg)
	}
	t.Skipf("\n!!!!!!!! INTEROP TEST SKIPPED: %s\n!!!!!!!! run `bash .ci/run` or install it; CI=true makes this a failure", msg)
}

// message is one AMI message as a client parsed it: lowercased header
// names, every value of each.
type message map[string][]string

// get returns the first value of header key, or "".
func (m message) get(key string) string {
	if v := m[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// report is what a client script prints after "RESULT ".
type report struct {
	// Version is the AMI version the client read from the banner, for
	// clients that read it.
	Version       string             `json:"version"`
	Authenticated *bool              `json:"authenticated"`
	Steps         map[string]message `json:"steps"`
	FullyBooted   message            `json:"fullybooted"`
	UserEvents    []message          `json:"userevents"`
	Closed        bool               `json:"closed"`
}

// runClient runs a client script against srv and returns its report. The
// script talks to the test on its stdout and stdin, one line at a time:
//
//	PUBLISH <name>   publish a UserEvent named <name>; the test answers
//	                 "published" once every session has been offered it
//	RESULT <json>    the report; the last line
//
// Other lines are logged. The script is args[0], relative to dir.
func runClient(t *testing.T, srv *amitest.Server, dir, name string, args ...string) *report {
	t.Helper()
	// Reading the script here also makes go test's cache notice edits to it.
	if _, err := os.ReadFile(filepath.Join(dir, args[0])); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	host, port, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, name, append(args, host, port, srv.Username, srv.Secret)...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	pub := dialAMI(t, srv)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}

	var rep *report
	var protoErr error
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && protoErr == nil {
		line := sc.Text()
		switch verb, arg, _ := strings.Cut(line, " "); verb {
		case "PUBLISH":
			if protoErr = pub.publish(arg); protoErr == nil {
				_, protoErr = io.WriteString(stdin, "published\n")
			}
		case "RESULT":
			rep = new(report)
			if err := json.Unmarshal([]byte(arg), rep); err != nil {
				protoErr = fmt.Errorf("bad RESULT line: %v\n%s", err, arg)
			}
		default:
			t.Logf("client: %s", line)
		}
	}
	if protoErr != nil {
		cancel() // the client may be waiting for us
	}
	io.Copy(io.Discard, stdout)
	stdin.Close()
	err = cmd.Wait()
	if stderr.Len() > 0 {
		t.Logf("client stderr:\n%s", stderr.Bytes())
	}
	switch {
	case protoErr != nil:
		t.Fatal(protoErr)
	case ctx.Err() != nil:
		t.Fatalf("client did not finish within %v: %v", clientTimeout, err)
	case err != nil:
		t.Fatalf("client failed: %v", err)
	case rep == nil:
		t.Fatal("client exited without a RESULT line")
	}
	if testing.Verbose() {
		b, _ := json.MarshalIndent(rep, "", "  ")
		t.Logf("report:\n%s", b)
	}
	return rep
}

// amiConn is a plain AMI connection for the test's own side: it publishes
// the UserEvents that clients must receive.
type amiConn struct {
	conn net.Conn
	r    *bufio.Reader
	id   int
}

// dialAMI connects to srv and logs in with events off.
func dialAMI(t *testing.T, srv *amitest.Server) *amiConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	a := &amiConn{conn: conn, r: bufio.NewReader(conn)}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	banner, err := a.r.ReadString('\n')
	if err != nil || banner != manager.Banner {
		t.Fatalf("banner %q, %v; want %q", banner, err, manager.Banner)
	}
	resp, err := a.do("Action", "Login", "Username", srv.Username, "Secret", srv.Secret, "Events", "off")
	if err != nil || resp.get("response") != "Success" {
		t.Fatalf("publisher login: %v %v", resp, err)
	}
	return a
}

// do sends an action with a fresh ActionID and returns its response,
// skipping any other message.
func (a *amiConn) do(kv ...string) (message, error) {
	a.id++
	id := "interop-" + strconv.Itoa(a.id)
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", kv[i], kv[i+1])
	}
	fmt.Fprintf(&b, "ActionID: %s\r\n\r\n", id)
	a.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(a.conn, b.String()); err != nil {
		return nil, err
	}
	for {
		m := message{}
		for {
			line, err := a.r.ReadString('\n')
			if err != nil {
				return nil, fmt.Errorf("reading response to %s: %w", kv[1], err)
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			k, v, _ := strings.Cut(line, ": ")
			m[strings.ToLower(k)] = append(m[strings.ToLower(k)], v)
		}
		if len(m) > 0 && m.get("response") != "" && m.get("actionid") == id {
			return m, nil
		}
	}
}

// publish sends "Action: UserEvent" named name, then a Ping: the session
// handles its actions in order, so once the Pong is back the event has been
// offered to every session.
func (a *amiConn) publish(name string) error {
	resp, err := a.do("Action", "UserEvent", "UserEvent", name,
		"Header1", "value one", "Header2", "a: b", "Header2", "second")
	if err != nil {
		return err
	}
	if resp.get("response") != "Success" {
		return fmt.Errorf("UserEvent %s: %v", name, resp)
	}
	resp, err = a.do("Action", "Ping")
	if err != nil {
		return err
	}
	if resp.get("ping") != "Pong" {
		return fmt.Errorf("Ping after UserEvent: %v", resp)
	}
	return nil
}

// checkScenario checks what every client script does, in the same order:
// log in, Ping, Command (good and bad), ListCommands, CoreSettings,
// CoreStatus, Events off, a UserEvent, Events on, a UserEvent, Logoff.
func checkScenario(t *testing.T, rep *report) {
	t.Helper()
	step := func(name string) message {
		m, ok := rep.Steps[name]
		if !ok {
			t.Errorf("no %s step in the report", name)
		}
		return m
	}
	want := func(step string, m message, key, value string) {
		t.Helper()
		if got := m.get(key); got != value {
			t.Errorf("%s: %s = %q, want %q (message %v)", step, key, got, value, m)
		}
	}

	login := step("login")
	want("login", login, "response", "Success")
	want("login", login, "message", "Authentication accepted")
	want("FullyBooted", rep.FullyBooted, "status", "Fully Booted")

	ping := step("ping")
	want("ping", ping, "response", "Success")
	want("ping", ping, "ping", "Pong")
	if ts := ping.get("timestamp"); !strings.Contains(ts, ".") {
		t.Errorf("ping: timestamp %q, want seconds.micros", ts)
	}

	cmd := step("command")
	want("command", cmd, "response", "Success")
	want("command", cmd, "message", "Command output follows")
	if out := cmd["output"]; len(out) != 1 || !strings.HasPrefix(out[0], "Asterisk "+manager.AsteriskVersion+" ") {
		t.Errorf("command: output %q, want one line starting %q", out, "Asterisk "+manager.AsteriskVersion)
	}
	bad := step("badcommand")
	want("badcommand", bad, "response", "Error")
	if out := bad.get("output"); !strings.HasPrefix(out, "No such command 'core show nosuchthing'") {
		t.Errorf("badcommand: output %q, want No such command", out)
	}

	lc := step("listcommands")
	want("listcommands", lc, "response", "Success")
	for _, action := range []string{"ping", "command", "userevent", "events", "logoff"} {
		if lc.get(action) == "" {
			t.Errorf("listcommands: no %s in %v", action, lc)
		}
	}
	if p := lc.get("ping"); !strings.HasPrefix(p, "Keepalive command.") {
		t.Errorf("listcommands: Ping = %q", p)
	}

	cs := step("coresettings")
	want("coresettings", cs, "response", "Success")
	want("coresettings", cs, "amiversion", manager.AMIVersion)
	want("coresettings", cs, "asteriskversion", manager.AsteriskVersion)
	st := step("corestatus")
	want("corestatus", st, "response", "Success")
	want("corestatus", st, "corecurrentcalls", "0")

	want("events_off", step("events_off"), "events", "Off")
	want("events_on", step("events_on"), "events", "On")
	var names []string
	for _, ev := range rep.UserEvents {
		names = append(names, ev.get("userevent"))
	}
	if !slices.Equal(names, []string{"InteropOn"}) {
		t.Fatalf("UserEvents received %q, want only InteropOn (InteropOff was sent with events off)", names)
	}
	ev := rep.UserEvents[0]
	want("UserEvent", ev, "event", "UserEvent")
	want("UserEvent", ev, "privilege", "user,all")
	want("UserEvent", ev, "header1", "value one")
	if got := ev["header2"]; !slices.Equal(got, []string{"a: b", "second"}) {
		t.Errorf("UserEvent: Header2 = %q, want [a: b second]", got)
	}

	logoff := step("logoff")
	want("logoff", logoff, "response", "Goodbye")
}
