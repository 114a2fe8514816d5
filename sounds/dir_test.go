package sounds

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/media"
)

// debianDataDir lays out a data directory as Debian's
// asterisk-core-sounds-en-wav installs it (/usr/share/asterisk/sounds/en/
// *.wav) with small generated files, and returns the data directory.
func debianDataDir(t testing.TB) string {
	t.Helper()
	datadir := filepath.Join(t.TempDir(), "usr", "share", "asterisk")
	en := filepath.Join(datadir, "sounds", "en")
	for i, name := range []string{
		"digits/0", "digits/1", "digits/2", "digits/20", "digits/hundred",
		"letters/a", "letters/b", "vm-intro", "beep", "silence/1",
	} {
		writeSound(t, filepath.Join(en, name+".wav"), sine(100*(i+1)))
	}
	return datadir
}

func TestDebianLayout(t *testing.T) {
	datadir := debianDataDir(t)
	d := NewDir(datadir)
	if want := filepath.Join(datadir, "sounds"); d.SoundsDir() != want {
		t.Fatalf("SoundsDir = %s, want %s", d.SoundsDir(), want)
	}
	for _, lang := range []string{"en", "", "en_US", "fr", "fr_CA"} {
		p, err := d.Find("digits/1", lang)
		if err != nil {
			t.Fatalf("Find(digits/1, %q): %v", lang, err)
		}
		if want := filepath.Join(datadir, "sounds", "en", "digits", "1.wav"); p != want {
			t.Errorf("Find(digits/1, %q) = %s, want %s", lang, p, want)
		}
	}
	s, err := d.Open("vm-intro", "en")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Format() != media.SLIN {
		t.Errorf("WAV stream format %v, want slin", s.Format())
	}
	// vm-intro is the eighth file: 800 samples, five frames.
	got := samplesOf(readAll(t, s))
	if want := sine(800); !slices.Equal(got, want) {
		t.Errorf("vm-intro decoded to %d samples, differing from the %d written", len(got), len(want))
	}
	if d.Exists("digits/3", "en") {
		t.Error("digits/3 exists")
	}
	if _, err := d.Open("digits/3", "en"); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(digits/3) = %v, want ErrNotFound", err)
	}
}

func TestLanguages(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"", []string{"", "en"}},
		{"en", []string{"en", ""}},
		{"en_GB", []string{"en_GB", "en", ""}},
		{"fr", []string{"fr", "", "en"}},
		{"fr_CA", []string{"fr_CA", "fr", "", "en"}},
		{"pt_BR_x", []string{"pt_BR_x", "pt_BR", "pt", "", "en"}},
		{"en-us", []string{"en-us", "", "en"}}, // only "_" separates a dialect
		{"..", []string{"", "en"}},
		{"../../etc", []string{"", "en"}},
		{"fr\x00", []string{"", "en"}},
	} {
		if got := languages(nil, tc.lang); !slices.Equal(got, tc.want) {
			t.Errorf("languages(%q) = %q, want %q", tc.lang, got, tc.want)
		}
	}
}

// TestFallbackOrder removes the best candidate one at a time and checks
// that the next in Asterisk's order is played: the language, the language
// without its dialect, the sounds root, then English.
func TestFallbackOrder(t *testing.T) {
	datadir := t.TempDir()
	root := filepath.Join(datadir, "sounds")
	order := []string{
		filepath.Join(root, "fr_CA", "vm-intro.sln"),
		filepath.Join(root, "fr", "vm-intro.ulaw"),
		filepath.Join(root, "vm-intro.wav"),
		filepath.Join(root, "en", "vm-intro.alaw"),
	}
	for _, p := range order {
		writeSound(t, p, sine(200))
	}
	d := NewDir(datadir)
	for _, want := range order {
		got, err := d.Find("vm-intro", "fr_CA")
		if err != nil || got != want {
			t.Fatalf("Find = %s, %v; want %s", got, err, want)
		}
		s, err := d.Open("vm-intro", "fr_CA")
		if err != nil {
			t.Fatal(err)
		}
		ff, _ := formatOf(filepath.Ext(want))
		if s.Format() != ff.enc {
			t.Errorf("%s: stream format %v, want %v", want, s.Format(), ff.enc)
		}
		s.Close()
		if err := os.Remove(want); err != nil {
			t.Fatal(err)
		}
	}
	if d.Exists("vm-intro", "fr_CA") {
		t.Error("found after every candidate was removed")
	}
}

func TestLanguageBeforeFormat(t *testing.T) {
	datadir := t.TempDir()
	root := filepath.Join(datadir, "sounds")
	writeSound(t, filepath.Join(root, "fr", "x.wav"), sine(10))
	writeSound(t, filepath.Join(root, "x.sln"), sine(10))
	writeSound(t, filepath.Join(root, "en", "x.sln"), sine(10))
	writeSound(t, filepath.Join(root, "en", "x.wav"), sine(10))
	d := NewDir(datadir)
	for lang, want := range map[string]string{
		"fr": filepath.Join(root, "fr", "x.wav"),
		"de": filepath.Join(root, "x.sln"),
		"en": filepath.Join(root, "en", "x.sln"),
	} {
		if got, err := d.Find("x", lang); err != nil || got != want {
			t.Errorf("Find(x, %s) = %s, %v; want %s", lang, got, err, want)
		}
	}
	// A directory named like a sound is not one.
	if err := os.MkdirAll(filepath.Join(root, "en", "y.sln"), 0o755); err != nil {
		t.Fatal(err)
	}
	if d.Exists("y", "en") {
		t.Error("a directory counts as a sound")
	}
	var zero Dir
	if zero.Exists("x", "en") {
		t.Error("the zero Dir finds sounds")
	}
}

// TestDecodeEveryFormat writes the same audio in every extension and
// checks that each plays back in its own encoding with the samples G.711
// rounding leaves, the last frame padded with that encoding's silence.
func TestDecodeEveryFormat(t *testing.T) {
	datadir := t.TempDir()
	want := sine(1000) // 6 frames and 40 samples
	d := NewDir(datadir)
	for _, ff := range fileFormats {
		t.Run(ff.ext, func(t *testing.T) {
			name := "fmt-" + ff.ext
			writeSound(t, filepath.Join(datadir, "sounds", "en", name+"."+ff.ext), want)
			s, err := d.Open(name, "en")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Format() != ff.enc {
				t.Fatalf("format %v, want %v", s.Format(), ff.enc)
			}
			frames := readAll(t, s)
			if len(frames) != 7 {
				t.Fatalf("%d frames, want 7", len(frames))
			}
			got := samplesOf(frames)
			if !slices.Equal(got[:len(want)], expected(ff.enc, want)) {
				t.Error("decoded samples differ")
			}
			silence := media.SilenceFrame(ff.enc)
			quiet := silence.AppendSamples(nil)[0] // A-law's code nearest zero decodes to 8
			if slices.ContainsFunc(got[len(want):], func(s int16) bool { return s != quiet }) {
				t.Error("padding is not silence")
			}
			last := frames[len(frames)-1].Payload()
			pad := silence.Payload()[0]
			bps := ff.enc.BytesPerSample()
			for i, b := range last[40*bps:] {
				if b != pad {
					t.Fatalf("padding byte %d is %#x, want %#x", i, b, pad)
				}
			}
		})
	}
}

// TestFrameCount checks that a sound of n samples gives ceil(n/160)
// frames in every kind of stream.
func TestFrameCount(t *testing.T) {
	datadir := t.TempDir()
	d := NewDir(datadir)
	for _, n := range []int{0, 1, 159, 160, 161, 320, 1000, 8000} {
		for _, ext := range []string{"sln", "ulaw", "alaw", "wav"} {
			name := fmt.Sprintf("n%d-%s", n, ext)
			writeSound(t, filepath.Join(datadir, "sounds", name+"."+ext), sine(n))
			s, err := d.Open(name, "")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(readAll(t, s)), (n+159)/160; got != want {
				t.Errorf("%s: %d frames, want %d", name, got, want)
			}
			s.Close()
		}
		s := &memStream{samples: sine(n)}
		if got, want := len(readAll(t, s)), (n+159)/160; got != want {
			t.Errorf("memory, %d samples: %d frames, want %d", n, got, want)
		}
	}
}

func TestOddTrailingByteAndClose(t *testing.T) {
	datadir := t.TempDir()
	p := filepath.Join(datadir, "sounds", "odd.sln")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(encode(media.SLIN, sine(160)), 0x7f), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewDir(datadir).Open("odd", "en")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(readAll(t, s)); n != 1 {
		t.Errorf("%d frames, want 1: the odd byte is no sample", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	var f media.Frame
	if err := s.ReadFrame(&f); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadFrame after Close: %v, want ErrClosed", err)
	}
}

func TestBrokenWAV(t *testing.T) {
	datadir := t.TempDir()
	p := filepath.Join(datadir, "sounds", "en", "beep.wav")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("not a RIFF file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := NewDir(datadir)
	if !d.Exists("beep", "en") {
		t.Error("a damaged file does not exist: Asterisk looks at names only")
	}
	_, err := d.Open("beep", "en")
	if !errors.Is(err, media.ErrNotWAV) || errors.Is(err, ErrNotFound) {
		t.Errorf("Open = %v, want media.ErrNotWAV and not ErrNotFound", err)
	}
	// Layered over the embedded set, the damage is reported, not hidden.
	if _, err := (Layers{d, Embedded()}).Open("beep", "en"); !errors.Is(err, media.ErrNotWAV) {
		t.Errorf("Layers.Open = %v, want media.ErrNotWAV", err)
	}

	// A WAV cut short plays what is there, then says so.
	w := filepath.Join(datadir, "sounds", "cut.wav")
	writeSound(t, w, sine(480))
	data, err := os.ReadFile(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w, data[:len(data)-200], 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := d.Open("cut", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var f media.Frame
	frames := 0
	for err = s.ReadFrame(&f); err == nil; err = s.ReadFrame(&f) {
		frames++
	}
	if frames != 3 || !errors.Is(err, media.ErrTruncatedWAV) {
		t.Errorf("%d frames then %v; want 3 then media.ErrTruncatedWAV", frames, err)
	}
}

// TestPathEscape checks that no name or language from the dialplan reaches
// a file outside the sounds directory, except an absolute name.
func TestPathEscape(t *testing.T) {
	base := t.TempDir()
	datadir := filepath.Join(base, "data")
	writeSound(t, filepath.Join(datadir, "secret.sln"), sine(160))
	writeSound(t, filepath.Join(base, "secret.sln"), sine(160))
	writeSound(t, filepath.Join(datadir, "sounds", "en", "ok.sln"), sine(160))
	d := NewDir(datadir)
	libs := map[string]Library{"dir": d, "embedded": Embedded(), "layers": Layers{d, Embedded()}}

	for _, name := range []string{
		"../secret",
		"../../secret",
		"en/../../secret",
		"digits/../../../secret",
		"..",
		"ok/..",
		"en/../ok", // would stay inside, but ".." is refused whatever it leads to
		"../beep",
		"ok\x00",
		"beep\x00../../secret",
		"",
		filepath.ToSlash(datadir) + "/sounds/../secret", // absolute with ".."
	} {
		for lname, lib := range libs {
			if lib.Exists(name, "en") {
				t.Errorf("%s: Exists(%q)", lname, name)
			}
			s, err := lib.Open(name, "en")
			if err == nil {
				s.Close()
				t.Errorf("%s: Open(%q) succeeded", lname, name)
			} else if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: Open(%q) = %v, want ErrNotFound", lname, name, err)
			}
		}
	}

	// The language cannot climb either: "..", as a language directory,
	// would make "secret" datadir/secret.
	for _, lang := range []string{"..", "../..", "en/../..", "x/../../.."} {
		if d.Exists("secret", lang) {
			t.Errorf("Exists(secret, %q)", lang)
		}
		if _, err := d.Find("ok", lang); err != nil {
			t.Errorf("Find(ok, %q): %v; an unusable language falls back like none", lang, err)
		}
	}

	// Absolute names are the dialplan author's, as in Asterisk's Playback,
	// with the language inserted before the last element.
	abs := filepath.ToSlash(filepath.Join(base, "ivr", "hello"))
	writeSound(t, filepath.Join(base, "ivr", "hello.ulaw"), sine(160))
	writeSound(t, filepath.Join(base, "ivr", "fr", "hello.wav"), sine(160))
	if p, err := d.Find(abs, "en"); err != nil || p != filepath.Join(base, "ivr", "hello.ulaw") {
		t.Errorf("Find(%s, en) = %s, %v", abs, p, err)
	}
	if p, err := d.Find(abs, "fr"); err != nil || p != filepath.Join(base, "ivr", "fr", "hello.wav") {
		t.Errorf("Find(%s, fr) = %s, %v", abs, p, err)
	}
	if Embedded().Exists("/beep", "") {
		t.Error("the embedded set has absolute names")
	}
}

func TestLayers(t *testing.T) {
	datadir := t.TempDir()
	d := NewDir(datadir)
	lib := Layers{nil, d, Embedded()}

	// Nothing installed: the generated tone.
	s, err := lib.Open("digits/1", "en")
	if err != nil {
		t.Fatal(err)
	}
	if got := heard(samplesOf(readAll(t, s))); got != "1" {
		t.Errorf("embedded digits/1 heard as %q", got)
	}
	s.Close()

	// Installed, in any language of the fallback: the real file wins.
	writeSound(t, filepath.Join(datadir, "sounds", "en", "digits", "1.ulaw"), sine(320))
	s, err = lib.Open("digits/1", "de")
	if err != nil {
		t.Fatal(err)
	}
	if s.Format() != media.ULAW || len(readAll(t, s)) != 2 {
		t.Errorf("did not play the installed digits/1.ulaw")
	}
	s.Close()

	if !lib.Exists("digits/2", "en") || lib.Exists("digits/20", "en") {
		t.Error("Exists does not see through the layers")
	}
	_, err = lib.Open("digits/20", "en")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "digits/20") {
		t.Errorf("Open(digits/20) = %v", err)
	}
	if (Layers{}).Exists("beep", "") {
		t.Error("empty Layers finds sounds")
	}
}
