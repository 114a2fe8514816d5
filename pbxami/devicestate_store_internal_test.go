package pbxami

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Concurrent writers leave a whole file holding every device, and no
// temporary file behind; a store reopened from it reads the same.
func TestCustomStoreConcurrentPuts(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := openCustomStore(dir, log)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				s.mu.Lock()
				err := s.putLocked(fmt.Sprintf("g%d-%d", g, i), "INUSE")
				s.mu.Unlock()
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("dir holds %v (%v)", ents, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, customStoreFile))
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string]string
	if err := json.Unmarshal(b, &vals); err != nil || len(vals) != 100 {
		t.Fatalf("file: %d devices, %v", len(vals), err)
	}
	again := openCustomStore(dir, log)
	if got := again.entries(); len(got) != 100 || got[0] != (customEntry{"g0-0", "INUSE"}) {
		t.Errorf("reopened: %d entries, first %v", len(got), got[0])
	}
}

// A file over the size bound is refused, not read into memory.
func TestCustomStoreTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, maxCustomStore+10)
	for i := range big {
		big[i] = ' '
	}
	if err := os.WriteFile(filepath.Join(dir, customStoreFile), big, 0o644); err != nil {
		t.Fatal(err)
	}
	s := openCustomStore(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if n := len(s.entries()); n != 0 {
		t.Errorf("%d entries from an oversized file", n)
	}
}
