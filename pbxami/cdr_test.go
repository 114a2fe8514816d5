package pbxami_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/internal/transcript"
)

// cdrConfDir writes a configuration directory with the default manager.conf,
// sim.conf and the given extensions.conf and cdr.conf, cdr_manager.conf
// turned on, and asterisk.conf's astlogdir in a directory of its own, which
// it returns with the configuration directory.
func cdrConfDir(t *testing.T, extensions, cdrConf string) (dir, logDir string) {
	t.Helper()
	dir = t.TempDir()
	logDir = filepath.Join(t.TempDir(), "log")
	files := map[string]string{
		"manager.conf":     amitest.DefaultManagerConf,
		"sim.conf":         amitest.DefaultSimConf + "[110]\nanswer = 0\nhangupafter = 100ms\n",
		"extensions.conf":  extensions,
		"cdr.conf":         cdrConf,
		"cdr_manager.conf": "[general]\nenabled = yes\n",
		"asterisk.conf":    "[directories]\nastlogdir => " + logDir + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, logDir
}

// cdrEvents waits for n Cdr events and returns them in the order they came.
func cdrEvents(c *conn, n int) []*ami.Message {
	c.t.Helper()
	var got []*ami.Message
	c.wait(func(m *ami.Message) bool {
		if m.Get("Event") == "Cdr" {
			got = append(got, m)
		}
		return len(got) == n
	})
	return got
}

// cdrHeaders is the body of cdr_manager's event, in order.
var cdrHeaders = []string{"Event", "Privilege", "AccountCode", "Source", "Destination", "DestinationContext",
	"CallerID", "Channel", "DestinationChannel", "LastApplication", "LastData", "StartTime", "AnswerTime",
	"EndTime", "Duration", "BillableSeconds", "Disposition", "AMAFlags", "UniqueID", "UserField"}

// readMaster returns the records of Master.csv (or another file of the
// CSV directory) once the writer has caught up.
func readCSV(t *testing.T, srv *amitest.Server, logDir, name string) [][]string {
	t.Helper()
	if srv.PBX.CDR == nil || srv.PBX.CDR.CSV == nil {
		t.Fatal("no CSV backend")
	}
	srv.PBX.CDR.CSV.Flush()
	b, err := os.ReadFile(filepath.Join(logDir, "cdr-csv", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s does not end with a newline", name)
	}
	r := csv.NewReader(strings.NewReader(string(b)))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, b)
	}
	return recs
}

// csvTime is a Cdr event time (local) as cdr_csv writes it with usegmtime.
func csvTime(t *testing.T, s string) string {
	t.Helper()
	if s == "" {
		return ""
	}
	tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.Local)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC().Format("2006-01-02 15:04:05")
}

// checkCSVLine compares a Master.csv line (with loguniqueid and
// loguserfield) with the Cdr event of the same record.
func checkCSVLine(t *testing.T, line []string, ev *ami.Message) {
	t.Helper()
	want := []string{ev.Get("AccountCode"), ev.Get("Source"), ev.Get("Destination"), ev.Get("DestinationContext"),
		ev.Get("CallerID"), ev.Get("Channel"), ev.Get("DestinationChannel"), ev.Get("LastApplication"),
		ev.Get("LastData"), csvTime(t, ev.Get("StartTime")), csvTime(t, ev.Get("AnswerTime")), csvTime(t, ev.Get("EndTime")),
		ev.Get("Duration"), ev.Get("BillableSeconds"), ev.Get("Disposition"), ev.Get("AMAFlags"),
		ev.Get("UniqueID"), ev.Get("UserField")}
	if strings.Join(line, "|") != strings.Join(want, "|") {
		t.Errorf("Master.csv line\n got %q\nwant %q", line, want)
	}
}

const cdrCSVConf = "[general]\nenable = yes\n[csv]\nusegmtime = yes\nloguniqueid = yes\nloguserfield = yes\naccountlogs = yes\n"

// TestCdrFunctionAccountAndCSV: an Originate with Account, a dialplan that
// writes and reads CDR(): the Cdr events carry what was set, Master.csv has
// the same records as whole lines, and each account has its file.
func TestCdrFunctionAccountAndCSV(t *testing.T) {
	dir, logDir := cdrConfDir(t, `[default]
exten => 3000,1,Answer()
 same => n,Set(CDR(userfield)=uf-${CDR(src)})
 same => n,Set(CDR(myvar)=v1)
 same => n,Set(CDR(amaflags)=billing)
 same => n,Set(CDR(accountcode)=acct2)
 same => n,Set(CDR(src)=nope)
 same => n,Set(READ=${CDR(accountcode)}|${CDR(myvar)}|${CDR(amaflags)}|${CDR(amaflags,u)}|${CDR(disposition)}|${CDR(dst)}|${CDR(dstchannel)}|${CDR(lastapp)}|${CDR(userfield)}|${CDR(src)})
 same => n,Set(RAW=${CDR(start,u)}|${CDR(answer)}|${CDR(duration,f)})
 same => n,Hangup()
`, cdrCSVConf)
	srv := start(t, amitest.ConfigDir(dir))
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Local/3000@default", "Application", "Wait", "Data", "10",
		"CallerID", `"CDR Test" <5550>`, "Account", "acct1", "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("originate: %v", r)
	}
	evs := cdrEvents(c, 2)
	var one, two *ami.Message
	for _, m := range evs {
		if strings.HasSuffix(m.Get("Channel"), ";1") {
			one = m
		} else if strings.HasSuffix(m.Get("Channel"), ";2") {
			two = m
		}
	}
	if one == nil || two == nil {
		t.Fatalf("Cdr events: %v", evs)
	}
	checkKeys(t, one, cdrHeaders...)
	checkKeys(t, two, cdrHeaders...)

	read := c.event("VarSet", "Variable", "READ").Get("Value")
	// During the call the disposition is not decided yet: Asterisk's
	// reads as NO ANSWER (its NULL) until the record is finished.
	if want := "acct2|v1|BILLING|2|NO ANSWER|3000||Set|uf-5550|5550"; read != want {
		t.Errorf("CDR() reads %q, want %q", read, want)
	}
	raw := c.event("VarSet", "Variable", "RAW").Get("Value")
	if !regexp.MustCompile(`^\d{10}\.\d{6}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\|\d+\.\d{6}$`).MatchString(raw) {
		t.Errorf("CDR(start,u)|CDR(answer)|CDR(duration,f) = %q", raw)
	}

	for _, tc := range []struct {
		m    *ami.Message
		want map[string]string
	}{
		{one, map[string]string{"AccountCode": "acct1", "Source": "5550", "Destination": "3000",
			"DestinationContext": "default", "CallerID": `"CDR Test" <5550>`, "DestinationChannel": "",
			"LastApplication": "Wait", "LastData": "10", "Disposition": "ANSWERED", "AMAFlags": "DOCUMENTATION", "UserField": ""}},
		{two, map[string]string{"AccountCode": "acct2", "Source": "5550", "Destination": "3000",
			"DestinationContext": "default", "DestinationChannel": "",
			"LastApplication": "Hangup", "LastData": "", "Disposition": "ANSWERED", "AMAFlags": "BILLING", "UserField": "uf-5550"}},
	} {
		for k, v := range tc.want {
			if got := tc.m.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tc.m.Get("Channel"), k, got, v)
			}
		}
		if tc.m.Get("AnswerTime") == "" || tc.m.Get("Privilege") != "cdr,all" {
			t.Errorf("%s: %v", tc.m.Get("Channel"), tc.m)
		}
	}

	master := readCSV(t, srv, logDir, "Master.csv")
	if len(master) != 2 {
		t.Fatalf("Master.csv has %d records, want 2: %q", len(master), master)
	}
	for _, line := range master {
		switch {
		case len(line) != 18:
			t.Errorf("Master.csv line has %d fields, want 18: %q", len(line), line)
		case line[5] == one.Get("Channel"):
			checkCSVLine(t, line, one)
		case line[5] == two.Get("Channel"):
			checkCSVLine(t, line, two)
		default:
			t.Errorf("Master.csv line for an unknown channel: %q", line)
		}
	}
	for file, ch := range map[string]string{"acct1.csv": one.Get("Channel"), "acct2.csv": two.Get("Channel")} {
		recs := readCSV(t, srv, logDir, file)
		if len(recs) != 1 || len(recs[0]) != 18 || recs[0][5] != ch {
			t.Errorf("%s: %q, want the record of %s", file, recs, ch)
		}
	}
	waitIdle(t, srv)
}

// TestCdrDial: the caller's record names the channel it dialled and takes
// its disposition from the dial; the called channel has none of its own.
func TestCdrDial(t *testing.T) {
	dir, _ := cdrConfDir(t, `[default]
exten => answered,1,Dial(Sim/110,5)
 same => n,Hangup()
exten => busy,1,Dial(Sim/102,5)
 same => n,Hangup()
exten => noanswer,1,Dial(Sim/103,1)
 same => n,Hangup()
exten => parallel,1,Dial(Sim/103&Sim/110,5)
 same => n,Hangup()
`, "[general]\nenable = yes\nunanswered = yes\n")
	srv := start(t, amitest.ConfigDir(dir))
	c := dial(t, srv)
	type dialRec struct{ phone, disposition string }
	for _, tc := range []struct {
		exten   string
		dials   []dialRec // the Dial records, party B and disposition
		records int
	}{
		// The ;2 dials and is bridged until the phone hangs up; then Dial
		// hangs it up (no g option). ;1 waits, answered when ;2 is.
		{"answered", []dialRec{{"Sim/110", "ANSWERED"}}, 2},
		// Unanswered calls: the failed Dial closes ;2's record; ;2 then
		// runs Hangup, which starts another, and ;1 has one (both kept
		// by unanswered = yes, as they have no party B).
		{"busy", []dialRec{{"Sim/102", "BUSY"}}, 3},
		{"noanswer", []dialRec{{"Sim/103", "NO ANSWER"}}, 3},
		// Two destinations: a record for each, as Asterisk forks them;
		// the one left ringing is cancelled (NO ANSWER).
		{"parallel", []dialRec{{"Sim/103", "NO ANSWER"}, {"Sim/110", "ANSWERED"}}, 3},
	} {
		t.Run(tc.exten, func(t *testing.T) {
			c.t, c.seen = t, nil
			r := c.do("Originate", "Channel", "Local/"+tc.exten+"@default", "Application", "Wait", "Data", "10", "Async", "true")
			if r.Get("Response") != "Success" {
				t.Fatalf("originate: %v", r)
			}
			evs := cdrEvents(c, tc.records)
			var dials []*ami.Message
			for _, m := range evs {
				if strings.HasPrefix(m.Get("Channel"), "Sim/") {
					t.Errorf("the dialled channel has a record: %v", m)
				}
				if m.Get("LastApplication") == "Dial" {
					dials = append(dials, m)
				}
			}
			if len(dials) != len(tc.dials) {
				t.Fatalf("%d Dial records, want %d: %v", len(dials), len(tc.dials), evs)
			}
			for i, w := range tc.dials {
				m := dials[i]
				if !strings.HasPrefix(m.Get("DestinationChannel"), w.phone+"-") {
					t.Errorf("DestinationChannel = %q, want %s-…", m.Get("DestinationChannel"), w.phone)
				}
				if got := m.Get("Disposition"); got != w.disposition {
					t.Errorf("%s: Disposition = %q, want %q", w.phone, got, w.disposition)
				}
				if got, want := m.Get("LastData"), tc.dials[0].phone; !strings.HasPrefix(got, want) {
					t.Errorf("LastData = %q, want %s…", got, want)
				}
				if w.disposition == "ANSWERED" && m.Get("AnswerTime") == "" {
					t.Errorf("%s: answered without an AnswerTime", w.phone)
				}
				if len(tc.dials) == 1 && w.disposition != "ANSWERED" && m.Get("AnswerTime") != "" {
					t.Errorf("%s: AnswerTime %q with disposition %s", w.phone, m.Get("AnswerTime"), w.disposition)
				}
			}
			waitIdle(t, srv)
		})
	}
}

// TestCdrOriginateTranscripts runs the calls of the originate transcripts
// (which the replay cannot follow step by step, see TestGoldenCalls) and
// compares each Cdr event with the one Asterisk sent for the same half of
// the Local pair.
func TestCdrOriginateTranscripts(t *testing.T) {
	rules := cdrRules()
	for _, tc := range []struct {
		name string
		kv   []string
		// loose are halves whose last application follows the core's
		// timing rather than the CDR engine: Asterisk's Answer waits up
		// to 500 ms for a first voice frame, so there ;1's Playback ends
		// while ;2 still plays; Asterism's ;2 is in its Wait by then.
		loose string
	}{
		{"originate-async-exten", []string{"Channel", "Local/1234@default", "Context", "default", "Exten", "600",
			"Priority", "1", "CallerID", `"Async Test" <5553>`, "Async", "true"}, ""},
		{"originate-sync-exten", []string{"Channel", "Local/1234@default", "Context", "default", "Exten", "600",
			"Priority", "1", "CallerID", `"Sync Test" <5552>`}, ""},
		{"originate-async-application", []string{"Channel", "Local/1234@default", "Application", "Playback",
			"Data", "hello-world", "CallerID", `"App Test" <5554>`, "Async", "true"}, ";2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := transcript.ParseFile(filepath.Join(refDir, tc.name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			msgs, _ := transcript.SplitMessages(tr.Received("a"))
			want := map[string]transcript.Message{}
			for _, m := range msgs {
				if m.Event() == "Cdr" {
					want[m.Get("Channel")[strings.LastIndexByte(m.Get("Channel"), ';'):]] = m
				}
			}
			if len(want) != 2 {
				t.Fatalf("%d Cdr events in the transcript", len(want))
			}
			srv := start(t, amitest.ConfigDir(refWithSounds(t)), amitest.SystemName("refast"))
			srv.Username, srv.Secret = "admin", "adminpw" // the reference manager.conf
			c := dial(t, srv)
			r := c.do("Originate", tc.kv...)
			if r.Get("Response") != "Success" {
				t.Fatalf("originate: %v", r)
			}
			// Echo runs until the call is hung up, as the recording's
			// cleanup did once ;2 was in its Wait.
			if tc.kv[5] == "600" {
				c.event("Newexten", "Application", "Echo")
				c.event("Newexten", "Application", "Wait")
				c.do("Hangup", "Channel", "/^Local/")
			}
			got := cdrEvents(c, 2)
			for half, w := range want {
				var g *ami.Message
				for _, m := range got {
					if strings.HasSuffix(m.Get("Channel"), half) {
						g = m
					}
				}
				if g == nil {
					t.Errorf("no Cdr event for %s", half)
					continue
				}
				rs := rules
				if half == tc.loose {
					rs = append(rs[:len(rs):len(rs)], transcript.Ignore("LastApplication", "LastData")...)
				}
				if gs, ws := canon(g.Get, rs), canon(w.Get, rs); gs != ws {
					t.Errorf("Cdr of %s:\n got %s\nwant %s", half, gs, ws)
				}
			}
			waitIdle(t, srv)
		})
	}
}

// canon returns the Cdr event's headers, in cdr_manager's order, with the
// rules applied to their values as the replay applies them.
func canon(get func(string) string, rules []transcript.Rule) string {
	var b strings.Builder
	for _, h := range append([]string{"SystemName"}, cdrHeaders...) {
		v := get(h)
		for _, r := range rules {
			if (r.Event == "" || r.Event == "Cdr") && (r.Header == "" || r.Header == h) {
				v = r.Match.ReplaceAllString(v, r.Replace)
			}
		}
		b.WriteString("\n" + h + ": " + v)
	}
	return b.String()
}

// TestCdrDialLocal is the call of the redirect transcript without the
// redirect (Asterism has no ConfBridge): 300 answers and dials
// Local/2000@default, which answers and waits. The dialled ;1 of the second
// pair gets no record, as in the transcript; the caller's record names it.
func TestCdrDialLocal(t *testing.T) {
	srv := start(t, amitest.ConfigDir(refWithSounds(t)), amitest.SystemName("refast"))
	srv.Username, srv.Secret = "admin", "adminpw"
	c := dial(t, srv)
	r := c.do("Originate", "Channel", "Local/300@default", "Application", "Wait", "Data", "60",
		"CallerID", `"Redirect Test" <5555>`, "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("originate: %v", r)
	}
	c.event("BridgeEnter", "", "")
	c.event("Newexten", "Application", "Wait")
	callee := c.event("Newchannel", "Exten", "2000").Get("Channel") // Local/2000@default-…;1
	two := strings.TrimSuffix(callee, ";1") + ";2"
	if h := c.do("Hangup", "Channel", two); h.Get("Response") != "Success" {
		t.Fatalf("hangup: %v", h)
	}
	evs := cdrEvents(c, 3)
	want := map[string][3]string{ // Destination, DestinationChannel, LastApplication|LastData
		";1": {"300", "", "Wait|60"},
		";2": {"300", callee, "Dial|Local/2000@default,120"},
	}
	seen := 0
	for _, m := range evs {
		ch := m.Get("Channel")
		if ch == callee {
			t.Errorf("the dialled channel has a record: %v", m)
			continue
		}
		if ch == two {
			if got := m.Get("Destination") + "|" + m.Get("LastApplication") + "|" + m.Get("LastData"); got != "2000|Wait|120" {
				t.Errorf("%s: %s", ch, got)
			}
			seen++
			continue
		}
		w, ok := want[ch[strings.LastIndexByte(ch, ';'):]]
		if !ok || !strings.HasPrefix(ch, "Local/300@default-") {
			t.Errorf("unexpected record: %v", m)
			continue
		}
		seen++
		if got := [3]string{m.Get("Destination"), m.Get("DestinationChannel"), m.Get("LastApplication") + "|" + m.Get("LastData")}; got != w {
			t.Errorf("%s: %q, want %q", ch, got, w)
		}
	}
	for _, m := range evs {
		if m.Get("Channel") == two {
			// In Asterisk the called pair's ;2 has the caller's caller ID
			// (Dial sets it as the callee's connected line, which Local
			// makes ;2's caller ID): Source 5555 in the transcript. Asterism's
			// Dial does not pass it on yet; that is the core's, not the
			// record's.
			continue
		}
		if m.Get("Source") != "5555" || m.Get("CallerID") != `"Redirect Test" <5555>` || m.Get("Disposition") != "ANSWERED" {
			t.Errorf("%s: Source %q CallerID %q Disposition %q", m.Get("Channel"), m.Get("Source"), m.Get("CallerID"), m.Get("Disposition"))
		}
	}
	if seen != 3 {
		t.Errorf("%d of the 3 expected records", seen)
	}
	waitIdle(t, srv)
}

// TestCdrDisabled: with cdr.conf's enable = no there is no engine, no Cdr
// event even though cdr_manager is on, and no Master.csv.
func TestCdrDisabled(t *testing.T) {
	dir, logDir := cdrConfDir(t, "[default]\nexten => 3000,1,Answer()\n same => n,Hangup()\n",
		"[general]\nenable = no\n[csv]\nloguniqueid = yes\n")
	srv := start(t, amitest.ConfigDir(dir))
	if srv.PBX.CDR != nil {
		t.Fatal("a CDR engine runs with enable = no")
	}
	c := dial(t, srv)
	c.do("Originate", "Channel", "Local/3000@default", "Application", "Wait", "Data", "5", "Async", "true")
	first := c.event("Hangup", "", "")
	other := strings.TrimSuffix(first.Get("Channel"), "1") + "2"
	if strings.HasSuffix(first.Get("Channel"), ";2") {
		other = strings.TrimSuffix(first.Get("Channel"), "2") + "1"
	}
	c.event("Hangup", "Channel", other)
	// A Cdr event would have been published with the Hangup, before
	// this Ping's response.
	c.do("Ping")
	for _, m := range c.seen {
		if m.Get("Event") == "Cdr" {
			t.Errorf("Cdr event with CDRs disabled: %v", m)
		}
	}
	if _, err := os.Stat(filepath.Join(logDir, "cdr-csv")); !os.IsNotExist(err) {
		t.Errorf("cdr-csv exists with CDRs disabled (%v)", err)
	}
}

// TestCdrHExten: the record ends before the h extension (endbeforehexten,
// on by default) and keeps the extension and application the call ended
// in, but CDR() still writes to it from there, as in Asterisk.
func TestCdrHExten(t *testing.T) {
	dir, _ := cdrConfDir(t, `[default]
exten => 3000,1,Answer()
 same => n,Hangup()
exten => h,1,Set(CDR(userfield)=in-h)
 same => n,NoOp(${CDR(userfield)})
`, "[general]\nenable = yes\n")
	srv := start(t, amitest.ConfigDir(dir))
	c := dial(t, srv)
	c.do("Originate", "Channel", "Local/3000@default", "Application", "Wait", "Data", "5", "Async", "true")
	var two *ami.Message
	for _, m := range cdrEvents(c, 2) {
		if strings.HasSuffix(m.Get("Channel"), ";2") {
			two = m
		}
	}
	if two == nil {
		t.Fatal("no record for ;2")
	}
	if got := two.Get("Destination") + "|" + two.Get("LastApplication") + "|" + two.Get("UserField"); got != "3000|Hangup|in-h" {
		t.Errorf("Destination|LastApplication|UserField = %q, want 3000|Hangup|in-h", got)
	}
	if ne := c.event("Newexten", "Application", "NoOp"); ne.Get("AppData") != "in-h" {
		t.Errorf("CDR(userfield) read in h: %q", ne.Get("AppData"))
	}
	waitIdle(t, srv)
}
