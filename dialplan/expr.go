package dialplan

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"
)

// This file is Asterisk's $[...] expression language (main/ast_expr2.y and
// its scanner ast_expr2.fl). In order of increasing precedence:
//
//	a ? b :: c             conditional (all three are evaluated)
//	a | b                  a unless a is empty or zero, else b
//	a & b                  a unless either is empty or zero, else 0
//	= == != < > <= >=      numeric if both are numbers, else string
//	+ -                    arithmetic (long double)
//	* / %                  arithmetic; x/0 gives 2147483647
//	! -                    unary, right-associative
//	: =~ ~~                regex match (anchored / not), concatenation
//	( ) FUNC(a, b)         grouping, math and dialplan functions
//
// Operands are tokens (runs of letters, digits and . ' ; \ _ ^ # @) or
// double-quoted strings, which keep their quotes except where ':' and '~~'
// strip them. A malformed expression evaluates to "0".

// Expr evaluates an expression (the text between $[ and ], already
// substituted) as ast_expr does. funcs provides the dialplan functions an
// expression may call (nil for none). The result is always what Asterisk
// produces; err reports a syntax error (the result is then "0") or a
// failing function.
func Expr(expr string, vars Vars, funcs *Funcs) (string, error) {
	st := &subst{vars: vars, funcs: funcs}
	ev := &exprEval{st: st}
	out, err := ev.eval(expr)
	if err == nil {
		err = st.err
	}
	return out, err
}

// maxExprNesting bounds the parser's recursion (parentheses, unary
// operators, function arguments).
const maxExprNesting = 200

// Kinds of value, as in ast_expr2.y.
const (
	valNumber = iota // computed number
	valNumStr        // string that looks like a number ("12", "1.5")
	valString        // anything else
)

type xval struct {
	kind int
	s    string
	n    ldouble
}

func mkNumber(n ldouble) *xval { return &xval{kind: valNumber, n: n} }

func mkInt(i int64) *xval { return mkNumber(ldInt(i)) }

// mkStr is make_str: a string is a numeric string when it is made of
// digits and dots and starts with one of them.
func mkStr(s string) *xval {
	v := &xval{kind: valString, s: s}
	if s != "" && (isDigit(s[0]) || s[0] == '.') && strings.Trim(s, "0123456789.") == "" {
		v.kind = valNumStr
	}
	return v
}

// toNumber is to_number: it turns a numeric string into a number in place
// and reports whether the value is (now) a number.
func (v *xval) toNumber() bool {
	switch v.kind {
	case valNumber:
		return true
	case valString:
		return false
	}
	n, ok := parseLD(v.s)
	if !ok {
		return false
	}
	v.kind, v.n, v.s = valNumber, n, ""
	return true
}

// toString is to_string: numbers print as "%.18Lg".
func (v *xval) toString() {
	if v.kind == valNumber {
		v.kind, v.s = valString, v.n.String()
	}
}

func (v *xval) String() string {
	if v.kind == valNumber {
		return v.n.String()
	}
	return v.s
}

// number is the value as a number, 0 when it is not one.
func (v *xval) number() ldouble {
	if v.toNumber() {
		return v.n
	}
	return ldInt(0)
}

// isZeroOrNull is is_zero_or_null (it converts numeric strings).
func (v *xval) isZeroOrNull() bool {
	if v.kind == valNumber {
		return !v.n.truthy()
	}
	return v.s == "" || (v.toNumber() && !v.n.truthy())
}

// unquoted turns v into a string and removes every '"' from it when it
// starts and ends with one, as to_string and strip_quotes do before a regex
// match or concatenation. It returns the string.
func (v *xval) unquoted() string {
	v.toString()
	if v.s != "" && v.s[0] == '"' && v.s[len(v.s)-1] == '"' {
		v.s = strings.ReplaceAll(v.s, "\"", "")
	}
	return v.s
}

// Token kinds.
const (
	tEOF = iota
	tToken
	tOr
	tAnd
	tEq
	tNe
	tLt
	tGt
	tLe
	tGe
	tPlus
	tMinus
	tMult
	tDiv
	tMod
	tCompl
	tCond
	tColonColon
	tColon
	tEqTilde
	tTildeTilde
	tComma
	tLP
	tRP
	numTokens // how many kinds there are
)

type xtok struct {
	kind int
	val  *xval
	text string
}

// tokenChar is the character class of ast_expr2.fl's general token.
func tokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) ||
		strings.IndexByte(".';\\_^#@", c) >= 0 || c >= 0x80
}

// lex splits an expression into tokens as the flex scanner does (longest
// match; characters no rule accepts are dropped).
func lex(s string) []xtok {
	var toks []xtok
	i := 0
	for i < len(s) {
		c := s[i]
		two := ""
		if i+1 < len(s) {
			two = s[i : i+2]
		}
		op := func(kind, n int) {
			toks = append(toks, xtok{kind: kind, text: s[i : i+n]})
			i += n
		}
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case two == "||":
			op(tOr, 2)
		case two == "&&":
			op(tAnd, 2)
		case two == "==":
			op(tEq, 2)
		case two == "=~":
			op(tEqTilde, 2)
		case two == "~~":
			op(tTildeTilde, 2)
		case two == ">=":
			op(tGe, 2)
		case two == "<=":
			op(tLe, 2)
		case two == "!=":
			op(tNe, 2)
		case two == "::":
			op(tColonColon, 2)
		case two == "${":
			n, ok := lexVar(s[i:])
			if !ok {
				return append(toks, xtok{kind: tEOF})
			}
			toks = append(toks, xtok{kind: tToken, val: &xval{kind: valString, s: s[i : i+n]}})
			i += n
		case c == '|':
			op(tOr, 1)
		case c == '&':
			op(tAnd, 1)
		case c == '=':
			op(tEq, 1)
		case c == '>':
			op(tGt, 1)
		case c == '<':
			op(tLt, 1)
		case c == '+':
			op(tPlus, 1)
		case c == ',':
			op(tComma, 1)
		case c == '-':
			op(tMinus, 1)
		case c == '*':
			op(tMult, 1)
		case c == '/':
			op(tDiv, 1)
		case c == '%':
			op(tMod, 1)
		case c == '?':
			op(tCond, 1)
		case c == '!':
			op(tCompl, 1)
		case c == ':':
			op(tColon, 1)
		case c == '(':
			op(tLP, 1)
		case c == ')':
			op(tRP, 1)
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				i++ // an unmatched quote is dropped
				continue
			}
			toks = append(toks, xtok{kind: tToken, val: &xval{kind: valString, s: s[i : i+end+2]}})
			i += end + 2
		case tokenChar(c) || (c == '$' && i+1 < len(s)):
			n := lexWord(s[i:])
			if n == 0 {
				i++
				continue
			}
			word := s[i : i+n]
			if strings.HasPrefix(s[i+n:], "${") {
				// A word running into ${...}: one token.
				m, ok := lexVar(s[i+n:])
				if !ok {
					return append(toks, xtok{kind: tEOF})
				}
				n += m
				word = s[i : i+n]
			}
			v := &xval{kind: valString, s: word}
			if isNumberToken(word) {
				v.kind = valNumStr
			}
			toks = append(toks, xtok{kind: tToken, val: v})
			i += n
		default:
			i++ // flex's default rule echoes the character and skips it
		}
	}
	return append(toks, xtok{kind: tEOF})
}

// lexWord returns the length of the general token at the start of s:
// token characters, or '$' followed by anything but '{'.
func lexWord(s string) int {
	i := 0
	for i < len(s) {
		switch {
		case tokenChar(s[i]):
			i++
		case s[i] == '$' && i+1 < len(s) && s[i+1] != '{':
			i += 2
		default:
			return i
		}
	}
	return i
}

// isNumberToken reports whether a whole token is [0-9]+(\.[0-9]+)?, the
// scanner's number rule (which wins ties with the general rule).
func isNumberToken(w string) bool {
	i := 0
	for i < len(w) && isDigit(w[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	if i == len(w) {
		return true
	}
	if w[i] != '.' || i+1 == len(w) {
		return false
	}
	for j := i + 1; j < len(w); j++ {
		if !isDigit(w[j]) {
			return false
		}
	}
	return true
}

// lexVar returns the length of a ${...} reference at the start of s plus
// the characters that trail it up to the next operator or blank (the
// scanner's var and trail states). ok is false when the reference never
// closes: the scanner then reaches the end of input in its var state and
// the text is lost.
func lexVar(s string) (n int, ok bool) {
	depth := 0
	i := 2
	for {
		if i >= len(s) {
			return i, false
		}
		c := s[i]
		i++
		if c == '{' {
			depth++
		} else if c == '}' {
			if depth--; depth < 0 {
				break
			}
		}
	}
	for i < len(s) {
		if strings.IndexByte("-\t\r \n$():?%/+=*<>!|&", s[i]) >= 0 {
			if strings.HasPrefix(s[i:], "${") {
				m, ok := lexVar(s[i:])
				if !ok {
					return i + m, false
				}
				i += m
				continue
			}
			break
		}
		i++
	}
	return i, true
}

// exprEval is one evaluation: the tokens, the position, and where
// functions and variables come from.
type exprEval struct {
	st    *subst
	depth int // substitution depth, for functions that substitute
	toks  []xtok
	pos   int
	nest  int
	err   error
}

var errTooNested = errors.New("expression nested too deeply")

func (ev *exprEval) eval(s string) (string, error) {
	ev.toks = lex(s)
	ev.pos = 0
	if ev.peek() == tEOF {
		return "", nil
	}
	v := ev.cond()
	if ev.err == nil && ev.peek() != tEOF {
		ev.fail()
	}
	if ev.err != nil {
		return "0", ev.err
	}
	return v.String(), nil
}

func (ev *exprEval) peek() int { return ev.toks[ev.pos].kind }

func (ev *exprEval) next() xtok {
	t := ev.toks[ev.pos]
	if t.kind != tEOF {
		ev.pos++
	}
	return t
}

func (ev *exprEval) fail() {
	if ev.err == nil {
		t := ev.toks[ev.pos]
		what := t.text
		switch {
		case t.kind == tEOF:
			what = "end of expression"
		case t.kind == tToken:
			what = t.val.s
		}
		ev.err = fmt.Errorf("%w: unexpected %q", ErrSyntax, what)
	}
}

// zero is what a failed parse yields; callers stop at ev.err anyway.
func zero() *xval { return mkInt(0) }

// enter counts one more level of nesting (a parenthesis, a unary operator
// or a function argument) and reports false, setting the error, when there
// are too many. The caller undoes it with ev.nest--.
func (ev *exprEval) enter() bool {
	if ev.nest++; ev.nest > maxExprNesting {
		ev.err = fmt.Errorf("%w: %w", ErrSyntax, errTooNested)
		return false
	}
	return true
}

// cond parses "a ? b :: c", left-associative, lowest precedence.
func (ev *exprEval) cond() *xval {
	ok := ev.enter()
	defer func() { ev.nest-- }()
	if !ok {
		return zero()
	}
	a := ev.binary(precOr)
	for ev.err == nil && ev.peek() == tCond {
		ev.next()
		b := ev.cond()
		if ev.err != nil {
			break
		}
		if ev.peek() != tColonColon {
			ev.fail()
			break
		}
		ev.next()
		c := ev.binary(precOr)
		a = opCond(a, b, c)
	}
	return a
}

// Precedences of the binary operators, lowest first. The unary operators
// bind tighter than precMul and less tightly than precMatch.
const (
	precNone = iota // not a binary operator
	precOr
	precAnd
	precCompare
	precAdd
	precMul
	precMatch
)

// binop is a binary operator: how tightly it binds and what it computes.
type binop struct {
	prec int
	fn   func(a, b *xval) *xval
}

// binops is the binary operators by token kind; all are left-associative.
var binops = [numTokens]binop{
	tOr:         {precOr, opOr},
	tAnd:        {precAnd, opAnd},
	tEq:         {precCompare, func(a, b *xval) *xval { c, ok := compare(a, b); return mkBool(ok && c == 0) }},
	tNe:         {precCompare, func(a, b *xval) *xval { c, ok := compare(a, b); return mkBool(!ok || c != 0) }},
	tLt:         {precCompare, func(a, b *xval) *xval { c, ok := compare(a, b); return mkBool(ok && c < 0) }},
	tGt:         {precCompare, func(a, b *xval) *xval { c, ok := compare(a, b); return mkBool(ok && c > 0) }},
	tLe:         {precCompare, func(a, b *xval) *xval { c, ok := compare(a, b); return mkBool(ok && c <= 0) }},
	tGe:         {precCompare, func(a, b *xval) *xval { c, ok := compare(a, b); return mkBool(ok && c >= 0) }},
	tPlus:       {precAdd, opPlus},
	tMinus:      {precAdd, opMinus},
	tMult:       {precMul, opTimes},
	tDiv:        {precMul, opDiv},
	tMod:        {precMul, opRem},
	tColon:      {precMatch, func(a, b *xval) *xval { return opRegex(a, b, true) }},
	tEqTilde:    {precMatch, func(a, b *xval) *xval { return opRegex(a, b, false) }},
	tTildeTilde: {precMatch, opConcat},
}

// binary parses a chain of the binary operators of precedence prec. The
// right operand of ':', '=~' and '~~' may itself start with a unary
// operator, which then takes the rest of the chain.
func (ev *exprEval) binary(prec int) *xval {
	a := ev.operand(prec)
	for ev.err == nil {
		op := binops[ev.peek()]
		if op.prec != prec {
			break
		}
		ev.next()
		var b *xval
		if k := ev.peek(); prec == precMatch && (k == tCompl || k == tMinus) {
			b = ev.unary()
		} else {
			b = ev.operand(prec)
		}
		a = op.fn(a, b)
	}
	return a
}

// operand parses an operand of the binary operators of precedence prec:
// an expression of the next precedence up.
func (ev *exprEval) operand(prec int) *xval {
	switch prec {
	case precMul:
		return ev.unary()
	case precMatch:
		return ev.primary()
	}
	return ev.binary(prec + 1)
}

// unary parses '!' and '-'. Their operand is another unary or a
// match-level expression, so "-a : b" is -(a : b), as bison's precedence
// makes it.
func (ev *exprEval) unary() *xval {
	if ev.err != nil {
		return zero()
	}
	switch ev.peek() {
	case tCompl, tMinus:
		op := ev.next().kind
		if !ev.enter() {
			return zero()
		}
		a := ev.unary()
		ev.nest--
		if op == tCompl {
			return opCompl(a)
		}
		return opNegate(a)
	}
	return ev.binary(precMatch)
}

func (ev *exprEval) primary() *xval {
	if ev.err != nil {
		return zero()
	}
	switch ev.peek() {
	case tToken:
		t := ev.next()
		if ev.peek() == tLP {
			ev.next()
			return ev.funcCall(t.val)
		}
		v := *t.val
		return &v
	case tLP:
		ev.next()
		v := ev.cond()
		if ev.err == nil && ev.peek() != tRP {
			ev.fail()
		}
		ev.next()
		return v
	}
	ev.fail()
	return zero()
}

// funcCall parses the argument list after "NAME(" and calls the function.
// At least one argument is needed; an empty one may follow a comma.
func (ev *exprEval) funcCall(name *xval) *xval {
	var args []*xval
	args = append(args, ev.cond())
	for ev.err == nil && ev.peek() == tComma {
		ev.next()
		if k := ev.peek(); k == tComma || k == tRP {
			args = append(args, mkStr(""))
			continue
		}
		args = append(args, ev.cond())
	}
	if ev.err != nil {
		return zero()
	}
	if ev.peek() != tRP {
		ev.fail()
		return zero()
	}
	ev.next()
	return ev.opFunc(name.s, args)
}

func opCond(a, b, c *xval) *xval {
	if a.kind == valString {
		if a.s != "" && a.s != `""` && a.s != "0" {
			return b
		}
		return c
	}
	if a.toNumber() && a.n.truthy() {
		return b
	}
	return c
}

func opOr(a, b *xval) *xval {
	if a.isZeroOrNull() {
		return b
	}
	return a
}

func opAnd(a, b *xval) *xval {
	if a.isZeroOrNull() || b.isZeroOrNull() {
		return mkInt(0)
	}
	return a
}

// compare compares as strings when either value is a string, else as
// numbers; ordered is false when a number is a NaN.
func compare(a, b *xval) (c int, ordered bool) {
	if a.kind == valString || b.kind == valString {
		a.toString()
		b.toString()
		return strings.Compare(a.s, b.s), true // strcoll in the C locale
	}
	a.toNumber()
	b.toNumber()
	return a.n.cmp(b.n)
}

func mkBool(b bool) *xval {
	if b {
		return mkInt(1)
	}
	return mkInt(0)
}

func opPlus(a, b *xval) *xval {
	if !a.toNumber() {
		if !b.toNumber() {
			return mkInt(0)
		}
		return b
	}
	if !b.toNumber() {
		return a
	}
	return mkNumber(a.n.add(b.n))
}

func opMinus(a, b *xval) *xval {
	if !a.toNumber() {
		if !b.toNumber() {
			return mkInt(0)
		}
		return mkNumber(b.n.neg())
	}
	if !b.toNumber() {
		return a
	}
	return mkNumber(a.n.sub(b.n))
}

func opNegate(a *xval) *xval {
	if !a.toNumber() {
		return mkInt(0)
	}
	return mkNumber(a.n.neg())
}

// opCompl is op_compl: a string is false when empty or "0", otherwise its
// atoi() decides, so "!abc" is 1 and "!5x" is 0.
func opCompl(a *xval) *xval {
	v := true
	if a.kind == valNumber {
		v = a.n.truthy()
	} else if a.s == "" || a.s == "0" {
		v = false
	} else {
		n, _, ok := scanCInt(a.s)
		v = ok && n != 0
	}
	return mkBool(!v)
}

func opTimes(a, b *xval) *xval {
	if !a.toNumber() || !b.toNumber() {
		return mkInt(0)
	}
	return mkNumber(a.n.mul(b.n))
}

// intMax is what Asterisk returns for a division by zero or by a string.
const intMax = math.MaxInt32

func opDiv(a, b *xval) *xval {
	if !a.toNumber() {
		return mkInt(0)
	}
	if !b.toNumber() || b.n.isZero() {
		return mkInt(intMax)
	}
	return mkNumber(a.n.quo(b.n))
}

func opRem(a, b *xval) *xval {
	if !a.toNumber() || !b.toNumber() {
		return mkInt(0)
	}
	if b.n.isZero() {
		return b
	}
	return mkNumber(a.n.fmod(b.n))
}

// opRegex is op_colon (anchored) and op_eqtilde: the first parenthesized
// subexpression's match if there is one, else the length of the match; on
// failure "" when the pattern has a subexpression, else 0.
func opRegex(a, b *xval, anchored bool) *xval {
	s, pat := a.unquoted(), b.unquoted()
	re, err := compileERE(pat)
	if err != nil {
		return mkStr("")
	}
	loc := re.FindStringSubmatchIndex(s)
	if loc != nil && (!anchored || loc[0] == 0) {
		if len(loc) >= 4 && loc[2] >= 0 {
			return mkStr(s[loc[2]:loc[3]])
		}
		return mkInt(int64(loc[1] - loc[0]))
	}
	if re.NumSubexp() == 0 {
		return mkInt(0)
	}
	return mkStr("")
}

// maxRegexInsts bounds the size of a compiled regular expression. Go's
// matcher runs in time proportional to the input times the program, so a
// pattern like "a{1000}" repeated hundreds of times would take a second
// per match; no dialplan needs anything near this size.
const maxRegexInsts = 20000

var errRegexTooLarge = errors.New("regular expression too large")

// compileERE compiles a POSIX extended regular expression as regcomp
// (REG_EXTENDED) would, with leftmost-longest matching. GNU extensions
// POSIX mode lacks (\w, \s, \d ...) are accepted by falling back to the
// full syntax.
func compileERE(s string) (*regexp.Regexp, error) {
	flags := syntax.POSIX
	tree, err := syntax.Parse(s, flags)
	if err != nil {
		flags = syntax.Perl
		var err2 error
		if tree, err2 = syntax.Parse(s, flags); err2 != nil {
			return nil, err
		}
	}
	if regexSize(tree) > maxRegexInsts {
		return nil, errRegexTooLarge
	}
	if flags == syntax.POSIX {
		return regexp.CompilePOSIX(s)
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	re.Longest()
	return re, nil
}

// regexSize estimates the compiled size of a parsed expression, counting
// repetitions as the copies they expand to (and saturating).
func regexSize(re *syntax.Regexp) int {
	n := 1
	switch re.Op {
	case syntax.OpLiteral:
		n = len(re.Rune)
	case syntax.OpRepeat:
		times := re.Max
		if times < 0 {
			times = re.Min
		}
		times = max(times, 1)
		inner := regexSize(re.Sub[0]) + 1
		if inner > maxRegexInsts || times > maxRegexInsts/inner+1 {
			return maxRegexInsts + 1
		}
		return inner * times
	}
	for _, sub := range re.Sub {
		n += regexSize(sub)
		if n > maxRegexInsts {
			return n
		}
	}
	return n
}

func opConcat(a, b *xval) *xval {
	return mkStr(a.unquoted() + b.unquoted())
}

// exprMath1 and exprMath2 are the math functions of op_func, of one and
// two arguments. Most compute in double precision, as Asterisk's do; SQRT
// and the rounding functions keep the long double.
var exprMath1 = map[string]func(ldouble) ldouble{
	"COS":   viaFloat64(math.Cos),
	"SIN":   viaFloat64(math.Sin),
	"TAN":   viaFloat64(math.Tan),
	"ACOS":  viaFloat64(math.Acos),
	"ASIN":  viaFloat64(math.Asin),
	"ATAN":  viaFloat64(math.Atan),
	"EXP":   viaFloat64(math.Exp),
	"EXP2":  viaFloat64(math.Exp2),
	"EXP10": viaFloat64(func(x float64) float64 { return math.Pow(10, x) }),
	"LOG":   viaFloat64(math.Log),
	"LOG2":  viaFloat64(math.Log2),
	"LOG10": viaFloat64(math.Log10),
	"SQRT":  ldouble.sqrt,
	"FLOOR": ldouble.floor,
	"CEIL":  ldouble.ceil,
	"ROUND": func(x ldouble) ldouble { return x.round(false) },
	"RINT":  func(x ldouble) ldouble { return x.round(true) },
	"TRUNC": ldouble.trunc,
	"ABS":   ldouble.abs,
}

var exprMath2 = map[string]func(x, y float64) float64{
	"ATAN2":     math.Atan2,
	"POW":       math.Pow,
	"REMAINDER": math.Remainder,
}

func viaFloat64(fn func(float64) float64) func(ldouble) ldouble {
	return func(x ldouble) ldouble { return ldFloat64(fn(x.float64())) }
}

// exprFuncResultMax is the workspace Asterisk reads a dialplan function
// into when an expression calls it.
const exprFuncResultMax = 511

// opFunc is op_func: the math functions, then the dialplan's functions.
func (ev *exprEval) opFunc(name string, args []*xval) *xval {
	if strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") != "" {
		ev.st.note(fmt.Errorf("%w: %q is not possibly a function name", ErrSyntax, name))
		return mkInt(0)
	}
	if fn, ok := exprMath1[name]; ok {
		if len(args) != 1 {
			return mkInt(0)
		}
		return mkNumber(fn(args[0].number()))
	}
	if fn, ok := exprMath2[name]; ok {
		if len(args) != 2 {
			return mkInt(0)
		}
		return mkNumber(ldFloat64(fn(args[0].number().float64(), args[1].number().float64())))
	}
	// A dialplan function, called with the arguments joined by commas.
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	v, err := ev.st.call(name+"("+strings.Join(parts, ",")+")", ev.depth)
	if err != nil {
		ev.st.note(err)
		return mkInt(0)
	}
	if len(v) > exprFuncResultMax {
		v = v[:exprFuncResultMax]
	}
	if strings.Trim(v, "-0123456789. \t") == "" {
		n, _ := parseLD(v)
		return mkNumber(n)
	}
	return mkStr(v)
}
