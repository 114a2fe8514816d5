// Package conf reads Asterisk-style configuration files (manager.conf,
// extensions.conf, voicemail.conf, queues.conf, iax.conf, sip.conf, ...):
// sections, templates and inheritance, "key = value" and "key => value"
// entries, comments, and #include directives, with the semantics of
// Asterisk's main/config.c. It knows nothing of any one file; the packages
// that own a file give meaning to its sections and keys.
//
// Every section and entry records the file and line it came from, so that
// callers can point at the offending line. Problems that Asterisk only warns
// about (a line with no "=", an unknown directive, a line too long) are
// collected in [File.Warnings]; problems that make Asterisk reject the whole
// file (an entry before any section, inheritance from a section that does not
// exist, a missing #include) are returned as an [*Error].
package conf

import (
	"fmt"
	"strings"
)

// Limits, as in Asterisk's main/config.c.
const (
	// MaxIncludeDepth is how deeply files may be nested: the file given to
	// [Load] is depth 1 (MAX_INCLUDE_LEVEL).
	MaxIncludeDepth = 10

	// MaxLineLength is the longest line, newline excluded, that is read;
	// longer lines are skipped with a warning (Asterisk's 8192-byte fgets
	// buffer).
	MaxLineLength = 8190

	// maxCommentNesting bounds nested ";-- --;" block comments
	// (MAX_NESTED_COMMENTS).
	maxCommentNesting = 128

	// maxGlobPatterns bounds the patterns one {a,b} brace expansion may
	// produce, so that a hostile #include cannot blow up.
	maxGlobPatterns = 1024
)

// File is the parsed result of a configuration file and everything it
// includes.
type File struct {
	// Sections are the real sections in file order, templates excluded.
	// Sections that share a name are kept apart, in order (extensions.conf
	// relies on that).
	Sections []*Section

	// Templates are the sections declared with "(!)", in file order. They
	// are only there to be inherited from, and callers that iterate over
	// Sections never see them.
	Templates []*Section

	// Warnings are the problems Asterisk logs and then ignores.
	Warnings []Warning

	// Files lists every file read, in the order it was opened.
	Files []string

	// Dir is the directory relative #include paths were resolved against.
	// Callers use it to find companion files (manager.conf's acl= names
	// sections of acl.conf in the same directory).
	Dir string
}

// Section is one "[name]" block.
type Section struct {
	Name string

	// Template is set for "[name](!)": a section to inherit from, not to use.
	Template bool

	// Bases names the sections inherited from, in header order.
	Bases []string

	// Entries are the inherited entries first, in base order, then the
	// section's own, then any appended by a later "[name](+)".
	Entries []Entry

	File string
	Line int
}

// Entry is one "key = value" or "key => value" line.
type Entry struct {
	Key   string
	Value string

	// Object is set when the line used "=>" (extensions.conf's
	// "exten => ...", voicemail.conf's mailboxes).
	Object bool

	// Inherited is set for entries copied from a base section; File and
	// Line still point at the line in the base.
	Inherited bool

	File string
	Line int
}

// Warning is a problem Asterisk reports and then ignores.
type Warning struct {
	File string
	Line int
	Msg  string
}

func (w Warning) String() string {
	return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
}

// Error is a problem that makes the whole configuration invalid, with the
// file and line where it was found.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Section returns the first real section called name, or nil. Names are
// compared without regard to case, as Asterisk's ast_category_get does.
func (f *File) Section(name string) *Section {
	for _, s := range f.Sections {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// SectionsNamed returns every real section called name, in file order.
func (f *File) SectionsNamed(name string) []*Section {
	var out []*Section
	for _, s := range f.Sections {
		if strings.EqualFold(s.Name, name) {
			out = append(out, s)
		}
	}
	return out
}

// Template returns the first template called name, or nil.
func (f *File) Template(name string) *Section {
	for _, s := range f.Templates {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// Get returns the value of the first entry whose key is key, compared
// without regard to case (ast_variable_retrieve).
func (s *Section) Get(key string) (string, bool) {
	for _, e := range s.Entries {
		if strings.EqualFold(e.Key, key) {
			return e.Value, true
		}
	}
	return "", false
}

// Values returns the values of every entry whose key is key, in order.
func (s *Section) Values(key string) []string {
	var out []string
	for _, e := range s.Entries {
		if strings.EqualFold(e.Key, key) {
			out = append(out, e.Value)
		}
	}
	return out
}
