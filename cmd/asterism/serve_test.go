package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/media"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeSelfSigned writes a throwaway certificate and key for 127.0.0.1.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "asterism test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "asterisk.pem"), filepath.Join(dir, "asterisk.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// amiLogin reads the banner, logs in and returns a line reader positioned
// after the login answer.
func amiLogin(t *testing.T, c net.Conn, events string) *bufio.Reader {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	banner, err := br.ReadString('\n')
	if err != nil || banner != "Asterisk Call Manager/9.0.0\r\n" {
		t.Fatalf("banner %q: %v", banner, err)
	}
	fmt.Fprintf(c, "Action: Login\r\nUsername: admin\r\nSecret: s3cret\r\nEvents: %s\r\n\r\n", events)
	waitLine(t, br, "Message: Authentication accepted")
	return br
}

func waitLine(t *testing.T, br *bufio.Reader, want string) {
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

func writeConf(t *testing.T, dir, general string) {
	t.Helper()
	conf := "[general]\nenabled = yes\nbindaddr = 127.0.0.1\n" + general +
		"\n[admin]\nsecret = s3cret\nread = all\nwrite = all\n"
	if err := os.WriteFile(filepath.Join(dir, "manager.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestServeTLS: tlsenable in manager.conf opens AMI over TLS beside the
// plain listener, as Asterisk's tlsbindaddr does.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	port, tlsPort := freePort(t), freePort(t)
	writeConf(t, dir, fmt.Sprintf("port = %d\ntlsenable = yes\ntlsbindaddr = 127.0.0.1:%d\ntlscertfile = %s\ntlsprivatekey = %s\n", port, tlsPort, cert, key))
	srv, err := startServer(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.shutdown(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(srv.addrs) != 2 {
		t.Fatalf("listening on %v, want the plain and the TLS address", srv.addrs)
	}
	c, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tlsPort), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := amiLogin(t, c, "off")
	io.WriteString(c, "Action: Ping\r\nActionID: tls\r\n\r\n")
	waitLine(t, br, "Ping: Pong")
}

// TestServeBinaryShutsDownOnSIGTERM runs the real binary on a config
// directory, as an admin would, and stops it with SIGTERM: logged-in clients
// get a Shutdown event, then the connection closes, and the process exits 0.
func TestServeBinaryShutsDownOnSIGTERM(t *testing.T) {
	dir, bin := buildBinary(t)
	port := freePort(t)
	writeConf(t, dir, fmt.Sprintf("port = %d\n", port))
	cmd, c, out := startServe(t, bin, dir, port)
	br := amiLogin(t, c, "system")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLine(t, br, "Event: Shutdown")
	waitLine(t, br, "Shutdown: Cleanly")
	for {
		if _, err := br.ReadString('\n'); err != nil {
			break // closed by the server
		}
	}
	waitExit(t, cmd, out)
	if strings.Contains(out.String(), "s3cret") {
		t.Fatalf("the secret appears in the log:\n%s", out.String())
	}
}

// buildBinary builds asterism into a new temporary directory, which the
// binary tests also use as their config directory, and returns both; it
// skips the test in -short mode.
func buildBinary(t *testing.T) (dir, bin string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir = t.TempDir()
	bin = filepath.Join(dir, "asterism")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir, bin
}

// startServe runs the built binary bin as "serve -C dir" and connects to
// its AMI port once it listens; the process is killed and the connection
// closed at the end of the test. out collects the process's output, for
// failure messages. The binary tests share this start-up.
func startServe(t *testing.T, bin, dir string, port int) (*exec.Cmd, net.Conn, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-C", dir)
	out := new(strings.Builder)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	var c net.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("asterism never listened: %v\n%s", err, out.String())
	}
	t.Cleanup(func() { c.Close() })
	return cmd, c, out
}

// waitExit waits up to 10 seconds for cmd, signalled to stop, to exit
// cleanly, failing the test with its output otherwise.
func waitExit(t *testing.T, cmd *exec.Cmd, out *strings.Builder) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("asterism did not exit after SIGTERM\n%s", out.String())
	}
}

// waitPrefix reads lines until one starts with prefix and returns the rest
// of it.
func waitPrefix(t *testing.T, br *bufio.Reader, prefix string) string {
	t.Helper()
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("waiting for %q: %v", prefix, err)
		}
		if rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r\n"), prefix); ok {
			return rest
		}
	}
}

// A Monitor running on a live call when the server gets SIGTERM: the
// shutdown completes the recording, so both files are in place, valid and
// hold the tone each side sent, and no temporary file is left.
func TestServeBinaryMonitorSurvivesSIGTERM(t *testing.T) {
	dir, bin := buildBinary(t)
	spool := filepath.Join(dir, "spool")
	port := freePort(t)
	writeConf(t, dir, fmt.Sprintf("port = %d\n", port))
	for name, text := range map[string]string{
		"asterisk.conf":   "[directories]\nastspooldir => " + spool + "\n",
		"extensions.conf": "[bridge]\nexten => b,1,Dial(Sim/b2k,30)\n",
		"sim.conf":        "[a1k]\nanswer=0\nplay=tone:1000\n[b2k]\nanswer=30ms\nplay=tone:2000\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd, c, out := startServe(t, bin, dir, port)
	br := amiLogin(t, c, "call")
	fmt.Fprint(c, "Action: Originate\r\nChannel: Sim/a1k\r\nContext: bridge\r\nExten: b\r\nPriority: 1\r\nAsync: true\r\n\r\n")
	waitLine(t, br, "Event: DialBegin")
	a := waitPrefix(t, br, "Channel: Sim/a1k-")
	waitLine(t, br, "Event: BridgeEnter")
	waitLine(t, br, "Event: BridgeEnter")
	fmt.Fprintf(c, "Action: Monitor\r\nActionID: mon\r\nChannel: Sim/a1k-%s\r\nFile: sigterm\r\n\r\n", a)
	waitLine(t, br, "Message: Started monitoring channel")
	time.Sleep(500 * time.Millisecond) // half a second of call to record
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, out)
	mon := filepath.Join(spool, "monitor")
	for _, f := range []struct {
		name        string
		freq, other float64
	}{{"sigterm-in.wav", 1000, 2000}, {"sigterm-out.wav", 2000, 1000}} {
		s, err := media.ReadWAVFile(filepath.Join(mon, f.name), 60*media.SampleRate)
		if err != nil {
			t.Fatalf("%s after SIGTERM: %v\n%s", f.name, err, out.String())
		}
		if len(s) < media.SampleRate/4 {
			t.Errorf("%s holds %d samples", f.name, len(s))
		}
		if at, ot := media.Amplitude(s, f.freq), media.Amplitude(s, f.other); at < 1000 || at < 10*ot {
			t.Errorf("%s: %v Hz %.0f, %v Hz %.0f", f.name, f.freq, at, f.other, ot)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(mon, ".*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
