package pbxami_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/media"
)

const monitorExtensions = `
[rec]
exten => m,1,Monitor(wav,dpa,m)
 same => n,ChangeMonitor(dpb)
 same => n,MixMonitor(dpmix.wav,,/bin/touch /tmp/asterism-should-not-run)
 same => n,Dial(Sim/b2k,10)
`

const monitorSim = `
[a1k]
answer=0
play=tone:1000
[b2k]
answer=30ms
play=tone:2000
`

// monitorEnv is a config directory whose asterisk.conf puts the spool in
// a temporary directory, so that recordings land there.
func monitorEnv(t *testing.T, managerConf string) (dir, monDir string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "etc")
	spool := filepath.Join(root, "spool")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"asterisk.conf":   "[directories]\nastspooldir => " + spool + "\n",
		"extensions.conf": bridgeExtensions + monitorExtensions,
		"sim.conf":        monitorSim,
		"manager.conf":    managerConf,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, filepath.Join(spool, "monitor")
}

// bridgedCall originates a 1 kHz phone into a Dial of a 2 kHz phone and
// returns the two channels once each hears the other.
func bridgedCall(t *testing.T, srv *amitest.Server, c *conn) (a, b string) {
	t.Helper()
	srv.PBX.Sim.RecordSamples = 8000
	r := c.do("Originate", "Channel", "Sim/a1k", "Context", "bridge", "Exten", "b", "Priority", "1", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v", r)
	}
	begin := c.event("DialBegin", "DialString", "b2k")
	a, b = begin.Get("Channel"), begin.Get("DestChannel")
	hears(t, srv.PBX.Sim, a, 2000, 1000)
	hears(t, srv.PBX.Sim, b, 1000, 2000)
	return a, b
}

// toneOf reads a recording and checks that freq dominates other in it.
func toneOf(t *testing.T, path string, freq, other float64) {
	t.Helper()
	s, err := media.ReadWAVFile(path, 60*media.SampleRate)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if len(s) < media.SampleRate/5 {
		t.Fatalf("%s holds %d samples", path, len(s))
	}
	at, ot := media.Amplitude(s, freq), media.Amplitude(s, other)
	if at < 1000 || at < 10*ot {
		t.Errorf("%s: %v Hz amplitude %.0f, %v Hz %.0f: not the expected tone", filepath.Base(path), freq, at, other, ot)
	}
}

func mustNotExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists (err %v)", path, err)
	}
}

// Monitor on a live call: the -in file holds what the monitored phone
// sends (1 kHz), the -out file what it hears (2 kHz); ChangeMonitor
// renames the files when StopMonitor completes them; the events and
// variables are Asterisk's.
func TestMonitorLiveCall(t *testing.T) {
	dir, monDir := monitorEnv(t, amitest.DefaultManagerConf)
	srv := start(t, amitest.ConfigDir(dir))
	c := dial(t, srv)
	a, _ := bridgedCall(t, srv, c)

	r := c.do("Monitor", "Channel", a, "File", "first", "Format", "wav")
	if r.Get("Response") != "Success" || r.Get("Message") != "Started monitoring channel" {
		t.Fatalf("Monitor: %v", r)
	}
	if v := c.event("VarSet", "Variable", "__MONITORED"); v.Get("Value") != "true" || v.Get("Channel") != a {
		t.Errorf("VarSet: %v", v)
	}
	st := c.event("MonitorStart", "Channel", a)
	checkKeys(t, st, with()...)
	if st.Get("Privilege") != "call,all" {
		t.Errorf("MonitorStart: %v", st)
	}
	if r := c.do("ChangeMonitor", "Channel", a, "File", "sub/second"); r.Get("Message") != "Changed monitor filename" {
		t.Fatalf("ChangeMonitor: %v", r)
	}
	// Nothing is renamed before the end, as in Asterisk.
	if got, ok := srv.PBX.Monitor.Monitoring(srv.PBX.Core.Channels()[0]); ok && got.Base == filepath.Join(monDir, "first") {
		t.Errorf("the base did not change: %+v", got)
	}
	time.Sleep(600 * time.Millisecond) // some audio to record
	r = c.do("StopMonitor", "Channel", a)
	if r.Get("Response") != "Success" || r.Get("Message") != "Stopped monitoring channel" {
		t.Fatalf("StopMonitor: %v", r)
	}
	checkKeys(t, c.event("MonitorStop", "Channel", a), with()...)
	if v := c.event("VarSet", "Variable", "MONITORED"); v.Get("Value") != "" {
		t.Errorf("VarSet: %v", v)
	}
	toneOf(t, filepath.Join(monDir, "sub", "second-in.wav"), 1000, 2000)
	toneOf(t, filepath.Join(monDir, "sub", "second-out.wav"), 2000, 1000)
	mustNotExist(t, filepath.Join(monDir, "first-in.wav"))
	mustNotExist(t, filepath.Join(monDir, "first-out.wav"))
	if left, _ := filepath.Glob(filepath.Join(monDir, "*", ".*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// Stopping again is no error, as in Asterisk; pausing a channel
	// without a Monitor is acknowledged too.
	if r := c.do("StopMonitor", "Channel", a); r.Get("Response") != "Success" {
		t.Errorf("second StopMonitor: %v", r)
	}
	if r := c.do("PauseMonitor", "Channel", a); r.Get("Message") != "Paused monitoring of the channel" {
		t.Errorf("PauseMonitor: %v", r)
	}
}

// Monitor with Mix joins both directions into one file when the call
// hangs up, removing the -in and -out files; a paused Monitor records
// nothing meanwhile.
func TestMonitorMixOnHangup(t *testing.T) {
	dir, monDir := monitorEnv(t, amitest.DefaultManagerConf)
	srv := start(t, amitest.ConfigDir(dir))
	c := dial(t, srv)
	a, b := bridgedCall(t, srv, c)
	if r := c.do("Monitor", "Channel", b, "File", "joined", "Mix", "true"); r.Get("Response") != "Success" {
		t.Fatalf("Monitor: %v", r)
	}
	time.Sleep(500 * time.Millisecond)
	if r := c.do("PauseMonitor", "Channel", b); r.Get("Response") != "Success" {
		t.Fatalf("PauseMonitor: %v", r)
	}
	if r := c.do("UnpauseMonitor", "Channel", b); r.Get("Message") != "Unpaused monitoring of the channel" {
		t.Fatalf("UnpauseMonitor: %v", r)
	}
	if r := c.do("Hangup", "Channel", a); r.Get("Response") != "Success" {
		t.Fatalf("Hangup: %v", r)
	}
	waitIdle(t, srv)
	srv.PBX.Monitor.Close() // waits until the files are complete
	s, err := media.ReadWAVFile(filepath.Join(monDir, "joined.wav"), 60*media.SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	if a1, a2 := media.Amplitude(s, 1000), media.Amplitude(s, 2000); a1 < 1000 || a2 < 1000 {
		t.Errorf("joined file: 1 kHz %.0f, 2 kHz %.0f: both sides should be there", a1, a2)
	}
	mustNotExist(t, filepath.Join(monDir, "joined-in.wav"))
	mustNotExist(t, filepath.Join(monDir, "joined-out.wav"))
}

// MixMonitor mixes both directions live, r() and t() keep each alone;
// MIXMONITOR_FILENAME names the file; StopMixMonitor completes them.
func TestMixMonitorLiveCall(t *testing.T) {
	dir, monDir := monitorEnv(t, amitest.DefaultManagerConf)
	srv := start(t, amitest.ConfigDir(dir))
	c := dial(t, srv)
	a, _ := bridgedCall(t, srv, c)
	r := c.do("MixMonitor", "Channel", a, "File", "mixed.wav", "Options", "r(rx.wav)t(tx)i(MMID)")
	if r.Get("Response") != "Success" || r.Get("MixMonitorID") == "" || r.Get("Message") != "" {
		t.Fatalf("MixMonitor: %v", r)
	}
	if v := c.event("VarSet", "Variable", "MIXMONITOR_FILENAME"); v.Get("Value") != filepath.Join(monDir, "mixed.wav") {
		t.Errorf("MIXMONITOR_FILENAME: %v", v)
	}
	checkKeys(t, c.event("MixMonitorStart", "Channel", a), with()...)
	time.Sleep(600 * time.Millisecond)
	if r := c.do("StopMixMonitor", "Channel", a, "MixMonitorID", "0xnosuch"); r.Get("Message") != "Could not stop monitoring channel" {
		t.Errorf("StopMixMonitor of an unknown id: %v", r)
	}
	r = c.do("StopMixMonitor", "Channel", a, "MixMonitorID", r.Get("MixMonitorID"))
	if r.Get("Response") != "Success" {
		t.Fatalf("StopMixMonitor: %v", r)
	}
	checkKeys(t, c.event("MixMonitorStop", "Channel", a), with()...)
	toneOf(t, filepath.Join(monDir, "rx.wav"), 1000, 2000)
	toneOf(t, filepath.Join(monDir, "tx.wav"), 2000, 1000)
	s, err := media.ReadWAVFile(filepath.Join(monDir, "mixed.wav"), 60*media.SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	if a1, a2 := media.Amplitude(s, 1000), media.Amplitude(s, 2000); a1 < 1000 || a2 < 1000 {
		t.Errorf("mixed file: 1 kHz %.0f, 2 kHz %.0f: both sides should be there", a1, a2)
	}
	if r := c.do("StopMixMonitor", "Channel", a); r.Get("Message") != "Could not stop monitoring channel" {
		t.Errorf("StopMixMonitor with none running: %v", r)
	}
}

// File names from the network stay in the monitor directory, and
// MixMonitor needs the system class as in Asterisk 20 (AST-2014-006).
func TestMonitorBadInput(t *testing.T) {
	conf := amitest.DefaultManagerConf + `
[caller]
secret = callerpw
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = call
`
	dir, monDir := monitorEnv(t, conf)
	srv := start(t, amitest.ConfigDir(dir))
	c := dial(t, srv)
	a, _ := bridgedCall(t, srv, c)
	for _, name := range []string{"../escape", "/tmp/escape", "a/../../escape"} {
		r := c.do("Monitor", "Channel", a, "File", name)
		if r.Get("Response") != "Error" || !strings.HasPrefix(r.Get("Message"), "Could not start monitoring channel") {
			t.Errorf("Monitor File %q: %v", name, r)
		}
		r = c.do("MixMonitor", "Channel", a, "File", name+".wav")
		if r.Get("Response") != "Error" {
			t.Errorf("MixMonitor File %q: %v", name, r)
		}
	}
	if r := c.do("MixMonitor", "Channel", a, "File", "x.wav", "Options", "r(../up.wav)"); r.Get("Response") != "Error" {
		t.Errorf("MixMonitor r(../up.wav): %v", r)
	}
	if r := c.do("MixMonitor", "Channel", a, "File", "x.wav", "Command", "rm -rf /"); r.Get("Response") != "Error" {
		t.Errorf("MixMonitor with a Command: %v", r)
	}
	if r := c.do("MixMonitor", "Channel", a, "File", "x.gsm"); r.Get("Response") != "Error" {
		t.Errorf("MixMonitor x.gsm: %v", r)
	}
	for _, tc := range []struct{ action, want string }{
		{"Monitor", "No channel specified"}, {"StopMonitor", "No channel specified"},
		{"ChangeMonitor", "No channel specified"}, {"MixMonitor", "No channel specified"},
	} {
		if r := c.do(tc.action); r.Get("Message") != tc.want {
			t.Errorf("%s without a channel: %v", tc.action, r)
		}
	}
	if r := c.do("Monitor", "Channel", "Sim/nosuch-00000000"); r.Get("Message") != "No such channel" {
		t.Errorf("Monitor of no channel: %v", r)
	}
	if r := c.do("ChangeMonitor", "Channel", a); r.Get("Message") != "No filename specified" {
		t.Errorf("ChangeMonitor without File: %v", r)
	}
	root := filepath.Dir(filepath.Dir(monDir))
	for _, p := range []string{filepath.Join(root, "escape-in.wav"), filepath.Join(filepath.Dir(monDir), "escape-in.wav"), "/tmp/escape-in.wav"} {
		mustNotExist(t, p)
	}

	// A user without the system class may Monitor but not MixMonitor.
	c2 := dial(t, &amitest.Server{Addr: srv.Addr, Username: "caller", Secret: "callerpw"})
	if r := c2.do("MixMonitor", "Channel", a, "File", "y.wav"); r.Get("Response") != "Error" || !strings.Contains(r.Get("Message"), "ermission denied") {
		t.Errorf("MixMonitor without system: %v", r)
	}
	if r := c2.do("Monitor", "Channel", a, "File", "ok"); r.Get("Response") != "Success" {
		t.Errorf("Monitor with call: %v", r)
	}
}

// The dialplan applications: Monitor with m and ChangeMonitor, and
// MixMonitor (whose shell command is never run), recording a call until it
// hangs up.
func TestMonitorApps(t *testing.T) {
	dir, monDir := monitorEnv(t, amitest.DefaultManagerConf)
	srv := start(t, amitest.ConfigDir(dir))
	srv.PBX.Sim.RecordSamples = 8000
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Sim/a1k", "Context", "rec", "Exten", "m", "Priority", "1", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v", r)
	}
	c.event("MonitorStart", "", "")
	c.event("MixMonitorStart", "", "")
	begin := c.event("DialBegin", "DialString", "b2k")
	a, b := begin.Get("Channel"), begin.Get("DestChannel")
	hears(t, srv.PBX.Sim, a, 2000, 1000)
	hears(t, srv.PBX.Sim, b, 1000, 2000)
	time.Sleep(300 * time.Millisecond)
	if r := c.do("Hangup", "Channel", b); r.Get("Response") != "Success" {
		t.Fatalf("Hangup: %v", r)
	}
	waitIdle(t, srv)
	srv.PBX.Monitor.Close()
	for _, name := range []string{"dpb.wav", "dpmix.wav"} {
		s, err := media.ReadWAVFile(filepath.Join(monDir, name), 60*media.SampleRate)
		if err != nil {
			t.Fatal(err)
		}
		if a1, a2 := media.Amplitude(s, 1000), media.Amplitude(s, 2000); a1 < 1000 || a2 < 1000 {
			t.Errorf("%s: 1 kHz %.0f, 2 kHz %.0f: both sides should be there", name, a1, a2)
		}
	}
	for _, name := range []string{"dpa-in.wav", "dpa-out.wav", "dpb-in.wav", "dpb-out.wav", "dpa.wav"} {
		mustNotExist(t, filepath.Join(monDir, name))
	}
	mustNotExist(t, "/tmp/asterism-should-not-run")
}
