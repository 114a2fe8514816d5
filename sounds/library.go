package sounds

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/asterism-pbx/asterism/media"
)

// DefaultLanguage is the language tried last, as Asterisk's
// DEFAULT_LANGUAGE: a French channel still hears English prompts rather
// than nothing.
const DefaultLanguage = "en"

var (
	// ErrNotFound reports a sound that exists in no language and no
	// format, or whose name is not allowed (a ".." segment, a NUL byte).
	// It matches fs.ErrNotExist too.
	ErrNotFound = fmt.Errorf("sounds: not found: %w", fs.ErrNotExist)

	// ErrClosed reports use of a Stream after Close.
	ErrClosed = fmt.Errorf("sounds: stream: %w", os.ErrClosed)
)

// Library finds sounds by name and language.
//
// The name is what the dialplan writes, without extension: "vm-intro",
// "digits/1", or an absolute path. The language is the channel's
// (CHANNEL(language)), possibly empty. Open returns an error matching
// [ErrNotFound] when there is no such sound; any other error means the
// sound exists but cannot be played.
type Library interface {
	Open(name, lang string) (Stream, error)
	Exists(name, lang string) bool
}

// Stream delivers a sound as voice frames.
type Stream interface {
	// ReadFrame makes f the next 20 ms of the sound: a voice frame of
	// exactly media.FrameSamples samples in the stream's Format, the last
	// one padded with silence. After the last frame it returns io.EOF and
	// leaves f unchanged; any other error means the file is damaged after
	// the frames already delivered.
	ReadFrame(f *media.Frame) error

	// Format is the encoding of the frames: the file's own (µ-law for a
	// .ulaw file, signed linear for .sln and .wav), so that a channel
	// in that format plays it without translation.
	Format() media.Format

	// Close releases the file. It may be called more than once.
	Close() error
}

// Layers is a Library that looks a sound up in each of its libraries in
// turn and opens the first that has it, each with the full language
// fallback; for example Layers{NewDir(datadir), Embedded()} plays the
// installed English "digits/1" rather than the generated tone, and the
// tone where no sounds are installed. Nil entries are skipped.
type Layers []Library

// Open opens name from the first library that has it. A library that has
// the sound but fails to open it ends the search with its error: a broken
// prompt is reported rather than silently replaced.
func (ls Layers) Open(name, lang string) (Stream, error) {
	for _, l := range ls {
		if l == nil {
			continue
		}
		s, err := l.Open(name, lang)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	return nil, notFound(name, lang)
}

// Exists reports whether any of the libraries has name.
func (ls Layers) Exists(name, lang string) bool {
	for _, l := range ls {
		if l != nil && l.Exists(name, lang) {
			return true
		}
	}
	return false
}

func notFound(name, lang string) error {
	return fmt.Errorf("sounds: %q (language %q): %w", name, lang, ErrNotFound)
}

func unsafeName(name string) error {
	return fmt.Errorf("sounds: %q: name not allowed: %w", name, ErrNotFound)
}

// validName reports whether a name may be looked up: a ".." segment could
// climb out of the sounds directory, and a NUL byte would be cut by the
// system call (Go refuses it; C would silently open a shorter name).
func validName(name string) bool {
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return false
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == ".." {
			return false
		}
	}
	return true
}

// validLanguage reports whether lang can be used as a directory name. The
// language is set from the dialplan (CHANNEL(language)=…) and so may come
// from a caller; one that is not a single plain path element is ignored,
// as if the channel had none.
func validLanguage(lang string) bool {
	return lang != "." && lang != ".." && !strings.ContainsAny(lang, "/\x00")
}

// languages returns the language directories to try, in Asterisk's order
// (file.c, fileexists_core): the channel's language, then that language
// with each "_dialect" suffix removed in turn (fr_CA → fr), then no
// language (the sounds root), then DefaultLanguage unless already tried.
// "" stands for the root. The result lives in buf.
func languages(buf []string, lang string) []string {
	out := buf[:0]
	if !validLanguage(lang) {
		lang = ""
	}
	last := lang
	for lang != "" {
		out = append(out, lang)
		last = lang
		i := strings.LastIndexByte(lang, '_')
		if i < 0 {
			break
		}
		lang = lang[:i]
	}
	out = append(out, "")
	if last != DefaultLanguage {
		out = append(out, DefaultLanguage)
	}
	return out
}
