package sounds

import (
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/media"
)

// The embedded sounds' timing. The digit tones are in-band DTMF as
// Asterisk sends it by default (100 ms of tone, 100 ms of silence), which
// a DTMF detector needs to tell "1 1" from a single long "1"; the beep is
// Asterisk's voicemail beep, a 1 kHz tone of a quarter second.
const (
	embeddedToneOn  = 100 * time.Millisecond
	embeddedToneOff = 100 * time.Millisecond
	embeddedBeepHz  = 1000
	embeddedBeep    = 250 * time.Millisecond
	embeddedSilence = time.Second // silence/1 is one second, as silence/N is N seconds in Asterisk's sounds
)

// embeddedDigits maps the Say files that have a DTMF counterpart to it.
var embeddedDigits = map[string]byte{
	"digits/0": '0', "digits/1": '1', "digits/2": '2', "digits/3": '3', "digits/4": '4',
	"digits/5": '5', "digits/6": '6', "digits/7": '7', "digits/8": '8', "digits/9": '9',
	"digits/star": '*', "digits/pound": '#',
}

// memLibrary is a read-only library of sounds held as signed-linear
// samples.
type memLibrary struct {
	sounds map[string][]int16
}

// embedded builds the set once, on first use, rather than committing audio
// files or generating them at build time: it is a few milliseconds of
// arithmetic and about 70 KB.
var embedded = sync.OnceValue(func() *memLibrary {
	l := &memLibrary{sounds: make(map[string][]int16, len(embeddedDigits)+2)}

	beep := make([]int16, samplesIn(embeddedBeep))
	g := media.NewToneGen(media.DefaultToneAmplitude, embeddedBeepHz, 0)
	g.Read(beep)
	l.sounds["beep"] = beep

	l.sounds["silence/1"] = make([]int16, samplesIn(embeddedSilence))

	for name, digit := range embeddedDigits {
		p, err := media.NewDTMFPlayer(string(digit), embeddedToneOn, embeddedToneOff, media.DefaultToneAmplitude)
		if err != nil {
			// Every key of embeddedDigits is a DTMF digit; a failure here
			// is a bug in this file, and leaving the sound out keeps the
			// rest of the set usable.
			continue
		}
		buf := make([]int16, samplesIn(embeddedToneOn+embeddedToneOff))
		n := p.Read(buf)
		l.sounds[name] = buf[:n]
	}
	return l
})

func samplesIn(d time.Duration) int {
	return int(d * media.SampleRate / time.Second)
}

// Embedded returns the built-in library: generated sounds, not recorded
// voices, for the demo and for tests that must run without any sound
// package installed:
//
//   - "beep": 250 ms of 1 kHz, the tone voicemail plays before recording;
//   - "silence/1": one second of silence;
//   - "digits/0" … "digits/9", "digits/star", "digits/pound": the DTMF
//     tone of that key for 100 ms then 100 ms of silence, so that SayDigits
//     and SayNumber of small numbers produce audio that
//     [media.DTMFDetector] decodes back into the digits said.
//
// The sounds have no language: they are found for every language, as
// files in the root of the sounds directory are. Names that are absolute
// or not in the set are not found. The library is shared and read-only;
// its streams give signed-linear frames.
func Embedded() Library { return embedded() }

// EmbeddedNames returns the names of the built-in sounds, sorted.
func EmbeddedNames() []string {
	return slices.Sorted(maps.Keys(embedded().sounds))
}

// lookup returns the samples of name and whether the set has it.
func (l *memLibrary) lookup(name string) ([]int16, bool, error) {
	if !validName(name) {
		return nil, false, unsafeName(name)
	}
	// "digits/./1" is the same file as "digits/1" on disk; be as lenient.
	s, ok := l.sounds[path.Clean(name)]
	return s, ok, nil
}

func (l *memLibrary) Exists(name, lang string) bool {
	_, ok, _ := l.lookup(name)
	return ok
}

func (l *memLibrary) Open(name, lang string) (Stream, error) {
	s, ok, err := l.lookup(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound(name, lang)
	}
	return &memStream{samples: s}, nil
}

// memStream plays samples shared with the library; it only reads them.
type memStream struct {
	samples []int16
	pos     int
	closed  bool
	buf     [media.FrameSamples]int16
}

func (s *memStream) Format() media.Format { return media.SLIN }

func (s *memStream) ReadFrame(f *media.Frame) error {
	if s.closed {
		return ErrClosed
	}
	if s.pos >= len(s.samples) {
		return io.EOF
	}
	n := copy(s.buf[:], s.samples[s.pos:])
	s.pos += n
	clear(s.buf[n:])
	if err := f.SetSamples(media.SLIN, s.buf[:]); err != nil {
		return fmt.Errorf("sounds: %w", err)
	}
	return nil
}

func (s *memStream) Close() error {
	s.closed = true
	return nil
}
