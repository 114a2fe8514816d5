package pbxami_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/pbxami"
)

// hintsConf hints two simulated phones: 100 (answers after a second) with
// a Custom device, 103 (never answers) with another.
const hintsConf = `[default]
exten => 100,hint,Sim/100&Custom:100
exten => 100,1,Dial(Sim/100,20)
exten => 103,hint,Sim/103&Custom:103
exten => 103,1,Dial(Sim/103,20)
; 3000: sets a Custom device from the dialplan, and reads one back
exten => 3000,1,Set(DEVICE_STATE(Custom:dp)=RINGING)
 same => n,UserEvent(DevState,State: ${DEVICE_STATE(Custom:dp)},Phone: ${DEVICE_STATE(Sim/103)},None: ${DEVICE_STATE(Custom:unset)})
 same => n,Hangup()
; 2000: a long-lived answered channel, the other end of the calls
exten => 2000,1,Answer()
 same => n,Wait(120)
 same => n,Hangup()
`

const hintsSim = `[100]
answer = 1s
play = tone:440

[103]
answer = noanswer
`

// extStatuses returns the Status of the ExtensionStatus events c has read
// for exten, in order.
func extStatuses(c *conn, exten string) []string {
	var out []string
	for _, m := range c.seen {
		if m.Get("Event") == "ExtensionStatus" && m.Get("Exten") == exten && m.ActionID() == "" {
			out = append(out, m.Get("Status"))
		}
	}
	return out
}

// Hints follow real calls: a Sim phone that rings, answers after a second
// and is hung up moves its hint through Ringing, InUse and Idle, one
// ExtensionStatus per change, and ExtensionState agrees on the way; a
// Custom device in the same hint combines with the phone's state.
func TestHintsFollowCalls(t *testing.T) {
	srv := start(t, amitest.ExtensionsConf(hintsConf), amitest.SimConf(hintsSim))
	c := dial(t, srv)

	st := c.do("ExtensionState", "Exten", "100", "Context", "default")
	checkKeys(t, st, "Response", "ActionID", "Message", "Exten", "Context", "Hint", "Status", "StatusText")
	if st.Get("Hint") != "Sim/100&Custom:100" || st.Get("Status") != "0" || st.Get("StatusText") != "Idle" {
		t.Fatalf("idle ExtensionState: %v", st)
	}

	// Sim/100 rings, answers after a second, and is hung up.
	r := c.do("Originate", "Channel", "Sim/100", "Context", "default", "Exten", "2000", "Priority", "1", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v", r)
	}
	ringing := c.event("ExtensionStatus", "Status", "8")
	checkKeys(t, ringing, "Event", "Privilege", "Exten", "Context", "Hint", "Status", "StatusText")
	if ringing.Get("Privilege") != "call,all" || ringing.Get("Exten") != "100" || ringing.Get("Context") != "default" ||
		ringing.Get("Hint") != "Sim/100&Custom:100" || ringing.Get("StatusText") != "Ringing" {
		t.Errorf("ringing: %v", ringing)
	}
	inUse := c.event("ExtensionStatus", "Status", "1")
	if inUse.Get("StatusText") != "InUse" || inUse.Get("Exten") != "100" {
		t.Errorf("answered: %v", inUse)
	}
	if st := c.do("ExtensionState", "Exten", "100"); st.Get("Status") != "1" || st.Get("StatusText") != "InUse" || st.Get("Context") != "default" {
		t.Errorf("ExtensionState while up: %v", st)
	}
	var phone string
	for _, ch := range srv.PBX.Core.Channels() {
		if strings.HasPrefix(ch.Name(), "Sim/100-") {
			phone = ch.Name()
		}
	}
	if phone == "" {
		t.Fatal("no Sim/100 channel")
	}
	if r := c.do("Hangup", "Channel", phone); r.Get("Response") != "Success" {
		t.Fatalf("Hangup: %v", r)
	}
	c.event("ExtensionStatus", "Status", "0")
	waitIdle(t, srv)
	if got := extStatuses(c, "100"); !slices.Equal(got, []string{"8", "1", "0"}) {
		t.Errorf("ExtensionStatus of 100: %v, want 8 1 0", got)
	}
	// The phone's DeviceStateChange events went with them.
	var devs []string
	for _, m := range c.seen {
		if m.Get("Event") == "DeviceStateChange" && m.Get("Device") == "Sim/100" {
			devs = append(devs, m.Get("State"))
		}
	}
	if !slices.Equal(devs, []string{"RINGING", "INUSE", "NOT_INUSE"}) {
		t.Errorf("DeviceStateChange of Sim/100: %v", devs)
	}

	// Sim/103 rings until hung up; Custom:103 in use meanwhile gives
	// InUse&Ringing.
	r = c.do("Originate", "Channel", "Sim/103", "Context", "default", "Exten", "2000", "Priority", "1", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("Originate 103: %v", r)
	}
	c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == "ExtensionStatus" && m.Get("Exten") == "103" && m.Get("Status") == "8"
	})
	if r := c.do("Setvar", "Variable", "DEVICE_STATE(Custom:103)", "Value", "INUSE"); r.Get("Message") != "Variable Set" {
		t.Fatalf("Setvar: %v", r)
	}
	both := c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == "ExtensionStatus" && m.Get("Exten") == "103" && m.Get("Status") == "9"
	})
	if both.Get("StatusText") != "InUse&Ringing" {
		t.Errorf("ringing and in use: %v", both)
	}
	if st := c.do("ExtensionState", "Exten", "103"); st.Get("Status") != "9" {
		t.Errorf("ExtensionState 103: %v", st)
	}
	for _, ch := range srv.PBX.Core.Channels() {
		_ = srv.PBX.Core.Hangup(ch.Name(), pbx.CauseNormalClearing)
	}
	waitIdle(t, srv)
	c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == "ExtensionStatus" && m.Get("Exten") == "103" && m.Get("Status") == "1"
	})
	if out, err := runCLI(srv, "devstate change Custom:103 NOT_INUSE"); err != nil || out != "Changing 103 to NOT_INUSE\n" {
		t.Errorf("devstate change: %q %v", out, err)
	}
	c.wait(func(m *ami.Message) bool {
		return m.Get("Event") == "ExtensionStatus" && m.Get("Exten") == "103" && m.Get("Status") == "0"
	})
	if got := extStatuses(c, "103"); !slices.Equal(got, []string{"8", "9", "1", "0"}) {
		t.Errorf("ExtensionStatus of 103: %v, want 8 9 1 0", got)
	}

	// The lists: hints in dialplan order with their last states; the
	// devices seen, sorted, idle ones included.
	resp, items := c.list("ExtensionStateList")
	if resp.Get("Message") != "Extension Statuses will follow" || len(items) != 3 {
		t.Fatalf("ExtensionStateList: %v %v", resp, items)
	}
	checkKeys(t, items[0], "Event", "ActionID", "Exten", "Context", "Hint", "Status", "StatusText")
	if items[0].Get("Exten") != "100" || items[1].Get("Exten") != "103" || items[1].Get("Status") != "0" ||
		items[2].Get("Event") != "ExtensionStateListComplete" || items[2].Get("ListItems") != "2" {
		t.Errorf("ExtensionStateList items: %v", items)
	}
	resp, items = c.list("DeviceStateList")
	if resp.Get("Message") != "Device State Changes will follow" {
		t.Fatalf("DeviceStateList: %v", resp)
	}
	var listed []string
	for _, it := range items[:len(items)-1] {
		checkKeys(t, it, "Event", "ActionID", "Device", "State")
		listed = append(listed, it.Get("Device")+"="+it.Get("State"))
	}
	if want := []string{"Custom:103=NOT_INUSE", "Sim/100=NOT_INUSE", "Sim/103=NOT_INUSE"}; !slices.Equal(listed, want) {
		t.Errorf("DeviceStateList: %v, want %v", listed, want)
	}
	if last := items[len(items)-1]; last.Get("Event") != "DeviceStateListComplete" || last.Get("ListItems") != "3" {
		t.Errorf("DeviceStateListComplete: %v", last)
	}
}

// The CLI: core show hints in Asterisk 20's layout, devstate change and
// list, and a dialplan reload that drops a hint.
func TestHintsCLI(t *testing.T) {
	srv := start(t, amitest.ExtensionsConf(hintsConf), amitest.SimConf(hintsSim))
	c := dial(t, srv)
	out, err := runCLI(srv, "core show hints")
	want := "\n    -= Registered Asterisk Dial Plan Hints =-\n" +
		"100@default         : Sim/100&Custom:100    State:Idle            Presence:not_set         Watchers  0\n" +
		"103@default         : Sim/103&Custom:103    State:Idle            Presence:not_set         Watchers  0\n" +
		"----------------\n" +
		"- 2 hints registered\n"
	if err != nil || out != want {
		t.Errorf("core show hints:\n%q\nwant\n%q (%v)", out, want, err)
	}

	if out, err := runCLI(srv, "devstate change Custom:100 BUSY"); err != nil || out != "Changing 100 to BUSY\n" {
		t.Errorf("devstate change: %q %v", out, err)
	}
	ev := c.event("ExtensionStatus", "Exten", "100")
	if ev.Get("Status") != "2" || ev.Get("StatusText") != "Busy" {
		t.Errorf("after devstate change: %v", ev)
	}
	c.event("DeviceStateChange", "Device", "Custom:100")
	if out, _ := runCLI(srv, "devstate change SIP/100 BUSY"); out != "The devstate command can only be used to set 'Custom:' device state!\n" {
		t.Errorf("devstate change SIP: %q", out)
	}
	if out, _ := runCLI(srv, "devstate change Custom:100 BOGUS"); !strings.HasPrefix(out, "Usage: devstate change <device> <state>\n") {
		t.Errorf("devstate change BOGUS: %q", out)
	}
	if out, _ := runCLI(srv, "devstate change Custom: BUSY"); !strings.HasPrefix(out, "Usage: devstate change") {
		t.Errorf("devstate change of no name: %q", out)
	}
	if st := srv.PBX.Core.DeviceState("Custom:100"); st != pbx.DeviceBusy {
		t.Errorf("Custom:100 = %v after bad changes", st)
	}
	if _, err := runCLI(srv, "devstate change custom:zz inuse"); err != nil {
		t.Fatal(err)
	}
	out, _ = runCLI(srv, "devstate list")
	wantList := "\n" +
		"---------------------------------------------------------------------\n" +
		"--- Custom Device States --------------------------------------------\n" +
		"---------------------------------------------------------------------\n" +
		"---\n" +
		"--- Name: 'Custom:100'  State: 'BUSY'\n---\n" +
		"--- Name: 'Custom:zz'  State: 'inuse'\n---\n" +
		"---------------------------------------------------------------------\n" +
		"---------------------------------------------------------------------\n" +
		"\n"
	if out != wantList {
		t.Errorf("devstate list:\n%s\nwant\n%s", out, wantList)
	}

	// DEVICE_STATE reads any device; writes only Custom ones, with a
	// known state.
	for _, tc := range []struct{ variable, value, resp string }{
		{"DEVICE_STATE(SIP/100)", "INUSE", "Error"},
		{"DEVICE_STATE(Custom:100)", "BOGUS", "Error"},
		{"DEVICE_STATE(Custom:)", "INUSE", "Error"},
		{"DEVICE_STATE(Custom:100)", "ONHOLD", "Success"},
	} {
		if r := c.do("Setvar", "Variable", tc.variable, "Value", tc.value); r.Get("Response") != tc.resp {
			t.Errorf("Setvar %s=%s: %v", tc.variable, tc.value, r)
		}
	}
	if st := c.event("ExtensionStatus", "Status", "16"); st.Get("StatusText") != "Hold" {
		t.Errorf("on hold: %v", st)
	}
	if r := c.do("Getvar", "Variable", "DEVICE_STATE(Custom:100)"); r.Get("Value") != "ONHOLD" {
		t.Errorf("Getvar DEVICE_STATE: %v", r)
	}
	// ListCommands shows the actions as Asterisk 20 does.
	lc := c.do("ListCommands")
	for action, want := range map[string]string{
		"DeviceStateList":    "List the current known device states.  (Priv: call,reporting,all)",
		"ExtensionState":     "Check Extension Status.  (Priv: call,reporting,all)",
		"ExtensionStateList": "List the current known extension states.  (Priv: call,reporting,all)",
	} {
		if got := lc.Get(action); got != want {
			t.Errorf("ListCommands %s: %q, want %q", action, got, want)
		}
	}
	// And from the dialplan.
	if r := c.do("Originate", "Channel", "Local/3000@default", "Application", "Wait", "Data", "1", "Async", "true"); r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v", r)
	}
	ue := c.event("UserEvent", "UserEvent", "DevState")
	if ue.Get("State") != "RINGING" || ue.Get("Phone") != "NOT_INUSE" || ue.Get("None") != "UNKNOWN" {
		t.Errorf("DEVICE_STATE read in the dialplan: %v", ue)
	}
	c.event("DeviceStateChange", "Device", "Custom:dp")
	waitIdle(t, srv)
	if out, _ := runCLI(srv, "devstate list"); !strings.Contains(out, "--- Name: 'Custom:100'  State: 'ONHOLD'\n---\n--- Name: 'Custom:dp'  State: 'RINGING'\n---\n") {
		t.Errorf("devstate list after Set in the dialplan:\n%s", out)
	}
	if st := srv.PBX.Core.DeviceState("SIP/100"); st != pbx.DeviceInvalid {
		t.Errorf("SIP/100 = %v after a refused DEVICE_STATE write", st)
	}
	for _, ctx := range []string{"../../x", "nosuch", "default/../default"} {
		if st := c.do("ExtensionState", "Exten", "103", "Context", ctx); st.Get("Response") != "Success" ||
			st.Get("Status") != "-1" || st.Get("Context") != ctx || st.Get("Hint") != "" {
			t.Errorf("ExtensionState in %q: %v", ctx, st)
		}
	}
	if r := c.do("ExtensionState"); r.Get("Response") != "Error" || r.Get("Message") != "Extension not specified" {
		t.Errorf("ExtensionState without Exten: %v", r)
	}

	// A reload without hint 100: it is gone from the lists and from
	// ExtensionState, and its devices announce no more ExtensionStatus.
	conf := strings.Replace(hintsConf, "exten => 100,hint,Sim/100&Custom:100\n", "", 1)
	if err := os.WriteFile(filepath.Join(srv.Dir, "extensions.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(srv, "dialplan reload"); err != nil {
		t.Fatalf("dialplan reload: %q %v", out, err)
	}
	if st := c.do("ExtensionState", "Exten", "100"); st.Get("Status") != "-1" || st.Get("Hint") != "" || st.Get("StatusText") != "Unknown" {
		t.Errorf("ExtensionState after reload: %v", st)
	}
	if _, items := c.list("ExtensionStateList"); len(items) != 2 || items[0].Get("Exten") != "103" {
		t.Errorf("ExtensionStateList after reload: %v", items)
	}
	if _, err := runCLI(srv, "devstate change Custom:100 NOT_INUSE"); err != nil {
		t.Fatal(err)
	}
	c.event("DeviceStateChange", "State", "NOT_INUSE")
	c.do("Ping")
	for _, m := range c.seen {
		if m.Get("Event") == "ExtensionStatus" && m.Get("Exten") == "100" && m.Get("Status") == "0" {
			t.Errorf("ExtensionStatus for a removed hint: %v", m)
		}
	}
}

// startPBX starts a PBX on dir with its Custom device states kept in lib,
// without a listener: what a restart needs.
func startPBX(t *testing.T, dir, lib string) (*pbxami.PBX, *manager.Manager) {
	t.Helper()
	m := manager.New(manager.Options{Config: &manager.Config{}})
	p, err := pbxami.Start(m, pbxami.Config{Dir: dir, VarLibDir: lib})
	if err != nil {
		t.Fatal(err)
	}
	return p, m
}

// Custom device states survive a restart, as Asterisk's astdb keeps them,
// and are announced again at start; a corrupt file starts empty.
func TestCustomDeviceStatesPersist(t *testing.T) {
	dir, lib := t.TempDir(), filepath.Join(t.TempDir(), "lib")
	if err := os.WriteFile(filepath.Join(dir, "extensions.conf"), []byte(hintsConf), 0o644); err != nil {
		t.Fatal(err)
	}
	p, m := startPBX(t, dir, lib)
	var out strings.Builder
	if err := m.CLI().Run(context.Background(), "devstate change Custom:100 INUSE", &out); err != nil {
		t.Fatal(err)
	}
	if err := p.Core.Funcs().Write(nil, "DEVICE_STATE(Custom:other)", "RINGING"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(lib)
	if err != nil || len(ents) != 1 || ents[0].Name() != "customdevstate.json" {
		t.Fatalf("lib holds %v (%v), want customdevstate.json alone", ents, err)
	}

	p, m = startPBX(t, dir, lib)
	if st := p.Core.DeviceState("Custom:100"); st != pbx.DeviceInUse {
		t.Errorf("Custom:100 after restart: %v", st)
	}
	if st := p.Core.DeviceState("Custom:other"); st != pbx.DeviceRinging {
		t.Errorf("Custom:other after restart: %v", st)
	}
	if hint, st := p.Core.ExtensionState("default", "100"); hint != "Sim/100&Custom:100" || st != pbx.ExtInUse {
		t.Errorf("ExtensionState after restart: %q %v", hint, st)
	}
	if hs := p.Core.Hints(); len(hs) != 2 || hs[0].State != pbx.ExtInUse {
		t.Errorf("Hints after restart: %+v", hs)
	}
	out.Reset()
	if err := m.CLI().Run(ctx, "devstate list", &out); err != nil || !strings.Contains(out.String(), "--- Name: 'Custom:100'  State: 'INUSE'\n") {
		t.Errorf("devstate list after restart: %q %v", out.String(), err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(lib, "customdevstate.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _ = startPBX(t, dir, lib)
	defer p.Shutdown(ctx)
	if st := p.Core.DeviceState("Custom:100"); st != pbx.DeviceUnknown {
		t.Errorf("Custom:100 from a corrupt file: %v", st)
	}
}
