package dialplan

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Vars is what substitution needs from a channel: its variables. Get
// returns a variable's value; a channel implementation answers for its own
// variables, the built-in ones (EXTEN, CONTEXT, CHANNEL, UNIQUEID, ...) and
// the globals, in the order Asterisk does. Since Asterisk 12 names are
// case-sensitive.
//
// Functions receive the same value, so a channel type can offer more (its
// caller ID, its CDR) to the functions that know it through a type
// assertion.
type Vars interface {
	Get(name string) (string, bool)
}

// MapVars is a Vars over a map, for tests and for evaluation without a
// channel.
type MapVars map[string]string

// Get returns m[name].
func (m MapVars) Get(name string) (string, bool) {
	v, ok := m[name]
	return v, ok
}

// Limits of substitution. Asterisk substitutes application data into
// fixed buffers and silently truncates what does not fit; Asterism keeps
// the same sizes, so that the same dialplan gives the same data, and so
// that no input (a huge ${X:0:999999999}, a deep ${${${...}}}) can make it
// allocate without bound.
const (
	// MaxDataLen is the longest result of Substitute: application data
	// (EXT_DATA_SIZE - 1).
	MaxDataLen = 8191

	// MaxValueLen is the longest value of one variable, function result,
	// nested name or expression text (VAR_BUF_SIZE - 1).
	MaxValueLen = 4095

	// MaxSubstDepth is how deeply ${...} and $[...] may nest, counting
	// the substitutions functions such as CUT do. Asterisk has no such
	// limit but its stack; real dialplans nest a handful of levels.
	MaxSubstDepth = 64
)

// Errors reported by Substitute and Expr. The string they return alongside
// is still the result Asterisk would have used, so callers usually log the
// error and go on.
var (
	// ErrTruncated: the result (or a value within it) was longer than the
	// limits above and was cut, as Asterisk cuts it.
	ErrTruncated = errors.New("substitution result truncated")

	// ErrTooDeep: ${...} or $[...] nested deeper than MaxSubstDepth; the
	// innermost part was taken as empty.
	ErrTooDeep = errors.New("substitution nested too deeply")

	// ErrNoFunction: a ${FUNC(...)} names no registered function; it
	// expands to nothing.
	ErrNoFunction = errors.New("function not registered")

	// ErrSyntax: a $[...] expression is malformed; it evaluates to "0".
	ErrSyntax = errors.New("expression syntax error")
)

// Substitute expands ${VAR}, ${VAR:offset:length}, ${FUNC(args)} and
// $[expression] in s as Asterisk does when it runs a priority
// (pbx_substitute_variables_helper): nested references are expanded from
// the inside out, an unknown variable is empty, a failing function
// expands to nothing, and the result is at most MaxDataLen bytes. vars or
// funcs may be nil.
//
// The returned string is always the expansion; err reports the first
// problem met (a function's error, an unknown function, a malformed
// expression, truncation), for logging.
func Substitute(s string, vars Vars, funcs *Funcs) (string, error) {
	return SubstituteLimit(s, vars, funcs, MaxDataLen)
}

// SubstituteLimit is Substitute with another bound on the result's length
// (at least 1).
func SubstituteLimit(s string, vars Vars, funcs *Funcs, limit int) (string, error) {
	limit = max(limit, 1)
	if len(s) <= limit && strings.IndexByte(s, '$') < 0 {
		return s, nil // nothing to expand
	}
	st := &subst{vars: vars, funcs: funcs}
	out := st.run(s, limit, 0)
	return out, st.err
}

// subst is one substitution: what it reads from, and the first error.
type subst struct {
	vars  Vars
	funcs *Funcs
	err   error
}

func (st *subst) note(err error) {
	if st.err == nil && err != nil {
		st.err = err
	}
}

func (st *subst) get(name string) string {
	if st.vars == nil {
		return ""
	}
	v, _ := st.vars.Get(name)
	return v
}

// appendMax appends s to b without letting b exceed limit bytes.
func (st *subst) appendMax(b []byte, s string, limit int) []byte {
	if room := limit - len(b); len(s) > room {
		st.note(ErrTruncated)
		s = s[:max(room, 0)]
	}
	return append(b, s...)
}

// capValue cuts a value to MaxValueLen, as Asterisk's workspace does.
func (st *subst) capValue(s string) string {
	if len(s) > MaxValueLen {
		st.note(ErrTruncated)
		return s[:MaxValueLen]
	}
	return s
}

// run is pbx_substitute_variables_helper_full: it expands s into at most
// limit bytes, depth levels deep.
func (st *subst) run(s string, limit, depth int) string {
	if depth > MaxSubstDepth {
		st.note(ErrTooDeep)
		return ""
	}
	if strings.IndexByte(s, '$') < 0 {
		// The common case: nothing to expand.
		if len(s) > limit {
			st.note(ErrTruncated)
			return s[:limit]
		}
		return s
	}
	b := make([]byte, 0, min(len(s)+16, limit))
	for len(s) > 0 && len(b) < limit {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b = st.appendMax(b, s, limit)
			break
		}
		if i+1 >= len(s) || (s[i+1] != '{' && s[i+1] != '[') {
			b = st.appendMax(b, s[:i+1], limit)
			s = s[i+1:]
			continue
		}
		b = st.appendMax(b, s[:i], limit)
		if len(b) >= limit {
			break
		}
		s = s[i:]
		var body string
		var needsub bool
		if s[1] == '{' {
			body, needsub, s = scanBraces(s[2:])
			b = st.appendMax(b, st.variable(body, needsub, depth), limit)
		} else {
			body, needsub, s = scanBrackets(s[2:])
			b = st.appendMax(b, st.expression(body, needsub, depth), limit)
		}
	}
	return string(b)
}

// scanBraces finds the end of the ${...} whose body starts s. It returns
// the body, whether the body holds references of its own, and what
// follows. Like Asterisk, an unterminated reference takes the rest of the
// string but its last character.
func scanBraces(s string) (body string, needsub bool, rest string) {
	depth := 1
	k := 0
	for depth > 0 && k < len(s) {
		switch c := s[k]; {
		case c == '$' && k+1 < len(s) && (s[k+1] == '{' || s[k+1] == '['):
			needsub = true
		case c == '{':
			depth++
		case c == '}':
			depth--
		}
		k++
	}
	return s[:max(k-1, 0)], needsub, s[k:]
}

// scanBrackets is scanBraces for $[...]: brackets nest, and a ${ inside is
// skipped over so its braces do not count.
func scanBrackets(s string) (body string, needsub bool, rest string) {
	depth := 1
	k := 0
	for depth > 0 && k < len(s) {
		c := s[k]
		switch {
		case c == '$' && k+1 < len(s) && s[k+1] == '[':
			needsub = true
			depth++
			k++
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '$' && k+1 < len(s) && s[k+1] == '{':
			needsub = true
			k++
		}
		k++
	}
	if k > len(s) {
		k = len(s)
	}
	return s[:max(k-1, 0)], needsub, s[k:]
}

// variable expands the body of one ${...}.
func (st *subst) variable(name string, needsub bool, depth int) string {
	name = st.capValue(name)
	if needsub {
		name = st.run(name, MaxValueLen, depth+1)
	}
	name, offset, length, isFunc := parseVariableName(name)
	var value string
	if isFunc {
		v, err := st.call(name, depth)
		if err != nil {
			st.note(err)
			return ""
		}
		value = v
	} else {
		value = st.get(name)
	}
	return substring(st.capValue(value), offset, length)
}

// parseVariableName is parse_variable_name: it splits "NAME:offset:length"
// at the first ':' outside parentheses and reports whether NAME calls a
// function. The numbers are read as sscanf("%d:%d") reads them: a bad
// offset leaves both at their defaults (the whole value).
func parseVariableName(s string) (name string, offset, length int, isFunc bool) {
	length = math.MaxInt32
	parens := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			isFunc = true
			parens++
		case ')':
			parens--
		case ':':
			if parens == 0 {
				rest := s[i+1:]
				if o, n, ok := scanCInt(rest); ok {
					offset = o
					if n < len(rest) && rest[n] == ':' {
						if l, _, ok := scanCInt(rest[n+1:]); ok {
							length = l
						}
					}
				}
				return s[:i], offset, length, isFunc
			}
		}
	}
	return s, 0, length, isFunc
}

// scanCInt is sscanf("%30d") into a C int: blanks, a sign, digits. Values
// beyond an int saturate (glibc's behaviour for out-of-range input is
// undefined; saturating keeps the substring arithmetic sane).
func scanCInt(s string) (v, n int, ok bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) && i-start < 30 {
		if v < math.MaxInt32 {
			v = v*10 + int(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, 0, false
	}
	v = min(v, math.MaxInt32)
	if neg {
		v = -v
	}
	return v, i, true
}

// substring is Asterisk's substring(): a negative offset counts from the
// end, a negative length leaves that many characters off the end.
func substring(s string, offset, length int) string {
	lr := len(s)
	if offset == 0 && length >= lr {
		return s
	}
	if offset < 0 {
		offset = max(lr+offset, 0)
	}
	if offset >= lr {
		return ""
	}
	s = s[offset:]
	switch {
	case length >= 0 && length < lr-offset:
		return s[:length]
	case length < 0:
		if lr > offset-length {
			return s[:lr+length-offset]
		}
		return ""
	}
	return s
}

// expression evaluates the body of one $[...].
func (st *subst) expression(text string, needsub bool, depth int) string {
	text = st.capValue(text)
	if needsub {
		text = st.run(text, MaxValueLen, depth+1)
	}
	ev := &exprEval{st: st, depth: depth}
	out, err := ev.eval(text)
	st.note(err)
	return out
}

// call runs "NAME(args)" (func_args: the name ends at the first '(', the
// arguments at the last ')').
func (st *subst) call(call string, depth int) (string, error) {
	name, args, _ := strings.Cut(call, "(")
	if i := strings.LastIndexByte(args, ')'); i >= 0 {
		args = args[:i]
	}
	if st.funcs == nil {
		return "", fmt.Errorf("%w: %s", ErrNoFunction, name)
	}
	f, ok := st.funcs.Function(name)
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrNoFunction, name)
	}
	var v string
	var err error
	if b, ok := f.(*builtin); ok {
		v, err = b.read(st, args, depth+1)
	} else {
		v, err = f.Read(st.vars, args)
	}
	if err != nil {
		return "", fmt.Errorf("function %s: %w", name, err)
	}
	return v, nil
}

// CheckCondition is pbx_checkcondition, the truth test of GotoIf, ExecIf,
// IF() and While: empty is false, a string that starts with a number is
// that number's truth ("0", " 0", "-0", "0.9" are false), any other
// string is true.
func CheckCondition(s string) bool {
	if s == "" {
		return false
	}
	if v, _, ok := scanCInt(s); ok {
		return v != 0
	}
	return true
}
