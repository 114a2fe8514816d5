package dialplan

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var testVars = MapVars{
	"X":     "hello world",
	"N":     "X",
	"NN":    "N",
	"NUM":   "5551234",
	"EMPTY": "",
	"A":     "1",
	"B":     "2",
	"LIST":  "a-b-c-d-e",
	"CSV":   "x,y,,z",
	"SPACE": "a b",
	"Q":     `say "hi"`,
	"EXTEN": "6421",
}

func TestSubstitute(t *testing.T) {
	fs := NewFuncs()
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"${X}", "hello world"},
		{"<${X}>", "<hello world>"},
		{"${UNSET}", ""},
		{"${x}", ""}, // names are case-sensitive
		{"${X:6}", "world"},
		{"${X:0:5}", "hello"},
		{"${X:-5}", "world"},
		{"${X:-5:3}", "wor"},
		{"${X:0:-6}", "hello"},
		{"${X:2:-2}", "llo wor"},
		{"${X:-100}", "hello world"}, // before the start: from the start
		{"${X:100}", ""},
		{"${X:0:999999999}", "hello world"},
		{"${X:0:0}", ""},
		{"${X:3:-100}", ""},
		{"${X:x:3}", "hello world"}, // a bad offset takes the whole value
		{"${X::3}", "hello world"},
		{"${NUM:0:3}-${NUM:3}", "555-1234"},
		{"${EXTEN:1}", "421"},
		{"${${N}}", "hello world"},
		{"${${${NN}}}", "hello world"},
		{"${${N}:6}", "world"},
		{"${A}${B}", "12"},
		{"$${A}", "$1"},
		{"$", "$"},
		{"a$b", "a$b"},
		{"${", ""},
		{"${X", "hello world"[:0]}, // unterminated: the name loses its last character ("" here)
		{"${XX", "hello world"},    // ... so "${XX" reads X
		{"x}", "x}"},
		{"$[1+1]", "2"},
		{"$[${A}+${B}]", "3"},
		{"$[$[1+2]*2]", "6"},
		{"$[ ${NUM:0:3} = 555 ]", "1"},
		{"${LEN(${X})}", "11"},
		{"${LEN(${X}):1}", "1"},
		{"${LEN()}", "0"},
		{"${ISNULL(${EMPTY})}${EXISTS(${X})}", "11"},
		{"${IF($[${A} = 1]?yes:no)}", "yes"},
		{"${IF($[${A} = 2]?yes:no)}", "no"},
		{"${CUT(LIST,-,2)}", "b"},
		{"${CUT(LIST,-,2-3)}", "b-c"},
		{"${CUT(LIST,-,4-)}", "d-e"},
		{"${CUT(LIST,-,-2)}", "a-b"},
		{"${CUT(LIST,-,1&3&5)}", "a-c-e"},
		{"${CUT(LIST,,2)}", "b"}, // an empty delimiter means '-'
		{"${CUT(CSV,\\,,3)}", ""},
		{"${CUT(CSV,\\,,4)}", "z"},
		{"${CUT(SPACE, ,2)}", "b"},
		{"${TOUPPER(${X})}", "HELLO WORLD"},
		{"${NOSUCHFUNC(1)}x", "x"},
		{"${EXTEN:${A}:${B}}", "42"},
	}
	for _, tc := range tests {
		got, _ := Substitute(tc.in, testVars, fs)
		if got != tc.want {
			t.Errorf("Substitute(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSubstituteErrors(t *testing.T) {
	fs := NewFuncs()
	if _, err := Substitute("${NOSUCH(1)}", testVars, fs); !errors.Is(err, ErrNoFunction) {
		t.Errorf("unknown function: %v", err)
	}
	if _, err := Substitute("${LEN(x)}", testVars, nil); !errors.Is(err, ErrNoFunction) {
		t.Errorf("nil registry: %v", err)
	}
	if out, err := Substitute("$[1 +]", testVars, fs); !errors.Is(err, ErrSyntax) || out != "0" {
		t.Errorf("bad expression: %q %v", out, err)
	}
	if _, err := Substitute("${CUT(LIST)}", testVars, fs); !errors.Is(err, ErrUsage) {
		t.Errorf("CUT usage: %v", err)
	}
	fail := errors.New("boom")
	fs.RegisterFunction("FAIL", ReadFunc(func(Vars, string) (string, error) { return "ignored", fail }))
	if out, err := Substitute("[${FAIL()}]", nil, fs); !errors.Is(err, fail) || out != "[]" {
		t.Errorf("failing function: %q %v", out, err)
	}
	if out, err := Substitute("${X}", nil, nil); err != nil || out != "" {
		t.Errorf("nil vars: %q %v", out, err)
	}
}

func TestSubstituteLimits(t *testing.T) {
	big := strings.Repeat("x", 10000)
	vars := MapVars{"BIG": big, "X": "x"}
	out, err := Substitute("${BIG}${BIG}${BIG}", vars, nil)
	// Each value is cut at MaxValueLen, the whole at MaxDataLen.
	if len(out) != MaxDataLen || !errors.Is(err, ErrTruncated) {
		t.Errorf("len %d, err %v", len(out), err)
	}
	out, _ = Substitute("${BIG:0:999999999}", vars, nil)
	if len(out) != MaxValueLen {
		t.Errorf("substring of a huge value: len %d", len(out))
	}
	out, err = SubstituteLimit("abcdef${X}", vars, nil, 4)
	if out != "abcd" || !errors.Is(err, ErrTruncated) {
		t.Errorf("limit 4: %q %v", out, err)
	}
	deep := strings.Repeat("${", 500) + "X" + strings.Repeat("}", 500)
	out, err = Substitute(deep, vars, nil)
	if !errors.Is(err, ErrTooDeep) || out != "" {
		t.Errorf("deep: %q %v", out, err)
	}
	shallow := strings.Repeat("${", 10) + "X" + strings.Repeat("}", 10)
	if out, err := Substitute(shallow, MapVars{"X": "X"}, nil); out != "X" || err != nil {
		t.Errorf("10 levels: %q %v", out, err)
	}
	deepExpr := strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000)
	if out, err := Expr(deepExpr, nil, nil); out != "0" || !errors.Is(err, ErrSyntax) {
		t.Errorf("deep parentheses: %q %v", out, err)
	}
	// CUT substitutes its variable: nesting through functions counts too.
	deepCut := strings.Repeat("${CUT(", 200) + "X" + strings.Repeat(",-,1)}", 200)
	if _, err := Substitute(deepCut, vars, NewFuncs()); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep CUT: %v", err)
	}
}

func TestParseVariableName(t *testing.T) {
	tests := []struct {
		in            string
		name          string
		offset, count int
		isFunc        bool
	}{
		{"X", "X", 0, 1<<31 - 1, false},
		{"X:1", "X", 1, 1<<31 - 1, false},
		{"X:-1:2", "X", -1, 2, false},
		{"CUT(a,b,1):2", "CUT(a,b,1)", 2, 1<<31 - 1, true},
		{"F(a:b)", "F(a:b)", 0, 1<<31 - 1, true},
		{"X: 3 : 4", "X", 3, 1<<31 - 1, false}, // sscanf stops at the blank before ':'
		{"X:99999999999999", "X", 1<<31 - 1, 1<<31 - 1, false},
	}
	for _, tc := range tests {
		name, off, n, isFunc := parseVariableName(tc.in)
		if name != tc.name || off != tc.offset || n != tc.count || isFunc != tc.isFunc {
			t.Errorf("parseVariableName(%q) = %q %d %d %v", tc.in, name, off, n, isFunc)
		}
	}
}

func TestCheckCondition(t *testing.T) {
	for s, want := range map[string]bool{
		"": false, "0": false, "1": true, " 1": true, "-1": true, "0.9": false,
		"abc": true, "00": false, "1abc": true, "0abc": false, "+0": false,
	} {
		if got := CheckCondition(s); got != want {
			t.Errorf("CheckCondition(%q) = %v", s, got)
		}
	}
}

func TestAppArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a,b,c", []string{"a", "b", "c"}},
		{"a,", []string{"a", ""}},
		{",", []string{"", ""}},
		{",,", []string{"", "", ""}},
		{"SIP/100,20,tT", []string{"SIP/100", "20", "tT"}},
		{`"a,b",c`, []string{"a,b", "c"}},
		{`a\,b,c`, []string{"a,b", "c"}},
		{`a\\b`, []string{`a\b`}},
		{"f(a,b),c", []string{"f(a,b)", "c"}},
		{"[a,b],c", []string{"[a,b]", "c"}},
		{"a),b", []string{"a)", "b"}},
		{`"unterminated,x`, []string{"unterminated,x"}},
	}
	for _, tc := range tests {
		if got := AppArgs(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AppArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := SplitArgs("a,b,c,d", ',', 2); !reflect.DeepEqual(got, []string{"a", "b,c,d"}) {
		t.Errorf("SplitArgs max 2 = %q", got)
	}
	if got := SplitArgs(`"x"?"y":z`, '?', 2); !reflect.DeepEqual(got, []string{"x", `"y":z`}) {
		t.Errorf("SplitArgs ? = %q", got)
	}
	if got := SplitArgsRaw(`"a,b",c\,d`, ',', 0); !reflect.DeepEqual(got, []string{`"a,b"`, `c\,d`}) {
		t.Errorf("SplitArgsRaw = %q", got)
	}
	if got := SplitArgs("a,", ',', 1); !reflect.DeepEqual(got, []string{"a,"}) {
		t.Errorf("SplitArgs max 1 = %q", got)
	}
}
