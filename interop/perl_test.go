package interop

import (
	"os/exec"
	"testing"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/manager"
)

// perl is Debian's interpreter, the one libtelephony-asterisk-ami-perl
// installs for (a perl earlier on PATH, from perlbrew say, does not see it).
const perl = "/usr/bin/perl"

// TestPerlTelephonyAsteriskAMI runs the Perl module Telephony::Asterisk::AMI
// (0.006) through testdata/perl_client.pl. It is synchronous: it reads the
// banner with readline and a "\n" separator, logs in with no Events header,
// writes "ActionID: N" first and the other headers sorted by name (so
// Action is never first), reads messages up to a "\r\n" blank line, splits
// headers at the first ": ", and returns the first message carrying its
// ActionID or saying "Response: Error"; everything else goes to its event
// callback. Its disconnect wants "Response: Goodbye".
func TestPerlTelephonyAsteriskAMI(t *testing.T) {
	t.Parallel()
	if err := exec.Command(perl, "-MTelephony::Asterisk::AMI", "-e1").Run(); err != nil {
		missing(t, "%s cannot load Telephony::Asterisk::AMI (%v): apt-get install libtelephony-asterisk-ami-perl", perl, err)
	}
	srv := amitest.Start(t)
	rep := runClient(t, srv, "testdata", perl, "perl_client.pl")
	// The module chomps the banner's "\n" only: Asterisk's "\r" stays.
	if want := manager.AMIVersion + "\r"; rep.Version != want {
		t.Errorf("the module read AMI version %q from the banner, want %q", rep.Version, want)
	}
	if !rep.Closed {
		t.Errorf("the server did not close the connection after Logoff")
	}
	if p := rep.Steps["ping_after_event"]; p.get("response") != "Success" || p.get("ping") != "Pong" {
		t.Errorf("Ping after the UserEvent: %v, want Success and Pong", p)
	}
	checkScenario(t, rep)
}
