package pbxami_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/app/voicemail"
)

// benchConn is a raw logged-in AMI connection for benchmarks.
type benchConn struct {
	c net.Conn
	r *ami.Reader
}

func benchDial(b *testing.B, srv *amitest.Server) *benchConn {
	b.Helper()
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	br := bufio.NewReader(c)
	if _, err := br.ReadString('\n'); err != nil {
		b.Fatal(err)
	}
	bc := &benchConn{c: c, r: ami.NewReader(br)}
	bc.send("Action: Login\r\nUsername: admin\r\nSecret: amp111\r\n\r\n")
	bc.until(b, func(m *ami.Message) bool { return m.Get("Response") != "" })
	return bc
}

func (bc *benchConn) send(s string) { _, _ = bc.c.Write([]byte(s)) }

func (bc *benchConn) until(b *testing.B, ok func(*ami.Message) bool) {
	bc.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		m, err := bc.r.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if ok(m) {
			return
		}
	}
}

// benchVMEnv writes a configuration with boxes mailboxes (10000, 10001 …)
// in [default] and a spool under it; it returns the config dir and the
// spool's voicemail directory.
func benchVMEnv(b *testing.B, boxes int) (string, string) {
	dir := b.TempDir()
	spool := filepath.Join(dir, "spool")
	var cfg strings.Builder
	cfg.WriteString("[general]\npollmailboxes = no\n[default]\n")
	for i := range boxes {
		fmt.Fprintf(&cfg, "%d => 1,User %d\n", 10000+i, i)
	}
	for name, text := range map[string]string{
		"manager.conf":   amitest.DefaultManagerConf,
		"asterisk.conf":  "[directories]\nastspooldir => " + spool + "\n",
		"voicemail.conf": cfg.String(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir, filepath.Join(spool, "voicemail")
}

// MailboxCount over AMI on a box holding 9,999 messages with their audio.
func BenchmarkMailboxCount10000(b *testing.B) {
	dir, root := benchVMEnv(b, 1)
	inbox := filepath.Join(root, "default", "10000", "INBOX")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range voicemail.MaxMsgLimit {
		p := voicemail.MsgPath(inbox, i)
		os.WriteFile(p+".txt", nil, 0o644)
		os.WriteFile(p+".wav", nil, 0o644)
	}
	srv := amitest.Start(b, amitest.ConfigDir(dir))
	bc := benchDial(b, srv)
	for b.Loop() {
		bc.send("Action: MailboxCount\r\nMailbox: 10000@default\r\n\r\n")
		bc.until(b, func(m *ami.Message) bool {
			if m.Get("Response") == "" {
				return false
			}
			if m.Get("NewMessages") != "9999" {
				b.Fatalf("MailboxCount: %v", m)
			}
			return true
		})
	}
}

// 1,000 mailboxes change (a message dropped into each by another
// program), then one VoicemailRefresh: MessageWaiting events per second
// delivered to an AMI session.
func BenchmarkMessageWaiting1000Boxes(b *testing.B) {
	dir, root := benchVMEnv(b, 1000)
	srv := amitest.Start(b, amitest.ConfigDir(dir))
	bc := benchDial(b, srv)
	events := 0
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		for i := range 1000 {
			inbox := filepath.Join(root, "default", fmt.Sprint(10000+i), "INBOX")
			os.MkdirAll(inbox, 0o755)
			os.WriteFile(voicemail.MsgPath(inbox, n)+".txt", nil, 0o644)
		}
		b.StartTimer()
		bc.send("Action: VoicemailRefresh\r\n\r\n")
		got := 0
		bc.until(b, func(m *ami.Message) bool {
			if m.Get("Event") == "MessageWaiting" {
				got++
			}
			return got == 1000
		})
		events += got
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
