package pbxami_test

import (
	"bytes"
	"net"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/internal/transcript"
)

// TestGoldenQueues replays queues.txt against Asterism on the reference
// configuration.
//
// Step q-1 (Action: Queues) is left out: Asterisk 20 no longer has the
// action and answers "Invalid/unknown command", while Asterism keeps
// Asterisk 14's text answer for the seed's clients (the lead's decision;
// TestQueuesLegacy checks it).
//
// Values that must differ: the unix times of LoginTime and LastPause
// (when the member was created or paused), and the hold and wait times
// of the caller, which follow the replay's shortened gaps.
func TestGoldenQueues(t *testing.T) {
	tr, err := transcript.ParseFile(filepath.Join(refDir, "queues.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dropExchange(t, tr, "ActionID: q-1")
	num := regexp.MustCompile(`^\d+$`)
	rules := append(cdrRules(),
		transcript.Rule{Header: "LoginTime", Match: num, Replace: "<unix>"},
		transcript.Rule{Header: "LastPause", Match: regexp.MustCompile(`^[1-9]\d*$`), Replace: "<unix>"},
		transcript.Rule{Event: "QueueCallerAbandon", Header: "HoldTime", Match: num, Replace: "<seconds>"},
		transcript.Rule{Event: "VarSet", Header: "Value", Match: num, Replace: "<n>"},
	)
	srv := start(t, amitest.ConfigDir(refWithSounds(t)), amitest.SystemName("refast"))
	for n := firstSeq(t, "queues"); n > 0; n-- {
		srv.PBX.Core.NextSeq()
	}
	transcript.Replay(t, tr, func() (net.Conn, error) { return net.Dial("tcp", srv.Addr) }, transcript.Options{
		Secrets: map[string]string{"admin": "adminpw"},
		Rules:   rules,
		Order:   transcript.EventsBetweenResponses,
		Skip:    transcript.SkipEvents("SuccessfulAuth"),
	})
	waitIdle(t, srv)
}

// dropExchange removes the request holding marker and the answer that
// follows it.
func dropExchange(t *testing.T, tr *transcript.Transcript, marker string) {
	t.Helper()
	for i, st := range tr.Steps {
		if st.Kind == transcript.Send && bytes.Contains(st.Bytes, []byte(marker)) {
			j := i + 1
			for j < len(tr.Steps) && tr.Steps[j].Kind != transcript.Recv {
				j++
			}
			tr.Steps = append(tr.Steps[:i:i], tr.Steps[j+1:]...)
			return
		}
	}
	t.Fatalf("no request with %q", marker)
}
