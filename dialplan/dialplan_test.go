package dialplan

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

const referenceDir = "../testdata/asterisk-20.20.1/etc"

// prio describes an expected priority compactly: "1 Answer()" or
// "hint Custom:100" or "2(lbl) Playback(x)".
func describe(p *Priority) string {
	n := fmt.Sprint(p.Number)
	if p.IsHint() {
		return "hint " + p.App
	}
	if p.Label != "" {
		n += "(" + p.Label + ")"
	}
	return n + " " + p.App + "(" + p.Data + ")"
}

func extDump(c *Context) map[string][]string {
	out := map[string][]string{}
	for _, x := range c.Extensions() {
		for _, p := range x.Priorities() {
			out[x.Name()] = append(out[x.Name()], describe(p))
		}
	}
	return out
}

func TestReferenceConfigLoads(t *testing.T) {
	d, err := Load(referenceDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := d.Warnings(); len(w) != 0 {
		t.Errorf("warnings loading the reference config:\n%s", warningsText(d))
	}
	g := d.Settings()
	if !g.Static || g.WriteProtect || g.ClearGlobalVars || !g.AutoFallthrough {
		t.Errorf("general = %+v", g)
	}
	if v, ok := d.Global("REFGLOBAL"); !ok || v != "hello" {
		t.Errorf("REFGLOBAL = %q, %v", v, ok)
	}
	var names []string
	for _, c := range d.Contexts() {
		names = append(names, c.Name())
	}
	// Asterisk walks contexts newest first.
	if got := strings.Join(names, " "); got != "bench members default" {
		t.Errorf("contexts = %s", got)
	}
	want := map[string]map[string][]string{
		"default": {
			"1234": {"1 Answer()", "2 Playback(hello-world)", "3 Wait(5)", "4 Hangup()"},
			"600":  {"1 Answer()", "2 Echo()", "3 Hangup()"},
			"680":  {"1 Answer()", "2 ConfBridge(680)", "3 Hangup()"},
			"100":  {"hint Custom:100", "1 Dial(SIP/100,20)"},
			"101":  {"hint SIP/101", "1 Dial(SIP/101,20)"},
			"102":  {"hint IAX2/iaxpeer1", "1 Dial(IAX2/iaxpeer1,20)"},
			"103":  {"1 NoOp(no hint here)", "2 Hangup()"},
			"8500": {"1 VoiceMailMain(1234@default,s)"},
			"8501": {"1 VoiceMail(1234@default,u)"},
			"700":  {"1 Answer()", "2 Queue(support,,,,60)", "3 Hangup()"},
			"701":  {"1 Answer()", "2 Queue(hold,,,,60)", "3 Hangup()"},
			"2000": {"1 Answer()", "2 Set(REFVAR=refvalue)", "3 Wait(120)", "4 Hangup()"},
			"300":  {"1 Answer()", "2 Dial(Local/2000@default,120)", "3 Hangup()"},
		},
		"members": {"_X": {"1 Answer()", "2 Wait(30)", "3 Hangup()"}},
		"bench": {
			"200": {"1 Answer()", "2 Hangup()"},
			"201": {"1 NoOp(bench)", "2 Hangup()"},
		},
	}
	for ctx, exts := range want {
		c, ok := d.Context(ctx)
		if !ok {
			t.Fatalf("no context %s", ctx)
		}
		got := extDump(c)
		if len(got) != len(exts) {
			t.Errorf("%s has %d extensions, want %d: %v", ctx, len(got), len(exts), got)
		}
		for name, prios := range exts {
			if g := strings.Join(got[name], " | "); g != strings.Join(prios, " | ") {
				t.Errorf("%s/%s = %s\nwant %s", ctx, name, g, strings.Join(prios, " | "))
			}
		}
	}
	// Positions point into the file.
	p, ok := d.Find("default", "1234", "", 2)
	if !ok || !strings.HasSuffix(p.File, "extensions.conf") || p.Line != 12 {
		t.Errorf("1234/2 at %s:%d", p.File, p.Line)
	}
	// Literal names sort before patterns and in byte order.
	var order []string
	c, _ := d.Context("default")
	for _, x := range c.Extensions() {
		order = append(order, x.Name())
	}
	if got := strings.Join(order, " "); got != "100 101 102 103 1234 2000 300 600 680 700 701 8500 8501" {
		t.Errorf("default order = %s", got)
	}
	for _, tc := range []struct {
		ctx, exten string
		prio       int
		app        string
	}{
		{"members", "5", 2, "Wait"},
		{"members", "0", 1, "Answer"},
		{"bench", "201", 1, "NoOp"},
		{"default", "100", 1, "Dial"},
	} {
		p, ok := d.Find(tc.ctx, tc.exten, "", tc.prio)
		if !ok || p.App != tc.app {
			t.Errorf("Find(%s,%s,%d) = %v, %v", tc.ctx, tc.exten, tc.prio, p, ok)
		}
	}
	if d.Exists("members", "55", "", 1) {
		t.Error("_X matched two digits")
	}
	if h, ok := d.Hint("default", "101"); !ok || h != "SIP/101" {
		t.Errorf("hint 101 = %q %v", h, ok)
	}
	if _, ok := d.Hint("default", "103"); ok {
		t.Error("103 has a hint")
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(t.TempDir(), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Parse(nil, nil); err == nil {
		t.Fatal("Parse(nil) succeeded")
	}
}

func TestParseLines(t *testing.T) {
	d, _ := parseString(t, `
[general]
autofallthrough = no
extenpatternmatchnew = yes
bogus = 1

[globals]
A = 1
B = ${A}2
C = $[${B} + 1]
D = ${LEN(${C})}
A =
_INH = x

[t]
exten => 100,1,NoOp(one)
 same => n(second),NoOp(two)
 same => n,Goto(t,100,second)
 same => 10,NoOp(ten)
 same => n,NoOp(eleven)
 same => second+5,NoOp(seven)
exten => 101,hint,SIP/101&SIP/102
exten => 101,1,Dial(SIP/101)
exten => 102,1,Dial,SIP/102,20
exten => 103,1,Set(X=${EXTEN}(y))
 same => n,NoOp(a(b)c)trailing
 same => n,NoOp
exten => 104 , 1 , NoOp(spaced)
exten => 555-1212,1,NoOp(dashes)
exten => _[1,2]X,1,NoOp(comma in set)
exten => ${B},1,NoOp(from global)
exten => 106,1+2,NoOp(three)
`)
	if !warnOK(t, d, "unknown [general] option 'bogus'", "old-style application arguments 'Dial,SIP/102,20'") {
		return
	}
	g := d.Settings()
	if g.AutoFallthrough || !g.ExtenPatternMatchNew {
		t.Errorf("general = %+v", g)
	}
	for name, want := range map[string]string{"B": "12", "C": "13", "D": "2", "INH": "x", "_INH": ""} {
		got, ok := d.Global(name)
		if want == "" {
			if ok {
				t.Errorf("global %s = %q, want unset", name, got)
			}
			continue
		}
		if got != want {
			t.Errorf("global %s = %q, want %q", name, got, want)
		}
	}
	if _, ok := d.Global("A"); ok {
		t.Error("A = (empty) did not unset A")
	}
	c, _ := d.Context("t")
	got := extDump(c)
	want := map[string]string{
		"100":      "1 NoOp(one) | 2(second) NoOp(two) | 3 Goto(t,100,second) | 7 NoOp(seven) | 10 NoOp(ten) | 11 NoOp(eleven)",
		"101":      "hint SIP/101&SIP/102 | 1 Dial(SIP/101)",
		"102":      "1 Dial(SIP/102,20)",
		"103":      "1 Set(X=${EXTEN}(y)) | 2 NoOp(a(b)c) | 3 NoOp()",
		"104":      "1 NoOp(spaced)",
		"555-1212": "1 NoOp(dashes)",
		"_[1,2]X":  "1 NoOp(comma in set)",
		"12":       "1 NoOp(from global)",
		"106":      "3 NoOp(three)",
	}
	for name, w := range want {
		if g := strings.Join(got[name], " | "); g != w {
			t.Errorf("%s = %s\nwant %s", name, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("extensions: %v", got)
	}
	// 555-1212 is 5551212 to a caller.
	if p, ok := d.Find("t", "5551212", "", 1); !ok || p.Data != "dashes" {
		t.Errorf("5551212: %v %v", p, ok)
	}
	if p, ok := d.FindLabel("t", "100", "", "second"); !ok || p.Number != 2 {
		t.Errorf("label second: %v %v", p, ok)
	}
}

// warnOK checks that the warnings are exactly the expected ones (given as
// substrings), reporting the rest.
func warnOK(t *testing.T, d *Dialplan, want ...string) bool {
	t.Helper()
	ws := d.Warnings()
	ok := true
	if len(ws) != len(want) {
		t.Errorf("got %d warnings, want %d:\n%s", len(ws), len(want), warningsText(d))
		return false
	}
	for i, w := range want {
		if !strings.Contains(ws[i].Msg, w) {
			t.Errorf("warning %d = %q, want %q", i, ws[i].Msg, w)
			ok = false
		}
	}
	return ok
}

func TestParseWarnings(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // warning substrings, each with its line
	}{
		{"next on first entry", "[c]\nexten => 1,n,NoOp\n", []string{"2: Can't use 'next' priority on the first entry"}},
		{"same on first entry", "[c]\nexten => 1,s,NoOp\n", []string{"2: Can't use 'same' priority on the first entry"}},
		{"same without exten", "[c]\nsame => n,NoOp\n", []string{"2: No previous pattern in the first entry of context 'c' to match 'same'"}},
		{"bad priority", "[c]\nexten => 1,0,NoOp\nexten => 1,-3,NoOp\nexten => 1,x,NoOp\n", []string{
			"2: Invalid priority '0'", "3: Invalid priority '-3'", "4: Invalid priority/label 'x'"}},
		{"label without paren", "[c]\nexten => 1,1(foo,NoOp\n", []string{"2: Label missing trailing ')'"}},
		{"no closing paren", "[c]\nexten => 1,1,NoOp(foo\n", []string{"2: No closing parenthesis found? 'NoOp(foo'"}},
		{"duplicate priority", "[c]\nexten => 1,1,NoOp(a)\nexten => 1,1,NoOp(b)\n", []string{
			"3: Unable to register extension '1' priority 1 in 'c', already in use (extensions.conf:2)"}},
		{"aliased duplicate", "[c]\nexten => _X,1,NoOp(a)\nexten => _[0-9],1,NoOp(b)\n", []string{
			"3: Unable to register extension '_[0-9]' priority 1 in 'c', already in use by aliased extension '_X'"}},
		{"duplicate label", "[c]\nexten => 1,1(a),NoOp\nexten => 1,2(a),NoOp\n", []string{
			"3: Extension '1' priority 2 in 'c', label 'a' already in use at priority 1"}},
		{"unknown directive", "[c]\nfoo => bar\n", []string{"2: ==!!== Unknown directive: foo -- IGNORING!!!"}},
		{"switch", "[c]\nswitch => IAX2/user@peer/ctx\n", []string{"2: switches are not supported"}},
		{"duplicate include", "[c]\ninclude => d\ninclude => d\n[d]\n", []string{"3: Context 'd' already included in 'c' context on include"}},
		{"missing include", "[c]\ninclude => nowhere\n", []string{"2: Context 'c' tries to include nonexistent context 'nowhere'"}},
		{"duplicate ignorepat", "[c]\nignorepat => 9\nignorepat => 9\n", []string{"3: Unable to include ignorepat '9' in context 'c'"}},
		{"discouraged", "[c]\nexten => _.,1,NoOp\n", []string{"2: The use of '_.' for an extension is strongly discouraged"}},
		{"empty exten", "[c]\nexten => ,1,NoOp\n", []string{"2: You have to be kidding-- add exten '' to context c?"}},
		{"n after hint", "[c]\nexten => 1,hint,SIP/1\nexten => 1,n,NoOp\n", []string{"3: priority 0 (after a hint?) is ignored"}},
		{"bad timing", "[c]\ninclude => d,25:00,mon,*,*\n[d]\n", []string{"2: include d,25:00,mon,*,*: 25:00 isn't a valid time"}},
		{"second general", "[general]\n[general]\n", []string{"2: only the first [general] section is read"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, log := parseString(t, tc.text)
			ws := warningsText(d)
			if n := strings.Count(ws, "\n"); n != len(tc.want) {
				t.Fatalf("%d warnings, want %d:\n%s", n, len(tc.want), ws)
			}
			for _, w := range tc.want {
				if !strings.Contains(ws, "extensions.conf:"+w) {
					t.Errorf("missing %q in:\n%s", w, ws)
				}
				line, _, _ := strings.Cut(w, ":")
				if !strings.Contains(log, "pos=extensions.conf:"+line) {
					t.Errorf("log lacks position %s:\n%s", line, log)
				}
			}
		})
	}
}

// Duplicate sections merge into one context; "same" and "n" restart with
// each section, as in Asterisk.
func TestDuplicateContextsMerge(t *testing.T) {
	d, _ := parseString(t, `
[a]
exten => 1,1,NoOp(first)
exten => 2,1,NoOp(two)
[b]
exten => 9,1,NoOp
[a]
exten => 1,2,NoOp(second)
exten => 1,1,NoOp(duplicate)
include => b
`)
	c, _ := d.Context("a")
	got := extDump(c)
	if g := strings.Join(got["1"], " | "); g != "1 NoOp(first) | 2 NoOp(second)" {
		t.Errorf("1 = %s", g)
	}
	if len(c.Includes()) != 1 {
		t.Errorf("includes = %v", c.Includes())
	}
	if !strings.Contains(warningsText(d), "extensions.conf:9: Unable to register extension '1' priority 1 in 'a'") {
		t.Errorf("warnings:\n%s", warningsText(d))
	}
	var names []string
	for _, c := range d.Contexts() {
		names = append(names, c.Name())
	}
	if strings.Join(names, " ") != "b a" {
		t.Errorf("order = %v", names)
	}
}

func TestHintSubstitution(t *testing.T) {
	d, _ := parseString(t, `
[globals]
DEV = SIP
[c]
exten => 100,hint,${DEV}/${EXTEN}@${CONTEXT}
exten => _1XX,hint,${DEV}/${EXTEN}
`)
	if h, _ := d.Hint("c", "100"); h != "SIP/100@c" {
		t.Errorf("hint = %q", h)
	}
	// A pattern's hint is expanded for the extension asked about.
	if h, _ := d.Hint("c", "150"); h != "SIP/150" {
		t.Errorf("pattern hint = %q", h)
	}
}

func TestCallerIDExtensionsSortFirst(t *testing.T) {
	d, _ := parseString(t, `
[c]
exten => 306,1,NoOp(plain)
exten => 306/_102,1,NoOp(102)
exten => 306/_101,1,NoOp(101)
exten => 306/,1,NoOp(no callerid)
 same => n,NoOp(two)
`)
	c, _ := d.Context("c")
	var got []string
	for _, x := range c.Extensions() {
		cid, m := x.CallerID()
		got = append(got, fmt.Sprintf("%s/%s/%v", x.Name(), cid, m))
	}
	if g := strings.Join(got, " "); g != "306//true 306/_101/true 306/_102/true 306//false" {
		t.Errorf("order = %s", g)
	}
	for cid, want := range map[string]string{"101": "101", "102": "102", "103": "plain", "": "no callerid"} {
		p, ok := d.Find("c", "306", cid, 1)
		if !ok || p.Data != want {
			t.Errorf("cid %q: %v %v, want %s", cid, p, ok, want)
		}
	}
	// "same" keeps the caller-ID part.
	if p, ok := d.Find("c", "306", "", 2); !ok || p.Data != "two" {
		t.Errorf("same => n after 306/: %v %v", p, ok)
	}
}
