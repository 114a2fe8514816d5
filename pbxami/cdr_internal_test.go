package pbxami

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/cdr"
)

// The CSV writer: records posted from many goroutines all reach Master.csv,
// each as one whole line; Flush waits for them; after Close a record is
// written at once; Close twice is harmless.
func TestCSVWriter(t *testing.T) {
	dir := t.TempDir()
	csv, err := cdr.NewCSV(dir, cdr.CSVConfig{Enabled: true, LogUniqueID: true})
	if err != nil {
		t.Fatal(err)
	}
	w := newCSVWriter(csv, slog.New(slog.DiscardHandler))
	const goroutines, each = 8, 250
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				w.Post(&cdr.Record{Channel: fmt.Sprintf("Sim/%d-%08x", g, i), UniqueID: fmt.Sprintf("%d.%d", g, i),
					Start: time.Unix(1795774949, 0), Disposition: cdr.DispositionAnswered})
			}
		}()
	}
	wg.Wait()
	w.Flush()
	master := filepath.Join(dir, cdr.CSVDir, cdr.MasterFile)
	lines := readLines(t, master)
	if len(lines) != goroutines*each {
		t.Fatalf("%d lines after Flush, want %d", len(lines), goroutines*each)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if !bytes.HasPrefix(l, []byte(`"","","","","","Sim/`)) || !bytes.HasSuffix(l, []byte(`"`)) {
			t.Fatalf("not a whole record: %q", l)
		}
		seen[string(l)] = true
	}
	if len(seen) != goroutines*each {
		t.Errorf("%d distinct lines, want %d", len(seen), goroutines*each)
	}
	w.Close()
	w.Close()
	w.Post(&cdr.Record{Channel: "Sim/late-00000000"})
	if got := readLines(t, master); len(got) != goroutines*each+1 || !bytes.Contains(got[len(got)-1], []byte("Sim/late-")) {
		t.Errorf("the record posted after Close is not the last line (%d lines)", len(got))
	}
}

func readLines(t *testing.T, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end a line", name)
	}
	return bytes.Split(b[:len(b)-1], []byte("\n"))
}

// BenchmarkCSVWriter posts records as hangups do and waits for them to be
// on disk: the writer batches what queues up during each write and fsync.
func BenchmarkCSVWriter(b *testing.B) {
	csv, err := cdr.NewCSV(b.TempDir(), cdr.CSVConfig{Enabled: true, LogUniqueID: true})
	if err != nil {
		b.Fatal(err)
	}
	w := newCSVWriter(csv, slog.New(slog.DiscardHandler))
	defer w.Close()
	r := &cdr.Record{Channel: "Local/200@bench-00000000;1", Dst: "200", DContext: "bench", LastApp: "Hangup",
		Start: time.Now(), Answer: time.Now(), End: time.Now(), Disposition: cdr.DispositionAnswered, UniqueID: "1795774949.9"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Post(r)
		}
	})
	w.Flush()
}
