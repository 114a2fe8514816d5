package sounds

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/asterism-pbx/asterism/media"
)

// BenchmarkStream measures one 20 ms frame read from a ten-second prompt
// in each kind of stream, reopening the prompt at its end as a looping
// Playback would. ns/op is per frame; a channel needs 50 a second.
func BenchmarkStream(b *testing.B) {
	datadir := b.TempDir()
	samples := sine(10 * media.SampleRate)
	for _, ext := range []string{"sln", "ulaw", "wav"} {
		writeSound(b, filepath.Join(datadir, "sounds", "en", "prompt-"+ext+"."+ext), samples)
	}
	d := NewDir(datadir)
	cases := []struct {
		name string
		lib  Library
		file string
	}{
		{"sln", d, "prompt-sln"},
		{"ulaw", d, "prompt-ulaw"},
		{"wav", d, "prompt-wav"},
		{"embedded", Embedded(), "silence/1"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, err := c.lib.Open(c.file, "en")
			if err != nil {
				b.Fatal(err)
			}
			var f media.Frame
			b.ReportAllocs()
			for b.Loop() {
				err := s.ReadFrame(&f)
				if errors.Is(err, io.EOF) {
					s.Close()
					if s, err = c.lib.Open(c.file, "en"); err != nil {
						b.Fatal(err)
					}
					err = s.ReadFrame(&f)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			s.Close()
		})
	}
}

// BenchmarkOpen measures finding and opening a Debian-layout prompt from
// a French channel, the worst ordinary case: fr, then the root, then en,
// each tried in every format before .wav.
func BenchmarkOpen(b *testing.B) {
	d := NewDir(debianDataDir(b))
	b.ReportAllocs()
	for b.Loop() {
		s, err := d.Open("digits/1", "fr")
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
