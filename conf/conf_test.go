package conf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// flat renders the real sections of f compactly for comparison:
// "name: k=v k=>v | name2: ...".
func flat(f *File) string {
	var b strings.Builder
	for i, s := range f.Sections {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(s.Name + ":")
		for _, e := range s.Entries {
			op := "="
			if e.Object {
				op = "=>"
			}
			b.WriteString(" " + e.Key + op + e.Value)
		}
	}
	return b.String()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"one section", "[general]\nenabled = yes\n", "general: enabled=yes"},
		{"object", "[ctx]\nexten => 100,1,Answer()\n", "ctx: exten=>100,1,Answer()"},
		{"object no blanks", "[ctx]\nexten=>s,1,NoOp\n", "ctx: exten=>s,1,NoOp"},
		{"blanks trimmed", "[a]\n  key   =   value with  spaces  \t\n", "a: key=value with  spaces"},
		{"empty value", "[a]\nkey =\n", "a: key="},
		{"equals in value", "[a]\nsetvar = A=B\n", "a: setvar=A=B"},
		{"repeated keys kept", "[a]\nk=1\nk=2\nk=3\n", "a: k=1 k=2 k=3"},
		{"crlf", "[a]\r\nk = v\r\n", "a: k=v"},
		{"no trailing newline", "[a]\nk = v", "a: k=v"},
		{"line comment", "[a] ; the section\nk = v ; a comment\n; whole line\n", "a: k=v"},
		{"escaped semicolon", "[a]\nk = a\\;b\\;c ; comment\n", "a: k=a;b;c"},
		{"double backslash semicolon", "[a]\nk = a\\\\;b\n", `a: k=a\;b`},
		{"other backslashes kept", "[a]\nk = a\\nb\n", `a: k=a\nb`},
		{"block comment", "[a]\n;-- k1 = no\nk2 = no --;\nk3 = yes\n", "a: k3=yes"},
		{"block comment inline", "[a]\nk ;-- gone --; = v\n", "a: k=v"},
		{"block comment ends mid line", "[a]\n;-- start\nend --; k = v\n", "a: k=v"},
		{"nested block comments", "[a]\n;-- ;-- inner --; still --;\nk = v\n", "a: k=v"},
		{"three dashes is a line comment", "[a]\n;--- not a block\nk = v\n", "a: k=v"},
		{"stray end marker is a comment", "[a]\nk = v --; rest\nk2 = w\n", "a: k=v -- k2=w"},
		{"duplicate sections kept apart", "[a]\nk=1\n[b]\nk=2\n[a]\nk=3\n", "a: k=1 | b: k=2 | a: k=3"},
		{"section name kept as written", "[Admin]\nk=v\n", "Admin: k=v"},
		{"text after header ignored", "[a] trailing\nk=v\n", "a: k=v"},
		{"template excluded", "[t](!)\nk=1\n[a](t)\nk=2\n", "a: k=1 k=2"},
		{"inherit order", "[t1](!)\na=1\n[t2](!)\nb=2\n[x](t2,t1)\nc=3\n", "x: b=2 a=1 c=3"},
		{"template inheriting", "[t1](!)\na=1\n[t2](!,t1)\nb=2\n[x](t2)\nc=3\n", "x: a=1 b=2 c=3"},
		{"inherit from real section", "[base]\na=1\n[x](base)\nb=2\n", "base: a=1 | x: a=1 b=2"},
		{"inherit case-insensitive", "[T](!)\na=1\n[x](t)\n", "x: a=1"},
		{"inherit is a snapshot", "[b]\na=1\n[x](b)\n[b](+)\nb=2\n", "b: a=1 b=2 | x: a=1"},
		{"append", "[a]\nk=1\n[b]\nk=2\n[a](+)\nk=3\n", "a: k=1 k=3 | b: k=2"},
		{"append to first of duplicates", "[a]\nk=1\n[a]\nk=2\n[a](+)\nk=3\n", "a: k=1 k=3 | a: k=2"},
		{"append with base", "[t](!)\nz=0\n[a]\nk=1\n[a](+,t)\nk=2\n", "a: k=1 z=0 k=2"},
		{"base then append", "[t](!)\nz=0\n[a]\nk=1\n[a](t,+)\nk=2\n", "a: k=1 z=0 k=2"},
		{"append filter", "[a]\ntype=x\n[a]\ntype=y\n[a](+type=y)\nk=1\n", "a: type=x | a: type=y k=1"},
		{"plus equals", "[a]\nk = one\nk += two\nk+=three\n", "a: k=one twothree"},
		{"plus equals to last", "[a]\nk=1\nk=2\nk += 3\n", "a: k=1 k=2 3"},
		{"plus equals new", "[a]\nk += 1\n", "a: k=1"},
		{"plus equals on inherited", "[t](!)\nk=1\n[a](t)\nk += 2\n", "a: k=1 2"},
		{"escaped key", "[a]\n\\[b] = 1\n\\#c = 2\n", "a: [b]=1 #c=2"},
		{"escaped equals", "[a]\n\\=k = v\n", "a: =k=v"},
		{"empty options", "[a]()\nk=v\n", "a: k=v"},
		{"blank options trimmed", "[t](!)\nz=0\n[a]( t , )\nk=v\n", "a: z=0 k=v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("test.conf", strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := flat(f); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"entry before section", "\n\nk = v\n", 3, "before any section"},
		{"no closing bracket", "[a\nk=v\n", 1, "no closing ']'"},
		{"no closing paren", "[a](!\n", 1, "no closing ')'"},
		{"missing base", "[a](nope)\n", 1, `section "nope" does not exist`},
		{"append to missing", "[x]\n[a](+)\n", 2, `section "a" does not exist`},
		{"append to template", "[a](!)\n[a](+)\n", 2, `section "a" does not exist`},
		{"invalid escape", "[a]\n\\ k = v\n", 2, "invalid escape"},
		{"bad append filter", "[a]\n[a](+x=[)\n", 2, "bad filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.conf", strings.NewReader(tt.in))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if ce.File != "test.conf" || ce.Line != tt.line {
				t.Errorf("position %s:%d, want test.conf:%d", ce.File, ce.Line, tt.line)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "test.conf:") {
				t.Errorf("error %q does not start with file:line", err)
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	long := "[a]\nk = " + strings.Repeat("x", MaxLineLength) + "\nk2 = v\n"
	tests := []struct {
		name string
		in   string
		want []string // "line: substring"
		flat string
	}{
		{"no equals", "[a]\njunk\nk=v\n", []string{"2: no '='"}, "a: k=v"},
		{"no key", "[a]\n= v\n", []string{"2: no variable name"}, "a:"},
		{"unknown directive", "[a]\n#frobnicate x\n", []string{"2: unknown directive '#frobnicate'"}, "a:"},
		{"exec", "[a]\n#exec /bin/true\n", []string{"2: #exec is not supported"}, "a:"},
		{"include without name", "[a]\n#include\n", []string{"2: needs a file name"}, "a:"},
		{"unterminated comment", "[a]\nk=v\n;-- open\nk2=w\n", []string{"3: unterminated comment"}, "a: k=v"},
		{"line too long", long, []string{"2: line too long"}, "a: k2=v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("w.conf", strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(f.Warnings) != len(tt.want) {
				t.Fatalf("warnings %v, want %v", f.Warnings, tt.want)
			}
			for i, w := range f.Warnings {
				line, msg, _ := strings.Cut(tt.want[i], ": ")
				if got := w.String(); !strings.HasPrefix(got, "w.conf:"+line+": ") || !strings.Contains(got, msg) {
					t.Errorf("warning %q, want line %s with %q", got, line, msg)
				}
			}
			if got := flat(f); got != tt.flat {
				t.Errorf("got %q, want %q", got, tt.flat)
			}
		})
	}
}

func TestPositionsAndLookups(t *testing.T) {
	in := "[t](!)\nsecret = s\n\n[User](t)\nread = all\nread = call\nexten => 1\n[other]\n"
	f, err := Parse("/etc/x/pos.conf", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if f.Dir != "/etc/x" {
		t.Errorf("Dir = %q", f.Dir)
	}
	u := f.Section("user")
	if u == nil || u != f.Section("USER") || u.Name != "User" {
		t.Fatalf("Section lookup is not case-insensitive: %v", u)
	}
	if u.Line != 4 || u.File != "/etc/x/pos.conf" {
		t.Errorf("section at %s:%d", u.File, u.Line)
	}
	if !reflect.DeepEqual(u.Bases, []string{"t"}) {
		t.Errorf("Bases = %v", u.Bases)
	}
	want := []Entry{
		{Key: "secret", Value: "s", Inherited: true, File: "/etc/x/pos.conf", Line: 2},
		{Key: "read", Value: "all", File: "/etc/x/pos.conf", Line: 5},
		{Key: "read", Value: "call", File: "/etc/x/pos.conf", Line: 6},
		{Key: "exten", Value: "1", Object: true, File: "/etc/x/pos.conf", Line: 7},
	}
	if !reflect.DeepEqual(u.Entries, want) {
		t.Errorf("entries\n got %+v\nwant %+v", u.Entries, want)
	}
	if v, ok := u.Get("READ"); !ok || v != "all" {
		t.Errorf("Get(READ) = %q, %v", v, ok)
	}
	if _, ok := u.Get("nope"); ok {
		t.Error("Get(nope) found something")
	}
	if got := u.Values("Read"); !reflect.DeepEqual(got, []string{"all", "call"}) {
		t.Errorf("Values = %v", got)
	}
	if f.Section("t") != nil {
		t.Error("template returned by Section")
	}
	if tp := f.Template("T"); tp == nil || !tp.Template {
		t.Error("Template(T) not found")
	}
	if n := len(f.SectionsNamed("other")); n != 1 {
		t.Errorf("SectionsNamed = %d", n)
	}
	if len(f.Sections) != 2 || len(f.Templates) != 1 {
		t.Errorf("%d sections, %d templates", len(f.Sections), len(f.Templates))
	}
}

// writeFiles creates files (name -> content) under a fresh directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadIncludes(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"plain", map[string]string{
			"main.conf": "[a]\nk=1\n#include inc.conf\n",
			"inc.conf":  "[b]\nk=2\n",
		}, "a: k=1 | b: k=2"},
		{"quoted", map[string]string{
			"main.conf":        "[a]\n#include \"sub dir/inc.conf\"\n#include <inc2.conf>\n",
			"sub dir/inc.conf": "[b]\n",
			"inc2.conf":        "[c]\n",
		}, "a: | b: | c:"},
		{"continues current section", map[string]string{
			"main.conf": "[a]\nk=1\n#include inc.conf\n",
			"inc.conf":  "k=2\n",
		}, "a: k=1 k=2"},
		{"includer keeps its own section", map[string]string{
			"main.conf": "[a]\nk=1\n#include inc.conf\nk=3\n#include inc2.conf\n",
			"inc.conf":  "[b]\nk=2\n",
			"inc2.conf": "k=4\n",
		}, "a: k=1 k=3 | b: k=2 k=4"},
		{"relative to the config dir", map[string]string{
			"main.conf":    "[a]\n#include sub/inc.conf\n",
			"sub/inc.conf": "#include other.conf\n",
			"other.conf":   "[o]\n",
		}, "a: | o:"},
		{"tryinclude missing", map[string]string{
			"main.conf": "[a]\n#tryinclude nope.conf\nk=1\n",
		}, "a: k=1"},
		{"glob", map[string]string{
			"main.conf":     "[a]\n#include conf.d/*.conf\n",
			"conf.d/2.conf": "[two]\n",
			"conf.d/1.conf": "[one]\n",
			"conf.d/x.txt":  "[never]\n",
		}, "a: | one: | two:"},
		{"glob shares section", map[string]string{
			"main.conf": "#include d/*.conf\n",
			"d/1.conf":  "[s]\nk=1\n",
			"d/2.conf":  "k=2\n",
		}, "s: k=1 k=2"},
		{"braces", map[string]string{
			"main.conf": "#include {b,a}.inc\n",
			"a.inc":     "[a]\n",
			"b.inc":     "[b]\n",
		}, "b: | a:"},
		{"tryinclude empty glob", map[string]string{
			"main.conf": "[a]\n#tryinclude none/*.conf\n",
		}, "a:"},
		{"same file twice", map[string]string{
			"main.conf": "#include inc.conf\n#include inc.conf\n",
			"inc.conf":  "[x]\n",
		}, "x: | x:"},
		{"append across files", map[string]string{
			"main.conf": "[u]\nk=1\n#include inc.conf\n",
			"inc.conf":  "[u](+)\nk=2\n",
		}, "u: k=1 k=2"},
		{"directive case-insensitive", map[string]string{
			"main.conf": "#INCLUDE inc.conf\n",
			"inc.conf":  "[x]\n",
		}, "x:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			f, err := Load(dir, "main.conf")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := flat(f); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestLoadPositions(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.conf": "[a]\nk=1\n#include inc.conf\n",
		"inc.conf":  "\n[b]\nk=2\n",
	})
	f, err := Load(dir, "main.conf")
	if err != nil {
		t.Fatal(err)
	}
	b := f.Section("b")
	inc := filepath.Join(dir, "inc.conf")
	if b.File != inc || b.Line != 2 || b.Entries[0].File != inc || b.Entries[0].Line != 3 {
		t.Errorf("b at %s:%d, entry at %s:%d", b.File, b.Line, b.Entries[0].File, b.Entries[0].Line)
	}
	want := []string{filepath.Join(dir, "main.conf"), inc}
	if !reflect.DeepEqual(f.Files, want) {
		t.Errorf("Files = %v, want %v", f.Files, want)
	}
	if f.Dir != dir {
		t.Errorf("Dir = %q", f.Dir)
	}
}

func TestLoadAbsoluteInclude(t *testing.T) {
	other := writeFiles(t, map[string]string{"abs.conf": "[abs]\n"})
	dir := writeFiles(t, map[string]string{
		"main.conf": "#include " + filepath.Join(other, "abs.conf") + "\n",
	})
	f, err := Load(dir, "main.conf")
	if err != nil {
		t.Fatal(err)
	}
	if got := flat(f); got != "abs:" {
		t.Errorf("got %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	deep := map[string]string{"main.conf": "#include d1.conf\n"}
	for i := 1; i < MaxIncludeDepth+1; i++ {
		deep["d"+strconv.Itoa(i)+".conf"] = "#include d" + strconv.Itoa(i+1) + ".conf\n"
	}
	deep["d"+strconv.Itoa(MaxIncludeDepth+1)+".conf"] = "[deep]\n"
	okDepth := map[string]string{"main.conf": "#include d1.conf\n"}
	for i := 1; i < MaxIncludeDepth-1; i++ {
		okDepth["d"+strconv.Itoa(i)+".conf"] = "#include d" + strconv.Itoa(i+1) + ".conf\n"
	}
	okDepth["d"+strconv.Itoa(MaxIncludeDepth-1)+".conf"] = "[deep]\n"

	tests := []struct {
		name     string
		files    map[string]string
		load     string
		wantErr  string // "" = no error
		notExist bool
	}{
		{"missing file", map[string]string{}, "main.conf", "no such file", true},
		{"missing include", map[string]string{
			"main.conf": "[a]\n\n#include nope.conf\n",
		}, "main.conf", "main.conf:3: the file \"nope.conf\" was listed as a #include but it does not exist", true},
		{"empty glob include", map[string]string{
			"main.conf": "#include none/*.conf\n",
		}, "main.conf", "does not exist", true},
		{"cycle", map[string]string{
			"main.conf": "#include a.conf\n",
			"a.conf":    "#include b.conf\n",
			"b.conf":    "#include a.conf\n",
		}, "main.conf", "b.conf:1: include cycle", false},
		{"self include", map[string]string{
			"main.conf": "[x]\n#include main.conf\n",
		}, "main.conf", "main.conf:2: include cycle", false},
		{"too deep", deep, "main.conf", "maximum include depth 10 exceeded", false},
		{"deepest allowed", okDepth, "main.conf", "", false},
		{"error in included file", map[string]string{
			"main.conf": "[a]\n#include bad.conf\n",
			"bad.conf":  "[b](nope)\n",
		}, "main.conf", "bad.conf:1: inheritance requested", false},
		{"include directory", map[string]string{
			"main.conf":  "#include sub\n",
			"sub/x.conf": "[x]\n",
		}, "main.conf", "does not exist", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := Load(dir, tt.load)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v", got)
			}
		})
	}
}

func TestIncludesDisabled(t *testing.T) {
	f, err := parse("x.conf", strings.NewReader("[a]\n#include /etc/passwd\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0].Msg, "includes are disabled") {
		t.Errorf("warnings %v", f.Warnings)
	}
}

func TestExpandBraces(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a", []string{"a"}},
		{"{a,b}", []string{"a", "b"}},
		{"x{a,b}y", []string{"xay", "xby"}},
		{"{a,b}{1,2}", []string{"a1", "a2", "b1", "b2"}},
		{"{a,{b,c}}", []string{"a", "b", "c"}},
		{"{a", []string{"{a"}},
		{"{}", []string{""}},
	}
	for _, tt := range tests {
		got, err := expandBraces(tt.in, nil)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("expandBraces(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := expandBraces(strings.Repeat("{a,b}", 11), nil); err == nil {
		t.Error("2^11 patterns accepted")
	}
}

func TestReferenceConfigs(t *testing.T) {
	dir := "/work/shared/ami-reference/asterisk-20.20.1/etc"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("reference configs not available")
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	for _, n := range names {
		f, err := Load(dir, filepath.Base(n))
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if len(f.Sections) == 0 {
			t.Errorf("%s: no sections", n)
		}
	}
}
