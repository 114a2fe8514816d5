package manager_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/manager"
)

const usersConf = `[general]
enabled = yes
bindaddr = 127.0.0.1
authtimeout = 2
authlimit = 5

[admin]
secret = amp111
read = all
write = all

[reader]
secret = readerpw
read = system,call,agent
write =

[caller]
secret = callerpw
read = call
write = call,originate

[single]
secret = singlepw
read = all
write = all
allowmultiplelogin = no

[userclass]
secret = userpw
read = user
write = user

[filtered]
secret = filteredpw
read = all
write = all
eventfilter = !UserEvent: Noisy
`

func start(t *testing.T, opts ...amitest.Option) *amitest.Server {
	return amitest.Start(t, append([]amitest.Option{amitest.ManagerConf(usersConf)}, opts...)...)
}

func TestEventClassesNeedAllOfThem(t *testing.T) {
	srv := start(t)
	admin := dial(t, srv.Addr)
	admin.login("admin", "amp111", "Events", "off")
	caller := dial(t, srv.Addr)
	caller.login("caller", "callerpw")

	// call|agent: caller holds call but not agent, so it must not see it.
	srv.Manager.Publish(&manager.Event{Name: "TwoClass", Class: manager.PermCall | manager.PermAgent,
		Headers: []ami.Header{{Key: "N", Value: "1"}}})
	srv.Manager.Publish(&manager.Event{Name: "OneClass", Class: manager.PermCall,
		Headers: []ami.Header{{Key: "N", Value: "2"}}})
	ev := caller.readUntil(func(m *ami.Message) bool { return m.Get("Event") != "SuccessfulAuth" })
	want(t, ev, "Event", "OneClass", "Privilege", "call,all", "N", "2")
}

func TestEventsMaskLimitedByReadPerm(t *testing.T) {
	srv := start(t)
	r := dial(t, srv.Addr)
	r.login("reader", "readerpw") // gets FullyBooted: reader has system read
	ev := r.read()
	want(t, ev, "Event", "FullyBooted", "Privilege", "system,all", "Status", "Fully Booted")
	// Events: user is accepted ("On") but reader may not read user events.
	r.action("Action", "Events", "ActionID", "e1", "EventMask", "user")
	want(t, r.response("e1"), "Response", "Success", "Events", "On")
	srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser})
	r.action("Action", "Events", "ActionID", "e2", "EventMask", "call")
	want(t, r.response("e2"), "Events", "On")
	srv.Manager.Publish(&manager.Event{Name: "Marker", Class: manager.PermCall})
	ev = r.read()
	want(t, ev, "Event", "Marker")
}

func TestPermissionDenied(t *testing.T) {
	srv := start(t)
	r := dial(t, srv.Addr)
	r.login("reader", "readerpw", "Events", "off")
	for _, a := range []string{"Command", "UserEvent", "Filter", "CoreSettings"} {
		if a == "CoreSettings" {
			continue // reader has no reporting/system write either; checked below
		}
		r.action("Action", a, "ActionID", a, "Command", "core show version")
		want(t, r.response(a), "Response", "Error", "Message", "Permission denied")
	}
	r.action("Action", "CoreSettings", "ActionID", "cs")
	want(t, r.response("cs"), "Response", "Error", "Message", "Permission denied")
	r.action("Action", "Ping", "ActionID", "p")
	want(t, r.response("p"), "Response", "Success", "Ping", "Pong")

	// ListCommands lists only what the user may run.
	r.action("Action", "ListCommands", "ActionID", "lc")
	lc := r.response("lc")
	if lc.Get("Command") != "" || lc.Get("Ping") != "Keepalive command.  (Priv: <none>)" {
		t.Fatalf("reader's ListCommands:\n%s", lc)
	}
}

func TestUnknownAndMissingAction(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	c.action("Action", "Ping", "ActionID", "pre")
	want(t, c.response("pre"), "Response", "Error", "Message", "Permission denied")
	c.send("Foo: bar\r\nActionID: x\r\n\r\n")
	want(t, c.response("x"), "Message", "Missing action in request")
	c.login("admin", "amp111", "Events", "off")
	c.action("Action", "NoSuchAction", "ActionID", "u")
	want(t, c.response("u"), "Message", "Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.")
}

func TestLoginFailureClosesAfterDelay(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	began := time.Now()
	c.action("Action", "Login", "ActionID", "bad", "Username", "admin", "Secret", "nope")
	want(t, c.response("bad"), "Response", "Error", "Message", "Authentication failed")
	if d := time.Since(began); d < 900*time.Millisecond {
		t.Fatalf("failed login answered after %v; Asterisk waits 1 s", d)
	}
	c.expectClosed()
	if st := srv.Manager.Stats(); st.LoginFailures != 1 {
		t.Fatalf("LoginFailures = %d", st.LoginFailures)
	}
}

func TestMD5Login(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	c.action("Action", "Challenge", "ActionID", "ch", "AuthType", "md5")
	ch := c.response("ch").Get("Challenge")
	if _, err := strconv.ParseUint(ch, 10, 32); err != nil {
		t.Fatalf("challenge %q is not a decimal number", ch)
	}
	c.action("Action", "Login", "ActionID", "l", "AuthType", "MD5", "Username", "ADMIN", "Key", md5hex(ch+"amp111"), "Events", "off")
	want(t, c.response("l"), "Response", "Success", "Message", "Authentication accepted")
}

func TestAllowMultipleLoginNo(t *testing.T) {
	srv := start(t)
	a := dial(t, srv.Addr)
	a.login("single", "singlepw", "Events", "off")
	b := dial(t, srv.Addr)
	b.action("Action", "Login", "ActionID", "2", "Username", "single", "Secret", "singlepw")
	want(t, b.response("2"), "Response", "Error", "Message", "Login Already In Use")
	b.expectClosed()
}

func TestAuthTimeoutClosesSilently(t *testing.T) {
	srv := start(t) // authtimeout = 2
	c := dial(t, srv.Addr)
	began := time.Now()
	c.expectClosed()
	if d := time.Since(began); d < 1500*time.Millisecond {
		t.Fatalf("closed after %v, authtimeout is 2 s", d)
	}
}

// TestAuthLimitKeepsRoomForRealClients: idle connections that never log in
// fill authlimit; a real client still gets in, because the idlest waiting
// session makes room.
func TestAuthLimitKeepsRoomForRealClients(t *testing.T) {
	srv := start(t) // authlimit = 5
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	c := dial(t, srv.Addr)
	c.login("admin", "amp111", "Events", "off")
	c.action("Action", "Ping", "ActionID", "p")
	want(t, c.response("p"), "Ping", "Pong")
	if st := srv.Manager.Stats(); st.Unauthenticated > 5 || st.Evicted == 0 {
		t.Fatalf("stats %+v: want at most 5 waiting and some evicted", st)
	}
}

func TestUserEventReachesOnlyPermittedSessions(t *testing.T) {
	srv := start(t)
	pub := dial(t, srv.Addr)
	pub.login("admin", "amp111", "Events", "off")
	u := dial(t, srv.Addr)
	u.login("userclass", "userpw")
	f := dial(t, srv.Addr)
	f.login("filtered", "filteredpw", "Events", "user")

	pub.action("Action", "UserEvent", "ActionID", "n", "UserEvent", "Noisy", "Hdr", "1")
	want(t, pub.response("n"), "Message", "Event Sent")
	pub.action("Action", "UserEvent", "ActionID", "q", "UserEvent", "Quiet", "Hdr", "2")
	pub.response("q")

	ev := u.read()
	want(t, ev, "Event", "UserEvent", "Privilege", "user,all", "UserEvent", "Noisy", "ActionID", "n", "Hdr", "1")
	want(t, u.read(), "UserEvent", "Quiet")
	// The filtered user's eventfilter drops Noisy.
	want(t, f.read(), "Event", "UserEvent", "UserEvent", "Quiet")
}

func TestFilterAction(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	c.login("admin", "amp111", "Events", "user")
	c.action("Action", "Filter", "ActionID", "f", "Operation", "Add", "Filter", "UserEvent: Keep")
	want(t, c.response("f"), "Response", "Success")
	c.action("Action", "Filter", "ActionID", "bad", "Operation", "Add", "Filter", "([")
	want(t, c.response("bad"), "Response", "Error", "Message", "Filter did not compile.  Check the syntax of the filter given.")
	c.action("Action", "Filter", "ActionID", "op", "Operation", "Remove", "Filter", "x")
	want(t, c.response("op"), "Message", "Unknown operation")
	srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser, Headers: []ami.Header{{Key: "UserEvent", Value: "Drop"}}})
	srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser, Headers: []ami.Header{{Key: "UserEvent", Value: "Keep"}}})
	want(t, c.read(), "UserEvent", "Keep")
}

func TestCommandThroughCLITable(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	c.login("admin", "amp111", "Events", "off")
	c.action("Action", "Command", "ActionID", "v", "Command", "core show version")
	r := c.response("v")
	want(t, r, "Response", "Success", "Message", "Command output follows")
	if out := r.Get("Output"); !strings.HasPrefix(out, "Asterisk 20.20.1 built by Asterism-") || !strings.HasSuffix(out, " UTC") {
		t.Fatalf("core show version: %q", out)
	}
	c.action("Action", "Command", "ActionID", "u", "Command", "manager show users")
	users := c.response("u").Values("Output")
	if strings.Join(users, "\n") != "\nusername\n--------\nadmin\ncaller\nfiltered\nreader\nsingle\nuserclass\n-------------------\n6 manager users configured." {
		t.Fatalf("manager show users:\n%s", strings.Join(users, "\n"))
	}
	c.action("Action", "Command", "ActionID", "bl", "Command", "module load chan_sip.so")
	want(t, c.response("bl"), "Response", "Error", "Message", "Command blacklisted")
	c.action("Action", "Command", "ActionID", "mc", "Command", "manager show connected")
	out := c.response("mc").Values("Output")
	if len(out) != 3 || !strings.HasPrefix(out[1], "admin ") || out[2] != "1 users connected." {
		t.Fatalf("manager show connected:\n%s", strings.Join(out, "\n"))
	}
}

func TestReloadKeepsSessions(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	c.login("admin", "amp111")
	conf := strings.Replace(usersConf, "[caller]", "[newbie]\nsecret = newpw\nread = all\nwrite = all\n\n[caller]", 1)
	if err := os.WriteFile(filepath.Join(srv.Dir, "manager.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	c.action("Action", "Reload", "ActionID", "r", "Module", "manager")
	want(t, c.response("r"), "Response", "Success", "Message", "Module Reloaded")
	ev := c.readUntil(func(m *ami.Message) bool { return m.Get("Event") == "Reload" })
	want(t, ev, "Module", "Manager", "Message", "Manager reload Requested")
	n := dial(t, srv.Addr)
	n.login("newbie", "newpw", "Events", "off")
	c.action("Action", "Reload", "ActionID", "r2", "Module", "nosuch")
	want(t, c.response("r2"), "Response", "Error", "Message", "No such module")
}

// TestSlowConsumerIsCutOff: a subscriber that never reads is disconnected
// and its losses counted, while the publisher goes on at full speed and a
// reading subscriber gets every event in order.
func TestSlowConsumerIsCutOff(t *testing.T) {
	srv := start(t, amitest.MaxPending(256<<10))
	stalled := dial(t, srv.Addr)
	stalled.login("admin", "amp111", "Events", "user")
	reader := dial(t, srv.Addr)
	reader.login("admin", "amp111", "Events", "user")

	const n = 20000
	var wg sync.WaitGroup
	wg.Add(1)
	var got atomic.Int64
	var readErr error
	go func() {
		defer wg.Done()
		for got.Load() < n {
			reader.c.SetReadDeadline(time.Now().Add(waitLimit))
			m, err := reader.rd.ReadMessage()
			if err != nil {
				readErr = err
				return
			}
			if m.Get("Event") != "UserEvent" {
				continue
			}
			if m.Get("Seq") != strconv.Itoa(int(got.Load())) {
				readErr = fmt.Errorf("event %d has Seq %s", got.Load(), m.Get("Seq"))
				return
			}
			got.Add(1)
		}
	}()
	// 16 MB in all: more than the stalled client's socket buffers and
	// MaxPending together. The publisher paces itself on the reading
	// subscriber, which therefore keeps up; it never waits on the
	// stalled one.
	pad := strings.Repeat("x", 800)
	for i := range n {
		srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser,
			Headers: []ami.Header{{Key: "UserEvent", Value: "Load"}, {Key: "Seq", Value: strconv.Itoa(i)}, {Key: "Pad", Value: pad}}})
		for deadline := time.Now().Add(waitLimit); int64(i)-got.Load() > 100 && readErr == nil && time.Now().Before(deadline); {
			time.Sleep(100 * time.Microsecond)
		}
	}
	wg.Wait()
	if readErr != nil {
		t.Fatalf("reading subscriber: after %d events: %v", got.Load(), readErr)
	}
	stalled.expectClosed()
	st := srv.Manager.Stats()
	if st.SlowConsumers < 1 || st.EventsLost == 0 {
		t.Fatalf("stats %+v: want the stalled subscriber counted as slow, with lost events", st)
	}
}

// TestPipelinedResponsesStayInOrder: thousands of Pings written at once,
// with events flowing at the same time, are answered in order.
func TestPipelinedResponsesStayInOrder(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	c.login("admin", "amp111", "Events", "user")
	const n = 5000
	go func() {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "Action: Ping\r\nActionID: %d\r\n\r\n", i)
		}
		c.c.Write([]byte(b.String()))
	}()
	go func() {
		for range 500 {
			srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser})
		}
	}()
	next := 0
	for next < n {
		m := c.read()
		if _, ok := m.Lookup("Response"); !ok {
			continue
		}
		if m.ActionID() != strconv.Itoa(next) {
			t.Fatalf("response %d has ActionID %s", next, m.ActionID())
		}
		next++
	}
}

func TestShutdownSendsEventAndCloses(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	c.login("admin", "amp111", "Events", "system")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go srv.Manager.Shutdown(ctx)
	ev := c.readUntil(func(m *ami.Message) bool { return m.Get("Event") == "Shutdown" })
	want(t, ev, "Privilege", "system,all", "Shutdown", "Cleanly", "Restart", "False")
	c.expectClosed()
}

// TestSlowActionDoesNotHoldBackEvents: while a WaitEvent (a slow action)
// runs, events still reach the session; its answer comes once it is done,
// and answers to later requests stay behind it, in order.
func TestSlowActionDoesNotHoldBackEvents(t *testing.T) {
	srv := start(t)
	c := dial(t, srv.Addr)
	c.login("admin", "amp111", "Events", "user")
	c.action("Action", "WaitEvent", "ActionID", "w", "Timeout", "30")
	c.action("Action", "Ping", "ActionID", "after")
	time.Sleep(50 * time.Millisecond) // let WaitEvent start waiting
	srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser, Headers: []ami.Header{{Key: "UserEvent", Value: "During"}}})
	want(t, c.read(), "Event", "UserEvent", "UserEvent", "During")
	want(t, c.read(), "Response", "Success", "ActionID", "w", "Message", "Waiting for Event completed.")
	want(t, c.read(), "Event", "WaitEventComplete", "ActionID", "w")
	want(t, c.read(), "Response", "Success", "ActionID", "after", "Ping", "Pong")
}

// TestACLRefusesLogin: a user whose permit/deny rules leave out the
// client's address cannot log in, even with the right secret, and security
// readers see FailedACL.
func TestACLRefusesLogin(t *testing.T) {
	conf := usersConf + "\n[remote]\nsecret = remotepw\ndeny = 0.0.0.0/0.0.0.0\npermit = 10.0.0.0/255.0.0.0\nread = all\nwrite = all\n"
	srv := start(t, amitest.ManagerConf(conf))
	admin := dial(t, srv.Addr)
	admin.login("admin", "amp111", "Events", "security")
	c := dial(t, srv.Addr)
	c.action("Action", "Login", "ActionID", "acl", "Username", "remote", "Secret", "remotepw")
	want(t, c.response("acl"), "Response", "Error", "Message", "Authentication failed")
	c.expectClosed()
	ev := admin.readUntil(func(m *ami.Message) bool { return m.Get("Event") == "FailedACL" })
	want(t, ev, "Privilege", "security,all", "AccountID", "remote", "Service", "AMI", "Severity", "Error")
}

// TestGoodbyeNotLostBehindAnEvent pins a race found by the node interop
// test: when Logoff came while a writer goroutine was still sending an
// event, the session closed without its Goodbye.
func TestGoodbyeNotLostBehindAnEvent(t *testing.T) {
	srv := start(t)
	for range 200 {
		c := dial(t, srv.Addr)
		c.login("admin", "amp111", "Events", "user")
		srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser, Headers: []ami.Header{{Key: "UserEvent", Value: "X"}}})
		c.readUntil(func(m *ami.Message) bool { return m.Get("Event") == "UserEvent" })
		c.send("Action: Logoff\r\nActionID: bye\r\n\r\n")
		want(t, c.response("bye"), "Response", "Goodbye", "Message", "Thanks for all the fish.")
		c.expectClosed()
		c.c.Close()
	}
}
