package pbxami_test

import (
	"encoding/binary"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/internal/transcript"
)

// refWithSounds returns a copy of the reference etc/ whose asterisk.conf
// points astdatadir at a directory holding a generated
// sounds/en/hello-world.wav (half a second of 440 Hz), which the reference
// extensions.conf plays and the embedded sounds lack.
func refWithSounds(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(refDir, "etc")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(filepath.Join(data, "sounds", "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := "[directories]\nastdatadir => " + data + "\n"
	if err := os.WriteFile(filepath.Join(dir, "asterisk.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "sounds", "en", "hello-world.wav"), toneWAV(4000), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// toneWAV returns a WAV file (8 kHz, 16-bit mono) of n samples of 440 Hz.
func toneWAV(n int) []byte {
	b := make([]byte, 44+2*n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := 0; i < n; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return b
}

// firstSeq returns the sequence number of the first channel the transcript
// name creates.
func firstSeq(t *testing.T, name string) uint64 {
	b, err := os.ReadFile(filepath.Join(refDir, name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Channel: \w+/\S*-([0-9a-f]{8})(;1)?\r?$`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseUint(string(m[1]), 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The call transcripts, replayed against Asterism on the reference
// configuration. The events Asterism does not emit yet are left out on
// both sides: LocalBridge, DialBegin/DialEnd, DeviceStateChange, Cdr, the
// AppDial2 Newexten of a Local ;1, and the Bridge* events.
//
// Not replayed yet: originate-async-application (Asterisk's Answer waits up
// to 500 ms for the first voice frame, so ;1's Playback ends before ;2's
// there; Asterism's Answer returns at once and ;2 ends first), and
// originate-async-exten and originate-sync-exten (which half of the Local
// pair the cleanup's regex Hangup ends first, and so which gets the
// HangupRequest, follows Asterisk's channel container order there and is a
// race here; the synchronous Originate's response also comes before the
// call's events in Asterisk, which holds the session's events back while
// the action runs, and after them in Asterism, which does not).
func TestGoldenCalls(t *testing.T) {
	// The replay sleeps 5 % of the recorded gaps, so the durations a
	// channel has lived differ; their shape must not.
	rules := append(transcript.DefaultRules(),
		transcript.Rule{Header: "Duration", Match: regexp.MustCompile(`^\d\d:\d\d:\d\d$`), Replace: "<hh:mm:ss>"},
		transcript.Rule{Event: "Status", Header: "Seconds", Match: regexp.MustCompile(`^\d+$`), Replace: "<seconds>"})
	notYet := transcript.SkipEvents("SuccessfulAuth", "LocalBridge", "DialBegin", "DialEnd",
		"DeviceStateChange", "Cdr", "BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy")
	for _, name := range []string{
		"hangup",
		"absolutetimeout",
		"getvar-setvar",
		"status-with-channels",
		"coreshowchannels",
	} {
		t.Run(name, func(t *testing.T) {
			tr, err := transcript.ParseFile(filepath.Join(refDir, name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			srv := start(t, amitest.ConfigDir(refWithSounds(t)), amitest.SystemName("refast"))
			// The transcript names its channels literally (Hangup,
			// Status …): start the sequence where Asterisk's was.
			for n := firstSeq(t, name); n > 0; n-- {
				srv.PBX.Core.NextSeq()
			}
			transcript.Replay(t, tr, func() (net.Conn, error) { return net.Dial("tcp", srv.Addr) }, transcript.Options{
				Secrets: map[string]string{"admin": "adminpw"},
				Rules:   rules,
				Order:   transcript.EventsBetweenResponses,
				Skip: func(conn string, m transcript.Message) bool {
					return notYet(conn, m) || (m.Event() == "Newexten" && m.Get("Application") == "AppDial2")
				},
			})
			waitIdle(t, srv)
		})
	}
}
