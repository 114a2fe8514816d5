package sounds

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/asterism-pbx/asterism/media"
)

func TestEmbeddedSet(t *testing.T) {
	want := []string{
		"beep", "digits/0", "digits/1", "digits/2", "digits/3", "digits/4",
		"digits/5", "digits/6", "digits/7", "digits/8", "digits/9",
		"digits/pound", "digits/star", "silence/1",
	}
	if got := EmbeddedNames(); !slices.Equal(got, want) {
		t.Fatalf("EmbeddedNames = %q, want %q", got, want)
	}
	lib := Embedded()
	for _, name := range want {
		// No language of its own: found whatever the channel's.
		for _, lang := range []string{"", "en", "fr_CA"} {
			if !lib.Exists(name, lang) {
				t.Errorf("Exists(%q, %q) = false", name, lang)
			}
		}
	}
	if !lib.Exists("digits/./1", "en") || !lib.Exists("./beep", "en") {
		t.Error("equivalent spellings of a name are not found")
	}

	beep := play(t, lib, "en", []string{"beep"})
	if len(beep) != 13*media.FrameSamples { // 2,000 samples, padded
		t.Errorf("beep is %d samples", len(beep))
	}
	if tone, ok := media.DominantFrequency(beep[:2000]); !ok || math.Abs(tone.Freq-1000) > 1 {
		t.Errorf("beep tone %+v, want 1000 Hz", tone)
	}

	silence := play(t, lib, "en", []string{"silence/1"})
	if len(silence) != media.SampleRate || slices.ContainsFunc(silence, func(s int16) bool { return s != 0 }) {
		t.Errorf("silence/1 is %d samples, not all zero", len(silence))
	}
}

// TestEmbeddedCallerHearsDigits is what the dialplan's tests will do:
// play what SayDigits plays and check what a phone would decode.
func TestEmbeddedCallerHearsDigits(t *testing.T) {
	for _, digits := range []string{"123", "0987654321", "11", "*#", "5-5"} {
		files := DigitFilesIn(Embedded(), digits, "en")
		got := heard(play(t, Embedded(), "en", files))
		if want := stripMinus(digits); got != want {
			t.Errorf("SayDigits(%s) heard as %q, want %q", digits, got, want)
		}
	}
	// SayNumber(7) is digits/7; numbers from 20 up need files the
	// embedded set does not have.
	files, err := NumberFiles(7, "en")
	if err != nil {
		t.Fatal(err)
	}
	if got := heard(play(t, Embedded(), "en", files)); got != "7" {
		t.Errorf("SayNumber(7) heard as %q", got)
	}
}

// stripMinus drops the '-', for which the embedded set has no
// digits/minus.
func stripMinus(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

func TestEmbeddedStreamsAreIndependent(t *testing.T) {
	a, err := Embedded().Open("digits/1", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Embedded().Open("digits/1", "")
	if err != nil {
		t.Fatal(err)
	}
	var fa, fb media.Frame
	if err := a.ReadFrame(&fa); err != nil {
		t.Fatal(err)
	}
	if err := b.ReadFrame(&fb); err != nil {
		t.Fatal(err)
	}
	if string(fa.Payload()) != string(fb.Payload()) {
		t.Error("two streams of one sound differ")
	}
	// Changing a delivered frame must not change the library.
	fa.Payload()[0] ^= 0xff
	c, _ := Embedded().Open("digits/1", "")
	var fc media.Frame
	if err := c.ReadFrame(&fc); err != nil {
		t.Fatal(err)
	}
	if string(fc.Payload()) != string(fb.Payload()) {
		t.Error("a frame aliases the library's samples")
	}
	a.Close()
	if err := a.ReadFrame(&fa); err == nil {
		t.Error("ReadFrame after Close succeeded")
	}
}

// Example shows the layering a server uses and the check a test makes:
// with no sounds installed, SayDigits(123) plays the embedded tones, and
// a DTMF detector hears 1, 2, 3.
func Example() {
	lib := Layers{NewDir("/nonexistent/asterisk"), Embedded()}
	var det media.DTMFDetector
	var events []media.DTMFEvent
	for _, name := range DigitFilesIn(lib, "123", "en") {
		s, err := lib.Open(name, "en")
		if err != nil {
			fmt.Println(err)
			return
		}
		var f media.Frame
		for s.ReadFrame(&f) == nil {
			events = det.FeedFrame(&f, events)
		}
		s.Close()
	}
	for _, ev := range events {
		if ev.End {
			fmt.Printf("%c", ev.Digit)
		}
	}
	fmt.Println()
	// Output: 123
}
