package media

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadWAV feeds arbitrary bytes to the WAV reader: it must never
// panic, never loop, and never produce more samples than the input holds
// bytes. Seeds: testdata/fuzz/FuzzReadWAV and the files below.
func FuzzReadWAV(f *testing.F) {
	pcm := c("fmt ", fmtBody(1, 1, 8000, 16))
	f.Add(riff(pcm, c("data", slinBytes(testSamples(20)))))
	f.Add(riff(c("fmt ", fmtBody(7, 1, 8000, 8)), c("fact", []byte{20, 0, 0, 0}), c("data", make([]byte, 21))))
	f.Add(riff(pcm, chunk{"data", make([]byte, 8), 0xFFFFFFFF}))
	f.Add(riff(pcm, chunk{"LIST", []byte("x"), 0x7FFFFFFF}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewWAVReader(bytes.NewReader(data))
		if err != nil {
			if r != nil {
				t.Fatal("reader and error")
			}
			if !errors.Is(err, ErrNotWAV) && !errors.Is(err, ErrBadWAV) && !errors.Is(err, ErrUnsupportedWAV) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if !r.Encoding().Valid() {
			t.Fatalf("encoding %v", r.Encoding())
		}
		buf := make([]int16, 61)
		total := 0
		for calls := 0; ; calls++ {
			if calls > len(data) {
				t.Fatal("reader does not progress")
			}
			n, err := r.Read(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("Read = %d", n)
			}
			total += n
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrTruncatedWAV) {
					t.Fatalf("read error %v", err)
				}
				break
			}
		}
		if total > len(data) {
			t.Fatalf("%d samples from %d bytes", total, len(data))
		}
	})
}
