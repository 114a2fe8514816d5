package pbxami_test

import (
	"strings"
	"testing"
)

// core show channels in its four forms, with one Local call: ;1 runs
// Echo() at 600, ;2 Wait(120) at 2000.
func TestCLIShowChannelsForms(t *testing.T) {
	srv := start(t)
	if got := cliOut(t, srv, "core show channels count"); got != "0 active channels\n0 active calls\n0 calls processed\n" {
		t.Errorf("count, idle: %q", got)
	}
	c := dial(t, srv)
	c.do("Originate", "Channel", "Local/2000@default", "Context", "default", "Exten", "600", "Priority", "1")
	two := c.event("Newexten", "Application", "Wait").Get("Channel")
	one := strings.TrimSuffix(two, ";2") + ";1"
	c.event("Newexten", "Application", "Echo")

	if got := cliOut(t, srv, "core show channels COUNT"); got != "2 active channels\n1 active call\n1 call processed\n" {
		t.Errorf("count: %q", got)
	}

	got := cliOut(t, srv, "core show channels")
	for _, want := range []string{
		pad(one, 64) + " " + pad("600@default:2", 32) + " Up      Echo()",
		pad(two, 64) + " " + pad("2000@default:3", 32) + " Up      Wait(120)",
	} {
		if !strings.Contains(got, "\n"+want) {
			t.Errorf("core show channels: no line %q in\n%s", want, got)
		}
	}

	got = cliOut(t, srv, "core show channels concise")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("concise:\n%s", got)
	}
	for _, l := range lines {
		f := strings.Split(l, "!")
		if len(f) != 14 || f[10] != "3" || f[12] != "" || f[13] == "" {
			t.Errorf("concise line %q", l)
			continue
		}
		switch f[0] {
		case one:
			if strings.Join(f[1:7], "!") != "default!600!2!Up!Echo!" {
				t.Errorf("concise ;1: %q", l)
			}
		case two:
			if strings.Join(f[1:7], "!") != "default!2000!3!Up!Wait!120" {
				t.Errorf("concise ;2: %q", l)
			}
		default:
			t.Errorf("concise: unknown channel in %q", l)
		}
	}

	got = cliOut(t, srv, "core show channels verbose")
	header := pad("Channel", 80) + " " + pad("Context", 24) + " " + pad("Extension", 24) + " Prio State   " +
		pad("Application", 12) + " " + pad("Data", 25) + " " + pad("CallerID", 15) + " Duration " +
		pad("Accountcode", 11) + " " + pad("PeerAccount", 11) + " " + pad("BridgeID", 20) + "\n"
	if !strings.HasPrefix(got, header) {
		t.Errorf("verbose header:\n%q\nwant\n%q", strings.SplitN(got, "\n", 2)[0], header)
	}
	want := pad(one, 80) + " " + pad("default", 24) + " " + pad("600", 24) + "    2 Up      " + pad("Echo", 12) + " " + pad("(Empty)", 25)
	if !strings.Contains(got, "\n"+want) {
		t.Errorf("verbose: no %q in\n%s", want, got)
	}
	if !strings.HasSuffix(got, "2 active channels\n1 active call\n1 call processed\n") {
		t.Errorf("verbose counts:\n%s", got)
	}
	cliOut(t, srv, "channel request hangup all")
	waitIdle(t, srv)
}

// pad is C's "%-n.ns".
func pad(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}
