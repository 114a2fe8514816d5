package transcript

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// secrets are the users of testdata/asterisk-20.20.1/etc/manager.conf.
var secrets = map[string]string{"admin": "adminpw", "reader": "readerpw", "caller": "callerpw"}

// TestSelfReplay replays every transcript against a fake server playing the
// transcript's own server side: the engine must find no difference.
func TestSelfReplay(t *testing.T) {
	for _, path := range files(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		if _, bad := damaged[filepath.Base(path)]; bad {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := mustParse(t, name)
			// No sleeping: the order must come from the waits alone.
			r := Replay(t, tr, Playback(t, tr), Options{Secrets: secrets, GapScale: -1})
			for _, conn := range tr.Conns() {
				if !bytes.Equal(r.Got[conn], tr.Received(conn)) {
					t.Errorf("conn %s: got %d bytes, the transcript has %d", conn, len(r.Got[conn]), len(tr.Received(conn)))
				}
			}
		})
	}
}

// mutate returns a deep copy of tr with edit applied to the first Recv
// chunk of conn that contains old.
func mutate(t *testing.T, tr *Transcript, conn, old, new string) *Transcript {
	t.Helper()
	m := clone(tr)
	for i, st := range m.Steps {
		if st.Kind == Recv && st.Conn == conn && bytes.Contains(st.Bytes, []byte(old)) {
			m.Steps[i].Bytes = bytes.Replace(st.Bytes, []byte(old), []byte(new), 1)
			return m
		}
	}
	t.Fatalf("%s: conn %s never receives %q", tr.Name, conn, old)
	return nil
}

func clone(tr *Transcript) *Transcript {
	m := *tr
	m.Steps = make([]Step, len(tr.Steps))
	for i, st := range tr.Steps {
		st.Bytes = bytes.Clone(st.Bytes)
		m.Steps[i] = st
	}
	return &m
}

// expectProblems replays tr against a fake playing server and checks that
// each want regexp matches a problem and that every problem is matched.
func expectProblems(t *testing.T, tr, server *Transcript, opts Options, want ...string) {
	t.Helper()
	r := Run(tr, Playback(t, server), opts)
	used := make([]bool, len(r.Problems))
	for _, w := range want {
		re := regexp.MustCompile(w)
		found := false
		for i, p := range r.Problems {
			if !used[i] && re.MatchString(p) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("no problem matches %q", w)
		}
	}
	for i, p := range r.Problems {
		if !used[i] {
			t.Errorf("unexpected problem: %s", p)
		}
	}
	if err := r.Err(); (err == nil) != (len(want) == 0) {
		t.Errorf("Err() = %v with %d problems", err, len(r.Problems))
	}
}

const fullyBooted = "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 157\r\nLastReload: 157\r\nStatus: Fully Booted\r\n\r\n"

func TestMutations(t *testing.T) {
	login := mustParse(t, "login-success")
	ping := mustParse(t, "ping")
	logoff := mustParse(t, "logoff")
	banner := mustParse(t, "banner")
	fast := Options{Timeout: 300 * time.Millisecond}
	for _, tc := range []struct {
		name   string
		tr     *Transcript
		server *Transcript
		opts   Options
		want   []string
	}{{
		name:   "changed value",
		tr:     login,
		server: mutate(t, login, "a", "Authentication accepted", "Authentication Accepted"),
		want: []string{`(?s)^conn a: message 1 differs \(got message 1\): line 3: want "Message: Authentication accepted", got "Message: Authentication Accepted"\n` +
			`want:\n    Response: Success\n    ActionID: 1\n    Message: Authentication accepted\ngot:\n.*Accepted\n$`},
	}, {
		name:   "missing header",
		tr:     login,
		server: mutate(t, login, "a", "ActionID: 2\r\n", ""),
		want:   []string{`^conn a: message 4 differs \(got message 4\): line 2: want "ActionID: 2", got "Message: Already authenticated"`},
	}, {
		name:   "missing last header",
		tr:     login,
		server: mutate(t, login, "a", "Message: Thanks for all the fish.\r\n", ""),
		want:   []string{`^conn a: message 5 differs \(got message 5\): line 3 "Message: Thanks for all the fish." missing`},
	}, {
		name:   "extra header",
		tr:     login,
		server: mutate(t, login, "a", "Status: Fully Booted\r\n", "Status: Fully Booted\r\nExtra: 1\r\n"),
		want:   []string{`^conn a: message 2 differs \(got message 2\): extra line 6 "Extra: 1"`},
	}, {
		name:   "extra message",
		tr:     login,
		server: mutate(t, login, "a", "Already authenticated\r\n\r\n", "Already authenticated\r\n\r\nEvent: Bogus\r\nPrivilege: system,all\r\n\r\n"),
		want:   []string{`(?s)^conn a: unexpected message 5; got:\n    Event: Bogus\n    Privilege: system,all\n$`},
	}, {
		name:   "missing message",
		tr:     login,
		server: mutate(t, login, "a", fullyBooted, ""),
		opts:   fast,
		want: []string{
			`^conn a: timed out waiting for the chunk at transcript line 12: want 4 messages by then, got 3$`,
			`(?s)^conn a: message 2 missing; want:\n    Event: FullyBooted\n`,
		},
	}, {
		name:   "event order strict",
		tr:     login,
		server: swapEvents(t, login),
		want:   []string{`(?s)^conn a: message 3 came out of order, as message 2; want:\n    Event: SuccessfulAuth\n`},
	}, {
		name:   "event order between responses",
		tr:     login,
		server: swapEvents(t, login),
		opts:   Options{Order: EventsBetweenResponses},
	}, {
		name:   "response after an event",
		tr:     login,
		server: responseLate(t, login),
		opts:   Options{Order: EventsBetweenResponses},
		want:   []string{`(?s)^conn a: message \d came out of order`},
	}, {
		name:   "floating response after an event",
		tr:     login,
		server: responseLate(t, login),
		opts: Options{Order: EventsBetweenResponses, Floating: func(_ string, m Message) bool {
			return m.Get("Message") == "Authentication accepted"
		}},
	}, {
		name:   "event order anywhere",
		tr:     login,
		server: swapEvents(t, login),
		opts:   Options{Order: EventsAnywhere},
	}, {
		name:   "skipped event",
		tr:     login,
		server: mutate(t, login, "a", fullyBooted, ""),
		opts:   Options{Skip: SkipEvents("FullyBooted"), Timeout: 10 * time.Second}, // a wait would fail the test by its length only
	}, {
		name:   "changed banner",
		tr:     ping,
		server: mutate(t, ping, "a", "Manager/9.0.0", "Manager/2.10.0"),
		want:   []string{`^conn a: message 0 differs \(got message 0\): want banner "Asterisk Call Manager/9.0.0\\r\\n", got "Asterisk Call Manager/2.10.0\\r\\n"$`},
	}, {
		name:   "bare LF",
		tr:     ping,
		server: mutate(t, ping, "a", "Ping: Pong\r\n", "Ping: Pong\n"),
		want:   []string{`line 3 "Ping: Pong": want line end "\\r\\n", got "\\n"`},
	}, {
		name:   "bare LF closing line",
		tr:     ping,
		server: mutate(t, ping, "a", "Authentication accepted\r\n\r\n", "Authentication accepted\r\n\n"),
		want:   []string{`message 1 differs .*closing empty line: want "\\r\\n", got "\\n"`},
	}, {
		name:   "other timestamp",
		tr:     ping,
		server: mutate(t, ping, "a", "Timestamp: 17", "Timestamp: 27"),
	}, {
		name:   "timestamp of the wrong shape",
		tr:     ping,
		server: mutate(t, ping, "a", "Timestamp: 1795775108.903890", "Timestamp: 1795775108.90"),
		want:   []string{`line 4: want "Timestamp: 1795775108.903890", got "Timestamp: 1795775108.90" \(after the rules: "<timestamp>", "1795775108.90"\)`},
	}, {
		name:   "exact values",
		tr:     ping,
		server: mutate(t, ping, "a", "Timestamp: 17", "Timestamp: 27"),
		opts:   Options{Rules: []Rule{}},
		want:   []string{`line 4: want "Timestamp: 17\d+\.\d+", got "Timestamp: 27\d+\.\d+"\n`},
	}, {
		name:   "ignored header",
		tr:     ping,
		server: mutate(t, ping, "a", "Message: Authentication accepted", "Message: Welcome"),
		opts:   Options{Rules: Ignore("Message")},
	}, {
		name:   "server closes too early",
		tr:     banner,
		server: closeEarly(banner),
		opts:   Options{MinGap: 200 * time.Millisecond}, // time for the fake to close first
		want: []string{
			`^conn a: the server closed the connection; the transcript has it open at line \d+ \(ClientClosed\)$`,
		},
	}, {
		name:   "server does not close",
		tr:     logoff,
		server: dropStep(t, logoff, RemoteClosed, "a"),
		opts:   fast,
		want:   []string{`^conn a: the server did not close the connection \(transcript line 27: remote closed \(EOF\)\)$`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectProblems(t, tc.tr, tc.server, tc.opts, tc.want...)
		})
	}
}

// swapEvents returns login-success with FullyBooted after SuccessfulAuth.
func swapEvents(t *testing.T, tr *Transcript) *Transcript {
	m := mutate(t, tr, "a", fullyBooted, "")
	return mutate(t, m, "a", "SessionTV: 2026-11-27T10:23:27.680+0000\r\n\r\n", "SessionTV: 2026-11-27T10:23:27.680+0000\r\n\r\n"+fullyBooted)
}

// responseLate returns tr with the login's response sent after the
// FullyBooted event that follows it.
func responseLate(t *testing.T, tr *Transcript) *Transcript {
	const resp = "Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n"
	m := mutate(t, tr, "a", resp, "")
	return mutate(t, m, "a", fullyBooted, fullyBooted+resp)
}

// closeEarly returns tr with the server closing each connection where the
// client did.
func closeEarly(tr *Transcript) *Transcript {
	m := clone(tr)
	for i, st := range m.Steps {
		if st.Kind == ClientClosed {
			m.Steps[i].Kind = RemoteClosed
		}
	}
	return m
}

func dropStep(t *testing.T, tr *Transcript, kind Kind, conn string) *Transcript {
	m := clone(tr)
	for i, st := range m.Steps {
		if st.Kind == kind && st.Conn == conn {
			m.Steps = append(m.Steps[:i], m.Steps[i+1:]...)
			return m
		}
	}
	t.Fatalf("no %s step on conn %s", kind, conn)
	return nil
}

// TestMD5Challenge replays the MD5 logins against a server that hands out
// other challenges: the good key must be recomputed, the wrong one not.
func TestMD5Challenge(t *testing.T) {
	tr := mustParse(t, "login-md5-challenge")
	server := mutate(t, tr, "a", "Challenge: 173579639", "Challenge: 111111111")
	server = mutate(t, server, "b", "Challenge: 195269241", "Challenge: 222222222")
	for i, st := range server.Steps {
		if st.Kind == Send && st.Conn == "a" {
			server.Steps[i].Bytes = bytes.Replace(st.Bytes,
				[]byte(md5hex("173579639adminpw")), []byte(md5hex("111111111adminpw")), 1)
		}
	}
	// The fake fails the test if the client's bytes differ from server's.
	expectProblems(t, tr, server, Options{Secrets: secrets})

	// Without the secrets the recorded key is sent and the fake notices.
	ft := &fakeT{TB: t}
	Run(tr, Playback(ft, server), Options{Timeout: 100 * time.Millisecond})
	ft.cleanup()
	if len(ft.errors) != 1 || !strings.Contains(ft.errors[0], md5hex("173579639adminpw")) {
		t.Errorf("playback errors = %q, want one about the recorded key", ft.errors)
	}
}

func TestSecurityEventsOtherChallenge(t *testing.T) {
	tr := mustParse(t, "security-events")
	server := mutate(t, tr, "bad3", "Challenge: 184495015", "Challenge: 333333333")
	server = mutate(t, server, "admin", "Challenge: 184495015", "Challenge: 333333333")
	server = mutate(t, server, "admin", "ExpectedResponse: 69969160c9d39ba23c5ea645f4851b52", "ExpectedResponse: "+md5hex("333333333readerpw"))
	server = mutate(t, server, "admin", "RemoteAddress: IPV4/TCP/127.0.0.1/49270", "RemoteAddress: IPV6/TCP/::1/1")
	expectProblems(t, tr, server, Options{Secrets: secrets})

	server = mutate(t, server, "admin", "Challenge: 333333333", "Challenge: 0x33")
	expectProblems(t, tr, server, Options{Secrets: secrets},
		`^conn admin: message 6 differs \(got message 6\): line 12: want "Challenge: 184495015", got "Challenge: 0x33" \(after the rules: "<challenge>", "0x33"\)`)
}

func TestRewriteKeys(t *testing.T) {
	good := md5hex("1adminpw")
	in := "Action: Ping\r\n\r\naction: login\r\nAuthType: md5\r\nUsername: admin\r\nKey: " + good + "\r\n\r\n" +
		"Action: Login\nAuthType: MD5\nUsername: admin\nKey: 0123\n\n"
	got := string(rewriteKeys([]byte(in), "1", "2", secrets))
	want := strings.Replace(in, good, md5hex("2adminpw"), 1)
	if got != want {
		t.Errorf("rewriteKeys = %q, want %q", got, want)
	}
	if got := string(rewriteKeys([]byte(in), "1", "2", map[string]string{"other": "x"})); got != in {
		t.Errorf("rewriteKeys with an unknown user = %q", got)
	}
}

// TestTimeoutsStop checks that a server that answers nothing stops the
// replay after a few timeouts, each reported.
func TestTimeoutsStop(t *testing.T) {
	tr := mustParse(t, "header-variants")
	server := clone(tr)
	for i := range server.Steps {
		if server.Steps[i].Kind == Recv && i > 1 {
			server.Steps[i].Bytes = nil
		}
	}
	r := Run(tr, Playback(t, server), Options{Timeout: 20 * time.Millisecond})
	timeouts := 0
	for _, p := range r.Problems {
		if strings.Contains(p, "timed out") {
			timeouts++
		}
	}
	if timeouts != maxTimeouts || !strings.Contains(r.Err().Error(), "replay stopped after 5 timeouts") {
		t.Errorf("%d timeouts; problems:\n%v", timeouts, r.Err())
	}
}

// fakeT records errors instead of failing the test.
type fakeT struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) cleanup() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestDefaultRules(t *testing.T) {
	for _, tc := range []struct{ event, header, value, want string }{
		{"", "Timestamp", "1795775108.903890", "<timestamp>"},
		{"", "Timestamp", "1795775108", "1795775108"},
		{"FullyBooted", "Uptime", "157", "<seconds>"},
		{"SuccessfulAuth", "EventTV", "2026-11-27T10:23:27.680+0000", "<tv>"},
		{"InvalidPassword", "SessionTV", "1970-01-01T00:00:00.000+0000", "<tv>"},
		{"SuccessfulAuth", "SessionID", "0x7f41040072d0", "<session>"},
		{"SuccessfulAuth", "RemoteAddress", "IPV4/TCP/127.0.0.1/41756", "<address>"},
		{"SuccessfulAuth", "LocalAddress", "IPV6/TCP/::1/5038", "<address>"},
		{"", "Challenge", "173579639", "<challenge>"},
		{"", "Challenge", "", ""},
		{"ChallengeResponseFailed", "ExpectedResponse", "69969160c9d39ba23c5ea645f4851b52", "<md5>"},
		{"ChallengeResponseFailed", "Response", "af7f7631a258c377b404022a334424b8", "<md5>"},
		{"", "Response", "af7f7631a258c377b404022a334424b8", "af7f7631a258c377b404022a334424b8"},
		{"Newchannel", "Uniqueid", "refast-1795775131.25", "refast-<uniqueid>"},
		{"OriginateResponse", "Uniqueid", "<unknown>", "<unknown>"},
		{"Hangup", "Linkedid", "1795775131.25", "<uniqueid>"},
		{"BridgeCreate", "BridgeUniqueid", "214d9bcb-5d35-46ba-bce0-0fde43bdcb37", "<uuid>"},
		{"Newchannel", "Channel", "Local/1234@default-00000002;2", "Local/1234@default-<seq>;2"},
		{"VarSet", "Value", "SIP/100-0000000a", "SIP/100-<seq>"},
		{"", "Channel", "Local/1234@default", "Local/1234@default"},
		{"", "Output", "Asterisk 20.20.1 built by root @ vm on a x86_64 running Linux on 2026-11-27 10:07:54 UTC", "<core show version>"},
		{"", "Output", "1 call processed", "<n> calls processed"},
		{"", "Output", "0 calls processed", "<n> calls processed"},
		{"", "Output", "0 active channels", "0 active channels"},
		{"", "Output", "  admin            127.0.0.1                                                1795774899  3           4         0         2147483647  2147483647",
			"  admin            127.0.0.1                                                <start elapsed fd httpcnt>         2147483647  2147483647"},
		{"", "Output", "  Username         IP Address                                               Start       Elapsed     FileDes   HttpCnt   ReadPerms   WritePerms",
			"  Username         IP Address                                               Start       Elapsed     FileDes   HttpCnt   ReadPerms   WritePerms"},
	} {
		got := normalize(line{name: tc.header, sep: ": ", value: tc.value}, tc.event, DefaultRules())
		if got != tc.want {
			t.Errorf("%s %s: %q → %q, want %q", tc.event, tc.header, tc.value, got, tc.want)
		}
	}
}

// TestReplayOverTCP replays through real TCP connections, proxied to a
// playback: closes must be seen as EOF (or a reset) as with a real server.
func TestReplayOverTCP(t *testing.T) {
	for _, name := range []string{"banner", "logoff", "login-wrong-secret", "security-events"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := mustParse(t, name)
			dialFake := Playback(t, tr)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					f, err := dialFake()
					if err != nil {
						c.Close()
						continue
					}
					go func() { io.Copy(f, c); f.Close() }()
					go func() { io.Copy(c, f); c.Close() }()
				}
			}()
			Replay(t, tr, func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) }, Options{})
		})
	}
}
