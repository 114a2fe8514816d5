package manager

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/asterism-pbx/asterism/ami"
)

// testEvent builds a published event from Asterisk-style text
// ("Event: X\r\nKey: Value\r\n..."), with the headers parsed out.
func testEvent(name, text string) *Event {
	ev := &Event{Name: name, Class: PermCall}
	for _, line := range strings.Split(text, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "Event" {
			continue
		}
		ev.Headers = append(ev.Headers, ami.Header{Key: k, Value: strings.TrimPrefix(v, " ")})
	}
	ev.text = []byte(text)
	return ev
}

var (
	evNewchannel = func() *Event {
		return testEvent("Newchannel", "Event: Newchannel\r\nChannel: XXX\r\nSomeheader: YYY\r\n")
	}
	evVarSet = func() *Event {
		return testEvent("VarSet", "Event: VarSet\r\nChannel: ABC\r\nSomeheader: XXX\r\n")
	}
)

// TestParseFilterAsterisk runs the cases of Asterisk's
// eventfilter_test_creation: each filter alone in a set, against one event.
func TestParseFilterAsterisk(t *testing.T) {
	tests := []struct {
		key, value string
		wantErr    error
		method     MatchMethod
		name       string
		header     string
		exclude    bool
		event      func() *Event
		send       bool
	}{
		{"eventfilter", "XXX", nil, MatchRegex, "", "", false, evNewchannel, true},
		{"eventfilter", "!XXX", nil, MatchRegex, "", "", true, evVarSet, false},
		{"eventfilter(name(VarSet),method(none))", "", nil, MatchNone, "VarSet", "", false, evVarSet, true},
		{"eventfilter(name(Newchannel),method(regex))", "X[XYZ]X", nil, MatchRegex, "Newchannel", "", false, evNewchannel, true},
		{"eventfilter(name(Newchannel),method(regex))", "X[abc]X", nil, MatchRegex, "Newchannel", "", false, evNewchannel, false},
		{"eventfilter(action(exclude),name(Newchannel),method(regex))", "X[XYZ]X", nil, MatchRegex, "Newchannel", "", true, evNewchannel, false},
		{"eventfilter(action(exclude),name(Newchannel),method(regex))", "X[abc]X", nil, MatchRegex, "Newchannel", "", true, evNewchannel, true},
		{"eventfilter(action(include),name(VarSet),header(Channel),method(starts_with))", "AB", nil, MatchStartsWith, "VarSet", "Channel", false, evVarSet, true},
		{"eventfilter(action(include),name(VarSet),header(Channel),method(ends_with))", "BC", nil, MatchEndsWith, "VarSet", "Channel", false, evVarSet, true},
		{"eventfilter(action(include),name(VarSet),header(Channel),method(exact))", "ABC", nil, MatchExact, "VarSet", "Channel", false, evVarSet, true},
		{"eventfilter(action(include),name(VarSet),header(Channel),method(exact))", "XXX", nil, MatchExact, "VarSet", "Channel", false, evVarSet, false},
		{"eventfilter(name(VarSet),header(Channel),method(exact))", "!ZZZ", nil, MatchExact, "VarSet", "Channel", true, evVarSet, true},
		{"eventfilter(action(exclude),name(VarSet),header(Channel),method(exact))", "ZZZ", nil, MatchExact, "VarSet", "Channel", true, evVarSet, true},
		{"eventfilter(action(include),name(VarSet),header(Someheader),method(exact))", "!XXX", nil, MatchExact, "VarSet", "Someheader", false, evVarSet, true},

		{"eventfilter(action(include)", "", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(action(inlude)", "", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(nnnn(yyy)", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(eader(VarSet)", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(ethod(contains)", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(nnnn(yyy),header(VarSet),method(contains)", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(name(yyy),heder(VarSet),method(contains)", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(name(yyy),header(VarSet),mehod(contains)", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(name(yyy),header(VarSet),method(coantains)", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter(method(yyy))", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter", "", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter", "!", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter()", "XXX", ErrFilterFormat, 0, "", "", false, nil, false},
		{"eventfilter", "XX[X", ErrFilterCompile, 0, "", "", false, nil, false},
		{"eventfilter(method(regex))", "XX[X", ErrFilterCompile, 0, "", "", false, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			f, err := ParseFilter(tt.key, tt.value)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if f.method != tt.method || f.name != tt.name || f.header != tt.header || f.Exclude() != tt.exclude {
				t.Fatalf("got method %v name %q header %q exclude %v", f.method, f.name, f.header, f.Exclude())
			}
			var s FilterSet
			s.Add(f)
			if got := s.Match(tt.event()); got != tt.send {
				t.Errorf("Match = %v, want %v", got, tt.send)
			}
		})
	}
}

// TestFilterSetAsterisk runs Asterisk's eventfilter_test_matching: several
// include and exclude filters together.
func TestFilterSetAsterisk(t *testing.T) {
	filters := [][2]string{
		{"eventfilter(name(VarSet),method(none))", ""},
		{"eventfilter(name(Newchannel),method(regex))", "X[XYZ]X"},
		{"eventfilter(name(Newchannel),method(regex))", "X[abc]X"},
		{"eventfilter(name(Newchannel),header(Someheader),method(regex))", "ZZZ"},
		{"eventfilter(action(exclude),name(Newchannel),method(regex))", "X[a]X"},
		{"eventfilter(action(exclude),name(Newchannel),method(regex))", "X[Z]X"},
		{"eventfilter(action(exclude),name(VarSet),header(Channel),method(regex))", "YYY"},
	}
	var s FilterSet
	for _, kv := range filters {
		f, err := ParseFilter(kv[0], kv[1])
		if err != nil {
			t.Fatalf("%s = %s: %v", kv[0], kv[1], err)
		}
		s.Add(f)
	}
	if s.Len() != len(filters) {
		t.Fatalf("Len = %d", s.Len())
	}
	events := []struct {
		name, text string
		send       bool
	}{
		{"Newchannel", "Event: Newchannel\r\nChannel: XXX\r\nSomeheader: YYY\r\n", true},
		{"Newchannel", "Event: Newchannel\r\nChannel: XZX\r\nSomeheader: YYY\r\n", false},
		{"Newchannel", "Event: Newchannel\r\nChannel: XaX\r\nSomeheader: YYY\r\n", false},
		{"Newchannel", "Event: Newchannel\r\nChannel: XbX\r\nSomeheader: YYY\r\n", true},
		{"Newchannel", "Event: Newchannel\r\nChannel: XcX\r\nSomeheader: YYY\r\n", true},
		{"Newchannel", "Event: Newchannel\r\nChannel: YYY\r\nSomeheader: YYY\r\n", false},
		{"Newchannel", "Event: Newchannel\r\nChannel: YYY\r\nSomeheader: ZZZ\r\n", true},
		{"VarSet", "Event: VarSet\r\nChannel: XXX\r\nSomeheader: YYY\r\n", true},
		{"VarSet", "Event: VarSet\r\nChannel: YYY\r\nSomeheader: YYY\r\n", false},
	}
	for _, ev := range events {
		if got := s.Match(testEvent(ev.name, ev.text)); got != ev.send {
			t.Errorf("%q: Match = %v, want %v", ev.text, got, ev.send)
		}
	}
}

func TestFilterMatching(t *testing.T) {
	dial := testEvent("DialBegin", "Event: DialBegin\r\nPrivilege: call,all\r\nChannel: SIP/100-0001\r\nDestChannel: SIP/200-0002\r\nChanVariable: a=1\r\nChanVariable: b=2\r\nEmpty: \r\n\r\n")
	hangup := testEvent("Hangup", "Event: Hangup\r\nPrivilege: call,all\r\nChannel: IAX2/peer-1\r\nCause: 16\r\n\r\n")
	tests := []struct {
		name    string
		filters [][2]string
		ev      *Event
		want    bool
	}{
		{"no filters", nil, dial, true},
		{"legacy include match", [][2]string{{"eventfilter", "Event: DialBegin"}}, dial, true},
		{"legacy include no match", [][2]string{{"eventfilter", "Event: Hangup"}}, dial, false},
		{"legacy anchored", [][2]string{{"eventfilter", "^Event: Dial"}}, dial, true},
		{"legacy dot matches newline", [][2]string{{"eventfilter", "DialBegin.Privilege"}}, dial, false},
		{"legacy dot matches CRLF", [][2]string{{"eventfilter", "DialBegin..Privilege"}}, dial, true},
		{"legacy exclude", [][2]string{{"eventfilter", "!Channel: SIP/"}}, dial, false},
		{"legacy exclude passes others", [][2]string{{"eventfilter", "!Channel: SIP/"}}, hangup, true},
		{"includes: one of them", [][2]string{{"eventfilter", "Hangup"}, {"eventfilter", "DialBegin"}}, dial, true},
		{"include then exclude", [][2]string{{"eventfilter", "Channel"}, {"eventfilter", "!IAX2"}}, hangup, false},
		{"include then exclude passes", [][2]string{{"eventfilter", "Channel"}, {"eventfilter", "!IAX2"}}, dial, true},
		{"include fails before exclude", [][2]string{{"eventfilter", "Nope"}, {"eventfilter", "!IAX2"}}, dial, false},
		{"name is case-sensitive", [][2]string{{"eventfilter(name(dialbegin))", ""}}, dial, false},
		{"header is case-sensitive", [][2]string{{"eventfilter(header(channel),method(contains))", "SIP"}}, dial, false},
		{"header with colon", [][2]string{{"eventfilter(header(Channel:),method(starts_with))", "SIP/100"}}, dial, true},
		{"header any occurrence", [][2]string{{"eventfilter(header(ChanVariable),method(exact))", "b=2"}}, dial, true},
		{"header presence", [][2]string{{"eventfilter(header(DestChannel))", ""}}, dial, true},
		{"header absent", [][2]string{{"eventfilter(header(DestChannel))", ""}}, hangup, false},
		{"empty header never matches", [][2]string{{"eventfilter(header(Empty))", ""}}, dial, false},
		{"header Event", [][2]string{{"eventfilter(header(Event),method(exact))", "Hangup"}}, hangup, true},
		{"contains on text", [][2]string{{"eventfilter(method(contains))", "Cause: 16"}}, hangup, true},
		{"starts_with on text", [][2]string{{"eventfilter(method(starts_with))", "Event: Hangup\r\n"}}, hangup, true},
		{"ends_with on text", [][2]string{{"eventfilter(method(ends_with))", "16\r\n\r\n"}}, hangup, true},
		{"exact on text", [][2]string{{"eventfilter(method(exact))", "Event: Hangup"}}, hangup, false},
		{"name and header regex", [][2]string{{"eventfilter(name(Hangup),header(Cause),method(regex))", "^1[0-9]$"}}, hangup, true},
		{"exclude by name", [][2]string{{"eventfilter(action(exclude),name(Hangup))", ""}}, hangup, false},
		{"spaces in options", [][2]string{{"eventfilter(action(exclude), name(Hangup))", ""}}, hangup, false},
		{"case-insensitive key", [][2]string{{"EventFilter", "Hangup"}}, hangup, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s FilterSet
			for _, kv := range tt.filters {
				f, err := ParseFilter(kv[0], kv[1])
				if err != nil {
					t.Fatalf("ParseFilter(%q, %q): %v", kv[0], kv[1], err)
				}
				s.Add(f)
			}
			if got := s.Match(tt.ev); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		key, value string
		want       error
	}{
		{"notafilter", "x", ErrFilterFormat},
		{"eventfilter(name(X))", "abc", ErrFilterFormat},            // method none with a pattern
		{"eventfilter(name(X),method(exact))", "", ErrFilterFormat}, // method without a pattern
		{"eventfilter(name())", "", ErrFilterFormat},
		{"eventfilter(name)", "", ErrFilterFormat},
		{"eventfilter(header())", "", ErrFilterFormat},
		{"eventfilter(action())", "", ErrFilterFormat},
		{"eventfilter(Action(exclude),name(X))", "", ErrFilterFormat}, // options are case-sensitive
		{"eventfilter(action(Exclude),name(X))", "", ErrFilterFormat},
		{"eventfilter(method(regex))", "(", ErrFilterCompile},
		{"eventfilter", "*x", ErrFilterCompile},
	}
	for _, tt := range tests {
		_, err := ParseFilter(tt.key, tt.value)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseFilter(%q, %q) = %v, want %v", tt.key, tt.value, err, tt.want)
		}
	}
}

func TestFilterErrorMessage(t *testing.T) {
	_, err := ParseFilter("eventfilter", "[")
	if got := FilterErrorMessage(err); got != "Filter did not compile.  Check the syntax of the filter given." {
		t.Errorf("compile: %q", got)
	}
	_, err = ParseFilter("eventfilter(bogus(x))", "")
	if got := FilterErrorMessage(err); got != "Filter was formatted incorrectly.  Check the syntax of the filter given." {
		t.Errorf("format: %q", got)
	}
	if got := FilterErrorMessage(errors.New("x")); got != "Internal Error. Failed adding filter." {
		t.Errorf("other: %q", got)
	}
}

func TestFilterString(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"eventfilter", "Hangup", "eventfilter = Hangup"},
		{"eventfilter", "!Hangup", "eventfilter = !Hangup"},
		{"eventfilter(name(X),header(Y:),method(exact))", "!z", "eventfilter(action(exclude),name(X),header(Y),method(exact)) = z"},
		{"eventfilter(name(X))", "", "eventfilter(action(include),name(X),method(none)) = "},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.key, tt.value)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.String(); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
		// The rendering parses back to the same filter.
		k, v, _ := strings.Cut(f.String(), " = ")
		g, err := ParseFilter(k, v)
		if err != nil || g.String() != f.String() {
			t.Errorf("round trip of %q: %v, %q", f.String(), err, g.String())
		}
	}
}

func TestFilterSetNilCloneFilters(t *testing.T) {
	var nilSet *FilterSet
	if !nilSet.Match(evVarSet()) || nilSet.Len() != 0 || nilSet.Filters() != nil {
		t.Error("nil set")
	}
	c := nilSet.Clone()
	if c == nil || c.Len() != 0 || !c.Match(evVarSet()) {
		t.Fatal("clone of nil")
	}

	orig := &FilterSet{}
	inc, _ := ParseFilter("eventfilter(name(VarSet))", "")
	exc, _ := ParseFilter("eventfilter", "!Channel: ABC")
	orig.Add(inc)
	clone := orig.Clone()
	clone.Add(exc)
	if orig.Len() != 1 || clone.Len() != 2 {
		t.Fatalf("Len: orig %d clone %d", orig.Len(), clone.Len())
	}
	if !orig.Match(evVarSet()) || clone.Match(evVarSet()) {
		t.Error("clone is not independent")
	}
	fs := clone.Filters()
	if len(fs) != 2 || fs[0].Exclude() || !fs[1].Exclude() {
		t.Errorf("Filters = %v", fs)
	}
}

func TestFilterSetZeroFilter(t *testing.T) {
	var s FilterSet
	s.Add(Filter{})
	if s.Len() != 0 || !s.Match(evVarSet()) {
		t.Error("zero Filter was added")
	}
}

func TestFilterSetConcurrent(t *testing.T) {
	var s FilterSet
	f, _ := ParseFilter("eventfilter(name(Nope))", "")
	ev := evNewchannel()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				s.Add(f)
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				s.Match(ev)
			}
		}()
	}
	wg.Wait()
	if s.Len() != 800 {
		t.Errorf("Len = %d", s.Len())
	}
}

func TestFilterMatchAllocs(t *testing.T) {
	var s FilterSet
	for _, kv := range [][2]string{
		{"eventfilter(name(Hangup))", ""},
		{"eventfilter(name(Newchannel),header(Channel),method(exact))", "XXX"},
		{"eventfilter(action(exclude),method(contains))", "nothing"},
		{"eventfilter", "Channel: X+"},
	} {
		f, err := ParseFilter(kv[0], kv[1])
		if err != nil {
			t.Fatal(err)
		}
		s.Add(f)
	}
	ev := evNewchannel()
	if !s.Match(ev) {
		t.Fatal("no match")
	}
	if n := testing.AllocsPerRun(100, func() { s.Match(ev) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}

func BenchmarkFilterSetMatch(b *testing.B) {
	var s FilterSet
	for _, kv := range [][2]string{
		{"eventfilter(name(VarSet))", ""},
		{"eventfilter(name(Newexten))", ""},
		{"eventfilter(action(exclude),name(Newchannel),header(Channel),method(starts_with))", "Local/"},
	} {
		f, _ := ParseFilter(kv[0], kv[1])
		s.Add(f)
	}
	ev := evNewchannel()
	b.ReportAllocs()
	for b.Loop() {
		s.Match(ev)
	}
}

// FuzzParseFilter checks that no key/value makes ParseFilter or Match
// panic, and that every error is one of the two Asterisk reports.
func FuzzParseFilter(f *testing.F) {
	f.Add("eventfilter", "!Event: Newexten")
	f.Add("eventfilter(action(exclude),name(VarSet),header(Channel),method(starts_with))", "Local/")
	f.Add("eventfilter(name(Hangup))", "")
	f.Add("eventfilter(method(regex))", "XX[X")
	f.Fuzz(func(t *testing.T, key, value string) {
		flt, err := ParseFilter(key, value)
		if err != nil {
			if !errors.Is(err, ErrFilterFormat) && !errors.Is(err, ErrFilterCompile) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		var s FilterSet
		s.Add(flt)
		s.Match(evNewchannel())
		s.Match(&Event{Name: "X"})
		_ = flt.String()
	})
}
