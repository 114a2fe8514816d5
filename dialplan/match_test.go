package dialplan

import (
	"sort"
	"strings"
	"testing"
	"time"
)

func TestMatchExtension(t *testing.T) {
	tests := []struct {
		pattern, exten string
		want           bool
	}{
		{"1234", "1234", true},
		{"1234", "123", false},
		{"1234", "12345", false},
		{"555-1212", "5551212", true}, // '-' is decoration
		{"5551212", "555-1212", true},
		{"abc", "ABC", false}, // literal names are case-sensitive
		{"s", "s", true},
		{"h", "s", false},
		{"_X", "5", true},
		{"_x", "5", true},
		{"_X", "55", false},
		{"_X", "a", false},
		{"_Z", "0", false},
		{"_Z", "1", true},
		{"_N", "1", false},
		{"_N", "2", true},
		{"_n", "9", true},
		{"_NXX", "200", true},
		{"_NXX-XXXX", "555-1212", true},
		{"_NXXXXXX", "5551212", true},
		{"_[1-5]", "3", true},
		{"_[1-5]", "6", false},
		{"_[a-z]", "q", true},
		{"_[a-z]", "Q", false},
		{"_[1237-9]", "8", true},
		{"_[1237-9]", "5", false},
		{"_[a-]", "-", false}, // data dashes are skipped, never matched
		{"_[X]", "X", true},   // X is literal inside a set
		{"_[X]", "5", false},
		{"_9.", "9", false}, // '.' needs one more character
		{"_9.", "91", true},
		{"_9.", "9abc", true},
		{"_9!", "9", true}, // '!' takes zero or more
		{"_9!", "9123", true},
		{"_9X.", "91", false},
		{"_abc", "abc", true}, // letters other than N, X, Z are literal
		{"_abc", "ABC", false},
		{"_1[]2", "12", true}, // an empty set is ignored
		{"_1[2", "12", false}, // an unterminated set never matches
		{"_X.", "_X.", true},  // a pattern matches itself (label lookups)
		{"_X.", "_x.", true},
		{"_X.", "_N.", false},
		{"_", "", true},
		{"_X", "", false},
	}
	for _, tc := range tests {
		if got := MatchExtension(tc.pattern, tc.exten); got != tc.want {
			t.Errorf("MatchExtension(%q, %q) = %v, want %v", tc.pattern, tc.exten, got, tc.want)
		}
	}
}

func TestMatchModes(t *testing.T) {
	tests := []struct {
		pattern, data    string
		exact, can, more int
	}{
		{"1234", "12", noMatch, matched, matched},
		{"1234", "1234", matched, matched, noMatch},
		{"1234", "", noMatch, matched, matched},
		{"1234", "13", noMatch, noMatch, noMatch},
		{"_X.", "1", noMatch, matched, matched},
		{"_X.", "12", matched, matched, matched},
		{"_XX", "1", noMatch, matched, matched},
		{"_XX", "12", matched, matched, noMatch},
		{"_X!", "1", earlyMatch, earlyMatch, earlyMatch},
		{"_X!", "", noMatch, matched, matched},
		{"_1[]", "1", noMatch, matched, matched},
	}
	for _, tc := range tests {
		m := compileMatcher(tc.pattern)
		for _, c := range []struct {
			mode matchMode
			want int
		}{{matchExact, tc.exact}, {matchCan, tc.can}, {matchMore, tc.more}} {
			if got := m.match(tc.data, c.mode); got != c.want {
				t.Errorf("match(%q, %q, mode %d) = %d, want %d", tc.pattern, tc.data, c.mode, got, c.want)
			}
		}
	}
}

// The sorting example of Asterisk's "Pattern Matching" documentation.
func TestPatternOrderDocExample(t *testing.T) {
	d, _ := parseString(t, `
[users]
exten => _6XX1,1,SayAlpha(A)
exten => _64XX,1,SayAlpha(B)
exten => _640X,1,SayAlpha(C)
exten => _6.,1,SayAlpha(D)
exten => _64NX,1,SayAlpha(E)
exten => _6[45]NX,1,SayAlpha(F)
exten => _6[34]NX,1,SayAlpha(G)
`)
	c, _ := d.Context("users")
	var got []string
	for _, x := range c.Extensions() {
		got = append(got, x.Name())
	}
	want := "_640X _64NX _64XX _6[34]NX _6[45]NX _6XX1 _6."
	if g := strings.Join(got, " "); g != want {
		t.Errorf("order = %s\nwant    %s", g, want)
	}
	if p, _ := d.Find("users", "6421", "", 1); p == nil || p.Data != "E" {
		t.Errorf("6421 ran %v, want E", p)
	}
	out, ok := d.ShowDialplan("users", "6421")
	wantShow := `[ Context 'users' created by 'pbx_config' ]
  '_64NX' =>        1. SayAlpha(E)                                [pbx_config]
  '_64XX' =>        1. SayAlpha(B)                                [pbx_config]
  '_6[34]NX' =>     1. SayAlpha(G)                                [pbx_config]
  '_6[45]NX' =>     1. SayAlpha(F)                                [pbx_config]
  '_6XX1' =>        1. SayAlpha(A)                                [pbx_config]
  '_6.' =>          1. SayAlpha(D)                                [pbx_config]

-= 6 extensions (6 priorities) in 1 context. =-
`
	if !ok || out != wantShow {
		t.Errorf("dialplan show 6421@users:\n%s\nwant:\n%s", out, wantShow)
	}
}

func TestCompareExtensions(t *testing.T) {
	// Each list is in Asterisk's order.
	lists := [][]string{
		{"1", "12", "2", "_1", "_X"},
		{"100", "s", "_1XX", "_NXX", "_XXX", "_X."},
		{"_N", "_Z", "_X"},                       // fewer members first
		{"_[0-4]", "_[4-8]", "_[5-9]"},           // same size: lowest member first
		{"_X", "_[a-j]"},                         // X is 0-9, before a-j
		{"_1X", "_1.", "_1!"},                    // sets, then '.', then '!'
		{"_12", "_1X", "_1[23]", "_1."},          // one member, ten, two? no: sizes 1, 2, 10
		{"_5[1]", "_5X"},                         // a one-member set is a literal
		{"0", "00", "000", "1", "10", "9", "99"}, // byte order, shorter first
	}
	lists[6] = []string{"_12", "_1[23]", "_1X", "_1."}
	for _, l := range lists {
		for i := range l {
			for j := range l {
				got := CompareExtensions(l[i], l[j])
				want := 0
				switch {
				case i < j:
					want = -1
				case i > j:
					want = 1
				}
				if got != want {
					t.Errorf("CompareExtensions(%q, %q) = %d, want %d", l[i], l[j], got, want)
				}
			}
		}
		shuffled := append([]string(nil), l...)
		sort.Slice(shuffled, func(i, j int) bool { return CompareExtensions(shuffled[i], shuffled[j]) < 0 })
		if strings.Join(shuffled, " ") != strings.Join(l, " ") {
			t.Errorf("sorted = %v, want %v", shuffled, l)
		}
	}
	for _, eq := range [][2]string{{"_X", "_[0-9]"}, {"_X", "_x"}, {"_N", "_[2-9]"}, {"555-1212", "5551212"}, {"_1-2", "_12"}} {
		if c := CompareExtensions(eq[0], eq[1]); c != 0 {
			t.Errorf("CompareExtensions(%q, %q) = %d, want 0", eq[0], eq[1], c)
		}
	}
}

// The documentation's fall-through warning: a literal extension without
// priority 2 takes it from a matching pattern.
func TestFindFallsThroughToPatterns(t *testing.T) {
	d, _ := parseString(t, `
[c]
exten => 6410,1,SayDigits(987)
exten => _641X,1,SayDigits(12345)
exten => _641X,n,SayDigits(54321)
`)
	var got []string
	for prio := 1; ; prio++ {
		p, ok := d.Find("c", "6410", "", prio)
		if !ok {
			break
		}
		got = append(got, p.Data)
	}
	if g := strings.Join(got, " "); g != "987 54321" {
		t.Errorf("6410 runs %s", g)
	}
}

func TestIncludes(t *testing.T) {
	d, _ := parseString(t, `
[a]
exten => 1,1,NoOp(a1)
exten => _X,1,NoOp(aX)
include => b
include => c
[b]
exten => 2,1,NoOp(b2)
exten => 1,2,NoOp(b1-2)
include => a
include => d
[c]
exten => 2,1,NoOp(c2)
exten => 30,1,NoOp(c3)
exten => 44,hint,SIP/44
[d]
exten => 40,1,NoOp(d4)
include => d
`)
	tests := []struct {
		ctx, exten string
		prio       int
		want       string
	}{
		{"a", "1", 1, "a1"},   // own literal
		{"a", "2", 1, "aX"},   // own pattern before includes
		{"a", "1", 2, "b1-2"}, // priority 2 only in an include
		{"a", "22", 1, ""},    // nowhere
		{"b", "4", 1, "aX"},   // b includes a first
		{"b", "40", 1, "d4"},  // include of an include
		{"b", "30", 1, "c3"},  // b includes a, which includes c; loop-safe
		{"d", "40", 1, "d4"},  // self-include
		{"x", "1", 1, ""},     // no such context
	}
	for _, tc := range tests {
		p, ok := d.Find(tc.ctx, tc.exten, "", tc.prio)
		got := ""
		if ok {
			got = p.Data
		}
		if got != tc.want {
			t.Errorf("Find(%s, %s, %d) = %q, want %q", tc.ctx, tc.exten, tc.prio, got, tc.want)
		}
	}
	if h, ok := d.Hint("a", "44"); !ok || h != "SIP/44" {
		t.Errorf("hint through include = %q %v", h, ok)
	}
	if !d.CanMatch("a", "4", "") || d.MatchMore("a", "44", "") || !d.CanMatch("b", "", "") {
		t.Error("CanMatch/MatchMore through includes")
	}
	// "44" has only a hint: no priority 1, so it cannot be dialed.
	if d.CanMatch("c", "4", "") {
		t.Error("hint-only extension counted for CanMatch")
	}
}

func TestCanMatchAndMatchMore(t *testing.T) {
	d, _ := parseString(t, `
[c]
exten => 12,1,NoOp
exten => 123,1,NoOp
exten => _9!,1,NoOp
exten => _8X.,1,NoOp
exten => 7,hint,SIP/7
`)
	tests := []struct {
		digits    string
		can, more bool
	}{
		{"", true, true},
		{"1", true, true},
		{"12", true, true}, // 123 needs more
		{"123", true, false},
		{"1234", false, false},
		{"9", true, false}, // '!': complete now
		{"95", true, false},
		{"8", true, true},
		{"81", true, true},
		{"812", true, true},
		{"7", false, false}, // a hint alone is no extension to dial
		{"6", false, false},
	}
	for _, tc := range tests {
		if got := d.CanMatch("c", tc.digits, ""); got != tc.can {
			t.Errorf("CanMatch(%q) = %v", tc.digits, got)
		}
		if got := d.MatchMore("c", tc.digits, ""); got != tc.more {
			t.Errorf("MatchMore(%q) = %v", tc.digits, got)
		}
	}
}

func TestFindLabel(t *testing.T) {
	d, _ := parseString(t, `
[c]
exten => 100,1,NoOp
 same => n(top),NoOp
exten => _1XX,1,NoOp
 same => n,NoOp
 same => n(pat),NoOp
 same => pat+1,NoOp(after pat)
[d]
include => c
`)
	tests := []struct {
		ctx, exten, label string
		want              int
	}{
		{"c", "100", "top", 2},
		{"c", "100", "pat", 3}, // 100 lacks it: the pattern has it
		{"c", "150", "pat", 3},
		{"c", "150", "top", 0},
		{"c", "100", "TOP", 0}, // labels are case-sensitive
		{"d", "100", "top", 2},
		{"c", "_1XX", "pat", 3},
	}
	for _, tc := range tests {
		p, ok := d.FindLabel(tc.ctx, tc.exten, "", tc.label)
		got := 0
		if ok {
			got = p.Number
		}
		if got != tc.want {
			t.Errorf("FindLabel(%s, %s, %s) = %d, want %d", tc.ctx, tc.exten, tc.label, got, tc.want)
		}
	}
	if p, ok := d.Find("c", "150", "", 4); !ok || p.Data != "after pat" {
		t.Errorf("pat+1 = %v", p)
	}
}

func TestSpecialExtensionsAreLiteral(t *testing.T) {
	d, _ := parseString(t, `
[c]
exten => s,1,NoOp(s)
exten => h,1,NoOp(h)
exten => i,1,NoOp(i)
exten => t,1,NoOp(t)
exten => T,1,NoOp(T)
exten => e,1,NoOp(e)
exten => a,1,NoOp(a)
exten => o,1,NoOp(o)
exten => _X.,1,NoOp(digits)
`)
	for _, x := range []string{"s", "h", "i", "t", "T", "e", "a", "o"} {
		if p, ok := d.Find("c", x, "", 1); !ok || p.Data != x {
			t.Errorf("%s ran %v", x, p)
		}
	}
	if _, ok := d.Find("c", "S", "", 1); ok {
		t.Error("S matched s")
	}
}

func TestIgnorePattern(t *testing.T) {
	d, _ := parseString(t, "[c]\nignorepat => 9\nignorepat => _8X\n[d]\ninclude => c\n")
	for _, tc := range []struct {
		ctx, digits string
		want        bool
	}{{"c", "9", true}, {"c", "91", false}, {"c", "81", true}, {"d", "9", false}} {
		if got := d.IgnorePattern(tc.ctx, tc.digits); got != tc.want {
			t.Errorf("IgnorePattern(%s, %s) = %v", tc.ctx, tc.digits, got)
		}
	}
}

func TestTimedInclude(t *testing.T) {
	d, _ := parseString(t, `
[c]
include => day,09:00-17:00,mon-fri,*,*
include => night
[day]
exten => 1,1,NoOp(day)
[night]
exten => 1,1,NoOp(night)
`)
	defer func(f func() time.Time) { now = f }(now)
	for _, tc := range []struct {
		when string
		want string
	}{
		{"2026-11-27T10:00:00", "day"},   // Friday
		{"2026-11-27T17:00:00", "day"},   // the end minute counts
		{"2026-11-27T17:01:00", "night"}, // after
		{"2026-11-28T10:00:00", "night"}, // Saturday
	} {
		tm, err := time.ParseInLocation("2006-01-02T15:04:05", tc.when, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		now = func() time.Time { return tm }
		if p, ok := d.Find("c", "1", "", 1); !ok || p.Data != tc.want {
			t.Errorf("at %s ran %v, want %s", tc.when, p, tc.want)
		}
	}
}

func TestHints(t *testing.T) {
	d, err := Load(referenceDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range d.Hints() {
		got = append(got, h.Exten+"="+h.App)
	}
	if g := strings.Join(got, " "); g != "100=Custom:100 101=SIP/101 102=IAX2/iaxpeer1" {
		t.Errorf("hints = %s", g)
	}
}
