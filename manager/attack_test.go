package manager_test

import (
	"crypto/rand"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
)

// TestHostileInputLeavesServerUsable throws what an attacker would at the
// server, on many connections at once, and checks that a legitimate client
// is still served and that memory stays bounded.
func TestHostileInputLeavesServerUsable(t *testing.T) {
	hostileInput(t, start(t))
}

func hostileInput(t *testing.T, srv *amitest.Server) {
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	var wg sync.WaitGroup
	attack := func(f func(c net.Conn)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(3 * time.Second))
			f(c)
		}()
	}
	// A 16 MiB line with no newline: must be discarded, never buffered.
	attack(func(c net.Conn) {
		chunk := []byte(strings.Repeat("A", 64<<10))
		for range 256 {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	// Random bytes.
	attack(func(c net.Conn) {
		b := make([]byte, 1<<20)
		rand.Read(b)
		c.Write(b)
	})
	// Endless headers in one message.
	attack(func(c net.Conn) {
		for range 2000 {
			if _, err := c.Write([]byte("X-Header: 12345678901234567890\r\n")); err != nil {
				return
			}
		}
	})
	// Slowloris: a byte at a time.
	attack(func(c net.Conn) {
		for _, b := range []byte("Action: Lo") {
			c.Write([]byte{b})
			time.Sleep(100 * time.Millisecond)
		}
	})
	// Password guessing.
	for range 3 {
		attack(func(c net.Conn) {
			c.Write([]byte("Action: Login\r\nUsername: admin\r\nSecret: guess\r\n\r\n"))
			buf := make([]byte, 512)
			c.Read(buf)
		})
	}

	// Let the attackers take their places first: a client that connects
	// in the same instant as a flood can lose its slot, whatever the
	// policy.
	deadline := time.Now().Add(waitLimit)
	for srv.Manager.Stats().Sessions < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	c := dial(t, srv.Addr)
	c.login("admin", "amp111", "Events", "off")
	for i := range 20 {
		id := "p" + string(rune('a'+i))
		c.action("Action", "Ping", "ActionID", id)
		want(t, c.response(id), "Ping", "Pong")
	}
	wg.Wait()

	// The same session survives a too-long line and too many headers, as
	// Asterisk's does.
	c.send("Action: Ping\r\nActionID: long\r\nX: " + strings.Repeat("a", 10000) + "\r\n\r\n")
	want(t, c.response("long"), "Response", "Error", "Message", "Failed to parse message: line too long")
	c.send("Action: Ping\r\nActionID: many\r\n" + strings.Repeat("X: y\r\n", 1000) + "\r\n")
	want(t, c.response("many"), "Response", "Error", "Message", "Too many lines in message or allocation failure")

	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 8<<20 {
		t.Fatalf("heap grew by %d bytes under hostile input", grew)
	}
}

// TestConnectionFloodLeavesRoom opens thousands of connections that never
// log in, faster than authtimeout can reap them; a real client connecting
// afterwards still logs in, and the number waiting never passes authlimit.
func TestConnectionFloodLeavesRoom(t *testing.T) {
	srv := start(t, amitest.ManagerConf(strings.Replace(usersConf, "authlimit = 5", "authlimit = 50", 1)))
	const flood = 1000
	conns := make([]net.Conn, 0, flood)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range flood {
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatalf("after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	c := dial(t, srv.Addr)
	c.login("admin", "amp111", "Events", "off")
	c.action("Action", "Ping", "ActionID", "p")
	want(t, c.response("p"), "Ping", "Pong")
	if st := srv.Manager.Stats(); st.Unauthenticated > 50 {
		t.Fatalf("%d sessions waiting to log in, authlimit is 50", st.Unauthenticated)
	}
}
