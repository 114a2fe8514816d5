package dialplan

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Function is a dialplan function, called as ${NAME(args)} or from an
// expression. Read gets the variables of the channel it runs on (the
// value the caller passed to Substitute, which a channel implementation
// may type-assert to reach more of the channel) and the raw argument
// string, to split with AppArgs as Asterisk's functions do. An error makes
// the reference expand to nothing.
type Function interface {
	Read(vars Vars, args string) (string, error)
}

// ReadFunc adapts a plain function to Function.
type ReadFunc func(vars Vars, args string) (string, error)

// Read calls f.
func (f ReadFunc) Read(vars Vars, args string) (string, error) { return f(vars, args) }

// Writer is implemented by functions that can be assigned to, as in
// Set(CALLERID(num)=100).
type Writer interface {
	Write(vars Vars, args, value string) error
}

// Documented is implemented by functions that describe themselves for
// "core show functions".
type Documented interface {
	Syntax() string
	Synopsis() string
}

// FunctionInfo describes one registered function.
type FunctionInfo struct {
	Name     string
	Syntax   string
	Synopsis string
	Writable bool
}

// Errors of the function registry.
var (
	ErrFunctionExists = errors.New("function already registered")
	ErrNotWritable    = errors.New("function cannot be written to")
	ErrUsage          = errors.New("bad arguments")
)

// Funcs is a registry of dialplan functions, safe for concurrent use.
// Names are case-sensitive, as in Asterisk.
type Funcs struct {
	mu sync.RWMutex
	m  map[string]Function
}

// NewFuncs returns a registry holding the built-in functions that need no
// channel: LEN, ISNULL, EXISTS, IF, IFTIME, CUT, FIELDQTY, FIELDNUM,
// FILTER, TOUPPER, TOLOWER, REGEX, QUOTE, CSV_QUOTE, STRFTIME, PASSTHRU.
// Channel features register theirs (CALLERID, CHANNEL, CDR, ...) with
// RegisterFunction.
func NewFuncs() *Funcs {
	fs := &Funcs{m: make(map[string]Function)}
	for _, b := range builtins() {
		b.fs = fs
		fs.m[b.name] = b
	}
	return fs
}

// RegisterFunction adds a function. Registering a name twice is an error,
// as in Asterisk ("Function %s already registered").
func (fs *Funcs) RegisterFunction(name string, f Function) error {
	if name == "" || f == nil {
		return fmt.Errorf("register function %q: %w", name, ErrUsage)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if _, ok := fs.m[name]; ok {
		return fmt.Errorf("register function %s: %w", name, ErrFunctionExists)
	}
	fs.m[name] = f
	return nil
}

// Function returns the function called name.
func (fs *Funcs) Function(name string) (Function, bool) {
	if fs == nil {
		return nil, false
	}
	fs.mu.RLock()
	f, ok := fs.m[name]
	fs.mu.RUnlock()
	return f, ok
}

// List describes the registered functions in Asterisk's order
// (alphabetical, ignoring case), for "core show functions".
func (fs *Funcs) List() []FunctionInfo {
	fs.mu.RLock()
	out := make([]FunctionInfo, 0, len(fs.m))
	for name, f := range fs.m {
		fi := FunctionInfo{Name: name}
		if d, ok := f.(Documented); ok {
			fi.Syntax, fi.Synopsis = d.Syntax(), d.Synopsis()
		}
		_, fi.Writable = f.(Writer)
		out = append(out, fi)
	}
	fs.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name)
		if a != b {
			return a < b
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Read evaluates call, "NAME(args)", as ${NAME(args)} would.
func (fs *Funcs) Read(vars Vars, call string) (string, error) {
	st := &subst{vars: vars, funcs: fs}
	v, err := st.call(call, 0)
	if err == nil {
		err = st.err
	}
	return v, err
}

// Write assigns value to call, "NAME(args)", as Set(NAME(args)=value)
// does.
func (fs *Funcs) Write(vars Vars, call, value string) error {
	name, args, _ := strings.Cut(call, "(")
	if i := strings.LastIndexByte(args, ')'); i >= 0 {
		args = args[:i]
	}
	f, ok := fs.Function(name)
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoFunction, name)
	}
	w, ok := f.(Writer)
	if !ok {
		return fmt.Errorf("%s: %w", name, ErrNotWritable)
	}
	return w.Write(vars, args, value)
}

// builtin is a function implemented here. Its read gets the substitution
// it runs in, so that functions which substitute (CUT reads ${varname})
// count towards the nesting limit and report into the same error.
type builtin struct {
	name, syntax, synopsis string
	read                   func(st *subst, args string, depth int) (string, error)
	fs                     *Funcs // the registry it belongs to
}

func (b *builtin) Read(vars Vars, args string) (string, error) {
	st := &subst{vars: vars, funcs: b.fs}
	v, err := b.read(st, args, 0)
	if err == nil {
		err = st.err
	}
	return v, err
}

func (b *builtin) Syntax() string   { return b.syntax }
func (b *builtin) Synopsis() string { return b.synopsis }

func usage(syntax string) error { return fmt.Errorf("%w, usage: %s", ErrUsage, syntax) }

func builtins() []*builtin {
	return []*builtin{
		{name: "LEN", syntax: "LEN(string)", synopsis: "Return the length of the string given.",
			read: func(_ *subst, args string, _ int) (string, error) {
				return strconv.Itoa(len(args)), nil
			}},
		{name: "ISNULL", syntax: "ISNULL(data)", synopsis: "Check if a value is NULL.",
			read: func(_ *subst, args string, _ int) (string, error) {
				if args == "" {
					return "1", nil
				}
				return "0", nil
			}},
		{name: "EXISTS", syntax: "EXISTS(data)", synopsis: "Test the existence of a value.",
			read: func(_ *subst, args string, _ int) (string, error) {
				if args == "" {
					return "0", nil
				}
				return "1", nil
			}},
		{name: "IF", syntax: "IF(expression?[true][:false])", synopsis: "Check for an expression.", read: readIf},
		{name: "IFTIME", syntax: "IFTIME(timespec?[true][:false])", synopsis: "Temporal Conditional.", read: readIfTime},
		{name: "CUT", syntax: "CUT(varname,char-delim,range-spec)", synopsis: "Slices and dices strings, based upon a named delimiter.", read: readCut},
		{name: "FIELDQTY", syntax: "FIELDQTY(varname,delim)", synopsis: "Count the fields with an arbitrary delimiter", read: readFieldQty},
		{name: "FIELDNUM", syntax: "FIELDNUM(varname,delim,value)", synopsis: "Return the 1-based offset of a field in a list", read: readFieldNum},
		{name: "FILTER", syntax: "FILTER(allowed-chars,string)", synopsis: "Filter the string to include only the allowed characters", read: readFilter},
		{name: "TOUPPER", syntax: "TOUPPER(string)", synopsis: "Convert string to all uppercase letters.",
			read: func(_ *subst, args string, _ int) (string, error) { return asciiMap(args, 'a', 'z', 'A'-'a'), nil }},
		{name: "TOLOWER", syntax: "TOLOWER(string)", synopsis: "Convert string to all lowercase letters.",
			read: func(_ *subst, args string, _ int) (string, error) { return asciiMap(args, 'A', 'Z', 'a'-'A'), nil }},
		{name: "REGEX", syntax: "REGEX(\"regular expression\" string)", synopsis: "Check string against a regular expression.", read: readRegex},
		{name: "QUOTE", syntax: "QUOTE(string)", synopsis: "Quotes a given string, escaping embedded quotes as necessary", read: readQuote},
		{name: "CSV_QUOTE", syntax: "CSV_QUOTE(string)", synopsis: "Quotes a given string for use in a CSV file, escaping embedded quotes as necessary", read: readCSVQuote},
		{name: "STRFTIME", syntax: "STRFTIME([epoch][,timezone[,format]])", synopsis: "Returns the current date/time in the specified format.", read: readStrftime},
		{name: "PASSTHRU", syntax: "PASSTHRU([string])", synopsis: "Pass the given argument back as a value.",
			read: func(_ *subst, args string, _ int) (string, error) { return args, nil }},
	}
}

// asciiMap shifts the bytes in [lo, hi] by d (toupper/tolower in the C
// locale).
func asciiMap(s string, lo, hi byte, d int) string {
	b := []byte(s)
	for i, c := range b {
		if c >= lo && c <= hi {
			b[i] = byte(int(c) + d)
		}
	}
	return string(b)
}

// stripQuoted is ast_strip_quoted(s, "\"", "\""): blanks, then one pair of
// enclosing double quotes.
func stripQuoted(s string) string {
	s = trimC(s)
	if len(s) >= 1 && s[0] == '"' && s[len(s)-1] == '"' {
		if len(s) == 1 {
			return ""
		}
		return s[1 : len(s)-1]
	}
	return s
}

// trimC is ast_strip: C isspace blanks at both ends.
func trimC(s string) string { return strings.Trim(s, " \t\n\v\f\r") }

// readIf is IF(expr?[true][:false]): the condition is tested as GotoIf
// tests it (CheckCondition).
func readIf(_ *subst, args string, _ int) (string, error) {
	a := SplitArgs(args, '?', 2)
	var expr string
	var branches []string
	if len(a) > 0 {
		expr = a[0]
	}
	if len(a) > 1 {
		branches = SplitArgs(a[1], ':', 2)
	}
	if expr == "" || len(branches) == 0 {
		return "", usage("IF(<expr>?[<true>][:<false>])")
	}
	iftrue, iffalse := trimC(branches[0]), ""
	if len(branches) > 1 {
		iffalse = trimC(branches[1])
	}
	if CheckCondition(trimC(expr)) {
		return iftrue, nil
	}
	return iffalse, nil
}

// now is the clock of IFTIME and of include time conditions; tests
// replace it.
var now = time.Now

func readIfTime(_ *subst, args string, _ int) (string, error) {
	data := stripQuoted(args)
	spec, rest, ok := strings.Cut(data, "?")
	if spec == "" || !ok {
		return "", usage("IFTIME(<timespec>?[<true>][:<false>])")
	}
	iftrue, iffalse, hasFalse := strings.Cut(rest, ":")
	t, _ := ParseTiming(spec)
	iftrue = stripQuoted(iftrue)
	if hasFalse {
		iffalse = stripQuoted(iffalse)
	}
	if t.Matches(now()) {
		return iftrue, nil
	}
	return iffalse, nil
}

// valueOf reads the variable (or function) named by a CUT-style varname
// argument, as those functions do: by substituting "${varname}".
func valueOf(st *subst, varname string, depth int) string {
	return st.run("${"+varname+"}", MaxValueLen, depth+1)
}

// encodedChar is ast_get_encoded_char: one character of s, with \n, \r, \t,
// \xHH, \0ooo and \c escapes. It returns the character, the bytes used,
// and false for an empty string or a bad hex escape.
func encodedChar(s string) (byte, int, bool) {
	if s == "" {
		return 0, 0, false
	}
	if s[0] != '\\' {
		return s[0], 1, true
	}
	if len(s) < 2 {
		return 0, 1, true
	}
	switch s[1] {
	case 'n':
		return '\n', 2, true
	case 'r':
		return '\r', 2, true
	case 't':
		return '\t', 2, true
	case 'x':
		v, n := 0, 2
		for n < len(s) && n < 4 {
			d := hexVal(s[n])
			if d < 0 {
				break
			}
			v = v<<4 | d
			n++
		}
		if n == 2 {
			return 0, 2, false
		}
		return byte(v), n, true
	case '0':
		v, n := 0, 2
		for n < len(s) && s[n] >= '0' && s[n] <= '7' {
			v = v<<3 | int(s[n]-'0')
			n++
		}
		return byte(v), n, true
	}
	return s[1], 2, true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// encodedString is ast_get_encoded_str.
func encodedString(s string) string {
	var b strings.Builder
	for s != "" {
		c, n, ok := encodedChar(s)
		if !ok || n == 0 {
			break
		}
		b.WriteByte(c)
		s = s[min(n, len(s)):]
	}
	return b.String()
}

// readCut is CUT(varname,char-delim,range-spec): fields of a variable's
// value, e.g. CUT(NUM,-,2-3&5).
func readCut(st *subst, args string, depth int) (string, error) {
	a := AppArgs(args)
	if len(a) < 3 {
		return "", usage("CUT(<varname>,<char-delim>,<range-spec>)")
	}
	value := valueOf(st, a[0], depth)
	delim := byte('-')
	if c, _, ok := encodedChar(a[1]); ok {
		delim = c
	}
	if value == "" {
		return "", nil
	}
	fields := strings.Split(value, string([]byte{delim}))
	var out []string
	cur := 1 // the next field to read, 1-based
	for _, spec := range strings.Split(a[2], "&") {
		if cur > len(fields) {
			break // Asterisk stops reading ranges once the fields run out
		}
		from, to, ok := fieldRange(spec)
		if !ok {
			return "", usage("CUT(<varname>,<char-delim>,<range-spec>)")
		}
		cur = max(cur, from)
		for ; cur <= to && cur <= len(fields); cur++ {
			out = append(out, fields[cur-1])
		}
	}
	return strings.Join(out, string([]byte{delim})), nil
}

// fieldRange reads one CUT range as Asterisk tries the forms in turn:
// "n-m", "-m" (from 1), "n-" (to the end), "n".
func fieldRange(spec string) (from, to int, ok bool) {
	if a, n, ok := scanCInt(spec); ok && n < len(spec) && spec[n] == '-' {
		if b, _, ok := scanCInt(spec[n+1:]); ok {
			return a, b, true
		}
	}
	if strings.HasPrefix(spec, "-") {
		if b, _, ok := scanCInt(spec[1:]); ok {
			return 1, b, true
		}
	}
	if a, n, ok := scanCInt(spec); ok {
		if n < len(spec) && spec[n] == '-' {
			return a, math.MaxInt32, true
		}
		return a, a, true
	}
	return 0, 0, false
}

// fieldSplit is strsep over a set of delimiter characters.
func fieldSplit(s, delims string) []string {
	var out []string
	for {
		i := strings.IndexAny(s, delims)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

func readFieldQty(st *subst, args string, depth int) (string, error) {
	a := AppArgs(args)
	if len(a) < 2 {
		return "1", nil
	}
	delims := encodedString(a[1])
	value := valueOf(st, a[0], depth)
	if value == "" {
		return "0", nil
	}
	if delims == "" {
		return "1", nil
	}
	return strconv.Itoa(len(fieldSplit(value, delims))), nil
}

func readFieldNum(st *subst, args string, depth int) (string, error) {
	a := AppArgs(args)
	if len(a) < 3 {
		return "", usage("FIELDNUM(<listname>,<delimiter>,<fieldvalue>)")
	}
	delims := encodedString(a[1])
	value := valueOf(st, a[0], depth)
	if value == "" || delims == "" {
		return "0", nil
	}
	for i, f := range fieldSplit(value, delims) {
		if strings.EqualFold(f, a[2]) {
			return strconv.Itoa(i + 1), nil
		}
	}
	return "0", nil
}

// readFilter is FILTER(allowed-chars,string); allowed characters may be
// ranges ("0-9") and escapes ("\x20").
func readFilter(_ *subst, args string, _ int) (string, error) {
	a := SplitArgsRaw(args, ',', 2)
	if len(a) < 2 {
		return "", usage("FILTER(<allowed-chars>,<string>)")
	}
	var allowed [256]bool
	spec := a[0]
	for spec != "" {
		c1, n, ok := encodedChar(spec)
		if !ok {
			return "", usage("FILTER(<allowed-chars>,<string>)")
		}
		spec = spec[min(n, len(spec)):]
		if strings.HasPrefix(spec, "-") {
			c2, n2, ok := encodedChar(spec[1:])
			if !ok {
				c2 = c1
			}
			spec = spec[min(1+n2, len(spec)):]
			for c := c1; ; c++ {
				allowed[c] = true
				if c == c2 {
					break
				}
			}
			continue
		}
		allowed[c1] = true
	}
	b := make([]byte, 0, len(a[1]))
	for i := 0; i < len(a[1]); i++ {
		if c := a[1][i]; c != 0 && allowed[c] {
			b = append(b, c)
		}
	}
	return string(b), nil
}

// readRegex is REGEX("regex" string): "1" when string matches.
func readRegex(_ *subst, args string, _ int) (string, error) {
	a := SplitArgs(args, '"', 3)
	if len(a) != 3 {
		return "", usage("REGEX(\"<regex>\" <string>)")
	}
	str := a[2]
	if strings.HasPrefix(str, " ") || strings.HasPrefix(str, "\t") {
		str = str[1:]
	}
	re, err := compileERE(a[1])
	if err != nil {
		return "", fmt.Errorf("malformed regular expression %q: %w", a[1], err)
	}
	if re.MatchString(str) {
		return "1", nil
	}
	return "0", nil
}

func readQuote(_ *subst, args string, _ int) (string, error) {
	if args == "" {
		return `""`, nil
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(args); i++ {
		switch c := args[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

func readCSVQuote(_ *subst, args string, _ int) (string, error) {
	if args == "" {
		return `""`, nil
	}
	return `"` + strings.ReplaceAll(args, `"`, `""`) + `"`, nil
}

// epochRE is what ast_get_timeval accepts: seconds and an optional
// fraction.
var epochRE = regexp.MustCompile(`^\s*(-?\d+)(?:\.(\d+))?`)

// readStrftime is STRFTIME([epoch][,timezone[,format]]).
func readStrftime(_ *subst, args string, _ int) (string, error) {
	a := AppArgs(args)
	get := func(i int) (string, bool) {
		if i < len(a) {
			return a[i], true
		}
		return "", false
	}
	when := now()
	if e, _ := get(0); e != "" {
		if m := epochRE.FindStringSubmatch(e); m != nil {
			sec, err := strconv.ParseInt(m[1], 10, 64)
			if err == nil {
				usec := int64(0)
				if frac := m[2]; frac != "" {
					frac = (frac + "000000")[:6]
					usec, _ = strconv.ParseInt(frac, 10, 64)
				}
				when = time.Unix(sec, usec*1000)
			}
		}
	}
	if tz, _ := get(1); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			when = when.In(loc)
		}
	} else {
		when = when.Local()
	}
	format, ok := get(2)
	if !ok {
		format = "%c"
	}
	return strftime(format, when), nil
}
