package amitest_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/manager"
)

// TestStart is also the example of use: a test of an AMI client starts a
// server, logs in with the default user, and can publish events of its own.
func TestStart(t *testing.T) {
	srv := amitest.Start(t)
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	if banner, _ := br.ReadString('\n'); banner != "Asterisk Call Manager/9.0.0\r\n" {
		t.Fatalf("banner %q", banner)
	}
	fmt.Fprintf(c, "Action: Login\r\nUsername: %s\r\nSecret: %s\r\nEvents: user\r\n\r\n", srv.Username, srv.Secret)
	waitFor(t, br, "Message: Authentication accepted")

	srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser})
	waitFor(t, br, "Event: UserEvent")
	if st := srv.Manager.Stats(); st.Logins != 1 || st.EventsQueued == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOwnConfigAndSystemName(t *testing.T) {
	srv := amitest.Start(t,
		amitest.ManagerConf("[general]\nenabled = yes\n\n[bob]\nsecret = pw\nread = all\nwrite = all\n"),
		amitest.SystemName("lab"))
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	br.ReadString('\n')
	fmt.Fprintf(c, "Action: Login\r\nUsername: bob\r\nSecret: pw\r\nEvents: user\r\n\r\nAction: UserEvent\r\nUserEvent: X\r\n\r\n")
	waitFor(t, br, "Event: UserEvent")
	br.ReadString('\n') // Privilege
	if line, _ := br.ReadString('\n'); strings.TrimSpace(line) != "SystemName: lab" {
		t.Fatalf("after Privilege: %q", line)
	}
}

func waitFor(t *testing.T, br *bufio.Reader, want string) {
	t.Helper()
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if strings.TrimRight(l, "\r\n") == want {
			return
		}
	}
}
