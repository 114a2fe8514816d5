package interop

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/chan/iax2"
)

// iaxConf has a peer for iaxmodem with quick qualify timings, so that a
// dead modem turns UNREACHABLE within seconds, and a peer whose modem is
// given the wrong secret.
const iaxConf = `[general]
bindaddr = 127.0.0.1
bindport = 0
[modem]
type = friend
host = dynamic
secret = modemsecret
qualify = yes
qualifyfreqok = 500
qualifyfreqnotok = 500
context = default
[badmodem]
type = friend
host = dynamic
secret = rightsecret
context = default
`

// amiEvents is a logged-in AMI connection that reads every message.
type amiEvents struct {
	t *testing.T
	c net.Conn
	r *ami.Reader
	n int
}

func iaxDialAMI(t *testing.T, srv *amitest.Server) *amiEvents {
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
	a := &amiEvents{t: t, c: c, r: ami.NewReader(br)}
	a.send("Login", "Username", srv.Username, "Secret", srv.Secret)
	a.wait(10*time.Second, func(m *ami.Message) bool { return m.Get("Response") == "Success" })
	return a
}

func (a *amiEvents) send(action string, kv ...string) string {
	a.n++
	id := fmt.Sprintf("iax-%d", a.n)
	var b strings.Builder
	fmt.Fprintf(&b, "Action: %s\r\nActionID: %s\r\n", action, id)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", kv[i], kv[i+1])
	}
	b.WriteString("\r\n")
	if _, err := a.c.Write([]byte(b.String())); err != nil {
		a.t.Fatal(err)
	}
	return id
}

// wait reads until ok accepts a message, or fails after d.
func (a *amiEvents) wait(d time.Duration, ok func(*ami.Message) bool) *ami.Message {
	a.t.Helper()
	_ = a.c.SetReadDeadline(time.Now().Add(d))
	for {
		m, err := a.r.ReadMessage()
		if err != nil {
			a.t.Fatalf("AMI: waited %v: %v", d, err)
		}
		if ok(m) {
			return m
		}
	}
}

func peerStatus(peer, status string) func(*ami.Message) bool {
	return func(m *ami.Message) bool {
		return m.Get("Event") == "PeerStatus" && m.Get("Peer") == "IAX2/"+peer && m.Get("PeerStatus") == status
	}
}

// startModem runs iaxmodem with a configuration of its own (it only
// reads /etc/iaxmodem/<name>) and returns the running process.
func startModem(t *testing.T, iaxPort uint16, peer, secret, instance string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	name := fmt.Sprintf("asterism-%d-%s%s", os.Getpid(), peer, instance)
	dev := "/dev/ttyIAX" + name
	cfgText := fmt.Sprintf("device\t%s\nowner\troot:root\nmode\t660\nport\t%d\nrefresh\t60\nserver\t127.0.0.1:%d\npeername\t%s\nsecret\t%s\ncidname\tasterism test\ncidnumber\t5551000\ncodec\tulaw\n",
		dev, port, iaxPort, peer, secret)
	path := filepath.Join("/etc/iaxmodem", name)
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("iaxmodem", name)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		os.Remove(path)
		t.Fatalf("iaxmodem: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.Remove(path)
		os.Remove(dev)
	})
	return cmd, stderr
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestIAXModem registers Debian's iaxmodem (libiax2) with Asterism's IAX2
// endpoint: MD5 registration, qualify OK in IAXpeers, a wrong secret
// refused, and SIGKILL turning the peer UNREACHABLE with PeerStatus.
func TestIAXModem(t *testing.T) {
	if _, err := exec.LookPath("iaxmodem"); err != nil {
		missing(t, "iaxmodem (Debian package iaxmodem)")
	}
	if err := os.MkdirAll("/etc/iaxmodem", 0o755); err != nil || syscall.Access("/etc/iaxmodem", 2) != nil {
		missing(t, "iaxmodem needs root: /etc/iaxmodem is not writable")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"manager.conf": amitest.DefaultManagerConf, "extensions.conf": amitest.DefaultExtensionsConf, "iax.conf": iaxConf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := amitest.Start(t, amitest.ConfigDir(dir))
	if srv.PBX.IAX2 == nil {
		t.Fatal("no IAX2 endpoint")
	}
	iaxPort := srv.PBX.IAX2.Addr().Port()
	a := iaxDialAMI(t, srv)

	// The wrong secret first: it must never register.
	_, badErr := startModem(t, iaxPort, "badmodem", "wrongsecret", "")
	modem, _ := startModem(t, iaxPort, "modem", "modemsecret", "")
	reg := a.wait(20*time.Second, peerStatus("modem", "Registered"))
	if reg.Get("Address") != "127.0.0.1" {
		t.Errorf("PeerStatus Registered: Address %q", reg.Get("Address"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		id := a.send("IAXpeers")
		var status string
		a.wait(10*time.Second, func(m *ami.Message) bool {
			if m.Get("Event") == "PeerEntry" && m.Get("ObjectName") == "modem" {
				status = m.Get("Status")
			}
			return m.Get("Event") == "PeerlistComplete" && m.Get("ActionID") == id
		})
		if strings.HasPrefix(status, "OK (") && strings.HasSuffix(status, " ms)") {
			t.Logf("iaxmodem: IAXpeers Status %q", status)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("iaxmodem never became OK: Status %q", status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// iaxmodem says so on stderr when it gets REGREJ.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(badErr.String(), "Registration failed"); {
		if time.Now().After(deadline) {
			t.Fatalf("iaxmodem with a wrong secret never reported a failed registration; stderr:\n%s", badErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if pi, _ := srv.PBX.IAX2.Peer("badmodem"); pi.Registered {
		t.Fatal("iaxmodem registered with a wrong secret")
	}

	iaxModemCall(t, a, srv.PBX.IAX2, "/dev/ttyIAX"+fmt.Sprintf("asterism-%d-modem", os.Getpid()))

	if err := modem.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.wait(20*time.Second, peerStatus("modem", "Unreachable"))
	if pi, _ := srv.PBX.IAX2.Peer("modem"); pi.Status != "UNREACHABLE" {
		t.Fatalf("after SIGKILL: status %q", pi.Status)
	}
	if pi, _ := srv.PBX.IAX2.Peer("badmodem"); pi.Registered {
		t.Fatal("iaxmodem registered with a wrong secret")
	}

	// A new instance (another port) registers again; SIGTERM makes it
	// send REGREL: Unregistered, with no Cause, as Asterisk reports it.
	modem2, _ := startModem(t, iaxPort, "modem", "modemsecret", "2")
	a.wait(20*time.Second, peerStatus("modem", "Registered"))
	// A modem still waiting for its REGACK sends no REGREL.
	time.Sleep(200 * time.Millisecond)
	if err := modem2.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	un := a.wait(20*time.Second, peerStatus("modem", "Unregistered"))
	if un.Get("Cause") != "" {
		t.Errorf("Unregistered after REGREL: Cause %q", un.Get("Cause"))
	}
}

// iaxModemCall tells the modem to auto-answer on its pty, originates
// IAX2/modem to 600 (Echo) and hangs the call up from AMI: Ringing, Up,
// OriginateResponse Success, and the Hangup of the IAX2 channel.
func iaxModemCall(t *testing.T, a *amiEvents, tech *iax2.Tech, dev string) {
	t.Helper()
	pty, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("iaxmodem pty: %v", err)
	}
	defer pty.Close()
	if _, err := pty.Write([]byte("ATS0=1\r")); err != nil {
		t.Fatal(err)
	}
	// iaxmodem refuses calls (REJECT "Busy") for 5 s after any on-hook,
	// its start included.
	time.Sleep(6 * time.Second)
	a.send("Originate", "Channel", "IAX2/modem", "Context", "default", "Exten", "600", "Priority", "1",
		"CallerID", "ami <600>", "Async", "true", "Timeout", "15000")
	var channel string
	a.wait(20*time.Second, func(m *ami.Message) bool {
		if m.Get("Event") == "OriginateResponse" && m.Get("Response") != "Success" {
			t.Fatalf("OriginateResponse: %v", m)
		}
		if m.Get("Event") == "Newstate" && m.Get("ChannelStateDesc") == "Up" && strings.HasPrefix(m.Get("Channel"), "IAX2/modem-") {
			channel = m.Get("Channel")
		}
		return m.Get("Event") == "OriginateResponse"
	})
	if channel == "" {
		t.Fatal("the IAX2 channel never went Up")
	}
	// Let µ-law flow both ways for a second (about 50 frames each way),
	// then hang up from AMI.
	in0, out0 := tech.Stats()
	time.Sleep(time.Second)
	in1, out1 := tech.Stats()
	t.Logf("iaxmodem call: %d voice frames in, %d out in 1 s", in1-in0, out1-out0)
	if in1-in0 < 25 || out1-out0 < 25 {
		t.Errorf("voice frames in 1 s: %d in, %d out; want about 50 each way", in1-in0, out1-out0)
	}
	a.send("Hangup", "Channel", channel)
	a.wait(10*time.Second, func(m *ami.Message) bool { return m.Get("Event") == "Hangup" && m.Get("Channel") == channel })
}
