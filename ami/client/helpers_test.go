package client

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/internal/transcript"
)

// wait bounds every blocking step of a test so that a bug hangs nothing;
// it is far above what any step needs, and no test measures time.
const wait = 10 * time.Second

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// quietLogger keeps expected warnings (lost connections, drops) out of the
// test output unless -v is given.
func quietLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// transcriptDir holds the transcripts recorded from a real Asterisk 20.20.1
// (its README.md describes the format).
const transcriptDir = "../../testdata/asterisk-20.20.1"

// parseTranscript parses the transcript called name in transcriptDir.
func parseTranscript(t *testing.T, name string) *transcript.Transcript {
	t.Helper()
	tr, err := transcript.ParseFile(filepath.Join(transcriptDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// loadTranscript returns the steps of one connection of a recorded
// transcript that replay plays: what the client sent (Send), what the
// server answered (Recv) and the server's hang-up (RemoteClosed).
func loadTranscript(t *testing.T, name, connName string) []transcript.Step {
	t.Helper()
	var steps []transcript.Step
	for _, st := range parseTranscript(t, name).Steps {
		switch st.Kind {
		case transcript.Send, transcript.Recv, transcript.RemoteClosed:
			if st.Conn == connName {
				steps = append(steps, st)
			}
		}
	}
	if len(steps) == 0 {
		t.Fatalf("%s: no steps for conn %s", name, connName)
	}
	return steps
}

// fakeServer is a loopback AMI server whose connections are handled by a
// test-supplied function.
type fakeServer struct {
	t     *testing.T
	ln    net.Listener
	conns atomic.Int32
	wg    sync.WaitGroup
	mu    sync.Mutex
	open  []net.Conn
}

type fakeConn struct {
	t  *testing.T
	nc net.Conn
	r  *ami.Reader
	n  int // 1 for the first connection accepted
}

func startServer(t *testing.T, handle func(fc *fakeConn)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{t: t, ln: ln}
	s.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.open = append(s.open, nc)
			s.mu.Unlock()
			fc := &fakeConn{t: t, nc: nc, r: ami.NewReader(bufio.NewReader(nc)), n: int(s.conns.Add(1))}
			s.wg.Go(func() {
				defer nc.Close()
				handle(fc)
			})
		}
	})
	t.Cleanup(s.stop)
	return s
}

// serveFirstAction starts a server that accepts the login, reads one action
// and hands it to answer, then goes on with serveTail.
func serveFirstAction(t *testing.T, answer func(fc *fakeConn, m *ami.Message)) *fakeServer {
	t.Helper()
	return startServer(t, func(fc *fakeConn) {
		if !acceptLogin(fc) {
			return
		}
		m, err := fc.read()
		if err != nil {
			return
		}
		answer(fc, m)
		serveTail(fc)
	})
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) stop() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (fc *fakeConn) read() (*ami.Message, error) {
	_ = fc.nc.SetReadDeadline(time.Now().Add(wait))
	return fc.r.ReadMessage()
}

func (fc *fakeConn) send(b []byte) error {
	_ = fc.nc.SetWriteDeadline(time.Now().Add(wait))
	_, err := fc.nc.Write(b)
	return err
}

func (fc *fakeConn) sendf(format string, args ...any) error {
	return fc.send(fmt.Appendf(nil, format, args...))
}

// checkedHeaders are compared between what the client sent and what the
// recording shows, when the recording has them: they prove the client sent
// the same credentials and MD5 key as the real exchange.
var checkedHeaders = []string{"Username", "Secret", "Key", "AuthType", "Command", "Channel", "EventMask"}

// replay plays a recorded connection: it reads each message the client
// sends, checks it against the recording, and answers with the recorded
// server bytes, ActionIDs swapped for the client's. When the client logs
// off early, or after the recording ends, replay answers like Asterisk.
func replay(steps []transcript.Step) func(*fakeConn) {
	return func(fc *fakeConn) {
		ids := map[string]string{} // recorded ActionID → client's
		insertID := ""             // client's ActionID where the recording had none
		for _, st := range steps {
			switch st.Kind {
			case transcript.RemoteClosed:
				return
			case transcript.Recv:
				if err := fc.send(rewriteIDs(st.Bytes, ids, insertID)); err != nil {
					fc.t.Errorf("replay: send: %v", err)
					return
				}
				insertID = ""
			case transcript.Send:
				rec, err := ami.NewReader(bufio.NewReader(bytes.NewReader(st.Bytes))).ReadMessage()
				if err != nil {
					fc.t.Errorf("replay: recorded request: %v", err)
					return
				}
				got, err := fc.read()
				if err != nil {
					return // the client went away; the test says whether that was wrong
				}
				if !strings.EqualFold(got.Action(), rec.Action()) {
					if strings.EqualFold(got.Action(), "Logoff") {
						logoff(fc, got)
						return
					}
					fc.t.Errorf("replay: client sent Action %q, recording has %q", got.Action(), rec.Action())
					return
				}
				for _, h := range checkedHeaders {
					if want, ok := rec.Lookup(h); ok && got.Get(h) != want {
						fc.t.Errorf("replay: %s: client sent %s %q, recording has %q", rec.Action(), h, got.Get(h), want)
					}
				}
				if id := rec.ActionID(); id != "" {
					ids[id] = got.ActionID()
				} else {
					insertID = got.ActionID()
				}
			}
		}
		serveTail(fc)
	}
}

// rewriteIDs swaps recorded ActionID values for the client's, and inserts
// insertID after the first line (what Asterisk does when the request has an
// ActionID) when the recorded request had none.
func rewriteIDs(data []byte, ids map[string]string, insertID string) []byte {
	var out []byte
	first := true
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data) - 1
		}
		line := data[:i+1]
		data = data[i+1:]
		text := strings.TrimRight(string(line), "\r\n")
		if k, v, ok := strings.Cut(text, ": "); ok && strings.EqualFold(k, "ActionID") {
			if nid, ok := ids[v]; ok {
				line = append([]byte(k+": "+nid), line[len(text):]...) // keep the line end
			}
		}
		out = append(out, line...)
		if first && insertID != "" && strings.HasPrefix(text, "Response:") {
			out = append(out, "ActionID: "+insertID+"\r\n"...)
		}
		first = false
	}
	return out
}

// serveTail answers what a client sends once a recording is over, as
// Asterisk would: Ping, Logoff, and "unknown command" for the rest.
func serveTail(fc *fakeConn) {
	for {
		m, err := fc.read()
		if err != nil {
			return
		}
		switch strings.ToLower(m.Action()) {
		case "logoff":
			logoff(fc, m)
			return
		case "ping":
			_ = fc.sendf("Response: Success\r\nActionID: %s\r\nPing: Pong\r\nTimestamp: 1795775108.903890\r\n\r\n", m.ActionID())
		default:
			_ = fc.sendf("Response: Error\r\nActionID: %s\r\nMessage: Invalid/unknown command: %s. Use Action: ListCommands to show available commands.\r\n\r\n",
				m.ActionID(), m.Action())
		}
	}
}

func logoff(fc *fakeConn, m *ami.Message) {
	_ = fc.sendf("Response: Goodbye\r\nActionID: %s\r\nMessage: Thanks for all the fish.\r\n\r\n", m.ActionID())
}

// Real bytes for hand-written servers, from the Asterisk 20.20.1 transcripts.
const (
	banner     = "Asterisk Call Manager/9.0.0\r\n"
	fullyBoot  = "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 157\r\nLastReload: 157\r\nStatus: Fully Booted\r\n\r\n"
	loginOKFmt = "Response: Success\r\nActionID: %s\r\nMessage: Authentication accepted\r\n\r\n"
	pongFmt    = "Response: Success\r\nActionID: %s\r\nPing: Pong\r\nTimestamp: 1795775108.903890\r\n\r\n"
	userEvFmt  = "Event: UserEvent\r\nPrivilege: user,all\r\nSystemName: refast\r\nUserEvent: MyEvent\r\nActionID: ue-1\r\nHeader1: value %d\r\n\r\n"
)

// acceptLogin greets, reads the Login and accepts it, followed by
// FullyBooted as Asterisk does.
func acceptLogin(fc *fakeConn) bool {
	if fc.send([]byte(banner)) != nil {
		return false
	}
	m, err := fc.read()
	if err != nil {
		return false
	}
	if !strings.EqualFold(m.Action(), "Login") {
		fc.t.Errorf("first action %q, want Login", m.Action())
		return false
	}
	return fc.sendf(loginOKFmt+fullyBoot, m.ActionID()) == nil
}

func dial(t *testing.T, addr string, opts Options) *Client {
	t.Helper()
	if opts.Username == "" {
		opts.Username, opts.Secret = "admin", "adminpw"
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger(t)
	}
	c, err := Dial(testCtx(t), addr, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialReplay starts a server that replays connection a of the transcript
// called name, and dials it with opts.
func dialReplay(t *testing.T, name string, opts Options) *Client {
	t.Helper()
	s := startServer(t, replay(loadTranscript(t, name, "a")))
	return dial(t, s.addr(), opts)
}

// nextEvent returns the next event from ch, failing the test on a closed
// channel or after the bounded wait.
func nextEvent(t *testing.T, ch <-chan *ami.Message) *ami.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("event channel closed")
		}
		return m
	case <-time.After(wait):
		t.Fatal("no event")
	}
	return nil
}

// noClientGoroutines waits until no goroutine of the client package's
// machinery is left.
func noClientGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		leaked := ""
		for _, fn := range []string{"(*conn).readLoop", "(*Client).supervise", "(*Client).keepalive", "(*Client).reconnect"} {
			if strings.Contains(stacks, "ami/client."+fn) {
				leaked = fn
			}
		}
		if leaked == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutine %s still running", leaked)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
