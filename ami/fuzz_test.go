package ami

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/internal/transcript"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the transcript seeds of testdata/fuzz/FuzzReader")

// FuzzReader checks, for any input, that the Reader
//   - never panics and always makes progress;
//   - keeps at most MaxHeaders headers of at most MaxLineLength bytes each;
//   - goes on reading after a recoverable error, up to io.EOF or
//     io.ErrUnexpectedEOF;
//   - gives the same messages whether the input comes at once or in small
//     pieces through a 16-byte buffer;
//   - reads back what AppendMessage renders of any message it accepted.
//
// The seeds in testdata/fuzz/FuzzReader come from the Asterisk transcripts
// (see TestFuzzSeedCorpus).
func FuzzReader(f *testing.F) {
	for _, tt := range readerTests() {
		f.Add([]byte(tt.input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := NewReader(bufio.NewReader(bytes.NewReader(data)))
		got := readSteps(t, whole)
		for _, s := range got[:len(got)-1] {
			checkBounds(t, s.h)
			if s.err == nil {
				checkRoundTrip(t, s.h)
			}
		}
		if err := got[len(got)-1].err; err != io.EOF && err != io.ErrUnexpectedEOF {
			t.Fatalf("stream ends with %v", err)
		}
		if c := cap(whole.line); c > 2*MaxLineLength {
			t.Errorf("line buffer grew to %d bytes", c)
		}

		rng := rand.New(rand.NewPCG(uint64(len(data)), 1))
		small := bufio.NewReaderSize(&chunkReader{data, 1 + len(data)%37, rng}, 16)
		if again := readSteps(t, NewReader(small)); !sameSteps(again, got) {
			t.Fatalf("chunked feeding differs:\n got  %v\n want %v", again, got)
		}
	})
}

// checkBounds checks what any message the Reader returns must satisfy.
func checkBounds(t *testing.T, h []Header) {
	t.Helper()
	if len(h) > MaxHeaders {
		t.Fatalf("%d headers, more than %d", len(h), MaxHeaders)
	}
	for _, x := range h {
		// The line held key, colon and value, and a terminator after them.
		if n := len(x.Key) + 1 + len(x.Value) + 1; n > MaxLineLength {
			t.Fatalf("header of %d bytes, more than %d", n, MaxLineLength)
		}
		if strings.ContainsAny(x.Key, ":\n\x00") || strings.ContainsAny(x.Value, "\n\x00") {
			t.Fatalf("header %q holds a colon in its key, a newline or a NUL", x)
		}
		if x.Value != "" && x.Value[0] < '!' {
			t.Fatalf("value %q starts with a blank", x.Value)
		}
	}
}

// transcriptSeeds returns the fuzz seeds drawn from the transcripts: each
// connection's whole client stream, and each distinct chunk the client sent.
func transcriptSeeds(t *testing.T) map[string][]byte {
	seeds := map[string][]byte{}
	seen := map[[32]byte]bool{}
	add := func(name string, data []byte) {
		if sum := sha256.Sum256(data); !seen[sum] {
			seen[sum] = true
			seeds[name] = data
		}
	}
	for _, tr := range loadTranscripts(t) {
		for _, conn := range tr.Conns() {
			add(fmt.Sprintf("%s-%s", tr.Name, conn), sentBytes(tr, conn))
		}
		// Chunks, numbered in the order the clients sent them.
		i := 0
		for _, st := range tr.Steps {
			if st.Kind == transcript.Send {
				i++
				add(fmt.Sprintf("%s-%s-%d", tr.Name, st.Conn, i), st.Bytes)
			}
		}
	}
	return seeds
}

func corpusFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

// The committed seeds match the transcripts. Run with -update-corpus after
// adding a name to codecTranscripts.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	for name, data := range transcriptSeeds(t) {
		path := filepath.Join(dir, "transcript-"+name)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, corpusFile(data), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			t.Errorf("missing seed %s; run go test -run TestFuzzSeedCorpus -update-corpus", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, corpusFile(data)) {
			t.Errorf("seed %s differs from its transcript", path)
		}
	}
}
