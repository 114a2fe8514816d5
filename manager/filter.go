package manager

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// Errors from [ParseFilter]. Use [FilterErrorMessage] to turn them into the
// Message of a Filter action's error response.
var (
	ErrFilterFormat  = errors.New("filter was formatted incorrectly")
	ErrFilterCompile = errors.New("filter did not compile")
)

// FilterErrorMessage returns the Message Asterisk's Filter action answers
// with when adding the filter failed with err.
func FilterErrorMessage(err error) string {
	switch {
	case errors.Is(err, ErrFilterCompile):
		return "Filter did not compile.  Check the syntax of the filter given."
	case errors.Is(err, ErrFilterFormat):
		return "Filter was formatted incorrectly.  Check the syntax of the filter given."
	}
	return "Internal Error. Failed adding filter."
}

// MatchMethod is how a filter compares its pattern with the event text or
// a header value.
type MatchMethod uint8

// The match methods of Asterisk 20's advanced filters.
const (
	MatchRegex MatchMethod = iota
	MatchExact
	MatchStartsWith
	MatchEndsWith
	MatchContains
	MatchNone // no pattern: the name (and header presence) alone decide
)

var matchMethodNames = [...]string{
	MatchRegex:      "regex",
	MatchExact:      "exact",
	MatchStartsWith: "starts_with",
	MatchEndsWith:   "ends_with",
	MatchContains:   "contains",
	MatchNone:       "none",
}

func (m MatchMethod) String() string {
	if int(m) < len(matchMethodNames) {
		return matchMethodNames[m]
	}
	return fmt.Sprintf("MatchMethod(%d)", m)
}

// Filter is one event filter: an eventfilter line of manager.conf or a
// filter added by the Filter action. Make one with [ParseFilter].
type Filter struct {
	exclude bool
	legacy  bool
	name    string // event name; "" = any
	header  string // header name, no colon; "" = the whole event text
	method  MatchMethod
	pattern string
	pat     []byte         // pattern, for the text methods
	re      *regexp.Regexp // for MatchRegex
}

// ParseFilter parses a filter as manager.conf and the Filter action write
// it (Asterisk's manager_add_filter). key is "eventfilter" for a legacy
// filter, or "eventfilter(options)" for an advanced one; the Filter action
// builds it as "eventfilter(" + MatchCriteria + ")" when MatchCriteria is
// given. value is the pattern; a leading '!' makes the filter an exclude
// unless an action() option says otherwise.
//
// The options, in any order, separated by commas: action(include|exclude),
// name(EventName), header(HeaderName), method(regex|exact|starts_with|
// ends_with|contains|none). An advanced filter defaults to method none,
// which needs an empty pattern and a name or header; the other methods need
// a pattern. A legacy filter is a regular expression over the whole event
// text.
//
// Asterisk compiles POSIX extended expressions; these are Go (RE2)
// expressions, compiled so that '.' also matches a line break as it does in
// POSIX. Both search anywhere in the text unless anchored, and "^" and "$"
// anchor to the whole text.
//
// The error wraps [ErrFilterFormat] or [ErrFilterCompile].
func ParseFilter(key, value string) (Filter, error) {
	formatErr := func(format string, args ...any) (Filter, error) {
		return Filter{}, fmt.Errorf("%w: %q = %q: %s", ErrFilterFormat, key, value, fmt.Sprintf(format, args...))
	}
	const prefix = "eventfilter"
	if len(key) < len(prefix) || !strings.EqualFold(key[:len(prefix)], prefix) {
		return formatErr("not an eventfilter")
	}
	f := Filter{method: MatchRegex, legacy: true}
	pattern := value
	if strings.HasPrefix(pattern, "!") {
		f.exclude = true
		pattern = pattern[1:]
	}
	open := strings.IndexByte(key, '(')
	if open < 0 && pattern == "" {
		return formatErr("legacy filter with no pattern")
	}
	if open >= 0 {
		f.legacy = false
		f.method = MatchNone
		opts := strings.TrimSpace(key[open+1:])
		if opts == "" || !strings.HasSuffix(opts, ")") {
			return formatErr("options not formatted correctly")
		}
		var haveAction, haveName, haveHeader, haveMethod bool
		for _, opt := range strings.FieldsFunc(opts, func(r rune) bool { return r == ' ' || r == ',' || r == ')' }) {
			_, arg, hasArg := strings.Cut(opt, "(")
			arg = strings.TrimSpace(arg)
			switch {
			case strings.HasPrefix(opt, "action"):
				switch {
				case !hasArg:
					return formatErr("'action' not formatted correctly")
				case arg == "include":
					f.exclude = false
				case arg == "exclude":
					f.exclude = true
				default:
					return formatErr("'action' option %q is unknown", arg)
				}
				haveAction = true
			case strings.HasPrefix(opt, "name"):
				if arg == "" {
					return formatErr("'name' not formatted correctly")
				}
				f.name = arg
				haveName = true
			case strings.HasPrefix(opt, "header"):
				// Asterisk matches "Header:" at the start of a line;
				// a colon given here is the same colon.
				f.header = strings.TrimSuffix(arg, ":")
				if f.header == "" {
					return formatErr("'header' not formatted correctly")
				}
				haveHeader = true
			case strings.HasPrefix(opt, "method"):
				if arg == "" {
					return formatErr("'method' not formatted correctly")
				}
				m, ok := parseMatchMethod(arg)
				if !ok {
					return formatErr("'method' option %q is unknown", arg)
				}
				f.method = m
				haveMethod = true
			default:
				return formatErr("option %q is unknown", opt)
			}
		}
		switch {
		case !haveAction && !haveName && !haveHeader && !haveMethod:
			return formatErr("no action, name, header or method option")
		case pattern == "" && f.method != MatchNone:
			return formatErr("method can't be %q with no pattern", f.method)
		case pattern != "" && f.method == MatchNone:
			return formatErr("method can't be \"none\" with a pattern")
		case !haveName && !haveHeader && f.method == MatchNone:
			return formatErr("no name or header and no pattern")
		}
	}
	f.pattern = pattern
	if pattern != "" {
		if f.method == MatchRegex {
			re, err := regexp.Compile("(?s)" + pattern)
			if err != nil {
				return Filter{}, fmt.Errorf("%w: %q: %w", ErrFilterCompile, pattern, err)
			}
			f.re = re
		} else {
			f.pat = []byte(pattern)
		}
	}
	return f, nil
}

func parseMatchMethod(s string) (MatchMethod, bool) {
	for m, name := range matchMethodNames {
		if name == s {
			return MatchMethod(m), true
		}
	}
	return 0, false
}

// Exclude reports whether events the filter matches are to be dropped.
func (f Filter) Exclude() bool { return f.exclude }

// String renders the filter as a manager.conf line.
func (f Filter) String() string {
	if f.legacy {
		if f.exclude {
			return "eventfilter = !" + f.pattern
		}
		return "eventfilter = " + f.pattern
	}
	var b strings.Builder
	b.WriteString("eventfilter(action(")
	if f.exclude {
		b.WriteString("exclude")
	} else {
		b.WriteString("include")
	}
	b.WriteString(")")
	if f.name != "" {
		b.WriteString(",name(" + f.name + ")")
	}
	if f.header != "" {
		b.WriteString(",header(" + f.header + ")")
	}
	b.WriteString(",method(" + f.method.String() + ")) = " + f.pattern)
	return b.String()
}

// match reports whether ev matches the filter (filter_cmp_fn). Name-only
// filters never look at the text; header filters look at the event name
// ("Event") and at the body headers, not at the headers the manager adds
// when rendering (Privilege, Timestamp, SystemName).
func (f *Filter) match(ev *Event) bool {
	if f.name != "" && f.name != ev.Name {
		return false
	}
	if f.header == "" {
		if f.method == MatchNone {
			return true
		}
		return f.matchBytes(ev.Text())
	}
	// As in Asterisk, the header name is compared with its case, blanks
	// after the colon are skipped, an empty value never matches, and any
	// one of several headers of that name may match.
	if f.header == "Event" && f.matchValue(ev.Name) {
		return true
	}
	for i := range ev.Headers {
		if ev.Headers[i].Key == f.header && f.matchValue(ev.Headers[i].Value) {
			return true
		}
	}
	return false
}

func (f *Filter) matchValue(v string) bool {
	v = strings.TrimLeft(v, " \t")
	if v == "" {
		return false
	}
	switch f.method {
	case MatchRegex:
		return f.re.MatchString(v)
	case MatchExact:
		return v == f.pattern
	case MatchStartsWith:
		return strings.HasPrefix(v, f.pattern)
	case MatchEndsWith:
		return strings.HasSuffix(v, f.pattern)
	case MatchContains:
		return strings.Contains(v, f.pattern)
	}
	return true // MatchNone
}

func (f *Filter) matchBytes(text []byte) bool {
	switch f.method {
	case MatchRegex:
		return f.re.Match(text)
	case MatchExact:
		return bytes.Equal(text, f.pat)
	case MatchStartsWith:
		return bytes.HasPrefix(text, f.pat)
	case MatchEndsWith:
		return bytes.HasSuffix(text, f.pat)
	case MatchContains:
		return bytes.Contains(text, f.pat)
	}
	return true // MatchNone
}

// FilterSet is the event filters of a user or a session. A nil or empty
// set passes every event. Otherwise, as Asterisk's should_send_event: with
// include filters only, an event must match one of them; with exclude
// filters only, it must match none; with both, it must match an include
// and no exclude.
//
// Match may run concurrently with Add: the lists are replaced, never
// changed in place, so Match takes no lock and does not allocate.
type FilterSet struct {
	mu    sync.Mutex // serialises writers
	lists atomic.Pointer[filterLists]
}

type filterLists struct {
	include, exclude []Filter
}

// Add adds f to the set. A Filter that did not come from [ParseFilter]
// (the zero Filter) is ignored.
func (s *FilterSet) Add(f Filter) {
	if f.method == MatchRegex && f.re == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var next filterLists
	if cur := s.lists.Load(); cur != nil {
		next = *cur
	}
	// Full slice expressions force a copy, so that a concurrent Match
	// keeps seeing the old lists unchanged.
	if f.exclude {
		next.exclude = append(next.exclude[:len(next.exclude):len(next.exclude)], f)
	} else {
		next.include = append(next.include[:len(next.include):len(next.include)], f)
	}
	s.lists.Store(&next)
}

// load returns the current lists, or nil when s is nil or empty.
func (s *FilterSet) load() *filterLists {
	if s == nil {
		return nil
	}
	return s.lists.Load()
}

// Len returns how many filters the set holds.
func (s *FilterSet) Len() int {
	l := s.load()
	if l == nil {
		return 0
	}
	return len(l.include) + len(l.exclude)
}

// Filters returns the filters, includes first, each group in the order
// added.
func (s *FilterSet) Filters() []Filter {
	l := s.load()
	if l == nil {
		return nil
	}
	return append(append([]Filter(nil), l.include...), l.exclude...)
}

// Clone returns an independent copy of s, so that a session can add
// filters to the set it got from its user. Cloning nil gives an empty set.
func (s *FilterSet) Clone() *FilterSet {
	c := &FilterSet{}
	if l := s.load(); l != nil {
		cp := *l // the slices are never changed in place, so sharing is safe
		c.lists.Store(&cp)
	}
	return c
}

// Match reports whether ev passes the filters.
func (s *FilterSet) Match(ev *Event) bool {
	l := s.load()
	if l == nil {
		return true
	}
	if len(l.include) > 0 && !anyMatch(l.include, ev) {
		return false
	}
	return !anyMatch(l.exclude, ev)
}

func anyMatch(fs []Filter, ev *Event) bool {
	for i := range fs {
		if fs[i].match(ev) {
			return true
		}
	}
	return false
}
