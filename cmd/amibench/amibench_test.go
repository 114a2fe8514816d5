package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// fakeAMI is a minimal AMI server for the tests: banner, Login, Ping,
// UserEvent broadcast to logged-in sessions with events on, and Originate
// answered at once by an OriginateResponse and two Hangup events. Like
// Asterisk it closes a session that does not read its events.
type fakeAMI struct {
	ln     net.Listener
	secret string
	// writeTimeout is how long one write to a session may block before
	// the session is closed as a slow consumer.
	writeTimeout time.Duration
	mu           sync.Mutex
	sessions     map[*fakeSession]bool
	calls        atomic.Int64
	wg           sync.WaitGroup
}

// fakeSession is one connection to the fake server.
type fakeSession struct {
	c      net.Conn
	out    chan []byte // bounded queue of whole messages
	events bool
	once   sync.Once
	done   chan struct{}
	queued atomic.Int64 // messages queued and not yet flushed
}

// flushed waits until everything queued so far has been written (or the
// session is gone), so that a reply is not lost to the close after it.
func (s *fakeSession) flushed() {
	for s.queued.Load() > 0 {
		select {
		case <-s.done:
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// fakeQueue is how many messages may be queued for a session; when it is
// full or one write blocks for fakeAMI.writeTimeout the session is closed
// as a slow consumer.
const fakeQueue = 1 << 16

// startFake starts a fake server on a loopback port; it stops at the end of
// the test.
func startFake(t *testing.T) *fakeAMI {
	t.Helper()
	return startFakeTimeout(t, 2*time.Second)
}

// startFakeTimeout is startFake with the given write timeout.
func startFakeTimeout(t *testing.T, writeTimeout time.Duration) *fakeAMI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	f := &fakeAMI{ln: ln, secret: "s3cret", writeTimeout: writeTimeout, sessions: map[*fakeSession]bool{}}
	f.wg.Go(f.serve)
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for s := range f.sessions {
			s.close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

// addr returns the listening address.
func (f *fakeAMI) addr() string { return f.ln.Addr().String() }

// serve accepts connections until the listener is closed.
func (f *fakeAMI) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetWriteBuffer(16 << 10) // so that a stalled reader is noticed soon
		}
		s := &fakeSession{c: c, out: make(chan []byte, fakeQueue), done: make(chan struct{})}
		f.wg.Go(func() { f.writeLoop(s) })
		f.wg.Go(func() { f.readLoop(s) })
	}
}

// close ends the session.
func (s *fakeSession) close() {
	s.once.Do(func() {
		close(s.done)
		s.c.Close()
	})
}

// send queues msg; a session whose queue is full is closed, never waited
// for, when drop is set.
func (s *fakeSession) send(msg []byte, drop bool) {
	if drop {
		s.queued.Add(1)
		select {
		case s.out <- msg:
		default:
			s.queued.Add(-1)
			s.close()
		}
		return
	}
	s.queued.Add(1)
	select {
	case s.out <- msg:
	case <-s.done:
		s.queued.Add(-1)
	}
}

// writeLoop writes queued messages, batching those already queued.
func (f *fakeAMI) writeLoop(s *fakeSession) {
	w := bufio.NewWriterSize(s.c, 32<<10)
	for {
		var msg []byte
		select {
		case msg = <-s.out:
		case <-s.done:
			return
		}
		w.Write(msg)
		n := int64(1)
		for more := true; more; {
			select {
			case msg = <-s.out:
				w.Write(msg)
				n++
			default:
				more = false
			}
		}
		s.c.SetWriteDeadline(time.Now().Add(f.writeTimeout))
		err := w.Flush()
		s.queued.Add(-n)
		if err != nil {
			s.close()
			return
		}
	}
}

// hdr is one header of a request, in order.
type hdr struct{ k, v string }

// get returns the first value of header k.
func get(h []hdr, k string) string {
	for _, x := range h {
		if strings.EqualFold(x.k, k) {
			return x.v
		}
	}
	return ""
}

// readLoop reads and answers requests.
func (f *fakeAMI) readLoop(s *fakeSession) {
	defer s.close()
	s.send([]byte("Asterisk Call Manager/9.0.0\r\n"), false)
	br := bufio.NewReader(s.c)
	authed := false
	var h []hdr
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			if k, v, ok := strings.Cut(line, ":"); ok {
				h = append(h, hdr{k, strings.TrimLeft(v, " ")})
			}
			continue
		}
		req := h
		h = nil
		var b bytes.Buffer
		resp := func(kv ...string) {
			b.Reset()
			b.WriteString("Response: " + kv[0] + "\r\n")
			if id := get(req, "ActionID"); id != "" {
				b.WriteString("ActionID: " + id + "\r\n")
			}
			for i := 1; i+1 < len(kv); i += 2 {
				b.WriteString(kv[i] + ": " + kv[i+1] + "\r\n")
			}
			b.WriteString("\r\n")
			s.send(bytes.Clone(b.Bytes()), false)
		}
		action := strings.ToLower(get(req, "Action"))
		switch {
		case action == "login":
			if get(req, "Username") != "admin" || get(req, "Secret") != f.secret {
				resp("Error", "Message", "Authentication failed")
				s.flushed()
				return
			}
			// As in Asterisk, the session gets events from before its
			// login response on, and its login response comes first.
			authed = true
			f.mu.Lock()
			s.events = !strings.EqualFold(get(req, "Events"), "off")
			resp("Success", "Message", "Authentication accepted")
			if s.events {
				s.send([]byte("Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"), false)
			}
			f.sessions[s] = true
			f.mu.Unlock()
		case !authed:
			resp("Error", "Message", "Permission denied")
		case action == "ping":
			resp("Success", "Ping", "Pong", "Timestamp", fmt.Sprintf("%.6f", float64(time.Now().UnixMicro())/1e6))
		case action == "userevent":
			resp("Success", "Message", "Event Sent")
			b.Reset()
			b.WriteString("Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: " + get(req, "UserEvent") + "\r\n")
			for _, x := range req {
				if !strings.EqualFold(x.k, "Action") && !strings.EqualFold(x.k, "UserEvent") {
					b.WriteString(x.k + ": " + x.v + "\r\n")
				}
			}
			b.WriteString("\r\n")
			ev := bytes.Clone(b.Bytes())
			f.mu.Lock()
			for o := range f.sessions {
				if o.events {
					o.send(ev, true)
				}
			}
			f.mu.Unlock()
		case action == "originate":
			ch := get(req, "Channel")
			if !strings.Contains(ch, "/") {
				resp("Error", "Message", "Invalid channel")
				continue
			}
			resp("Success", "Message", "Originate successfully queued")
			if !s.events {
				continue
			}
			n := f.calls.Add(1)
			id := get(req, "ActionID")
			s.send(fmt.Appendf(nil, "Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: %s\r\nResponse: Success\r\nChannel: %s-%08x;1\r\nContext: %s\r\nExten: %s\r\nReason: 4\r\n\r\n",
				id, ch, n, get(req, "Context"), get(req, "Exten")), false)
			for leg := 1; leg <= 2; leg++ {
				s.send(fmt.Appendf(nil, "Event: Hangup\r\nPrivilege: call,all\r\nChannel: %s-%08x;%d\r\nCause: 16\r\nCause-txt: Normal Clearing\r\n\r\n", ch, n, leg), false)
			}
		case action == "logoff":
			resp("Goodbye", "Message", "Thanks for all the fish.")
			return
		default:
			resp("Error", "Message", "Invalid/unknown command")
		}
	}
}

// runTool runs amibench with args plus the fake server's address and
// secret and returns its report.
func runTool(t *testing.T, f *fakeAMI, args ...string) *report {
	t.Helper()
	args = append(args, "-addr", f.addr(), "-secret", f.secret, "-timeout", "30s", "-drain", "3s")
	var stderr bytes.Buffer
	rep, _, err := execute(context.Background(), args, &stderr)
	if err != nil {
		t.Fatalf("amibench %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var text bytes.Buffer
	if err := rep.writeText(&text); err != nil {
		t.Fatalf("write report: %v", err)
	}
	t.Logf("report:\n%s", text.String())
	if !strings.HasPrefix(rep.Banner, bannerPrefix) {
		t.Errorf("banner %q", rep.Banner)
	}
	return rep
}

func TestPing(t *testing.T) {
	f := startFake(t)
	rep := runTool(t, f, "ping", "-c", "3", "-n", "50", "-d", "20s", "-par", "2")
	if !rep.OK || rep.Ops != 150 || rep.Ping.Connections != 3 || rep.Ping.Errors != 0 {
		t.Errorf("got ok=%v ops=%d %+v problems=%q, want 150 pings on 3 connections", rep.OK, rep.Ops, *rep.Ping, rep.Problems)
	}
	if rep.Latency == nil || rep.Latency.Count != 150 || rep.Latency.MaxMs < rep.Latency.P50Ms {
		t.Errorf("latency %+v", rep.Latency)
	}
	if rep.OpUnit != "ping" || rep.Tool == nil {
		t.Errorf("op unit %q, tool usage %+v", rep.OpUnit, rep.Tool)
	}
}

func TestPipeline(t *testing.T) {
	f := startFake(t)
	rep := runTool(t, f, "pipeline", "-k", "2000")
	p := rep.Pipeline
	if !rep.OK || !p.InOrder || p.Written != 2000 || p.Answered != 2000 || rep.Ops != 2000 {
		t.Errorf("got ok=%v %+v problems=%q, want 2000 answered in order", rep.OK, *p, rep.Problems)
	}
}

func TestFanout(t *testing.T) {
	f := startFake(t)
	rep := runTool(t, f, "fanout", "-s", "3", "-d", "200ms", "-w", "5")
	fo := rep.Fanout
	if !rep.OK || fo.Written == 0 || fo.Published != fo.Written || fo.Subscribers != 3 {
		t.Fatalf("got ok=%v %+v problems=%q", rep.OK, *fo, rep.Problems)
	}
	if fo.Lost != 0 || fo.Reordered != 0 || fo.Complete != 3 || rep.Ops != 3*fo.Written {
		t.Errorf("delivered %d of 3×%d, lost %d, reordered %d, complete %d", rep.Ops, fo.Written, fo.Lost, fo.Reordered, fo.Complete)
	}
	if rep.OpUnit != "event" {
		t.Errorf("op unit %q", rep.OpUnit)
	}
}

func TestFanoutStalled(t *testing.T) {
	f := startFakeTimeout(t, 100*time.Millisecond) // Asterisk's writetimeout
	// One UserEvent in flight, so that the reading subscribers keep up on
	// a busy machine.
	rep := runTool(t, f, "fanout", "-s", "2", "-stall", "2", "-d", "500ms", "-w", "1")
	fo := rep.Fanout
	if fo.Lost != 0 || fo.Complete != 2 || rep.Ops != 2*fo.Written {
		t.Errorf("reading subscribers: delivered %d of 2×%d, lost %d, complete %d; problems %q", rep.Ops, fo.Written, fo.Lost, fo.Complete, rep.Problems)
	}
	if len(fo.Stalled) != 2 {
		t.Fatalf("%d stalled results, want 2", len(fo.Stalled))
	}
	for i, s := range fo.Stalled {
		if s.Events > fo.Written || s.LastSeq > fo.Written || s.End == "" {
			t.Errorf("stalled %d: %+v (written %d)", i, s, fo.Written)
		}
		if !s.Disconnected && s.End == "complete" && s.Events != fo.Written {
			t.Errorf("stalled %d complete with %d of %d events", i, s.Events, fo.Written)
		}
	}
}

func TestSessions(t *testing.T) {
	f := startFake(t)
	rep := runTool(t, f, "sessions", "-m", "20", "-par", "4", "-hold", "50ms", "-settle", "0s", "-pid", fmt.Sprint(os.Getpid()))
	s := rep.Sessions
	if !rep.OK || s.Opened != 20 || s.Alive != 20 || len(s.Failures) != 0 || rep.Ops != 20 {
		t.Errorf("got ok=%v %+v problems=%q, want 20 opened and alive", rep.OK, *s, rep.Problems)
	}
	if rep.Server == nil || rep.Server.Error != "" || rep.Server.RSSBeforeKiB <= 0 || s.RSSHeldKiB <= 0 {
		t.Errorf("server usage %+v, held RSS %d", rep.Server, s.RSSHeldKiB)
	}
}

func TestSessionsAuthFailure(t *testing.T) {
	f := startFake(t)
	var stderr bytes.Buffer
	rep, _, err := execute(context.Background(), []string{"sessions", "-m", "3", "-hold", "0s", "-addr", f.addr(), "-secret", "wrong"}, &stderr)
	if err == nil || rep == nil {
		t.Fatalf("err %v, report %v: want an error and a report", err, rep)
	}
	if rep.OK || rep.Sessions.Opened != 0 || rep.Sessions.Failures[kindAuthFailed] != 3 {
		t.Errorf("got %+v, want 3 auth failures", *rep.Sessions)
	}
}

func TestOriginate(t *testing.T) {
	f := startFake(t)
	rep := runTool(t, f, "originate", "-n", "100", "-w", "10")
	o := rep.Originate
	if !rep.OK || o.Sent != 100 || o.Success != 100 || o.Failure+o.Rejected+o.Unresolved != 0 || o.Hangups != 200 || rep.Ops != 100 {
		t.Errorf("got ok=%v %+v problems=%q, want 100 calls and 200 hangups", rep.OK, *o, rep.Problems)
	}
	if rep.Latency == nil || rep.Latency.Count != 100 {
		t.Errorf("latency %+v", rep.Latency)
	}
}

func TestOriginateRejected(t *testing.T) {
	f := startFake(t)
	var stderr bytes.Buffer
	rep, _, err := execute(context.Background(), []string{"originate", "-n", "5", "-w", "2", "-channel", "nochannel",
		"-addr", f.addr(), "-secret", f.secret}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Originate.Rejected != 5 || rep.Originate.Success != 0 {
		t.Errorf("got ok=%v %+v, want 5 rejected", rep.OK, *rep.Originate)
	}
}

func TestPIDAndJSON(t *testing.T) {
	f := startFake(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-json", "-pid", fmt.Sprint(os.Getpid()), "ping", "-n", "20",
		"-addr", f.addr(), "-secret", f.secret}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	var got report
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, stdout.String())
	}
	if strings.Contains(stdout.String(), f.secret) {
		t.Errorf("the report shows the secret: %s", stdout.String())
	}
	if got.Ops != 20 || got.Server == nil || got.Server.PID != os.Getpid() || got.Server.RSSAfterKiB <= 0 || got.Tool == nil {
		t.Errorf("got %s", stdout.String())
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:5038", "192.168.1.1:5038", "example.com:5038", "[2001:db8::1]:5038", "0.0.0.0:5038", "[fe80::1%lo]:5038", "127.0.0.1"} {
		if _, err := loopbackAddr(addr); err == nil {
			t.Errorf("loopbackAddr(%q) accepted", addr)
		}
	}
	for addr, want := range map[string]string{
		"127.0.0.1:5038":          "127.0.0.1:5038",
		"127.1.2.3:1":             "127.1.2.3:1",
		"localhost:5038":          "127.0.0.1:5038",
		"[::1]:5038":              "[::1]:5038",
		"[::ffff:127.0.0.1]:5038": "127.0.0.1:5038",
	} {
		if got, err := loopbackAddr(addr); err != nil || got != want {
			t.Errorf("loopbackAddr(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"ping", "-addr", "10.1.1.1:5038"}, &stdout, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "loopback") {
		t.Errorf("exit %d, stderr %q; want usage error about loopback", code, stderr.String())
	}
}

func TestRedact(t *testing.T) {
	got := strings.Join(redact([]string{"-secret", "a", "ping", "--secret=b", "-user", "secret", "-secret"}), " ")
	if want := "-secret *** ping --secret=*** -user secret -secret"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nosuch"}, {"ping", "-c", "0"}, {"ping", "extra"}, {"fanout", "-bogus"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	for _, tc := range []struct {
		line string
		want int64
	}{
		{"4242 (asterism) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 37 0 0 20 0 12 0 99 123456 789 18446744073709551615\n", 187},
		{"77 (my (weird) proc) R 1 2 3 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 1 1\n", 11},
		{"78 (a) b ) c) S 1 2 3 0 -1 0 0 0 0 0 1000 2000 0 0 20 0 1 0 1 1 1", 3000},
		{"79 ( ) S 1 2 3 0 -1 0 0 0 0 0 0 1 0 0 20 0 1 0 1 1 1", 1},
	} {
		got, err := parseProcStat([]byte(tc.line))
		if err != nil || got != tc.want {
			t.Errorf("parseProcStat(%q) = %d, %v; want %d", tc.line, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "12 noparen S 1", "12 (x) S 1 2 3", "12 (x) S 1 2 3 4 5 6 7 8 9 10 x 5 6"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q) accepted", bad)
		}
	}
	if ticks, err := cpuTicks(0); err != nil || ticks < 0 {
		t.Errorf("cpuTicks(self) = %d, %v", ticks, err)
	}
	if clk := clockTicks(); clk <= 0 {
		t.Errorf("clockTicks() = %d", clk)
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tasterism\nVmPeak:\t  99999 kB\nVmRSS:\t   58012 kB\nThreads:\t12\n"
	if got, err := parseVmRSS([]byte(status)); err != nil || got != 58012 {
		t.Errorf("parseVmRSS = %d, %v; want 58012", got, err)
	}
	if _, err := parseVmRSS([]byte("Name:\tkthreadd\n")); err == nil {
		t.Error("parseVmRSS without VmRSS accepted")
	}
	if kib, err := rssKiB(0); err != nil || kib <= 0 {
		t.Errorf("rssKiB(self) = %d, %v", kib, err)
	}
}

func TestMsgReader(t *testing.T) {
	input := "Asterisk Call Manager/9.0.0\r\n" +
		"Response: Success\r\nactionid: x1\r\nACTIONID: ignored\r\nMessage:   two  words  \r\n\r\n" +
		"Event: UserEvent\nPrivilege: user,all\nUserEvent: u\nBenchSeq: 42\nChanVariable(SIP/1-0001): a=b\nno colon here\n\n" +
		"\r\n" +
		"Event: Hangup\r\nChannel: Local/200@bench-00000001;2\r\n" + strings.Repeat("X-Long: "+strings.Repeat("y", 1000)+"\r\n", 40) + "\r\n"
	for name, rd := range map[string]io.Reader{
		"whole":      strings.NewReader(input),
		"onebyte":    iotest.OneByteReader(strings.NewReader(input)),
		"halfreader": iotest.HalfReader(strings.NewReader(input)),
	} {
		r := newMsgReader(rd, 64)
		line, err := r.line()
		if err != nil || string(line) != "Asterisk Call Manager/9.0.0" {
			t.Fatalf("%s: banner %q, %v", name, line, err)
		}
		var m message
		if err := r.next(&m); err != nil || string(m.Response) != "Success" || string(m.ActionID) != "x1" || string(m.Message) != "two  words  " {
			t.Errorf("%s: message 1 = %q %q %q, %v", name, m.Response, m.ActionID, m.Message, err)
		}
		if err := r.next(&m); err != nil || string(m.Event) != "UserEvent" || string(m.UserEvent) != "u" || string(m.Seq) != "42" || m.Response != nil {
			t.Errorf("%s: message 2 = %q %q %q, %v", name, m.Event, m.UserEvent, m.Seq, err)
		}
		if err := r.next(&m); err != nil || m.Event != nil || m.Response != nil {
			t.Errorf("%s: message 3 should be empty, got %+v, %v", name, m, err)
		}
		if err := r.next(&m); err != nil || string(m.Event) != "Hangup" || string(m.Channel) != "Local/200@bench-00000001;2" {
			t.Errorf("%s: message 4 = %q %q, %v", name, m.Event, m.Channel, err)
		}
		if err := r.next(&m); err != io.EOF {
			t.Errorf("%s: at end got %v, want EOF", name, err)
		}
	}
}

// repeatReader returns the same bytes forever.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

func TestMsgReaderDoesNotAllocate(t *testing.T) {
	r := newMsgReader(&repeatReader{data: []byte("Response: Success\r\nActionID: ab1-17\r\nPing: Pong\r\nTimestamp: 1.5\r\n\r\n")}, 4096)
	var m message
	allocs := testing.AllocsPerRun(10000, func() {
		if err := r.next(&m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("next allocates %.2f times per message", allocs)
	}
}

func TestMessageTooLarge(t *testing.T) {
	r := newMsgReader(&repeatReader{data: []byte("X: y\r\n")}, 4096)
	var m message
	if err := r.next(&m); err != errMessageTooLarge {
		t.Errorf("got %v, want errMessageTooLarge", err)
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 500 * time.Microsecond, 0.99: 990 * time.Microsecond, 1: time.Millisecond} {
		got := h.quantile(q)
		if d := got - want; d < -want/100 || d > want/100 {
			t.Errorf("quantile(%v) = %v, want %v ±1%%", q, got, want)
		}
	}
	for v := int64(0); v < 1<<20; v = v*3/2 + 1 {
		mid := bucketMid(bucketOf(v))
		if d := mid - v; d < -v/100-1 || d > v/100+1 {
			t.Errorf("bucketMid(bucketOf(%d)) = %d", v, mid)
		}
	}
	if bucketOf(1<<62) != histBuckets-1 {
		t.Errorf("huge value not in the last bucket")
	}
}

func TestParseID(t *testing.T) {
	b := &bench{tag: "ab00ff-"}
	for id, want := range map[string]int64{"ab00ff-1": 1, "ab00ff-123456": 123456} {
		if n, ok := b.parseID([]byte(id)); !ok || n != want {
			t.Errorf("parseID(%q) = %d, %v", id, n, ok)
		}
	}
	for _, id := range []string{"", "ab00ff-", "ab00ff-L", "xx00ff-1", "ab00ff-1x", "1"} {
		if _, ok := b.parseID([]byte(id)); ok {
			t.Errorf("parseID(%q) accepted", id)
		}
	}
	if !b.isLoginID([]byte("ab00ff-L")) || b.isLoginID([]byte("ab00ff-1")) {
		t.Error("isLoginID")
	}
}

func BenchmarkMsgReaderPingReplies(b *testing.B) {
	reply := []byte("Response: Success\r\nActionID: ab00ff-123456\r\nPing: Pong\r\nTimestamp: 1795775108.903890\r\n\r\n")
	r := newMsgReader(&repeatReader{data: bytes.Repeat(reply, 1000)}, bulkReadBuf)
	bt := &bench{tag: "ab00ff-"}
	var m message
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.next(&m); err != nil {
			b.Fatal(err)
		}
		if _, ok := bt.parseID(m.ActionID); !ok || !equalFold(m.Response, "Success") {
			b.Fatal("bad reply")
		}
	}
}
