package pbxami_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/pbx"
)

const originateUsagePrefix = "  There are two ways to use this command. A call can be originated between a\n"

// waitChannel waits until a channel whose name starts with prefix runs the
// application app, and returns it.
func waitChannel(t *testing.T, srv *amitest.Server, prefix, app string) *pbx.Channel {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, ch := range srv.PBX.Core.Channels() {
			if a, _ := ch.Application(); strings.HasPrefix(ch.Name(), prefix) && a == app {
				return ch
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no channel %s… running %s", prefix, app)
	return nil
}

// channel originate calls a channel and, once it answers, runs an
// extension (s@default unless told) or an application on it; the command
// itself prints nothing and does not wait.
func TestCLIChannelOriginate(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)

	if out := cliOut(t, srv, "channel originate Sim/101 extension 2000@default"); out != "" {
		t.Errorf("output: %q", out)
	}
	ev := c.event("Newexten", "Application", "Wait")
	if ev.Get("Context") != "default" || ev.Get("Exten") != "2000" || !strings.HasPrefix(ev.Get("Channel"), "Sim/101-") {
		t.Errorf("extension 2000@default: %v", ev)
	}
	// No context: default.
	cliOut(t, srv, "channel originate Sim/100 EXTENSION 600")
	ev = c.event("Newexten", "Application", "Echo")
	if ev.Get("Context") != "default" || ev.Get("Exten") != "600" || !strings.HasPrefix(ev.Get("Channel"), "Sim/100-") {
		t.Errorf("extension 600: %v", ev)
	}

	cliOut(t, srv, "channel request hangup all")
	waitIdle(t, srv)

	// An application with its data, quoted since it has blanks; the old
	// name of the command works too.
	if out := cliOut(t, srv, `originate Sim/101 application Wait "30 "`); out != "" {
		t.Errorf("output: %q", out)
	}
	ch := waitChannel(t, srv, "Sim/101-", "Wait")
	if _, data := ch.Application(); data != "30 " {
		t.Errorf("application data %q", data)
	}
	if ch.State() != pbx.StateUp {
		t.Errorf("state %v", ch.State())
	}
	cliOut(t, srv, "channel request hangup all")
	waitIdle(t, srv)
	srv.PBX.Adapter.Wait()
}

// Wrong command lines print res_clioriginate's usage; a call that cannot
// be made prints nothing and leaves nothing behind.
func TestCLIChannelOriginateBad(t *testing.T) {
	srv := start(t)
	for _, line := range []string{
		"channel originate",
		"channel originate Sim/100",
		"channel originate Sim/100 nowhere 600",
		"channel originate Sim/100 application",
		"originate Sim/100 application",
	} {
		out, err := runCLI(srv, line)
		if !errors.Is(err, cli.ErrShowUsage) || !strings.HasPrefix(out, originateUsagePrefix) ||
			!strings.HasSuffix(out, "used. If no extension is given, the 's' extension will be used.\n") {
			t.Errorf("%s: %v\n%s", line, err, out)
		}
	}
	for _, line := range []string{"channel originate Sim extension 600", "channel originate Sim application Echo"} {
		out, err := runCLI(srv, line)
		if !errors.Is(err, cli.ErrShowUsage) || !strings.HasPrefix(out, "*** No data provided after channel type! ***\n"+originateUsagePrefix) {
			t.Errorf("%s: %v\n%s", line, err, out)
		}
	}
	// Unknown technology, unknown phone, busy phone, unknown application:
	// the command succeeds silently, as Asterisk's, and the call fails.
	for _, line := range []string{
		"channel originate NoSuchTech/1 extension 600",
		"channel originate Sim/999 extension 600",
		"channel originate Sim/102 extension 600",
		"channel originate Sim/100 application NoSuchApp",
		"channel originate Local/ extension 600",
	} {
		if out := cliOut(t, srv, line); out != "" {
			t.Errorf("%s: %q", line, out)
		}
	}
	srv.PBX.Adapter.Wait()
	waitIdle(t, srv)
}
