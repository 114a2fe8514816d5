package dialplan

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBuiltinFunctions(t *testing.T) {
	fs := NewFuncs()
	vars := MapVars{"LIST": "a,b,c", "DASHED": "1-2-3", "EMPTY": "", "PIPES": "x|y|z", "MIXED": "a-b_c"}
	tests := []struct{ call, want string }{
		{"LEN(hello)", "5"},
		{"LEN()", "0"},
		{"LEN(a,b)", "3"},
		{"ISNULL()", "1"},
		{"ISNULL(x)", "0"},
		{"EXISTS()", "0"},
		{"EXISTS(x)", "1"},
		{"IF(1?a:b)", "a"},
		{"IF(0?a:b)", "b"},
		{"IF(abc?a:b)", "a"},
		{"IF(1?a)", "a"},
		{"IF(0?a)", ""},
		{"IF(0?:b)", "b"},
		{"IF( 1 ? a : b )", "a"},
		{`IF(1?"x:y":z)`, "x:y"},
		{"IF(1?f(a:b):c)", "f(a:b)"},
		{"CUT(DASHED,-,2)", "2"},
		{"CUT(DASHED,-,3-)", "3"},
		{"CUT(DASHED,-,9)", ""},
		{"CUT(DASHED,-,2&1)", "2"}, // fields are not reordered
		{"CUT(LIST,\\,,2-3)", "b,c"},
		{"CUT(PIPES,|,2)", "y"},
		{"CUT(EMPTY,-,1)", ""},
		{"CUT(DASHED:2,-,1)", "2"}, // the name may carry a substring
		{"CUT(LEN(abc),-,1)", "3"}, // or be a function
		{"FIELDQTY(DASHED,-)", "3"},
		{"FIELDQTY(LIST,\\,)", "3"},
		{"FIELDQTY(EMPTY,-)", "0"},
		{"FIELDQTY(MIXED,-_)", "3"},
		{"FIELDNUM(DASHED,-,3)", "3"},
		{"FIELDNUM(LIST,\\,,B)", "2"}, // case-insensitive, as strcasecmp
		{"FIELDNUM(LIST,\\,,q)", "0"},
		{"FILTER(0-9,a1b2c3)", "123"},
		{"FILTER(a-c,abcdef)", "abc"},
		{"FILTER(0-9,1,2,3)", "123"},
		{"FILTER(\\x41-C,ABCD)", "ABC"},
		{"FILTER(0-9\\x2c,1,2)", "1,2"},
		{"TOUPPER(abc Ä)", "ABC Ä"},
		{"TOLOWER(ABC)", "abc"},
		{`REGEX("^5[0-9]+$" 5551212)`, "1"},
		{`REGEX("^5[0-9]+$" 6551212)`, "0"},
		{`REGEX("a|b" xbx)`, "1"},
		{`QUOTE(say "hi" \ there)`, `"say \"hi\" \\ there"`},
		{"QUOTE()", `""`},
		{`CSV_QUOTE(a"b)`, `"a""b"`},
		{"PASSTHRU(a,b)", "a,b"},
		{"STRFTIME(0,UTC,%Y-%m-%d %H:%M:%S)", "1970-01-01 00:00:00"},
		{"STRFTIME(1234567890.123456,UTC,%s.%3q %6q %q)", "1234567890.123 123456 123"},
		{"STRFTIME(1234567890,America/New_York,%F %T %Z %z)", "2009-02-13 18:31:30 EST -0500"},
		{"STRFTIME(1234567890,UTC)", "Fri Feb 13 23:31:30 2009"},
		{"STRFTIME(1234567890,UTC,%a %A %b %B %d %e %j %p %I %l %u %w %y %C %D %R %%)", "Fri Friday Feb February 13 13 044 PM 11 11 5 5 09 20 02/13/09 23:31 %"},
		{"STRFTIME(1234567890,UTC,%U %W %V %G %g)", "06 06 07 2009 09"},
		{"STRFTIME(1234567890,UTC,)", ""},
	}
	for _, tc := range tests {
		got, err := fs.Read(vars, tc.call)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.call, got, err, tc.want)
		}
	}
	for _, call := range []string{"IF(1)", "IF(?a:b)", "IF(1?)", "CUT(A,-)", "CUT(DASHED,-,x)", "FIELDNUM(a,b)", "FILTER(abc)", `REGEX(abc)`, `REGEX("(" x)`, "IFTIME(x)"} {
		if v, err := fs.Read(vars, call); err == nil {
			t.Errorf("%s = %q, want an error", call, v)
		}
	}
}

func TestIfTime(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Date(2026, 11, 27, 10, 30, 0, 0, time.Local) } // a Friday
	fs := NewFuncs()
	for call, want := range map[string]string{
		"IFTIME(*,*,*,*?yes:no)":              "yes",
		"IFTIME(09:00-17:00,mon-fri,*,*?a:b)": "a",
		"IFTIME(09:00-10:00,*,*,*?a:b)":       "b",
		"IFTIME(*,sat-sun,*,*?a:b)":           "b",
		"IFTIME(*,*,27,nov?a:b)":              "a",
		"IFTIME(*,*,1-26,*?a:b)":              "b",
		`IFTIME("*,*,*,*?a:b")`:               "a",
		"IFTIME(*,*,*,*?:b)":                  "",
		"IFTIME(*,*,*,dec?a)":                 "",
	} {
		if got, err := fs.Read(nil, call); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", call, got, err, want)
		}
	}
}

func TestRegistry(t *testing.T) {
	fs := NewFuncs()
	echo := ReadFunc(func(v Vars, args string) (string, error) {
		x, _ := v.Get("X")
		return args + x, nil
	})
	if err := fs.RegisterFunction("ECHO", echo); err != nil {
		t.Fatal(err)
	}
	if err := fs.RegisterFunction("ECHO", echo); !errors.Is(err, ErrFunctionExists) {
		t.Errorf("second registration: %v", err)
	}
	if err := fs.RegisterFunction("LEN", echo); !errors.Is(err, ErrFunctionExists) {
		t.Errorf("replacing a builtin: %v", err)
	}
	out, err := Substitute("${ECHO(a,b)}|$[ECHO(1,2)]", MapVars{"X": "!"}, fs)
	if err != nil || out != "a,b!|1,2!" {
		t.Errorf("out = %q %v", out, err)
	}
	if _, ok := fs.Function("echo"); ok {
		t.Error("function names are case-sensitive")
	}
	w := &writable{}
	fs.RegisterFunction("STORE", w)
	if err := fs.Write(nil, "STORE(key)", "value"); err != nil || w.got != "key=value" {
		t.Errorf("write: %v %q", err, w.got)
	}
	if err := fs.Write(nil, "LEN(x)", "y"); !errors.Is(err, ErrNotWritable) {
		t.Errorf("write LEN: %v", err)
	}
	if err := fs.Write(nil, "NOPE(x)", "y"); !errors.Is(err, ErrNoFunction) {
		t.Errorf("write NOPE: %v", err)
	}
	var names []string
	for _, fi := range fs.List() {
		names = append(names, fi.Name)
		if fi.Name == "STORE" && !fi.Writable {
			t.Error("STORE not writable")
		}
		if fi.Name == "CUT" && fi.Syntax == "" {
			t.Error("CUT has no syntax")
		}
	}
	if got := strings.Join(names, " "); !strings.HasPrefix(got, "CSV_QUOTE CUT ECHO EXISTS FIELDNUM FIELDQTY FILTER IF IFTIME ISNULL LEN") {
		t.Errorf("names = %s", got)
	}
}

type writable struct{ got string }

func (w *writable) Read(Vars, string) (string, error) { return w.got, nil }

func (w *writable) Write(_ Vars, args, value string) error {
	w.got = args + "=" + value
	return nil
}

func TestTiming(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		spec, when string
		want       bool
	}{
		{"*,*,*,*", "2026-01-01 00:00", true},
		{"", "2026-01-01 00:00", true},
		{"09:00-17:00", "2026-01-01 08:59", false},
		{"09:00-17:00", "2026-01-01 09:00", true},
		{"09:00-17:00", "2026-01-01 17:00", true},
		{"22:00-06:00", "2026-01-01 23:30", true}, // wraps past midnight
		{"22:00-06:00", "2026-01-01 05:59", true},
		{"22:00-06:00", "2026-01-01 12:00", false},
		{"12:15", "2026-01-01 12:15", true},
		{"12:15", "2026-01-01 12:16", false},
		{"08:00-09:00&12:00-13:00", "2026-01-01 12:30", true},
		{"*,mon-fri", "2026-11-28 12:00", false}, // Saturday
		{"*,fri-mon", "2026-11-29 12:00", true},  // Sunday, wrapping
		{"*,sat&sun", "2026-11-29 12:00", true},
		{"*,*,1-15", "2026-11-16 12:00", false},
		{"*,*,31", "2026-12-31 12:00", true},
		{"*,*,*,jun-aug", "2026-07-04 12:00", true},
		{"*,*,*,jun-aug", "2026-09-04 12:00", false},
		{"*|*|*|dec", "2026-12-04 12:00", true}, // the pre-1.6 separator
		{"*,*,*,*,UTC", "2026-12-04 12:00", true},
		{"10:00-11:00,*,*,*,America/New_York", "2026-12-04 15:30", true},
		{"10:00-11:00,*,*,*,America/New_York", "2026-12-04 10:30", false},
	}
	for _, tc := range tests {
		tm, warns := ParseTiming(tc.spec)
		if len(warns) != 0 {
			t.Errorf("%q: warnings %v", tc.spec, warns)
		}
		if got := tm.Matches(at(tc.when)); got != tc.want {
			t.Errorf("%q at %s = %v", tc.spec, tc.when, got)
		}
		if tm.String() != tc.spec {
			t.Errorf("String() = %q", tm.String())
		}
	}
	for _, bad := range []string{"25:00", "9:60", "xx", "09:00-", "*,funday", "*,mon-xyz", "*,*,32", "*,*,*,smarch", "*,*,*,*,Nowhere/Land", "9x:00"} {
		if _, warns := ParseTiming(bad); len(warns) == 0 {
			t.Errorf("%q: no warning", bad)
		}
	}
}

func TestShowDialPlanList(t *testing.T) {
	d, _ := parseString(t, `
[a]
exten => 1,hint,SIP/1
exten => 1,1,NoOp(x)
 same => n(end),Hangup()
include => b
ignorepat => 9
switch => IAX2/box
[b]
exten => _1X,1,NoOp(b)
include => a
`)
	r := d.List("", "")
	var got []string
	for _, it := range r.Items {
		switch {
		case it.Extension != "":
			got = append(got, it.Context+"/"+it.Extension+"/"+strings.TrimSpace(describe(&Priority{Number: it.Priority, Label: it.Label, App: it.App, Data: it.AppData})))
		case it.IncludeContext != "":
			got = append(got, it.Context+" include "+it.IncludeContext)
		case it.IgnorePattern != "":
			got = append(got, it.Context+" ignore "+it.IgnorePattern)
		case it.Switch != "":
			got = append(got, it.Context+" switch "+it.Switch)
		}
	}
	want := "b/_1X/1 NoOp(b) | b include a | a/1/hint SIP/1 | a/1/1 NoOp(x) | a/1/2(end) Hangup() | a include b | a ignore 9 | a switch IAX2/box"
	if g := strings.Join(got, " | "); g != want {
		t.Errorf("items:\n%s\nwant\n%s", g, want)
	}
	if r.Contexts != 2 || r.Extensions != 2 || r.Priorities != 4 || !r.ContextFound {
		t.Errorf("counters %+v", r)
	}
	// With an extension, includes are followed (and loops cut); the
	// context's switches are listed all the same, as Asterisk does.
	r = d.List("a", "12")
	if len(r.Items) != 2 || r.Items[0].Context != "b" || r.Items[1].Switch != "IAX2/box" || !r.ExtensionFound || r.Contexts != 2 {
		t.Errorf("12@a: %+v", r)
	}
	r = d.List("nope", "")
	if r.ContextFound {
		t.Error("found context nope")
	}
	r = d.List("a", "77")
	if r.ExtensionFound {
		t.Error("found 77")
	}
}

func TestShowDialplanText(t *testing.T) {
	d, _ := parseString(t, `
[a]
exten => 1,hint,SIP/1
exten => 1,1,NoOp(x)
 same => n(end),Hangup()
exten => 2/_5XX,1,NoOp()
include => b
ignorepat => 9
switch => IAX2/box
[b]
`)
	out, ok := d.ShowDialplan("a", "")
	want := `[ Context 'a' created by 'pbx_config' ]
  '1' =>            hint: SIP/1                                   [pbx_config]
                    1. NoOp(x)                                    [pbx_config]
     [end]          2. Hangup()                                   [pbx_config]
  '2' (CID match '_5XX') =>  1. NoOp()                                     [pbx_config]
  Include =>        'b'                                           [pbx_config]
  Ignore pattern => '9'                                           [pbx_config]
  Alt. Switch =>    'IAX2/box'                                    [pbx_config]

-= 2 extensions (4 priorities) in 1 context. =-
`
	if !ok || out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	for _, tc := range []struct{ ctx, exten, want string }{
		{"zz", "", "There is no existence of 'zz' context\n"},
		{"a", "7", "There is no existence of 7@a extension\n"},
		{"", "7", "There is no existence of '7' extension in all contexts\n"},
	} {
		out, ok := d.ShowDialplan(tc.ctx, tc.exten)
		if ok || !strings.HasSuffix(out, tc.want) {
			t.Errorf("show %s@%s = %q, %v", tc.exten, tc.ctx, out, ok)
		}
	}
	out, _ = d.ShowDialplan("", "")
	if !strings.HasSuffix(out, "-= 2 extensions (4 priorities) in 2 contexts. =-\n") {
		t.Errorf("all: %s", out)
	}
}
