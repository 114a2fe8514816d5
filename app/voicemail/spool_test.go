package voicemail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/media"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var box = Box{Mailbox: "1234", Context: "default"}

func newSpool(t testing.TB) *Spool {
	t.Helper()
	s, err := NewSpool(filepath.Join(t.TempDir(), "voicemail"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recordWAV writes a finished WAV of n samples of 440 Hz into b's tmp/.
func recordWAV(t testing.TB, s *Spool, b Box, n int) string {
	t.Helper()
	tmp, err := s.TmpDir(b)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(tmp, fmt.Sprintf("rec%d.wav", time.Now().UnixNano()))
	w, err := media.CreateWAV(name, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	g := media.NewToneGen(media.DefaultToneAmplitude, 440, 0)
	buf := make([]int16, n)
	g.Read(buf)
	if err := w.WriteSamples(buf); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

func info(id string) *MessageInfo {
	return &MessageInfo{OrigMailbox: "1234", Context: "default", Exten: "8501", RDNIS: "unknown", Priority: 1,
		CallerChan: "Sim/100-00000001", CallerID: `"Alice" <100>`, OrigDate: "Mon Jan  1 10:00:00 AM UTC 2024",
		OrigTime: 1704103200, MsgID: id, Duration: 3}
}

func deposit(t testing.TB, s *Spool, folder, id string) string {
	t.Helper()
	p, err := s.Deposit(box, folder, info(id), recordWAV(t, s, box, 800))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"1234", "default", "a.b", "x-y_z", "+1#*"} {
		if !ValidName(ok) {
			t.Errorf("ValidName(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "a\x00b", "/abs", "a b", "a@b", "a&b", "%2e", strings.Repeat("1", 81), "ü"} {
		if ValidName(bad) {
			t.Errorf("ValidName(%q) = true", bad)
		}
	}
	for _, in := range []string{"../x", "x@..", "x@../..", "1234@default/..", "@default"} {
		if _, err := ParseBox(in); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseBox(%q): %v", in, err)
		}
	}
	if b, err := ParseBox("1234"); err != nil || b != box {
		t.Errorf("ParseBox(1234) = %v, %v", b, err)
	}
	if _, err := FolderName("../INBOX"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("FolderName(../INBOX): %v", err)
	}
	if f, err := FolderName("inbox"); err != nil || f != "INBOX" {
		t.Errorf("FolderName(inbox) = %q, %v", f, err)
	}
}

// Messages are numbered after the highest one, the audio and text land
// together, tmp/ ends empty, and the counts follow Asterisk's rules.
func TestDepositCountsAndNumbers(t *testing.T) {
	s := newSpool(t)
	if u, n, o, err := s.Counts(box); err != nil || u+n+o != 0 {
		t.Fatalf("empty box: %d %d %d %v", u, n, o, err)
	}
	p0 := deposit(t, s, FolderInbox, "a")
	p1 := deposit(t, s, FolderInbox, "b")
	deposit(t, s, FolderUrgent, "c")
	dir, _ := s.FolderDir(box, FolderInbox)
	if p0 != filepath.Join(dir, "msg0000") || p1 != filepath.Join(dir, "msg0001") {
		t.Errorf("paths %s %s", p0, p1)
	}
	u, n, o, err := s.Counts(box)
	if err != nil || u != 1 || n != 2 || o != 0 {
		t.Errorf("counts %d/%d/%d %v, want 1/2/0", u, n, o, err)
	}
	// Highest + 1: a gap below is not filled.
	if err := s.Remove(box, FolderInbox, 0); err != nil {
		t.Fatal(err)
	}
	if p := deposit(t, s, FolderInbox, "d"); p != filepath.Join(dir, "msg0002") {
		t.Errorf("after removing msg0000, the next is %s", p)
	}
	// An audio file without .txt does not count for MailboxCount but
	// does make MailboxStatus's Waiting (has_voicemail's msg* test).
	old, _ := s.FolderDir(box, FolderOld)
	os.MkdirAll(old, 0o755)
	os.WriteFile(filepath.Join(old, "msg0000.wav"), nil, 0o644)
	if c, _ := s.Count(box, FolderOld); c != 0 {
		t.Errorf("Old counts %d for a lone wav", c)
	}
	if err := s.Resequence(box, FolderInbox); err != nil {
		t.Fatal(err)
	}
	ms, _ := s.Messages(box, FolderInbox)
	if !slices.Equal(ms, []int{0, 1}) {
		t.Errorf("after resequence: %v", ms)
	}
	for _, n := range ms {
		if _, err := os.Stat(MsgPath(dir, n) + ".wav"); err != nil {
			t.Errorf("message %d lost its audio: %v", n, err)
		}
	}
	if m, _ := s.ReadInfo(box, FolderInbox, 0); m == nil || m.MsgID != "b" {
		t.Errorf("msg0000 after resequence: %+v", m)
	}
	tmp, _ := s.TmpDir(box)
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("tmp/ holds %v", left)
	}
	if _, err := s.Move(box, FolderInbox, 0, FolderOld); err != nil {
		t.Fatal(err)
	}
	if u, n, o, _ := s.Counts(box); u != 1 || n != 1 || o != 1 {
		t.Errorf("after move: %d/%d/%d, want 1/1/1", u, n, o)
	}
}

// Twenty simultaneous deposits into one box take twenty distinct
// numbers, each text with its audio; with maxmsg 10 the in-progress
// count lets exactly ten start.
func TestConcurrentDeposits(t *testing.T) {
	s := newSpool(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wav := recordWAV(t, s, box, 160)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Deposit(box, FolderInbox, info(fmt.Sprint(i)), wav)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ms, _ := s.Messages(box, FolderInbox)
	if len(ms) != 20 || ms[0] != 0 || ms[19] != 19 {
		t.Fatalf("messages %v", ms)
	}
	dir, _ := s.FolderDir(box, FolderInbox)
	ids := map[string]bool{}
	for _, n := range ms {
		if _, err := os.Stat(MsgPath(dir, n) + ".wav"); err != nil {
			t.Error(err)
		}
		m, err := s.ReadInfo(box, FolderInbox, n)
		if err != nil {
			t.Fatal(err)
		}
		ids[m.MsgID] = true
	}
	if len(ids) != 20 {
		t.Errorf("%d distinct messages, want 20", len(ids))
	}

	b2 := Box{Mailbox: "2000", Context: "default"}
	started := 0
	var mu sync.Mutex
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.BeginRecording(b2, 10)
			if err != nil || !ok {
				return
			}
			mu.Lock()
			started++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if started != 10 {
		t.Errorf("%d recordings started with maxmsg 10", started)
	}
}

// A crash after the audio was renamed in but before the text leaves a
// message that does not count; the next deposit takes its number and
// replaces the stray audio.
func TestCrashLeavesNoHalfMessage(t *testing.T) {
	s := newSpool(t)
	deposit(t, s, FolderInbox, "a")
	dir, _ := s.FolderDir(box, FolderInbox)
	// What a crash between the two renames leaves.
	if err := os.WriteFile(filepath.Join(dir, "msg0001.wav"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, n, _, _ := s.Counts(box); n != 1 {
		t.Errorf("a lone audio file counts: %d", n)
	}
	p := deposit(t, s, FolderInbox, "b")
	if p != MsgPath(dir, 1) {
		t.Errorf("next message %s", p)
	}
	b, _ := os.ReadFile(p + ".wav")
	if bytes.Equal(b, []byte("stale")) {
		t.Error("the stray audio was kept")
	}
	// tmp/ leftovers older than the sweep age go.
	tmp, _ := s.TmpDir(box)
	old := filepath.Join(tmp, "XXXXXX")
	os.WriteFile(old, nil, 0o644)
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, past, past)
	young := filepath.Join(tmp, "YYYYYY")
	os.WriteFile(young, nil, 0o644)
	if err := s.Sweep(box, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); err == nil {
		t.Error("old leftover kept")
	}
	if _, err := os.Stat(young); err != nil {
		t.Error("a young file (maybe a recording in progress) was swept")
	}
}

// The folder lock is Asterisk's .lock file: while another program holds
// it, a deposit waits; a stale one is broken.
func TestLockFile(t *testing.T) {
	s := newSpool(t)
	dir, _ := s.FolderDir(box, FolderInbox)
	unlock, err := s.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".lock")); err != nil {
		t.Fatalf("no .lock while locked: %v", err)
	}
	unlock()
	if _, err := os.Stat(filepath.Join(dir, ".lock")); err == nil {
		t.Fatal(".lock left after unlock")
	}
	// Held by "another program" (the file exists), then released.
	os.WriteFile(filepath.Join(dir, ".lock"), nil, 0o644)
	done := make(chan error, 1)
	wav := recordWAV(t, s, box, 160)
	go func() {
		_, err := s.Deposit(box, FolderInbox, info("x"), wav)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("deposit went through a held lock: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	os.Remove(filepath.Join(dir, ".lock"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A stale lock is broken.
	os.WriteFile(filepath.Join(dir, ".lock"), nil, 0o644)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, ".lock"), past, past)
	if _, err := s.Deposit(box, FolderInbox, info("y"), recordWAV(t, s, box, 160)); err != nil {
		t.Fatal(err)
	}
}

// The example file of the transcripts' spool parses, and what Asterism
// writes reads back the same and has Asterisk 20's keys in its order.
func TestMessageInfoInterop(t *testing.T) {
	f, err := os.Open("../../testdata/asterisk-20.20.1/etc/voicemail-msg0000.txt.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ParseMessageInfo(f)
	if err != nil {
		t.Fatal(err)
	}
	want := info("1704103200-00000000")
	want.CallerChan = "SIP/100-00000001"
	if *m != *want {
		t.Errorf("parsed\n%+v\nwant\n%+v", m, want)
	}
	b, err := m.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	const asWritten = ";\n; Message Information file\n;\n[message]\norigmailbox=1234\ncontext=default\nexten=8501\n" +
		"rdnis=unknown\npriority=1\ncallerchan=SIP/100-00000001\ncallerid=\"Alice\" <100>\n" +
		"origdate=Mon Jan  1 10:00:00 AM UTC 2024\norigtime=1704103200\ncategory=\nmsg_id=1704103200-00000000\nflag=\nduration=3\n"
	if got := string(b); got != asWritten {
		t.Errorf("written:\n%s\nwant:\n%s", got, asWritten)
	}
	back, err := ParseMessageInfo(bytes.NewReader(b))
	if err != nil || *back != *m {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if OrigDate(time.Unix(1704103200, 0)) != "Mon Jan  1 10:00:00 AM UTC 2024" {
		t.Errorf("OrigDate %q", OrigDate(time.Unix(1704103200, 0)))
	}
	if _, err := ParseMessageInfo(strings.NewReader("origmailbox=1\n")); err == nil {
		t.Error("a file without [message] parsed")
	}
}

func TestParseConfig(t *testing.T) {
	text := `[general]
format = wav49|wav
maxmsg = 50
maxsecs = 60
pollfreq = 5
moveheard = no
[zonemessages]
eastern => America/New_York|'vm-received' Q 'digits/at' IMp
[default]
1234 => 4242,Example Mailbox,me@example.com,pager@example.com,tz=eastern|maxmsg=3|saycid=yes
.. => 1,Bad
[other]
1234 => 1,Other
[../x]
1 => 1,Bad context
`
	f, err := conf.Parse("voicemail.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	c := ParseConfig(f, quiet)
	if len(c.Users) != 2 || c.User("default", "..") != nil || c.HasContext("../x") {
		t.Fatalf("users %v contexts %v", c.Users, c.Contexts)
	}
	u := c.User("default", "1234")
	if u.Password != "4242" || u.FullName != "Example Mailbox" || u.Email != "me@example.com" || u.Pager != "pager@example.com" ||
		u.TZ != "eastern" || u.MaxMsg != 3 || !u.SayCID || u.MaxSecs != 60 {
		t.Errorf("user %+v", u)
	}
	if c.User("other", "1234").MaxMsg != 50 {
		t.Error("general maxmsg not inherited")
	}
	if c.General.PollFreq != 5*time.Second || c.General.MoveHeard || len(c.Zones) != 1 || c.Zones[0].TimeZone != "America/New_York" {
		t.Errorf("general %+v zones %+v", c.General, c.Zones)
	}
}

// The poller publishes a mailbox when its counts change, and only then.
func TestPollPublishesChanges(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte("[general]\npollmailboxes=no\n[default]\n1234 => 1,A\n1235 => 1,B\n"), 0o644)
	var mu sync.Mutex
	var got []MWI
	svc, err := New(Options{ConfigDir: dir, SpoolDir: spool, Logger: quiet, Notify: func(m MWI) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if n := svc.Poll("", ""); n != 0 {
		t.Fatalf("%d published with no change", n)
	}
	deposit(t, svc.Spool(), FolderInbox, "a")
	deposit(t, svc.Spool(), FolderUrgent, "b")
	if n := svc.Poll("1235", ""); n != 0 {
		t.Errorf("poll of 1235 published %d", n)
	}
	if n := svc.Poll("", "default"); n != 1 {
		t.Errorf("poll published %d, want 1", n)
	}
	if n := svc.Poll("", ""); n != 0 {
		t.Errorf("second poll published %d", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Box != box || !got[0].Waiting || got[0].New != 2 || got[0].Old != 0 || got[0].Channel != nil {
		t.Errorf("published %+v", got)
	}
}

// VM_INFO refuses folders and boxes that would leave the spool.
func TestVMInfo(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte("[default]\n1234 => 4242,Example Mailbox,a@b\n"), 0o644)
	svc, err := New(Options{ConfigDir: dir, SpoolDir: filepath.Join(dir, "spool"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	deposit(t, svc.Spool(), FolderInbox, "a")
	deposit(t, svc.Spool(), FolderUrgent, "b")
	f := vmInfoFunc{svc}
	for args, want := range map[string]string{
		"1234,exists": "1", "1234@default,EXISTS": "1", "9999,exists": "0", "../x,exists": "0",
		"1234,fullname": "Example Mailbox", "1234,email": "a@b", "1234,password": "4242",
		"1234,count": "2", "1234,count,Urgent": "1", "1234,count,old": "0",
	} {
		if got, err := f.Read(nil, args); err != nil || got != want {
			t.Errorf("VM_INFO(%s) = %q, %v; want %q", args, got, err, want)
		}
	}
	for _, args := range []string{"", "1234", "1234,count,../../", "1234,count,tmp", "9999,fullname", "1234@..,count", "1234,bogus"} {
		if got, err := f.Read(nil, args); err == nil {
			t.Errorf("VM_INFO(%s) = %q, want an error", args, got)
		}
	}
}

// MailboxCount on a box with 9,999 messages (MAXMSGLIMIT: Asterisk cannot
// hold more in one folder) plus their audio: one pass over ~20,000 names.
func BenchmarkCounts10000(b *testing.B) {
	s := newSpool(b)
	dir, _ := s.FolderDir(box, FolderInbox)
	os.MkdirAll(dir, 0o755)
	for i := range MaxMsgLimit {
		p := MsgPath(dir, i)
		os.WriteFile(p+".txt", nil, 0o644)
		os.WriteFile(p+".wav", nil, 0o644)
	}
	b.ResetTimer()
	for b.Loop() {
		_, n, _, err := s.Counts(box)
		if err != nil || n != MaxMsgLimit {
			b.Fatal(n, err)
		}
	}
}

// 1,000 mailboxes change between two polls: how fast their MWI states are
// recounted and published.
func BenchmarkPoll1000Changes(b *testing.B) {
	dir := b.TempDir()
	var cfg strings.Builder
	cfg.WriteString("[general]\npollmailboxes=no\n[default]\n")
	for i := range 1000 {
		fmt.Fprintf(&cfg, "%d => 1,User\n", 10000+i)
	}
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfg.String()), 0o644)
	published := 0
	svc, err := New(Options{ConfigDir: dir, SpoolDir: filepath.Join(dir, "spool"), Logger: quiet, Notify: func(MWI) { published++ }})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	for i := range 1000 {
		d, _ := svc.Spool().FolderDir(Box{Mailbox: fmt.Sprint(10000 + i), Context: "default"}, FolderInbox)
		os.MkdirAll(d, 0o755)
	}
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		for i := range 1000 {
			d, _ := svc.Spool().FolderDir(Box{Mailbox: fmt.Sprint(10000 + i), Context: "default"}, FolderInbox)
			os.WriteFile(MsgPath(d, n)+".txt", nil, 0o644)
		}
		b.StartTimer()
		if got := svc.Poll("", ""); got != 1000 {
			b.Fatalf("published %d", got)
		}
	}
	b.ReportMetric(float64(published)/b.Elapsed().Seconds(), "events/s")
}
