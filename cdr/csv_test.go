package cdr

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func sampleRecord() *Record {
	return &Record{
		AccountCode: "acct1",
		Src:         "5559",
		Dst:         "600",
		DContext:    "default",
		CLID:        `"Event Test" <5559>`,
		Channel:     "Local/1234@default-00000002;1",
		DstChannel:  "SIP/200-00000001",
		LastApp:     "Dial",
		LastData:    "SIP/200,30,tT\nsecond line, with \"quotes\"",
		Start:       at(0),
		Answer:      at(1500),
		End:         at(6000),
		Duration:    6,
		BillSec:     4,
		Disposition: DispositionAnswered,
		AMAFlags:    AMABilling,
		UniqueID:    "refast-1795774926.4",
		UserField:   `say "hi"`,
		LinkedID:    "refast-1795774926.3",
		PeerAccount: "peer7",
		Sequence:    12,
	}
}

func TestAppendCSVExact(t *testing.T) {
	r := &Record{
		Src: "100", Dst: "200", DContext: "default", CLID: `"Alice" <100>`, Channel: "SIP/100-00000001",
		LastApp: "Dial", LastData: "SIP/200", Start: at(0), End: at(3000), Duration: 3,
		Disposition: DispositionNoAnswer,
	}
	got := string(AppendCSV(nil, r, CSVConfig{UseGMTime: true}))
	// cdr_csv leaves an unset time as an empty field, without quotes.
	want := `"","100","200","default","""Alice"" <100>","SIP/100-00000001","","Dial","SIP/200","2026-11-27 10:22:06",,"2026-11-27 10:22:09",3,0,"NO ANSWER","DOCUMENTATION"` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = string(AppendCSV(nil, r, CSVConfig{UseGMTime: true, LogUniqueID: true, LogUserField: true, NewCDRColumns: true}))
	want = strings.TrimSuffix(want, "\n") + `,"","","","",0` + "\n"
	if got != want {
		t.Errorf("all columns:\ngot  %s\nwant %s", got, want)
	}
}

func TestAppendCSVLocalTime(t *testing.T) {
	r := &Record{Start: at(0), End: at(1000)}
	got := string(AppendCSV(nil, r, CSVConfig{}))
	want := `"` + at(0).In(time.Local).Format("2006-01-02 15:04:05") + `"`
	if !strings.Contains(got, want) {
		t.Errorf("local time: %s lacks %s", got, want)
	}
}

func TestAppendCSVNUL(t *testing.T) {
	r := &Record{LastData: "before\x00after"}
	if got := string(AppendCSV(nil, r, CSVConfig{})); !strings.Contains(got, `"before",`) || strings.Contains(got, "after") {
		t.Errorf("NUL: %q", got)
	}
}

// TestCSVRoundTrip reads the line back with encoding/csv: every column is
// where cdr_csv puts it and every value survives quoting.
func TestCSVRoundTrip(t *testing.T) {
	r := sampleRecord()
	for _, tc := range []struct {
		name  string
		cfg   CSVConfig
		extra []string
	}{
		{"plain", CSVConfig{}, nil},
		{"uniqueid", CSVConfig{LogUniqueID: true}, []string{r.UniqueID}},
		{"userfield", CSVConfig{LogUserField: true}, []string{r.UserField}},
		{"new columns", CSVConfig{NewCDRColumns: true}, []string{"peer7", r.LinkedID, "12"}},
		{"everything", CSVConfig{LogUniqueID: true, LogUserField: true, NewCDRColumns: true},
			[]string{r.UniqueID, r.UserField, "peer7", r.LinkedID, "12"}},
	} {
		tc.cfg.UseGMTime = true
		line := AppendCSV(nil, r, tc.cfg)
		rows, err := csv.NewReader(bytes.NewReader(line)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, line)
		}
		want := append([]string{
			"acct1", "5559", "600", "default", `"Event Test" <5559>`, "Local/1234@default-00000002;1",
			"SIP/200-00000001", "Dial", "SIP/200,30,tT\nsecond line, with \"quotes\"",
			"2026-11-27 10:22:06", "2026-11-27 10:22:07", "2026-11-27 10:22:12", "6", "4", "ANSWERED", "BILLING",
		}, tc.extra...)
		if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.name, rows, want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCSVLog(t *testing.T) {
	logDir := t.TempDir()
	w, err := NewCSV(logDir, CSVConfig{Enabled: true, UseGMTime: true, AccountLogs: true})
	if err != nil {
		t.Fatal(err)
	}
	r := sampleRecord()
	if err := w.Log(r); err != nil {
		t.Fatal(err)
	}
	r2 := *r
	r2.AccountCode = ""
	if err := w.Log(&r2); err != nil {
		t.Fatal(err)
	}
	line := string(AppendCSV(nil, r, w.cfg))
	line2 := string(AppendCSV(nil, &r2, w.cfg))
	if got := readFile(t, filepath.Join(logDir, "cdr-csv", "Master.csv")); got != line+line2 {
		t.Errorf("Master.csv = %q", got)
	}
	if got := readFile(t, filepath.Join(logDir, "cdr-csv", "acct1.csv")); got != line {
		t.Errorf("acct1.csv = %q", got)
	}
	fi, err := os.Stat(filepath.Join(logDir, "cdr-csv", "Master.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("Master.csv is open to everyone: %v", fi.Mode())
	}

	// Without accountlogs, only Master.csv grows.
	w2, err := NewCSV(logDir, CSVConfig{UseGMTime: true})
	if err != nil {
		t.Fatal(err)
	}
	r3 := *r
	r3.AccountCode = "other"
	if err := w2.Log(&r3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(logDir, "cdr-csv", "other.csv")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("other.csv written without accountlogs: %v", err)
	}
}

func TestCSVLogBatch(t *testing.T) {
	logDir := t.TempDir()
	w, err := NewCSV(logDir, CSVConfig{UseGMTime: true, AccountLogs: true})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*Record
	var master string
	perAccount := map[string]string{}
	for i, acct := range []string{"a", "b", "", "a", "../evil"} {
		r := sampleRecord()
		r.AccountCode = acct
		r.UniqueID = strconv.Itoa(i)
		recs = append(recs, r)
		line := string(AppendCSV(nil, r, w.cfg))
		master += line
		if acct != "" {
			perAccount[acct] += line
		}
	}
	err = w.LogBatch(recs)
	if !errors.Is(err, ErrUnsafeAccountCode) {
		t.Errorf("LogBatch err = %v, want the unsafe account code reported", err)
	}
	if got := readFile(t, filepath.Join(w.Dir(), MasterFile)); got != master {
		t.Errorf("Master.csv = %q\nwant %q", got, master)
	}
	for _, a := range []string{"a", "b"} {
		if got := readFile(t, filepath.Join(w.Dir(), a+".csv")); got != perAccount[a] {
			t.Errorf("%s.csv = %q, want %q", a, got, perAccount[a])
		}
	}
	if err := w.LogBatch(nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

// TestCSVConcurrentWriters has goroutines of two backends (as two processes
// would) append to the same files at once: every line must come out whole.
func TestCSVConcurrentWriters(t *testing.T) {
	logDir := t.TempDir()
	cfg := CSVConfig{UseGMTime: true, AccountLogs: true, LogUniqueID: true}
	var writers []*CSV
	for range 2 {
		w, err := NewCSV(logDir, cfg)
		if err != nil {
			t.Fatal(err)
		}
		writers = append(writers, w)
	}
	const goroutines, perG = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perG)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := writers[g%len(writers)]
			for i := range perG {
				r := sampleRecord()
				r.AccountCode = "shared"
				r.UniqueID = fmt.Sprintf("g%d-%d", g, i)
				// Vary the length so that a torn write would show.
				r.LastData = strings.Repeat("x", (g*perG+i)%300)
				if i%5 == 0 {
					errs <- w.LogBatch([]*Record{r})
				} else {
					errs <- w.Log(r)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{MasterFile, "shared.csv"} {
		f, err := os.Open(filepath.Join(logDir, CSVDir, name))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		rd := csv.NewReader(bufio.NewReader(f))
		rd.FieldsPerRecord = 17
		for {
			row, err := rd.Read()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("%s: %v", name, err)
				}
				break
			}
			id := row[16]
			if seen[id] {
				t.Errorf("%s: %s twice", name, id)
			}
			seen[id] = true
			var g, i int
			if _, err := fmt.Sscanf(id, "g%d-%d", &g, &i); err != nil || row[8] != strings.Repeat("x", (g*perG+i)%300) {
				t.Errorf("%s: torn record %q", name, row)
			}
		}
		f.Close()
		if len(seen) != goroutines*perG {
			t.Errorf("%s: %d records, want %d", name, len(seen), goroutines*perG)
		}
	}
}

func TestAccountFile(t *testing.T) {
	for _, ok := range []string{"acct1", "1234", "sales-eu_2", "a.b", "ünïcode", "with space"} {
		if name, err := AccountFile(ok); err != nil || name != ok+".csv" {
			t.Errorf("AccountFile(%q) = %q, %v", ok, name, err)
		}
	}
	for _, bad := range hostileAccountCodes {
		if name, err := AccountFile(bad); !errors.Is(err, ErrUnsafeAccountCode) {
			t.Errorf("AccountFile(%q) = %q, %v; want refused", bad, name, err)
		}
	}
}

var hostileAccountCodes = []string{
	"", ".", "..", "../x", "../../etc/passwd", "/etc/passwd", "a/b", "a/../../b", `..\x`, `a\b`,
	".hidden", "a..b", "nul\x00byte", "new\nline", "tab\there", "del\x7f", strings.Repeat("a", 201),
	"../" + strings.Repeat("a", 50),
}

// TestCSVHostileAccountCodes logs records with account codes that try to
// leave the directory: nothing may appear outside it, and Master.csv still
// gets each record.
func TestCSVHostileAccountCodes(t *testing.T) {
	base := t.TempDir()
	logDir := filepath.Join(base, "log")
	w, err := NewCSV(logDir, CSVConfig{UseGMTime: true, AccountLogs: true})
	if err != nil {
		t.Fatal(err)
	}
	// A link planted in the directory must not lead a write outside.
	outside := filepath.Join(base, "outside.csv")
	if err := os.Symlink(outside, filepath.Join(w.Dir(), "planted.csv")); err != nil {
		t.Fatal(err)
	}
	codes := append([]string{"planted"}, hostileAccountCodes[1:]...) // "" is no account at all
	for _, code := range codes {
		r := sampleRecord()
		r.AccountCode = code
		if err := w.Log(r); err == nil {
			t.Errorf("account code %q: no error", code)
		} else if testing.Verbose() {
			t.Logf("%q: %v", code, err)
		}
	}
	if n := strings.Count(readFile(t, filepath.Join(w.Dir(), MasterFile)), "\"ANSWERED\""); n != len(codes) {
		t.Errorf("Master.csv has %d records, want %d", n, len(codes))
	}
	var files []string
	err = filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(base, path)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"log/cdr-csv/Master.csv", "log/cdr-csv/planted.csv"}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files = %q, want %q", files, want)
	}
	if _, err := os.Lstat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the planted link was followed: %v", err)
	}
}

// TestCSVTornLine: a line left without its newline by a crash does not glue
// itself to the next record.
func TestCSVTornLine(t *testing.T) {
	logDir := t.TempDir()
	w, err := NewCSV(logDir, CSVConfig{UseGMTime: true})
	if err != nil {
		t.Fatal(err)
	}
	master := filepath.Join(w.Dir(), MasterFile)
	if err := os.WriteFile(master, []byte(`"torn","rec`), 0o640); err != nil {
		t.Fatal(err)
	}
	r := sampleRecord()
	if err := w.Log(r); err != nil {
		t.Fatal(err)
	}
	want := `"torn","rec` + "\n" + string(AppendCSV(nil, r, w.cfg))
	if got := readFile(t, master); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestCSVNotRegular(t *testing.T) {
	logDir := t.TempDir()
	w, err := NewCSV(logDir, CSVConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(w.Dir(), MasterFile), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := w.Log(sampleRecord()); err == nil || !strings.Contains(err.Error(), MasterFile) {
		t.Errorf("Master.csv a directory: err = %v", err)
	}
}

func TestNewCSVError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewCSV(file, CSVConfig{}); err == nil {
		t.Error("NewCSV under a plain file: no error")
	}
}

func TestTakeBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	if err := takeBack(f, 7); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "keep\n" {
		t.Errorf("after takeBack: %q", got)
	}
	// Someone else appended after us: leave the file alone.
	if _, err := f.Write([]byte("ours")); err != nil {
		t.Fatal(err)
	}
	other, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Write([]byte("theirs\n")); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := takeBack(f, 4); err == nil {
		t.Error("takeBack cut another writer's data")
	}
	if got := readFile(t, path); got != "keep\nourstheirs\n" {
		t.Errorf("file changed: %q", got)
	}
}
