package pbxami_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/cli"
)

// runCLI runs a CLI line on srv and returns its output and error.
func runCLI(srv *amitest.Server, line string) (string, error) {
	var out bytes.Buffer
	err := srv.Manager.CLI().Run(context.Background(), line, &out)
	return out.String(), err
}

// cliOut runs a CLI line that must succeed.
func cliOut(t *testing.T, srv *amitest.Server, line string) string {
	t.Helper()
	out, err := runCLI(srv, line)
	if err != nil {
		t.Errorf("%s: %v\n%s", line, err, out)
	}
	return out
}

// core show applications lists every application with its synopsis, and
// filters by name (like) or by words of the documentation (describing).
func TestCLIShowApplicationsFilters(t *testing.T) {
	srv := start(t)
	n := len(srv.PBX.Core.Apps())
	got := cliOut(t, srv, "core show applications")
	if !strings.HasPrefix(got, "    -= Registered Asterisk Applications =-\n") ||
		!strings.HasSuffix(got, "    -= "+strconv.Itoa(n)+" Applications Registered =-\n") ||
		!strings.Contains(got, "\n                  Dial: Attempt to connect to another device or endpoint and bridge the call.\n") {
		t.Errorf("core show applications:\n%s", got)
	}
	if strings.Contains(got, "<Synopsis not available>") {
		t.Errorf("an application without a synopsis:\n%s", got)
	}

	want := "    -= Matching Asterisk Applications =-\n" +
		"             Playtones: Play a tone list.\n" +
		"         StopPlaytones: Stop playing a tone list.\n" +
		"    -= 2 Applications Matching =-\n"
	if got := cliOut(t, srv, "core show applications like TONES"); got != want {
		t.Errorf("like TONES:\n%s\nwant\n%s", got, want)
	}
	// Every word must appear in the description (Dial's lists the
	// CONGESTION status); the count adds up the words found, even in
	// descriptions that miss another word.
	want = "    -= Matching Asterisk Applications =-\n" +
		"            Congestion: Indicate the Congestion condition.\n" +
		"                  Dial: Attempt to connect to another device or endpoint and bridge the call.\n" +
		"    -= 2 Applications Matching =-\n"
	if got := cliOut(t, srv, "core show applications describing CONGESTION"); got != want {
		t.Errorf("describing CONGESTION:\n%s\nwant\n%s", got, want)
	}
	want = "    -= Matching Asterisk Applications =-\n    -= 2 Applications Matching =-\n"
	if got := cliOut(t, srv, "core show applications describing congestion nosuchword"); got != want {
		t.Errorf("describing congestion nosuchword:\n%s\nwant\n%s", got, want)
	}
	// "like" takes one word, exactly spelt; anything else lists everything.
	for _, line := range []string{"core show applications like a b", "core show applications LIKE tones", "core show applications foo"} {
		if got := cliOut(t, srv, line); !strings.HasSuffix(got, "    -= "+strconv.Itoa(n)+" Applications Registered =-\n") {
			t.Errorf("%s:\n%s", line, got)
		}
	}
	if got := cliOut(t, srv, "core show applications like nosuchapp"); got != "    -= Matching Asterisk Applications =-\n    -= 0 Applications Matching =-\n" {
		t.Errorf("like nosuchapp: %q", got)
	}
}

// core show application prints print_app_docs's five parts, for each
// application named, in the order of the application list.
func TestCLIShowApplicationDocs(t *testing.T) {
	srv := start(t)
	got := cliOut(t, srv, "core show application playback")
	want := "\n  -= Info about application 'Playback' =- \n\n" +
		"[Synopsis]\nPlay a file.\n\n" +
		"[Description]\n"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("core show application playback:\n%q\nwant prefix %q", got, want)
	}
	for _, part := range []string{
		"\n\n[Syntax]\nPlayback(filename[&filename2[&...]],[options])\n\n[Arguments]\nfilenames\n    filename\n    filename2: ",
		"\noptions\n    Comma separated list of options\n",
		"\n\n[See Also]\nBackground(), ControlPlayback(), WaitExten()\n",
	} {
		if !strings.Contains(got, part) {
			t.Errorf("core show application playback: no %q in\n%s", part, got)
		}
	}
	if !strings.HasSuffix(got, "WaitExten()\n") {
		t.Errorf("does not end with the See Also line:\n%s", got)
	}

	// Two applications: both, in list order (Answer before Wait).
	got = cliOut(t, srv, "core show application wait answer nosuch")
	a, w := strings.Index(got, "'Answer'"), strings.Index(got, "'Wait'")
	if a < 0 || w < 0 || a > w || strings.Count(got, "-= Info about application") != 2 {
		t.Errorf("core show application wait answer nosuch:\n%s", got)
	}
	if !strings.Contains(got, "[Syntax]\nWait(seconds)\n") {
		t.Errorf("Wait's syntax missing:\n%s", got)
	}

	if got := cliOut(t, srv, "core show application nosuch"); got != "Your application(s) is (are) not registered\n" {
		t.Errorf("core show application nosuch: %q", got)
	}
	if got, err := runCLI(srv, "core show application"); !errors.Is(err, cli.ErrShowUsage) || !strings.HasPrefix(got, "Usage: core show application <application>") {
		t.Errorf("core show application without a name: %v %q", err, got)
	}
}

// core show functions lists the functions in handle_show_functions's
// columns; core show function describes one.
func TestCLIShowFunctions(t *testing.T) {
	srv := start(t)
	funcs := srv.PBX.Core.Funcs().List()
	got := cliOut(t, srv, "core show functions")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != len(funcs)+3 || lines[0] != "Installed Custom Functions:" || lines[1] != strings.Repeat("-", 80) ||
		lines[len(lines)-1] != strconv.Itoa(len(funcs))+" custom functions installed." {
		t.Fatalf("core show functions (%d functions):\n%s", len(funcs), got)
	}
	want := "CALLERID              CALLERID(datatype[,CID])             Gets or sets Caller*ID data on the channel.\n"
	if !strings.Contains(got, "\n"+want) {
		t.Errorf("no CALLERID line %q in\n%s", want, got)
	}
	// Names are sorted by strcmp, as Asterisk keeps them.
	for i := 3; i < len(lines)-1; i++ {
		if lines[i-1][:20] > lines[i][:20] {
			t.Errorf("not sorted: %q before %q", lines[i-1], lines[i])
		}
	}

	// like is case-sensitive (strstr).
	got = cliOut(t, srv, "core show functions like CALLER")
	if want := "Matching Custom Functions:\n" + strings.Repeat("-", 80) + "\n" + want + "1 matching custom functions installed.\n"; got != want {
		t.Errorf("like CALLER:\n%q\nwant\n%q", got, want)
	}
	if got := cliOut(t, srv, "core show functions like caller"); !strings.HasSuffix(got, "\n0 matching custom functions installed.\n") {
		t.Errorf("like caller: %q", got)
	}
	if got, err := runCLI(srv, "core show functions likes CALLER"); !errors.Is(err, cli.ErrShowUsage) || !strings.HasPrefix(got, "Usage: core show functions [like <text>]") {
		t.Errorf("bad filter word: %v %q", err, got)
	}

	want = "\n  -= Info about function 'CALLERID' =- \n\n" +
		"[Synopsis]\nGets or sets Caller*ID data on the channel.\n\n" +
		"[Description]\nNot available\n\n" +
		"[Syntax]\nCALLERID(datatype[,CID])\n\n" +
		"[Arguments]\nNot available\n\n" +
		"[See Also]\nNot available\n"
	if got := cliOut(t, srv, "core show function CALLERID"); got != want {
		t.Errorf("core show function CALLERID:\n%q\nwant\n%q", got, want)
	}
	if got := cliOut(t, srv, "core show function callerid"); got != "No function by that name registered.\n" {
		t.Errorf("core show function callerid: %q", got)
	}
}

// core show channel prints handle_showchan's whole block, in its order.
func TestCLIShowChannelBlock(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	c.do("Originate", "Channel", "Local/2000@default", "Context", "default", "Exten", "600", "Priority", "1",
		"CallerID", `"Alice" <100>`)
	name := c.event("Newexten", "Application", "Wait").Get("Channel")
	got := cliOut(t, srv, "core show channel "+name)
	labels := []string{" -- General --", "           Name", "           Type", "       UniqueID", "       LinkedID",
		"      Caller ID", " Caller ID Name", "Connected Line ID", "Connected Line ID Name", "Eff. Connected Line ID",
		"Eff. Connected Line ID Name", "    DNID Digits", "       Language", "          State", "  NativeFormats",
		"    WriteFormat", "     ReadFormat", " WriteTranscode", "  ReadTranscode", " Time to Hangup", "   Elapsed Time",
		"      Bridge ID", " --   PBX   --", "        Context", "      Extension", "       Priority", "     Call Group",
		"   Pickup Group", "    Application", "           Data", " Call Identifer", "      Variables"}
	lines := strings.Split(got, "\n")
	if len(lines) < len(labels) {
		t.Fatalf("core show channel:\n%s", got)
	}
	for i, l := range labels {
		if !strings.HasPrefix(lines[i], l) {
			t.Errorf("line %d = %q, want %q…", i, lines[i], l)
		}
	}
	for _, want := range []string{
		"           Name: " + name + "\n", "           Type: Local\n", "       Language: en\n",
		"          State: Up (6)\n", "        Context: default\n", "      Extension: 2000\n", "       Priority: 3\n",
		"    Application: Wait\n", "           Data: 120\n", " Time to Hangup: 0\n", "      Bridge ID: (Not bridged)\n",
		"\nTESTVAR=testvalue\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("core show channel: no %q in\n%s", want, got)
		}
	}
	if !regexp.MustCompile(`\n   Elapsed Time: 0h0m\ds\n`).MatchString(got) {
		t.Errorf("elapsed time:\n%s", got)
	}
	cliOut(t, srv, "channel request hangup all")
	waitIdle(t, srv)
}
