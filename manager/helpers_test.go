package manager_test

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
)

// conn is a bare-bones AMI client for tests: raw writes, parsed reads.
type conn struct {
	t  testing.TB
	c  net.Conn
	rd *ami.Reader
	br *bufio.Reader
}

const waitLimit = 10 * time.Second

func dial(t testing.TB, addr string) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitLimit)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	br := bufio.NewReaderSize(c, 64<<10)
	cc := &conn{t: t, c: c, br: br, rd: ami.NewReader(br)}
	c.SetReadDeadline(time.Now().Add(waitLimit))
	banner, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("banner: %v", err)
	}
	if banner != "Asterisk Call Manager/9.0.0\r\n" {
		t.Fatalf("banner = %q", banner)
	}
	return cc
}

func (c *conn) send(raw string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(waitLimit))
	if _, err := c.c.Write([]byte(raw)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// action sends a block built from key/value pairs.
func (c *conn) action(kv ...string) {
	c.t.Helper()
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", kv[i], kv[i+1])
	}
	b.WriteString("\r\n")
	c.send(b.String())
}

func (c *conn) read() *ami.Message {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(waitLimit))
	m, err := c.rd.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// readUntil reads messages until one satisfies ok, returning it.
func (c *conn) readUntil(ok func(*ami.Message) bool) *ami.Message {
	c.t.Helper()
	for {
		m := c.read()
		if ok(m) {
			return m
		}
	}
}

// response reads until the Response carrying actionID.
func (c *conn) response(actionID string) *ami.Message {
	c.t.Helper()
	return c.readUntil(func(m *ami.Message) bool {
		_, isResp := m.Lookup("Response")
		return isResp && m.ActionID() == actionID
	})
}

func (c *conn) login(user, secret string, extra ...string) {
	c.t.Helper()
	c.action(append([]string{"Action", "Login", "ActionID", "login", "Username", user, "Secret", secret}, extra...)...)
	r := c.response("login")
	if r.Get("Response") != "Success" {
		c.t.Fatalf("login as %s: %v", user, r)
	}
}

// expectClosed waits for the server to close the connection.
func (c *conn) expectClosed() {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(waitLimit))
	for {
		if _, err := c.rd.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatalf("connection still open after %v", waitLimit)
			}
			return
		}
	}
}

func want(t testing.TB, m *ami.Message, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := m.Get(kv[i]); got != kv[i+1] {
			t.Fatalf("%s = %q, want %q in\n%s", kv[i], got, kv[i+1], m)
		}
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
