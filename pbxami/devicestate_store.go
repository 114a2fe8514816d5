package pbxami

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// customStoreFile is the file under astvarlibdir that keeps the states of
// the Custom: devices, in place of Asterisk's astdb family CustomDevstate.
const customStoreFile = "customdevstate.json"

// maxCustomStore bounds the file read at start, so that a corrupt or
// hostile file cannot exhaust memory.
const maxCustomStore = 16 << 20

// customStore keeps the value last written for each Custom: device (the
// name after "Custom:", and the state as written, which "devstate list"
// shows), as astdb's CustomDevstate/<name> keys do. The file is replaced
// whole on every change: written to a temporary file, synced, renamed
// over the old one and the directory synced, so that a crash leaves the
// old states or the new ones, never a torn file.
type customStore struct {
	path string // "": not kept on disk

	mu   sync.Mutex // guards vals and the file; taken before any core lock
	vals map[string]string
}

// customEntry is one kept device.
type customEntry struct{ name, value string }

// openCustomStore reads dir's customdevstate.json; a missing file is an
// empty store. dir "" gives a store kept in memory only. An unreadable or
// corrupt file is reported and the store starts empty: losing the custom
// states must not keep the PBX from starting, and the file is rewritten
// on the next change.
func openCustomStore(dir string, log *slog.Logger) *customStore {
	s := &customStore{vals: make(map[string]string)}
	if dir == "" {
		return s
	}
	s.path = filepath.Join(dir, customStoreFile)
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s
	}
	if err != nil {
		log.Warn("custom device states not restored", "file", s.path, "err", err)
		return s
	}
	defer f.Close()
	var vals map[string]string
	dec := json.NewDecoder(&devstateReader{f: f, left: maxCustomStore})
	if err := dec.Decode(&vals); err != nil {
		log.Warn("custom device states not restored", "file", s.path, "err", err)
		return s
	}
	for k, v := range vals {
		if k != "" {
			s.vals[k] = v
		}
	}
	return s
}

// devstateReader reads at most left bytes of f, then fails (io.LimitReader
// would end quietly and let a truncated file pass as a short one).
type devstateReader struct {
	f    *os.File
	left int64
}

func (r *devstateReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, fmt.Errorf("custom device states: file larger than %d bytes", maxCustomStore)
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.f.Read(p)
	r.left -= int64(n)
	return n, err
}

// entries returns the kept devices sorted by name.
func (s *customStore) entries() []customEntry {
	s.mu.Lock()
	out := make([]customEntry, 0, len(s.vals))
	for k, v := range s.vals {
		out = append(out, customEntry{k, v})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// putLocked records value for name and rewrites the file. The value is
// kept in memory even if the file cannot be written. The caller holds
// s.mu.
func (s *customStore) putLocked(name, value string) error {
	s.vals[name] = value
	if s.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(s.vals, "", "\t")
	if err != nil {
		return fmt.Errorf("custom device states: %w", err)
	}
	return writeDevstateFile(s.path, append(b, '\n'))
}

// writeDevstateFile replaces path with data: a temporary file in the same
// directory, synced, renamed over path, then the directory synced so that
// the rename itself survives a crash.
func writeDevstateFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		done = true
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		// Not every filesystem can sync a directory; the rename is made
		// either way.
		_ = d.Sync()
		d.Close()
	}
	return nil
}
