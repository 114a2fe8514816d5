package manager_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/manager"
)

// TestSendRaw checks that a raw answer reaches the client byte for byte,
// with no Response or ActionID, and that the session goes on working.
func TestSendRaw(t *testing.T) {
	f, err := conf.Parse("manager.conf", strings.NewReader("[general]\nenabled=yes\n[u]\nsecret=pw\nread=all\nwrite=all\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := manager.ParseConfig(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := manager.New(manager.Options{Config: cfg})
	const raw = "line one\r\nline two\r\n\r\n"
	if err := m.Register(&manager.Action{Name: "RawThing", Handler: func(_ context.Context, s *manager.Session, _ *ami.Message) error {
		s.SendRaw(raw)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go m.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Shutdown(ctx)
	})
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	if _, err := br.ReadString('\n'); err != nil { // banner
		t.Fatal(err)
	}
	readBlock := func() string {
		var sb strings.Builder
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v (so far %q)", err, sb.String())
			}
			sb.WriteString(l)
			if l == "\r\n" {
				return sb.String()
			}
		}
	}
	conn.Write([]byte("Action: Login\r\nUsername: u\r\nSecret: pw\r\nEvents: off\r\n\r\n"))
	if got := readBlock(); !strings.HasPrefix(got, "Response: Success") {
		t.Fatalf("login: %q", got)
	}
	conn.Write([]byte("Action: RawThing\r\nActionID: r1\r\n\r\nAction: Ping\r\nActionID: p1\r\n\r\n"))
	if got := readBlock(); got != raw {
		t.Fatalf("raw answer = %q, want %q", got, raw)
	}
	if got := readBlock(); !strings.Contains(got, "Response: Success\r\nActionID: p1\r\n") {
		t.Fatalf("ping after raw = %q", got)
	}
}
