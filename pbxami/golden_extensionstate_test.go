package pbxami_test

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/internal/transcript"
)

// extensionstate.txt replayed on the reference configuration: the hints
// of extensions.conf (Custom:100, never set, is Idle; SIP/101 and
// IAX2/iaxpeer1, whose drivers Asterism lacks, are Unavailable as
// Asterisk shows unregistered peers), ExtensionState for missing hints,
// extensions and contexts, DEVICE_STATE(Custom:100) written by a Setvar
// with no channel, the ExtensionStatus and DeviceStateChange events that
// follow (in either order: Asterisk's own order depends on which of two
// subscribers runs first, see EventsBetweenResponses) and
// ExtensionStateList.
func TestGoldenExtensionState(t *testing.T) {
	tr, err := transcript.ParseFile(filepath.Join(refDir, "extensionstate.txt"))
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, amitest.ConfigDir(refWithSounds(t)), amitest.SystemName("refast"))
	transcript.Replay(t, tr, func() (net.Conn, error) { return net.Dial("tcp", srv.Addr) }, transcript.Options{
		Secrets: map[string]string{"admin": "adminpw"},
		Order:   transcript.EventsBetweenResponses,
		Skip:    transcript.SkipEvents("SuccessfulAuth"),
	})
}
