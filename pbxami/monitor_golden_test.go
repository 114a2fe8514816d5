package pbxami_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/internal/transcript"
)

// monitorTranscript reads monitor.txt, whose MixMonitor answer (the chunk
// at line 522) declares 902 bytes where 897 follow, as
// internal/transcript's test pins. The recorded bytes are right and only
// the count is off (the chunk's blank line ends its last message right
// before the next marker), so the count is corrected in a copy, in memory,
// and only there; the shared file is left as it is.
func monitorTranscript(t *testing.T) *transcript.Transcript {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(refDir, "monitor.txt"))
	if err != nil {
		t.Fatal(err)
	}
	const bad = "### t=+7.812s gap=538us <<< conn=a bytes=902\n"
	if bytes.Count(b, []byte(bad)) != 1 {
		t.Fatal("monitor.txt changed: the damaged marker is not there any more; replay it as it is")
	}
	b = bytes.Replace(b, []byte(bad), []byte("### t=+7.812s gap=538us <<< conn=a bytes=897\n"), 1)
	tr, err := transcript.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("monitor.txt with its byte count fixed: %v", err)
	}
	return tr
}

// monitor.txt replayed on the reference configuration, its spool in a
// temporary directory: every answer and event as Asterisk 20's, but for
// MIXMONITOR_FILENAME, which names that directory instead of
// /var/spool/asterisk.
func TestMonitorTranscript(t *testing.T) {
	tr := monitorTranscript(t)
	dir := refWithSounds(t)
	spool := t.TempDir()
	conf, err := os.ReadFile(filepath.Join(dir, "asterisk.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf = append(conf, []byte("astspooldir => "+spool+"\n")...)
	if err := os.WriteFile(filepath.Join(dir, "asterisk.conf"), conf, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := start(t, amitest.ConfigDir(dir), amitest.SystemName("refast"))
	for n := firstSeq(t, "monitor"); n > 0; n-- {
		srv.PBX.Core.NextSeq()
	}
	rules := append(cdrRules(), transcript.Rule{Event: "VarSet", Header: "Value",
		Match: regexp.MustCompile(`^(/var/spool/asterisk|` + regexp.QuoteMeta(spool) + `)/monitor/`), Replace: "<spool>/monitor/"})
	transcript.Replay(t, tr, func() (net.Conn, error) { return net.Dial("tcp", srv.Addr) }, transcript.Options{
		Secrets: map[string]string{"admin": "adminpw"},
		Rules:   rules,
		Order:   transcript.EventsBetweenResponses,
		Skip:    transcript.SkipEvents("SuccessfulAuth"),
	})
	waitIdle(t, srv)
	// What the transcript recorded: refmon1 renamed to refmon1b, then
	// refmon2 (Mix: joined at the end), and the MixMonitor file.
	for _, name := range []string{"refmon2.wav", "refmix1.wav"} {
		if _, err := os.Stat(filepath.Join(spool, "monitor", name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
