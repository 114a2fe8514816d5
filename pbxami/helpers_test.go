package pbxami_test

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
)

// conn is a logged-in AMI connection that keeps every message it reads.
type conn struct {
	t    *testing.T
	c    net.Conn
	r    *ami.Reader
	seen []*ami.Message
	n    int
}

func dial(t *testing.T, srv *amitest.Server) *conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	br := bufio.NewReader(c)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	cn := &conn{t: t, c: c, r: ami.NewReader(br)}
	r := cn.do("Login", "Username", srv.Username, "Secret", srv.Secret)
	if r.Get("Response") != "Success" {
		t.Fatalf("login: %v", r)
	}
	return cn
}

// send sends an action with a fresh ActionID and returns the ActionID.
func (c *conn) send(action string, kv ...string) string {
	c.t.Helper()
	c.n++
	id := fmt.Sprintf("t-%d", c.n)
	var b strings.Builder
	fmt.Fprintf(&b, "Action: %s\r\nActionID: %s\r\n", action, id)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", kv[i], kv[i+1])
	}
	b.WriteString("\r\n")
	if _, err := c.c.Write([]byte(b.String())); err != nil {
		c.t.Fatal(err)
	}
	return id
}

// do sends an action and returns its response.
func (c *conn) do(action string, kv ...string) *ami.Message {
	c.t.Helper()
	id := c.send(action, kv...)
	return c.wait(func(m *ami.Message) bool { return m.Get("Response") != "" && m.ActionID() == id })
}

// wait reads until a message satisfies ok (looking at those already read
// first) and returns it.
func (c *conn) wait(ok func(*ami.Message) bool) *ami.Message {
	c.t.Helper()
	for _, m := range c.seen {
		if ok(m) {
			return m
		}
	}
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		m, err := c.r.ReadMessage()
		if err != nil {
			c.t.Fatalf("waiting: %v (read so far: %d messages)", err, len(c.seen))
		}
		if m.Len() == 0 {
			continue
		}
		c.seen = append(c.seen, m)
		if ok(m) {
			return m
		}
	}
}

// event waits for the event name whose header key is value.
func (c *conn) event(name, key, value string) *ami.Message {
	c.t.Helper()
	return c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == name && (key == "" || m.Get(key) == value)
	})
}

// list sends a list action and returns its response and item events, up to
// and including the Complete event.
func (c *conn) list(action string, kv ...string) (*ami.Message, []*ami.Message) {
	c.t.Helper()
	id := c.send(action, kv...)
	resp := c.wait(func(m *ami.Message) bool { return m.Get("Response") != "" && m.ActionID() == id })
	if resp.Get("Response") != "Success" {
		return resp, nil
	}
	var items []*ami.Message
	c.wait(func(m *ami.Message) bool {
		if m.Get("Event") == "" || m.ActionID() != id {
			return false
		}
		items = append(items, m)
		return m.Get("EventList") == "Complete"
	})
	return resp, items
}

// keys returns the header names of m, in order.
func keys(m *ami.Message) []string {
	var ks []string
	for _, h := range m.Headers {
		ks = append(ks, h.Key)
	}
	return ks
}

// start starts a server as amitest.Start does and, once the test and the
// server's shutdown are over, checks that every goroutine it started has
// ended. Tests that use it must not run in parallel.
func start(t *testing.T, opts ...amitest.Option) *amitest.Server {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	return amitest.Start(t, opts...)
}

// waitIdle waits until the PBX has no channel left.
func waitIdle(t *testing.T, srv *amitest.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.PBX.Core.Count() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d channels left", srv.PBX.Core.Count())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkKeys fails unless m's header names are want.
func checkKeys(t *testing.T, m *ami.Message, want ...string) {
	t.Helper()
	if got := strings.Join(keys(m), ","); got != strings.Join(want, ",") {
		t.Errorf("%s headers:\n got %s\nwant %s", m.Get("Event"), got, strings.Join(want, ","))
	}
}

// snapshotKeys is the channel snapshot block of Asterisk 20.
var snapshotKeys = []string{"Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
	"ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority",
	"Uniqueid", "Linkedid"}

func with(extra ...string) []string {
	return append(append([]string{"Event", "Privilege"}, snapshotKeys...), extra...)
}
