package sounds

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/asterism-pbx/asterism/media"
)

// sine returns n samples of a 440 Hz sine, loud enough that G.711's
// rounding is small next to it.
func sine(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/media.SampleRate))
	}
	return out
}

// encode returns samples as a headerless file of encoding enc.
func encode(enc media.Format, samples []int16) []byte {
	switch enc {
	case media.ULAW:
		b := make([]byte, len(samples))
		media.EncodeULaw(b, samples)
		return b
	case media.ALAW:
		b := make([]byte, len(samples))
		media.EncodeALaw(b, samples)
		return b
	}
	b := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

// expected returns what a listener gets from samples stored in enc.
func expected(enc media.Format, samples []int16) []int16 {
	out := make([]int16, len(samples))
	for i, s := range samples {
		switch enc {
		case media.ULAW:
			out[i] = media.ULawToLinear(media.LinearToULaw(s))
		case media.ALAW:
			out[i] = media.ALawToLinear(media.LinearToALaw(s))
		default:
			out[i] = s
		}
	}
	return out
}

// writeSound writes samples to path (its extension chooses the format),
// creating the directories.
func writeSound(t testing.TB, path string, samples []int16) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	ext := filepath.Ext(path)
	if ext == ".wav" {
		w, err := media.CreateWAV(path, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		if err := w.WriteSamples(samples); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return
	}
	ff, ok := formatOf(ext)
	if !ok {
		t.Fatalf("no format for %s", path)
	}
	if err := os.WriteFile(path, encode(ff.enc, samples), 0o644); err != nil {
		t.Fatal(err)
	}
}

func formatOf(ext string) (fileFormat, bool) {
	for _, ff := range fileFormats {
		if "."+ff.ext == ext {
			return ff, true
		}
	}
	return fileFormat{}, false
}

// readAll reads s to its end, checking that every frame is a full voice
// frame in the stream's format and that the end is io.EOF and stays so.
func readAll(t testing.TB, s Stream) []media.Frame {
	t.Helper()
	var frames []media.Frame
	for {
		var f media.Frame
		err := s.ReadFrame(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("ReadFrame after %d frames: %v", len(frames), err)
		}
		if f.Type != media.FrameVoice || f.Format != s.Format() || f.Len() != media.FrameSamples {
			t.Fatalf("frame %d: %v, stream format %v", len(frames), f, s.Format())
		}
		frames = append(frames, f)
	}
	before := media.SilenceFrame(media.ULAW)
	f := before
	if err := s.ReadFrame(&f); !errors.Is(err, io.EOF) {
		t.Fatalf("ReadFrame after the end: %v, want io.EOF", err)
	}
	if f.String() != before.String() || string(f.Payload()) != string(before.Payload()) {
		t.Fatalf("ReadFrame at the end changed the frame to %v", f)
	}
	return frames
}

// samplesOf decodes frames to signed linear.
func samplesOf(frames []media.Frame) []int16 {
	var out []int16
	for i := range frames {
		out = frames[i].AppendSamples(out)
	}
	return out
}

// play opens each file from lib in turn, as the Say applications do, and
// returns all their samples.
func play(t testing.TB, lib Library, lang string, files []string) []int16 {
	t.Helper()
	var out []int16
	for _, fn := range files {
		s, err := lib.Open(fn, lang)
		if err != nil {
			t.Fatalf("Open(%q): %v", fn, err)
		}
		out = append(out, samplesOf(readAll(t, s))...)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// heard returns the DTMF digits a detector finds in samples.
func heard(samples []int16) string {
	var d media.DTMFDetector
	var digits []byte
	for _, ev := range d.Feed(samples, nil) {
		if ev.End {
			digits = append(digits, ev.Digit)
		}
	}
	return string(digits)
}
