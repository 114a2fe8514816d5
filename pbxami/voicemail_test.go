package pbxami_test

import (
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/app/voicemail"
	"github.com/asterism-pbx/asterism/internal/transcript"
	"github.com/asterism-pbx/asterism/media"
)

// vmEnv is a configuration directory holding the reference
// voicemail.conf, an asterisk.conf whose astspooldir is a temporary
// directory, and a spool where 1234@default holds what it held when the
// transcripts were recorded: 2 messages in INBOX and 1 in Old.
type vmEnv struct {
	dir   string // configuration
	root  string // holds spool/ and anything a test puts beside it
	spool string // astspooldir
	box   string // the spool directory of 1234@default
}

// vmExtensions is the reference dialplan's voicemail part, plus a
// VoiceMailMain that asks for the password.
const vmExtensions = `[default]
exten => 8500,1,VoiceMailMain(1234@default,s)
exten => 8501,1,VoiceMail(1234@default,u)
exten => 8502,1,VoiceMailMain(1234@default)
exten => 8503,1,VoiceMail(1234@default,Us)
exten => 8506,1,VoiceMailMain()
`

// newVMEnv builds a vmEnv; managerConf replaces the reference
// manager.conf when not empty, simConf is written as sim.conf.
func newVMEnv(t *testing.T, managerConf, simConf string) *vmEnv {
	t.Helper()
	root := t.TempDir()
	e := &vmEnv{dir: filepath.Join(root, "etc"), root: root, spool: filepath.Join(root, "spool")}
	e.box = filepath.Join(e.spool, "voicemail", "default", "1234")
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"asterisk.conf":   "[directories]\nastspooldir => " + e.spool + "\n",
		"extensions.conf": vmExtensions,
		"sim.conf":        simConf,
	}
	for _, name := range []string{"voicemail.conf", "manager.conf"} {
		b, err := os.ReadFile(filepath.Join(refDir, "etc", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	if managerConf != "" {
		files["manager.conf"] = managerConf
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	example, err := os.ReadFile(filepath.Join(refDir, "etc", "voicemail-msg0000.txt.example"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"INBOX/msg0000", "INBOX/msg0001", "Old/msg0000"} {
		txt := strings.Replace(string(example), "msg_id=1704103200-00000000", "msg_id=1704103200-0000000"+string(rune('a'+i)), 1)
		e.write(t, p+".txt", txt)
		e.write(t, p+".wav", string(toneWAV(2400)))
	}
	return e
}

func (e *vmEnv) write(t *testing.T, rel, data string) {
	t.Helper()
	p := filepath.Join(e.box, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// files lists the files under root, relative, sorted.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// msgID returns the msg_id of a message of the test box.
func (e *vmEnv) msgID(t *testing.T, rel string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(e.box, rel+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := voicemail.ParseMessageInfo(f)
	if err != nil {
		t.Fatal(err)
	}
	return m.MsgID
}

// The mailbox transcript, replayed on a spool holding what Asterisk's
// held: every response must match byte for byte.
func TestMailboxTranscript(t *testing.T) {
	e := newVMEnv(t, "", "")
	tr, err := transcript.ParseFile(filepath.Join(refDir, "mailbox.txt"))
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, amitest.ConfigDir(e.dir), amitest.SystemName("refast"))
	transcript.Replay(t, tr, func() (net.Conn, error) { return net.Dial("tcp", srv.Addr) }, transcript.Options{
		Secrets: map[string]string{"admin": "adminpw"},
		Order:   transcript.EventsBetweenResponses,
	})
}

// A caller leaves a message through the dialplan: a simulated phone plays
// 440 Hz into VoiceMail(1234@default,u) and hangs up; the message is in
// INBOX with Asterisk's metadata, its audio holds the tone, and the counts
// and MessageWaiting follow.
func TestVoiceMailDeposit(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "[100]\nanswer = 0\nplay = tone:440\nhangupafter = 3500ms\n")
	srv := start(t, amitest.ConfigDir(e.dir))
	c := dial(t, srv)
	before := c.do("MailboxCount", "Mailbox", "1234@default")
	if got := before.Get("NewMessages") + "/" + before.Get("OldMessages"); got != "2/1" {
		t.Fatalf("before: new/old %s", got)
	}
	r := c.do("Originate", "Channel", "Sim/100", "Context", "default", "Exten", "8501", "Priority", "1", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("originate: %v", r)
	}
	mwi := c.event("MessageWaiting", "Mailbox", "1234@default")
	checkKeys(t, mwi, with("Mailbox", "Waiting", "New", "Old")...)
	if !strings.HasPrefix(mwi.Get("Channel"), "Sim/100-") || mwi.Get("Privilege") != "call,all" {
		t.Errorf("MessageWaiting names %q, privilege %q", mwi.Get("Channel"), mwi.Get("Privilege"))
	}
	if got := mwi.Get("Waiting") + " " + mwi.Get("New") + " " + mwi.Get("Old"); got != "1 3 1" {
		t.Errorf("MessageWaiting Waiting/New/Old = %s, want 1 3 1", got)
	}
	st := c.event("VarSet", "Variable", "VMSTATUS")
	if st.Get("Value") != "SUCCESS" {
		t.Errorf("VMSTATUS = %q", st.Get("Value"))
	}
	mf := c.event("VarSet", "Variable", "VM_MESSAGEFILE")
	if want := filepath.Join(e.box, "INBOX", "msg0002"); mf.Get("Value") != want {
		t.Errorf("VM_MESSAGEFILE = %q, want %q", mf.Get("Value"), want)
	}
	c.event("Hangup", "", "")
	waitIdle(t, srv)

	after := c.do("MailboxCount", "Mailbox", "1234@default")
	if got := after.Get("UrgMessages") + "/" + after.Get("NewMessages") + "/" + after.Get("OldMessages"); got != "0/3/1" {
		t.Errorf("after: urgent/new/old %s, want 0/3/1", got)
	}
	f, err := os.Open(filepath.Join(e.box, "INBOX", "msg0002.txt"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := voicemail.ParseMessageInfo(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.OrigMailbox != "1234" || info.Context != "default" || info.Exten != "8501" || info.Priority != 1 ||
		!strings.HasPrefix(info.CallerChan, "Sim/100-") || info.Flag != "" || info.RDNIS != "unknown" {
		t.Errorf("message info: %+v", info)
	}
	if !regexp.MustCompile(`^\d+-[0-9a-f]{8}$`).MatchString(info.MsgID) {
		t.Errorf("msg_id %q", info.MsgID)
	}
	if info.Duration < 1 || info.Duration > 4 {
		t.Errorf("duration %d, want about 2-3 s", info.Duration)
	}
	samples, err := media.ReadWAVFile(filepath.Join(e.box, "INBOX", "msg0002.wav"), 10*media.SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < media.SampleRate {
		t.Fatalf("recording holds %d samples", len(samples))
	}
	at440, at1000 := media.Amplitude(samples, 440), media.Amplitude(samples, 1000)
	if at440 < 1000 || at440 < 20*at1000 {
		t.Errorf("recording: 440 Hz amplitude %.0f, 1 kHz %.0f: not the caller's tone", at440, at1000)
	}
	// Nothing left in tmp/: the recording was renamed into INBOX.
	if left, _ := os.ReadDir(filepath.Join(e.box, "tmp")); len(left) != 0 {
		t.Errorf("tmp/ holds %v", left)
	}
}

// VoiceMailMain over in-band DTMF: the phone presses 1 (listen to the
// first new message) and hangs up; the heard message moves to Old, INBOX
// is renumbered, and MessageWaiting (with the caller's channel) says so.
// Other cases log in with the PIN first, or delete the message (7).
func TestVoiceMailMainMarksOld(t *testing.T) {
	heard := []string{"INBOX/msg0000.txt", "INBOX/msg0000.wav", "Old/msg0000.txt", "Old/msg0000.wav", "Old/msg0001.txt", "Old/msg0001.wav"}
	for _, tc := range []struct {
		name, exten, digits string
		mwi                 string // Waiting New Old
		files               []string
	}{
		{"skip-password", "8500", "1", "1 1 2", heard},
		{"password", "8502", "4242#1", "1 1 2", heard},
		{"mailbox-and-password", "8506", "1234#4242#1", "1 1 2", heard},
		{"delete", "8500", "17", "1 1 1", []string{"INBOX/msg0000.txt", "INBOX/msg0000.wav", "Old/msg0000.txt", "Old/msg0000.wav"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newVMEnv(t, amitest.DefaultManagerConf, "[101]\nanswer = 0\nplay = dtmf:"+tc.digits+"\nhangupafter = 2500ms\n")
			first := e.msgID(t, "INBOX/msg0000")
			second := e.msgID(t, "INBOX/msg0001")
			srv := start(t, amitest.ConfigDir(e.dir))
			c := dial(t, srv)
			c.do("Originate", "Channel", "Sim/101", "Context", "default", "Exten", tc.exten, "Priority", "1", "Async", "true")
			mwi := c.event("MessageWaiting", "Mailbox", "1234@default")
			checkKeys(t, mwi, with("Mailbox", "Waiting", "New", "Old")...)
			if got := mwi.Get("Waiting") + " " + mwi.Get("New") + " " + mwi.Get("Old"); got != tc.mwi {
				t.Errorf("MessageWaiting Waiting/New/Old = %s, want %s", got, tc.mwi)
			}
			if !strings.HasPrefix(mwi.Get("Channel"), "Sim/101-") {
				t.Errorf("MessageWaiting names %q", mwi.Get("Channel"))
			}
			waitIdle(t, srv)
			if got := files(t, e.box); strings.Join(got, " ") != strings.Join(tc.files, " ") {
				t.Errorf("spool:\n got %v\nwant %v", got, tc.files)
			}
			if len(tc.files) == len(heard) {
				if got := e.msgID(t, "Old/msg0001"); got != first {
					t.Errorf("Old/msg0001 is %s, want the heard message %s", got, first)
				}
			}
			if got := e.msgID(t, "INBOX/msg0000"); got != second {
				t.Errorf("INBOX/msg0000 is %s, want the unheard message %s", got, second)
			}
		})
	}
}

// A wrong PIN gets no access: nothing moves, and MessageWaiting is not
// sent.
func TestVoiceMailMainWrongPIN(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "[101]\nanswer = 0\nplay = dtmf:1111#1\nhangupafter = 2s\n")
	srv := start(t, amitest.ConfigDir(e.dir))
	before := files(t, e.box)
	c := dial(t, srv)
	c.do("Originate", "Channel", "Sim/101", "Context", "default", "Exten", "8502", "Priority", "1", "Async", "true")
	c.event("Hangup", "", "")
	waitIdle(t, srv)
	if got := files(t, e.box); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Errorf("spool changed:\n got %v\nwant %v", got, before)
	}
	for _, m := range c.seen {
		if m.Get("Event") == "MessageWaiting" {
			t.Errorf("MessageWaiting after a failed login: %v", m)
		}
	}
}

// An urgent message goes to Urgent: UrgMessages counts it, NewMessages
// does not, MessageWaiting's New does.
func TestVoiceMailUrgent(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "[100]\nanswer = 0\nplay = tone:440\nhangupafter = 2500ms\n")
	srv := start(t, amitest.ConfigDir(e.dir))
	c := dial(t, srv)
	c.do("Originate", "Channel", "Sim/100", "Context", "default", "Exten", "8503", "Priority", "1", "Async", "true")
	mwi := c.event("MessageWaiting", "Mailbox", "1234@default")
	if got := mwi.Get("New") + "/" + mwi.Get("Old"); got != "3/1" {
		t.Errorf("MessageWaiting New/Old %s, want 3/1", got)
	}
	waitIdle(t, srv)
	r := c.do("MailboxCount", "Mailbox", "1234@default")
	if got := r.Get("UrgMessages") + "/" + r.Get("NewMessages") + "/" + r.Get("OldMessages"); got != "1/2/1" {
		t.Errorf("MailboxCount %s, want 1/2/1", got)
	}
	if _, err := os.Stat(filepath.Join(e.box, "Urgent", "msg0000.txt")); err != nil {
		t.Error(err)
	}
}

// A message dropped into the spool by another program is noticed by
// VoicemailRefresh: one MessageWaiting without a channel, none when
// nothing changed.
func TestVoicemailRefresh(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "")
	srv := start(t, amitest.ConfigDir(e.dir))
	c := dial(t, srv)
	r := c.do("VoicemailRefresh", "Mailbox", "1234")
	if r.Get("Message") != "Refresh sent" {
		t.Fatalf("VoicemailRefresh: %v", r)
	}
	// Nothing changed: a Ping's answer comes with no MessageWaiting before it.
	c.do("Ping")
	for _, m := range c.seen {
		if m.Get("Event") == "MessageWaiting" {
			t.Fatalf("MessageWaiting with no change: %v", m)
		}
	}
	e.write(t, "INBOX/msg0002.wav", string(toneWAV(800)))
	e.write(t, "INBOX/msg0002.txt", "[message]\norigmailbox=1234\n")
	c.do("VoicemailRefresh", "Context", "default")
	mwi := c.event("MessageWaiting", "Mailbox", "1234@default")
	checkKeys(t, mwi, "Event", "Privilege", "Mailbox", "Waiting", "New", "Old")
	if got := mwi.Get("New") + "/" + mwi.Get("Old"); got != "3/1" {
		t.Errorf("MessageWaiting New/Old %s, want 3/1", got)
	}
	// Another context matches nothing.
	e.write(t, "INBOX/msg0003.txt", "[message]\n")
	c.do("VoicemailRefresh", "Context", "other")
	c.do("Ping")
	n := 0
	for _, m := range c.seen {
		if m.Get("Event") == "MessageWaiting" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d MessageWaiting events, want 1", n)
	}
}

// Names that would leave the spool are answered like missing mailboxes
// and never reach the disk; malformed lists count what they can.
func TestVoicemailBadInput(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "[100]\nanswer = 0\nplay = tone:440\nhangupafter = 1500ms\n")
	// Decoys a traversal would count.
	for _, p := range []string{"spool/1234/INBOX/msg0000.txt", "1234/INBOX/msg0000.txt", "INBOX/msg0000.txt", "x/INBOX/msg0000.txt"} {
		full := filepath.Join(e.root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("[message]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := start(t, amitest.ConfigDir(e.dir))
	c := dial(t, srv)
	before := files(t, e.root)
	for _, mb := range []string{"../x", "1234@..", "1234@../../etc", "a/b@c", "1234@default/../..", "%2e%2e@default",
		"..@default", "1234@.", "x@" + strings.Repeat("../", 30), strings.Repeat("9", 900), ",,,", " , ", "&&"} {
		r := c.do("MailboxCount", "Mailbox", mb)
		if r.Get("Response") != "Success" || r.Get("NewMessages") != "0" || r.Get("OldMessages") != "0" || r.Get("UrgMessages") != "0" {
			t.Errorf("MailboxCount %.40q: %v", mb, r)
		}
		r = c.do("MailboxStatus", "Mailbox", mb)
		if r.Get("Response") != "Success" || r.Get("Waiting") != "0" {
			t.Errorf("MailboxStatus %.40q: %v", mb, r)
		}
	}
	// A long list is cut at 255 bytes, as Asterisk's buffer cuts it: 19
	// whole boxes, then "1234@def", which does not exist.
	if r := c.do("MailboxCount", "Mailbox", strings.Repeat("1234@default,", 60)); r.Get("NewMessages") != "38" || r.Get("OldMessages") != "19" {
		t.Errorf("long list: new %s old %s, want 38 19", r.Get("NewMessages"), r.Get("OldMessages"))
	}
	// A list with a bad member still counts the good ones.
	r := c.do("MailboxCount", "Mailbox", "../x,1234@default,,1235@default")
	if got := r.Get("NewMessages") + "/" + r.Get("OldMessages"); got != "2/1" {
		t.Errorf("mixed list: %s, want 2/1", got)
	}
	// '&' separates in MailboxStatus, not in MailboxCount (as in Asterisk).
	if r := c.do("MailboxStatus", "Mailbox", "1235@default&1234@default"); r.Get("Waiting") != "1" {
		t.Errorf("MailboxStatus with &: %v", r)
	}
	if r := c.do("MailboxCount", "Mailbox", "1234@default&1235"); r.Get("NewMessages") != "0" {
		t.Errorf("MailboxCount with &: %v", r)
	}
	// The applications: a bad or unknown mailbox fails and writes nothing.
	for _, data := range []string{"../1234@default", "1234@default/../x", "1234@../../x", "9999@default", "@default"} {
		r := c.do("Originate", "Channel", "Sim/100", "Application", "VoiceMail", "Data", data, "Async", "true")
		if r.Get("Response") != "Success" {
			t.Fatalf("originate: %v", r)
		}
	}
	failed := 0
	c.wait(func(m *ami.Message) bool {
		if m.Get("Event") == "VarSet" && m.Get("Variable") == "VMSTATUS" {
			if m.Get("Value") != "FAILED" {
				t.Errorf("VMSTATUS %q for %s", m.Get("Value"), m.Get("Channel"))
			}
			failed++
		}
		return failed == 5
	})
	waitIdle(t, srv)
	if got := files(t, e.root); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Errorf("files changed:\n got %v\nwant %v", got, before)
	}
}

// vmCommand runs a CLI command through Action: Command.
func vmCommand(c *conn, cmd string) string {
	c.t.Helper()
	r := c.do("Command", "Command", cmd)
	return strings.Join(r.Values("Output"), "\n")
}

// The CLI lists the users with their new messages (INBOX and Urgent) and
// reloads voicemail.conf.
func TestVoicemailCLI(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "")
	e.write(t, "Urgent/msg0000.txt", "[message]\n")
	srv := start(t, amitest.ConfigDir(e.dir))
	c := dial(t, srv)
	want := "Context    Mbox  User                      Zone       NewMsg\n" +
		"default    1234  Example Mailbox                           3\n" +
		"default    1235  Empty Mailbox                             0\n" +
		"2 voicemail users configured."
	if got := vmCommand(c, "voicemail show users"); got != want {
		t.Errorf("voicemail show users:\n%s\nwant:\n%s", got, want)
	}
	if got := vmCommand(c, "voicemail show users for nosuch"); got != `No such voicemail context "nosuch"` {
		t.Errorf("for nosuch: %q", got)
	}
	conf := "[general]\n[other]\n42 => 1,Reloaded Box,,,tz=central\n"
	if err := os.WriteFile(filepath.Join(e.dir, "voicemail.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := vmCommand(c, "voicemail reload"); got != "Reloading voicemail configuration..." {
		t.Errorf("voicemail reload: %q", got)
	}
	want = "Context    Mbox  User                      Zone       NewMsg\n" +
		"other      42    Reloaded Box              central         0\n" +
		"1 voicemail users configured."
	if got := vmCommand(c, "voicemail show users for other"); got != want {
		t.Errorf("after reload:\n%s\nwant:\n%s", got, want)
	}
	_, items := c.list("VoicemailUsersList")
	if len(items) != 2 || items[0].Get("VoiceMailbox") != "42" || items[0].Get("TimeZone") != "central" {
		t.Errorf("VoicemailUsersList after reload: %v", items)
	}
}

// With pollmailboxes on, a message another program drops into the spool
// is announced without any action.
func TestVoicemailPolling(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "")
	b, err := os.ReadFile(filepath.Join(e.dir, "voicemail.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(string(b), "[general]\n", "[general]\npollmailboxes = yes\npollfreq = 1\n", 1)
	if err := os.WriteFile(filepath.Join(e.dir, "voicemail.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := start(t, amitest.ConfigDir(e.dir))
	c := dial(t, srv)
	e.write(t, "Old/msg0001.txt", "[message]\n")
	mwi := c.event("MessageWaiting", "Mailbox", "1234@default")
	if got := mwi.Get("New") + "/" + mwi.Get("Old"); got != "2/2" {
		t.Errorf("MessageWaiting New/Old %s, want 2/2", got)
	}
}

// A recording shorter than minsecs is thrown away, and a full mailbox
// takes no message: VMSTATUS FAILED, the spool unchanged, tmp/ empty.
func TestVoiceMailRefused(t *testing.T) {
	for _, tc := range []struct{ name, general, hangup string }{
		{"too-short", "minsecs = 3\n", "2s"},
		{"full", "maxmsg = 2\n", "2s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newVMEnv(t, amitest.DefaultManagerConf, "[100]\nanswer = 0\nplay = tone:440\nhangupafter = "+tc.hangup+"\n")
			b, err := os.ReadFile(filepath.Join(e.dir, "voicemail.conf"))
			if err != nil {
				t.Fatal(err)
			}
			conf := string(b)
			for _, old := range []string{"minsecs = 1\n", "maxmsg = 100\n"} {
				conf = strings.Replace(conf, old, "", 1)
			}
			conf = strings.Replace(conf, "[general]\n", "[general]\n"+tc.general, 1)
			if err := os.WriteFile(filepath.Join(e.dir, "voicemail.conf"), []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			srv := start(t, amitest.ConfigDir(e.dir))
			before := files(t, e.box)
			c := dial(t, srv)
			c.do("Originate", "Channel", "Sim/100", "Context", "default", "Exten", "8501", "Priority", "1", "Async", "true")
			if st := c.event("VarSet", "Variable", "VMSTATUS"); st.Get("Value") != "FAILED" {
				t.Errorf("VMSTATUS %q", st.Get("Value"))
			}
			waitIdle(t, srv)
			got := files(t, e.box)
			if strings.Join(got, " ") != strings.Join(before, " ") {
				t.Errorf("spool changed:\n got %v\nwant %v", got, before)
			}
			for _, m := range c.seen {
				if m.Get("Event") == "MessageWaiting" {
					t.Errorf("MessageWaiting for a refused message: %v", m)
				}
			}
		})
	}
}

// MailboxExists and VM_INFO from the dialplan.
func TestMailboxExistsAndVMInfo(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "[100]\nanswer = 0\n")
	ext := vmExtensions + "exten => 8600,1,MailboxExists(${BOX})\n" +
		" same => n,Set(COUNT=${VM_INFO(${BOX},count)})\n same => n,Set(NAME=${VM_INFO(${BOX},fullname)})\n same => n,Hangup()\n"
	if err := os.WriteFile(filepath.Join(e.dir, "extensions.conf"), []byte(ext), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := start(t, amitest.ConfigDir(e.dir))
	c := dial(t, srv)
	for _, tc := range []struct{ box, exists, count, name string }{
		{"1234@default", "SUCCESS", "2", "Example Mailbox"},
		{"9999@default", "FAILED", "", ""},
		{"../1234@default", "FAILED", "", ""},
	} {
		c.seen = nil
		c.do("Originate", "Channel", "Sim/100", "Context", "default", "Exten", "8600", "Priority", "1",
			"Variable", "BOX="+tc.box, "Async", "true")
		if st := c.event("VarSet", "Variable", "VMBOXEXISTSSTATUS"); st.Get("Value") != tc.exists {
			t.Errorf("%s: VMBOXEXISTSSTATUS %q, want %q", tc.box, st.Get("Value"), tc.exists)
		}
		c.event("Hangup", "", "")
		for _, m := range c.seen {
			if m.Get("Event") != "VarSet" {
				continue
			}
			switch m.Get("Variable") {
			case "COUNT":
				if m.Get("Value") != tc.count {
					t.Errorf("%s: count %q, want %q", tc.box, m.Get("Value"), tc.count)
				}
			case "NAME":
				if m.Get("Value") != tc.name {
					t.Errorf("%s: fullname %q, want %q", tc.box, m.Get("Value"), tc.name)
				}
			}
		}
		waitIdle(t, srv)
	}
}

// writeSound writes datadir/sounds/en/name.wav: the parts in order, each a
// tone (freq2 0 for one sine, freq 0 for silence) of the given length.
func writeSound(t *testing.T, datadir, name string, parts ...[3]float64) {
	t.Helper()
	dir := filepath.Join(datadir, "sounds", "en")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := media.CreateWAV(filepath.Join(dir, name+".wav"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		buf := make([]int16, int(p[2]*media.SampleRate))
		if p[0] != 0 {
			g := media.NewToneGen(media.DefaultToneAmplitude, p[0], p[1])
			g.Read(buf)
		}
		if err := w.WriteSamples(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// A recording ends on '#', on silence (which is not kept) and at maxsecs,
// with the caller still on the line; the message is saved each time.
func TestVoiceMailRecordingEnds(t *testing.T) {
	const hash1, hash2 = 941, 1477 // the DTMF pair of '#'
	for _, tc := range []struct {
		name, play, general string
		parts               [][3]float64
		minLen, maxLen      float64 // seconds of audio kept
	}{
		{"dtmf", "file:vmdtmf", "", [][3]float64{{440, 0, 2.5}, {hash1, hash2, 0.2}, {440, 0, 5}}, 1.8, 2.6},
		{"silence", "file:vmsilence", "maxsilence = 1\n", [][3]float64{{440, 0, 2.5}, {0, 0, 6}}, 1.8, 2.6},
		{"maxsecs", "tone:440", "maxsecs = 2\n", nil, 1.5, 2.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newVMEnv(t, amitest.DefaultManagerConf, "[100]\nanswer = 0\nplay = "+tc.play+"\nhangupafter = 8s\n")
			datadir := filepath.Join(e.root, "data")
			if tc.parts != nil {
				writeSound(t, datadir, strings.TrimPrefix(tc.play, "file:"), tc.parts...)
			}
			b, err := os.ReadFile(filepath.Join(e.dir, "voicemail.conf"))
			if err != nil {
				t.Fatal(err)
			}
			conf := strings.Replace(strings.Replace(string(b), "maxsecs = 180\n", "", 1), "[general]\n", "[general]\n"+tc.general, 1)
			os.WriteFile(filepath.Join(e.dir, "voicemail.conf"), []byte(conf), 0o644)
			os.WriteFile(filepath.Join(e.dir, "asterisk.conf"), []byte("[directories]\nastspooldir => "+e.spool+"\nastdatadir => "+datadir+"\n"), 0o644)
			os.WriteFile(filepath.Join(e.dir, "extensions.conf"), []byte(vmExtensions+"exten => 8504,1,VoiceMail(1234@default,s)\n same => n,Set(AFTER=yes)\n same => n,Hangup()\n"), 0o644)
			srv := start(t, amitest.ConfigDir(e.dir))
			c := dial(t, srv)
			c.do("Originate", "Channel", "Sim/100", "Context", "default", "Exten", "8504", "Priority", "1", "Async", "true")
			if st := c.event("VarSet", "Variable", "VMSTATUS"); st.Get("Value") != "SUCCESS" {
				t.Fatalf("VMSTATUS %q", st.Get("Value"))
			}
			// The dialplan went on: the caller had not hung up.
			c.event("VarSet", "Variable", "AFTER")
			waitIdle(t, srv)
			samples, err := media.ReadWAVFile(filepath.Join(e.box, "INBOX", "msg0002.wav"), 20*media.SampleRate)
			if err != nil {
				t.Fatal(err)
			}
			secs := float64(len(samples)) / media.SampleRate
			if secs < tc.minLen || secs > tc.maxLen {
				t.Errorf("recording of %.2f s, want %.1f-%.1f s", secs, tc.minLen, tc.maxLen)
			}
			if tail := samples[len(samples)-media.SampleRate/2:]; media.Amplitude(tail, 440) < 1000 {
				t.Errorf("the recording ends in silence (440 Hz amplitude %.0f in its last half second)", media.Amplitude(tail, 440))
			}
		})
	}
}

// '*' during the greeting leaves for the a extension: USEREXIT, no
// message.
func TestVoiceMailStarExits(t *testing.T) {
	e := newVMEnv(t, amitest.DefaultManagerConf, "[100]\nanswer = 0\nplay = dtmf:*\nhangupafter = 5s\n")
	os.WriteFile(filepath.Join(e.dir, "extensions.conf"), []byte(vmExtensions+"exten => a,1,Set(WENT=a)\n same => n,Hangup()\n"), 0o644)
	srv := start(t, amitest.ConfigDir(e.dir))
	before := files(t, e.box)
	c := dial(t, srv)
	c.do("Originate", "Channel", "Sim/100", "Context", "default", "Exten", "8501", "Priority", "1", "Async", "true")
	if st := c.event("VarSet", "Variable", "VMSTATUS"); st.Get("Value") != "USEREXIT" {
		t.Errorf("VMSTATUS %q", st.Get("Value"))
	}
	c.event("VarSet", "Variable", "WENT")
	waitIdle(t, srv)
	if got := files(t, e.box); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Errorf("spool changed:\n got %v\nwant %v", got, before)
	}
}
