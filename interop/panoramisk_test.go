package interop

import (
	"os/exec"
	"testing"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/manager"
)

// python is Debian's interpreter, the one python3-panoramisk installs for
// (a python3 earlier on PATH, from pyenv say, does not see it).
const python = "/usr/bin/python3"

// TestPanoramisk runs panoramisk, the Python asyncio AMI client, through
// testdata/panoramisk_client.py. panoramisk splits messages on "\r\n\r\n"
// and headers on ": ", reads the AMI version from the banner, matches
// responses by ActionID, and decides whether a response is a list from
// its wording.
func TestPanoramisk(t *testing.T) {
	t.Parallel()
	if err := exec.Command(python, "-c", "import panoramisk").Run(); err != nil {
		missing(t, "%s cannot import panoramisk (%v): apt-get install python3-panoramisk", python, err)
	}
	srv := amitest.Start(t)
	rep := runClient(t, srv, "testdata", python, "panoramisk_client.py")
	if rep.Version != manager.AMIVersion {
		t.Errorf("panoramisk read AMI version %q from the banner, want %q", rep.Version, manager.AMIVersion)
	}
	if rep.Authenticated == nil || !*rep.Authenticated {
		t.Errorf("panoramisk does not count itself authenticated")
	}
	checkScenario(t, rep)
}
