package dialplan

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Examples from Asterisk's "Expressions Examples" documentation page, with
// the results it gives.
func TestExprDocExamples(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`"One Thousand Five Hundred" =~ "(T[^ ]+)"`, "Thousand"},
		{`"One Thousand Five Hundred" =~ "T[^ ]+"`, "8"},
		{`"One Thousand Five Hundred" : "T[^ ]+"`, "0"},
		{`"8015551212" : "(...)"`, "801"},
		{`"3075551212":"...(...)"`, "555"},
		{`! "One Thousand Five Hundred" =~ "T[^ ]+"`, "0"},
		{`!( "One Thousand Five Hundred" : "T[^ ]+" )`, "1"},
		{"2 + 8 / 2", "6"},
		{"2+8/2", "6"},
		{"(2+8)/2", "5"},
		{"(3+8)/2", "5.5"},
		{"TRUNC((3+8)/2)", "5"},
		{"FLOOR(2.5)", "2"},
		{"FLOOR(-2.5)", "-3"},
		{"CEIL(2.5)", "3"},
		{"CEIL(-2.5)", "-2"},
		{"ROUND(2.5)", "3"},
		{"ROUND(3.5)", "4"},
		{"ROUND(-2.5)", "-3"},
		{"RINT(2.5)", "2"},
		{"RINT(3.5)", "4"},
		{"RINT(-2.5)", "-2"},
		{"RINT(-3.5)", "-4"},
		{"TRUNC(2.5)", "2"},
		{"TRUNC(3.5)", "3"},
		{"TRUNC(-3.5)", "-3"},
	}
	for _, tc := range tests {
		got, err := Expr(tc.expr, nil, nil)
		if got != tc.want || err != nil {
			t.Errorf("$[%s] = %q (%v), want %q", tc.expr, got, err, tc.want)
		}
	}
}

func TestExpr(t *testing.T) {
	vars := MapVars{"V": "hello"}
	tests := []struct{ expr, want string }{
		{"", ""},
		{"   ", ""},
		{"1", "1"},
		{"05", "05"}, // a lone number keeps its text
		{"1.50", "1.50"},
		{"1.50 + 0", "1.5"},
		{"abc", "abc"},
		{`"quoted string"`, `"quoted string"`}, // quotes are kept
		{"1 + 2 * 3", "7"},
		{"(1 + 2) * 3", "9"},
		{"10 - 2 - 3", "5"}, // left-associative
		{"2 * -3", "-6"},
		{"- 5", "-5"},
		{"--5", "5"},
		{"10 / 3", "3.33333333333333333"}, // long double, %.18Lg
		{"1 / 3", "0.333333333333333333"},
		{"100 / 60", "1.66666666666666667"},
		{"2 / 3", "0.666666666666666667"},
		{"10 / 4", "2.5"},
		{"7 % 3", "1"},
		{"-7 % 3", "-1"},
		{"7.5 % 2", "1.5"},
		{"5 / 0", "2147483647"},
		{"5 / abc", "2147483647"},
		{"abc / 5", "0"},
		{"5 % 0", "0"},
		{"abc + 1", "1"}, // a non-number operand is ignored
		{"1 + abc", "1"},
		{"abc + def", "0"},
		{"abc - 3", "-3"},
		{"abc * 3", "0"},
		{"123456789012345678 + 1", "123456789012345679"},
		{"9223372036854775807 + 1", "9.22337203685477581e+18"},
		{"100000000000000000 * 10", "1e+18"},
		{"1 / 100000", "1e-05"},
		{"0.0001 * 1", "0.0001"},
		{"1 = 1", "1"},
		{"1 == 1", "1"},
		{"1 = 1.0", "1"}, // numeric comparison
		{"01 = 1", "1"},
		{"abc = abc", "1"},
		{"abc = ABC", "0"},
		{"abc != abd", "1"},
		{`"a" = a`, "0"}, // quotes take part in comparisons
		{"abc < abd", "1"},
		{"10 < 9", "0"},
		{"10 < 9x", "1"}, // string comparison: "10" < "9x"
		{"3 >= 3", "1"},
		{"3 <= 2", "0"},
		{"3 > 2", "1"},
		{"0 | 5", "5"},
		{" | 5", "0"}, // syntax error: nothing before '|'
		{"7 | 5", "7"},
		{"05 | 1", "5"}, // the test turns "05" into a number
		{"abc | 5", "abc"},
		{"7 & 5", "7"},
		{"7 & 0", "0"},
		{"0 & 7", "0"},
		{"1 || 0", "1"},
		{"1 && 0", "0"},
		{"!0", "1"},
		{"!1", "0"},
		{"!abc", "1"}, // atoi("abc") is 0
		{"!5x", "0"},
		{`!""`, "1"},
		{"1 ? yes :: no", "yes"},
		{"0 ? yes :: no", "no"},
		{`"" ? yes :: no`, "no"},
		{"abc ? yes :: no", "yes"},
		{"0 ? a :: 1 ? b :: c", "b"},
		{"1 ? 0 ? a :: b :: c", "b"},
		{"1 + 1 ? x :: y", "x"},
		{"abc : a", "1"},
		{"abc : b", "0"},
		{"abc =~ b", "1"},
		{`abc : "(b)"`, ""},
		{`abc =~ "(b)"`, "b"},
		{`abc : "a(b)"`, "b"},
		{`"a b c" : "a (.) c"`, "b"},
		{`abc : "(x)|(a)"`, "1"}, // group 1 did not take part: the length
		{"abc : (b)", "0"},       // unquoted, the parentheses group the expression
		{"abc =~ (b)", "1"},
		{"abc : a(b)", "0"}, // "a(b)" is a call of an impossible function name
		{"abc : (x)|(a)", "a"},
		{"abc ~~ def", "abcdef"},
		{`"abc" ~~ "def"`, "abcdef"},
		{"1 ~~ 2 + 1", "13"},
		{"-3 : 3", "-1"}, // unary minus applies to the match
		{"SQRT(16)", "4"},
		{"ABS(-3)", "3"},
		{"POW(2,10)", "1024"},
		{"COS(0)", "1"},
		{"LOG10(1000)", "3"},
		{"FLOOR(1,2)", "0"}, // wrong arguments
		{"lower(1)", "0"},   // not a function name
		{"1 2", "0"},
		{"(1", "0"},
		{"1)", "0"},
		{"1 ? 2", "0"},
		{"1 :: 2", "0"},
		{"*", "0"},
		{"FLOOR()", "0"},
		{"{1}", "1"},     // characters no rule accepts are dropped
		{"${V}", "${V}"}, // an unexpanded reference is a string
		{"a${V}b", "a${V}b"},
		{"1 + ${V", "0"}, // an unterminated reference swallows the rest
		{"${V}x+1", "1"},
		{"$x + 1", "1"},
		{"LEN(abcd) + 1", "5"},
		{`LEN("ab")`, "4"},
		{"LEN(a,b)", "3"},
		{"LEN(a,)", "2"},
		{"NOSUCH(1) + 1", "1"},
	}
	fs := NewFuncs()
	for _, tc := range tests {
		got, _ := Expr(tc.expr, vars, fs)
		if got != tc.want {
			t.Errorf("$[%s] = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestExprErrors(t *testing.T) {
	if _, err := Expr("1 +", nil, nil); !errors.Is(err, ErrSyntax) {
		t.Errorf("err = %v", err)
	}
	if _, err := Expr("NOSUCH(1)", nil, NewFuncs()); !errors.Is(err, ErrNoFunction) {
		t.Errorf("err = %v", err)
	}
	if _, err := Expr("1 + 1", nil, nil); err != nil {
		t.Errorf("err = %v", err)
	}
}

func TestParseLD(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"12", "12", true},
		{"1.2.3", "1.2", true},
		{".", "0", true},
		{"", "0", true},
		{" -5", "-5", true},
		{"1e3", "1000", true},
		{"1e99999999999", "0", false},
		{"1e5000", "0", false},
		{"1e-5000", "0", false},
		{"0e99999999999", "0", true},
	}
	for _, tc := range tests {
		v, ok := parseLD(tc.in)
		if ok != tc.ok || (ok && v.String() != tc.want) {
			t.Errorf("parseLD(%q) = %s, %v", tc.in, v, ok)
		}
	}
	digits := make([]byte, 4000)
	for i := range digits {
		digits[i] = '9'
	}
	if _, ok := parseLD(string(digits)); !ok {
		t.Error("4000 nines overflowed: long double reaches 1e4932")
	}
	if v, _ := Expr(string(digits)+" * "+string(digits), nil, nil); v != "inf" {
		t.Errorf("overflow = %q", v)
	}
	if v, _ := Expr("(9"+string(digits)+" * "+string(digits)+") - ("+string(digits)+" * 9"+string(digits)+")", nil, nil); v != "-nan" {
		t.Errorf("inf - inf = %q", v)
	}
}

// A pathological regular expression is refused rather than matched for
// seconds: regcomp errors give "".
func TestExprRegexTooLarge(t *testing.T) {
	pat := strings.Repeat("a{1000}", 580)
	start := time.Now()
	out, _ := Expr(strings.Repeat("a", 3000)+` : "`+pat+`"`, nil, nil)
	if out != "" || time.Since(start) > time.Second {
		t.Errorf("out %q after %v", out, time.Since(start))
	}
	if out, _ := Expr(`"aaa" : "a{2}"`, nil, nil); out != "2" {
		t.Errorf("a{2} = %q", out)
	}
	if out, _ := Expr(`"a1" : "a\d"`, nil, nil); out != "2" {
		t.Errorf(`\d (GNU extension) = %q`, out)
	}
}
