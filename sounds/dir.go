package sounds

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/asterism-pbx/asterism/media"
)

// fileFormat is one file extension Asterisk plays at 8 kHz and how its
// audio is stored.
type fileFormat struct {
	ext string
	enc media.Format // encoding of the raw samples; SLIN for WAV
	wav bool         // a RIFF WAVE file rather than headerless samples
}

// fileFormats lists the extensions in the order they are tried within one
// language directory: headerless signed linear (format_sln), µ-law and
// A-law (format_pcm, with all the extensions it registers), then WAV
// (format_wav). Asterisk picks among the formats present by translation
// cost to the channel; here the stream keeps the file's own encoding and
// the channel converts, so the order only matters when a prompt exists in
// several formats, and the raw ones come first because they cost nothing
// to parse.
var fileFormats = [...]fileFormat{
	{ext: "sln", enc: media.SLIN},
	{ext: "raw", enc: media.SLIN},
	{ext: "ulaw", enc: media.ULAW},
	{ext: "pcm", enc: media.ULAW},
	{ext: "ul", enc: media.ULAW},
	{ext: "mu", enc: media.ULAW},
	{ext: "ulw", enc: media.ULAW},
	{ext: "alaw", enc: media.ALAW},
	{ext: "al", enc: media.ALAW},
	{ext: "alw", enc: media.ALAW},
	{ext: "wav", enc: media.SLIN, wav: true},
}

// rawBufferSize is the read buffer of a headerless file: 12 frames of
// signed linear per system call rather than one, which matters at tens of
// thousands of concurrent prompts.
const rawBufferSize = 4096

// Dir is a Library of sound files under an Asterisk data directory,
// laid out as Asterisk's languageprefix=yes (the default) lays them out:
// <datadir>/sounds/<language>/<name>.<ext>. Absolute names are used as
// they are, with the language directory inserted before the last element
// ("/srv/ivr/fr/welcome" for "/srv/ivr/welcome" in French), as Asterisk
// does.
//
// A Dir holds no open files and caches nothing, so files added or replaced
// while running are played at once. It is safe for concurrent use. The
// zero Dir finds nothing.
type Dir struct {
	sounds string
}

// NewDir returns the library of the data directory datadir (asterisk.conf's
// astdatadir, for example /usr/share/asterisk on Debian or
// /var/lib/asterisk from source), whose sounds are in datadir/sounds. The
// directory need not exist yet.
func NewDir(datadir string) *Dir {
	return &Dir{sounds: filepath.Join(datadir, "sounds")}
}

// SoundsDir returns the directory relative names are looked up in.
func (d *Dir) SoundsDir() string { return d.sounds }

// Find returns the path of the file Open would play for name in language
// lang, or an error matching [ErrNotFound].
func (d *Dir) Find(name, lang string) (string, error) {
	p, _, err := d.find(name, lang)
	return p, err
}

// Exists reports whether name exists in lang or a fallback language, in
// any format. As in Asterisk it looks at names only: a damaged file
// exists, and Open reports the damage.
func (d *Dir) Exists(name, lang string) bool {
	_, _, err := d.find(name, lang)
	return err == nil
}

// Open opens name for playing in language lang (see [Library]).
func (d *Dir) Open(name, lang string) (Stream, error) {
	p, ff, err := d.find(name, lang)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		// Removed between the lookup and the open: as if never there.
		if errors.Is(err, os.ErrNotExist) {
			return nil, notFound(name, lang)
		}
		return nil, fmt.Errorf("sounds: %w", err)
	}
	if ff.wav {
		r, err := media.NewWAVReader(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("sounds: %s: %w", p, err)
		}
		return &wavStream{f: f, r: r, path: p}, nil
	}
	pad := byte(0)
	switch ff.enc {
	case media.ULAW:
		pad = media.LinearToULaw(0)
	case media.ALAW:
		pad = media.LinearToALaw(0)
	}
	return &rawStream{
		f:      f,
		r:      bufio.NewReaderSize(f, rawBufferSize),
		path:   p,
		format: ff.enc,
		pad:    pad,
	}, nil
}

// find returns the first existing file for name, trying languages outside
// and formats inside, as Asterisk settles the language before choosing
// among the formats found there.
func (d *Dir) find(name, lang string) (string, fileFormat, error) {
	if !validName(name) {
		return "", fileFormat{}, unsafeName(name)
	}
	if d == nil || d.sounds == "" {
		return "", fileFormat{}, notFound(name, lang)
	}
	var buf [8]string
	for _, l := range languages(buf[:0], lang) {
		base := d.candidate(name, l)
		// Most languages a channel may have are not installed: one look
		// at the directory saves a look at every extension.
		if fi, err := os.Stat(filepath.Dir(base)); err != nil || !fi.IsDir() {
			continue
		}
		for _, ff := range fileFormats {
			p := base + "." + ff.ext
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p, ff, nil
			}
		}
	}
	return "", fileFormat{}, notFound(name, lang)
}

// candidate returns the path, without extension, of name in language
// directory lang ("" for none).
func (d *Dir) candidate(name, lang string) string {
	if strings.HasPrefix(name, "/") {
		if lang == "" {
			return filepath.FromSlash(name)
		}
		dir, file := path.Split(name)
		return filepath.FromSlash(dir + lang + "/" + file)
	}
	return filepath.Join(d.sounds, lang, filepath.FromSlash(name))
}

// rawStream plays a headerless file of µ-law, A-law or 16-bit
// little-endian signed-linear samples.
type rawStream struct {
	f      *os.File
	r      *bufio.Reader
	path   string
	format media.Format
	pad    byte // the encoding's code for silence
	end    error
	buf    [2 * media.FrameSamples]byte
}

func (s *rawStream) Format() media.Format { return s.format }

func (s *rawStream) ReadFrame(f *media.Frame) error {
	if s.f == nil {
		return ErrClosed
	}
	if s.end != nil {
		return s.end
	}
	size := media.FrameSamples * s.format.BytesPerSample()
	n, err := io.ReadFull(s.r, s.buf[:size])
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		s.end = io.EOF
	default:
		s.end = fmt.Errorf("sounds: reading %s: %w", s.path, err)
	}
	// A sample cut by the end of the file is dropped, as Asterisk drops it.
	n -= n % s.format.BytesPerSample()
	if n == 0 {
		return s.end
	}
	for i := n; i < size; i++ {
		s.buf[i] = s.pad
	}
	if err := f.SetVoice(s.format, s.buf[:size]); err != nil {
		return fmt.Errorf("sounds: %s: %w", s.path, err)
	}
	return nil
}

func (s *rawStream) Close() error {
	s.r = nil
	return closeFile(&s.f)
}

// wavStream plays a WAV file through media's reader, which decodes PCM,
// µ-law and A-law WAV to signed linear.
type wavStream struct {
	f    *os.File
	r    *media.WAVReader
	path string
	end  error
	buf  [media.FrameSamples]int16
}

func (s *wavStream) Format() media.Format { return media.SLIN }

func (s *wavStream) ReadFrame(f *media.Frame) error {
	if s.f == nil {
		return ErrClosed
	}
	if s.end != nil {
		return s.end
	}
	// WAVReader.Read fills the buffer unless the audio ends, so a short
	// frame is the last one and the next call reports how the audio ended:
	// io.EOF, or the damage (a truncated data chunk) after what was there.
	n, err := s.r.Read(s.buf[:])
	if n == 0 {
		switch {
		case err == nil || errors.Is(err, io.EOF):
			s.end = io.EOF
		default:
			s.end = fmt.Errorf("sounds: reading %s: %w", s.path, err)
		}
		return s.end
	}
	clear(s.buf[n:])
	if err := f.SetSamples(media.SLIN, s.buf[:]); err != nil {
		return fmt.Errorf("sounds: %s: %w", s.path, err)
	}
	return nil
}

func (s *wavStream) Close() error {
	s.r = nil
	return closeFile(&s.f)
}

// closeFile closes *f once; later calls do nothing, and ReadFrame then
// reports ErrClosed.
func closeFile(f **os.File) error {
	if *f == nil {
		return nil
	}
	err := (*f).Close()
	*f = nil
	if err != nil {
		return fmt.Errorf("sounds: %w", err)
	}
	return nil
}
