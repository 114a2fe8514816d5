package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoOriginate runs the README's tour on the embedded demo config: an
// Async Originate of Sim/100 into demo,101 answers, runs the dialplan,
// which dials phone 101, and the two phones are bridged.
func TestDemoOriginate(t *testing.T) {
	dir := t.TempDir()
	if err := writeDemo(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "manager.conf"))
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	conf := strings.Replace(string(b), "port = 5038", fmt.Sprintf("port = %d", port), 1)
	if err := os.WriteFile(filepath.Join(dir, "manager.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := startServer(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.shutdown(log)
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := amiLoginAs(t, c, "admin", "amp111")
	fmt.Fprint(c, "Action: Originate\r\nChannel: Sim/100\r\nContext: demo\r\nExten: 101\r\nPriority: 1\r\nAsync: true\r\n\r\n")
	waitLine(t, br, "Message: Originate successfully queued")
	waitLine(t, br, "Event: OriginateResponse")
	waitLine(t, br, "Response: Success")
	waitLine(t, br, "Application: Dial")
	waitLine(t, br, "Event: DialEnd")
	waitLine(t, br, "DialStatus: ANSWER")
	waitLine(t, br, "Event: BridgeEnter")
	waitLine(t, br, "Event: BridgeEnter")
	fmt.Fprint(c, "Action: Hangup\r\nChannel: /^Sim/\r\n\r\n")
	waitLine(t, br, "Event: Hangup")
}

// amiLoginAs reads the banner, logs in as user and returns a line reader
// positioned after the login answer.
func amiLoginAs(t *testing.T, c net.Conn, user, secret string) *bufio.Reader {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "Action: Login\r\nUsername: %s\r\nSecret: %s\r\n\r\n", user, secret)
	waitLine(t, br, "Message: Authentication accepted")
	return br
}
