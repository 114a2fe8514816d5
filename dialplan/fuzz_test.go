package dialplan

import (
	"strings"
	"testing"
	"time"
)

// FuzzSubstitute checks that no input makes substitution panic or return
// more than its limit, whatever the nesting.
func FuzzSubstitute(f *testing.F) {
	for _, s := range []string{
		"${X}", "${X:1:-2}", "${X:0:999999999}", "${${N}}", "$[1+2*3]", "${LEN(${X})}",
		"${CUT(L,-,2-)}", "${IF($[${A}=1]?${X}:no)}", "${", "$[", "${${${${", "$[$[$[",
		"${X:-99999999999999999999}", "${FILTER(a-z,${X})}", "$[\"a\" ~~ ${X} : \"(.)\"]",
		"${STRFTIME(${EPOCH},UTC,%c%c%c%c)}", "${FIELDQTY(L,-)}${QUOTE(${X})}",
	} {
		f.Add(s)
	}
	fs := NewFuncs()
	vars := MapVars{"X": "hello world", "N": "X", "A": "1", "L": "a-b-c", "EPOCH": "1234567890",
		"BIG": strings.Repeat("${BIG}", 500)}
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := Substitute(s, vars, fs)
		if len(out) > MaxDataLen {
			t.Fatalf("result of %d bytes", len(out))
		}
		out, _ = SubstituteLimit(s, vars, fs, 16)
		if len(out) > 16 {
			t.Fatalf("result of %d bytes for limit 16", len(out))
		}
	})
}

// FuzzExpr checks that no expression makes the evaluator panic, and that
// results stay in proportion to the input.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		"1+2", "10/3", "(3+8)/2", `"abc" =~ "(b)"`, "a ? b :: c", "!abc", "-3 : 3",
		"FLOOR(-2.5)", "POW(2,10000)", "99999999999999999999 * 99999999999999999999",
		"5 % 0", "((((1))))", "1 ~~ 2 ~~ 3", "${X} = a", `"unterminated`, "SQRT(-1)",
		"LEN(a,,b)", "a : \"(\"", "1.5.5 + 1", ". + .",
	} {
		f.Add(s)
	}
	fs := NewFuncs()
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > MaxValueLen {
			s = s[:MaxValueLen] // Substitute never hands Expr more
		}
		out, _ := Expr(s, nil, fs)
		if len(out) > len(s)+64 {
			t.Fatalf("%q gave %d bytes", s, len(out))
		}
	})
}

// FuzzMatch checks the matcher and the ordering on arbitrary names: no
// panic, a name matches itself when literal, and two names get the same
// sort key exactly when they compare equal.
func FuzzMatch(f *testing.F) {
	f.Add("_X.", "5551212")
	f.Add("_[1-5]N!", "32")
	f.Add("_1[", "1")
	f.Add("555-1212", "5551212")
	f.Add("_[]X", "_X")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, mode := range []matchMode{matchExact, matchCan, matchMore} {
			compileMatcher(a).match(b, mode)
		}
		if !strings.HasPrefix(a, "_") && !MatchExtension(a, a) {
			t.Fatalf("literal %q does not match itself", a)
		}
		c1, c2 := CompareExtensions(a, b), CompareExtensions(b, a)
		if c1 != -c2 {
			t.Fatalf("Compare(%q, %q) = %d but reversed %d", a, b, c1, c2)
		}
		if (c1 == 0) != (sortKey(a) == sortKey(b)) {
			t.Fatalf("Compare(%q, %q) = %d but keys %q %q", a, b, c1, sortKey(a), sortKey(b))
		}
		tm, _ := ParseTiming(a)
		tm.Matches(time.Unix(int64(len(b))*7919, 0))
	})
}
