package cdr

import (
	"testing"
	"time"
)

func TestDispositionText(t *testing.T) {
	for _, tc := range []struct {
		d    Disposition
		text string
		code int
	}{
		{DispositionNull, "NO ANSWER", 1},
		{DispositionNoAnswer, "NO ANSWER", 0},
		{DispositionFailed, "FAILED", 2},
		{DispositionBusy, "BUSY", 4},
		{DispositionAnswered, "ANSWERED", 8},
		{DispositionCongestion, "CONGESTION", 16},
		{Disposition(99), "UNKNOWN", -1},
	} {
		if got := tc.d.String(); got != tc.text {
			t.Errorf("%d.String() = %q, want %q", tc.d, got, tc.text)
		}
		if got := tc.d.Code(); got != tc.code {
			t.Errorf("%d.Code() = %d, want %d", tc.d, got, tc.code)
		}
	}
	if d, ok := ParseDisposition("no answer"); !ok || d != DispositionNoAnswer {
		t.Errorf(`ParseDisposition("no answer") = %v, %v`, d, ok)
	}
	if _, ok := ParseDisposition("NOANSWER"); ok {
		t.Error(`ParseDisposition("NOANSWER") accepted a dial status`)
	}
}

func TestDispositionFromDialStatus(t *testing.T) {
	for _, tc := range []struct {
		status     string
		congestion bool
		want       Disposition
	}{
		{"ANSWER", false, DispositionAnswered},
		{"BUSY", false, DispositionBusy},
		{"NOANSWER", false, DispositionNoAnswer},
		{"CANCEL", false, DispositionNoAnswer},
		{"CONGESTION", false, DispositionFailed},
		{"CONGESTION", true, DispositionCongestion},
		{"FAILED", false, DispositionFailed},
		{"CHANUNAVAIL", false, DispositionFailed},
		{"answer", false, DispositionFailed}, // strcmp: case matters
		{"", false, DispositionFailed},
	} {
		if got := DispositionFromDialStatus(tc.status, tc.congestion); got != tc.want {
			t.Errorf("DispositionFromDialStatus(%q, %v) = %v, want %v", tc.status, tc.congestion, got, tc.want)
		}
	}
}

func TestDispositionFromHangupCause(t *testing.T) {
	for _, tc := range []struct {
		cause      int
		congestion bool
		want       Disposition
		ok         bool
	}{
		{17, false, DispositionBusy, true},
		{34, false, DispositionFailed, true},
		{34, true, DispositionCongestion, true},
		{3, false, DispositionFailed, true},
		{20, false, DispositionFailed, true},
		{16, false, DispositionNoAnswer, true},
		{19, false, DispositionNoAnswer, true},
		{21, false, DispositionNull, false},
		{0, false, DispositionNull, false},
	} {
		got, ok := DispositionFromHangupCause(tc.cause, tc.congestion)
		if got != tc.want || ok != tc.ok {
			t.Errorf("DispositionFromHangupCause(%d, %v) = %v, %v; want %v, %v", tc.cause, tc.congestion, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAMAFlags(t *testing.T) {
	var zero AMAFlags
	if zero.String() != "DOCUMENTATION" || zero.Code() != 3 {
		t.Errorf("zero AMAFlags = %q (%d), want Asterisk's default DOCUMENTATION (3)", zero, zero.Code())
	}
	for _, tc := range []struct {
		a    AMAFlags
		text string
		code int
	}{{AMAOmit, "OMIT", 1}, {AMABilling, "BILLING", 2}, {AMADocumentation, "DOCUMENTATION", 3}, {AMAFlags(9), "Unknown", 0}} {
		if tc.a.String() != tc.text || tc.a.Code() != tc.code {
			t.Errorf("%d: %q (%d), want %q (%d)", tc.a, tc.a, tc.a.Code(), tc.text, tc.code)
		}
	}
	for in, want := range map[string]AMAFlags{"omit": AMAOmit, "BILLING": AMABilling, "Documentation": AMADocumentation, "default": AMADocumentation} {
		if got, ok := ParseAMAFlags(in); !ok || got != want {
			t.Errorf("ParseAMAFlags(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseAMAFlags("bill"); ok {
		t.Error(`ParseAMAFlags("bill") accepted`)
	}
}

var t0 = time.Date(2026, 11, 27, 10, 22, 6, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestDurationBillSec(t *testing.T) {
	for _, tc := range []struct {
		name               string
		start, answer, end time.Time
		initiated          bool
		duration, billsec  int64
	}{
		{"whole seconds", at(0), at(1000), at(5000), false, 5, 4},
		{"cut down", at(0), at(1), at(4999), false, 4, 4},
		{"microseconds count", at(0), t0.Add(999_999 * time.Microsecond), at(2000), false, 2, 1},
		{"sub-microseconds do not", t0.Add(999 * time.Nanosecond), at(0), at(1000), false, 1, 1},
		{"not answered", at(0), time.Time{}, at(9000), false, 9, 0},
		{"epoch answer is unset", at(0), time.Unix(0, 0), at(9000), false, 9, 0},
		{"initiated, half a second", at(0), at(0), at(4500), true, 4, 5},
		{"initiated, less than half", at(0), at(0), at(4499), true, 4, 4},
		{"initiated, whole", at(0), at(0), at(4000), true, 4, 4},
		{"clock stepped back", at(5000), at(6000), at(1000), false, 0, 0},
	} {
		if got := Duration(tc.start, tc.end); got != tc.duration {
			t.Errorf("%s: Duration = %d, want %d", tc.name, got, tc.duration)
		}
		if got := BillSec(tc.answer, tc.end, tc.initiated); got != tc.billsec {
			t.Errorf("%s: BillSec = %d, want %d", tc.name, got, tc.billsec)
		}
	}
	// A call still going counts up to now.
	start := time.Now().Add(-3 * time.Second)
	if got := Duration(start, time.Time{}); got < 3 || got > 4 {
		t.Errorf("Duration of a live call = %d, want 3", got)
	}
	if got := BillSec(start, time.Time{}, false); got < 3 || got > 4 {
		t.Errorf("BillSec of a live call = %d, want 3", got)
	}
}

func TestFinish(t *testing.T) {
	g := DefaultConfig().General
	gc := g
	gc.Congestion = true
	gi := g
	gi.InitiatedSeconds = true
	for _, tc := range []struct {
		name           string
		rec            Record
		causeA, causeB int
		g              *General
		want           Disposition
		billsec        int64
	}{
		{"answered", Record{Start: at(0), Answer: at(500)}, 16, 0, &g, DispositionAnswered, 4},
		{"answered, initiated seconds", Record{Start: at(0), Answer: at(500)}, 16, 0, &gi, DispositionAnswered, 5},
		{"busy", Record{Start: at(0)}, 17, 0, &g, DispositionBusy, 0},
		{"congestion off", Record{Start: at(0)}, 34, 0, &g, DispositionFailed, 0},
		{"congestion on", Record{Start: at(0)}, 34, 0, &gc, DispositionCongestion, 0},
		{"normal clearing", Record{Start: at(0)}, 16, 0, &g, DispositionNoAnswer, 0},
		{"cause that says nothing", Record{Start: at(0)}, 21, 17, &g, DispositionNull, 0},
		{"party B's cause", Record{Start: at(0)}, 0, 17, &g, DispositionBusy, 0},
		{"no cause", Record{Start: at(0)}, 0, 0, &g, DispositionFailed, 0},
		{"decided already", Record{Start: at(0), Disposition: DispositionBusy, Answer: at(0)}, 0, 0, &g, DispositionBusy, 5},
		{"nil config", Record{Start: at(0)}, 19, 0, nil, DispositionNoAnswer, 0},
	} {
		r := tc.rec
		r.Finish(at(5000), tc.causeA, tc.causeB, tc.g)
		if r.Disposition != tc.want || r.Duration != 5 || r.BillSec != tc.billsec || !r.End.Equal(at(5000)) {
			t.Errorf("%s: got %v duration %d billsec %d end %v; want %v 5 %d", tc.name, r.Disposition, r.Duration, r.BillSec, r.End, tc.want, tc.billsec)
		}
	}
	r := Record{Start: at(0), End: at(2000)}
	r.Finish(at(9000), 0, 0, nil)
	if !r.End.Equal(at(2000)) || r.Duration != 2 {
		t.Errorf("Finish replaced an end already set: end %v duration %d", r.End, r.Duration)
	}
}

func TestVarsAndValue(t *testing.T) {
	r := Record{
		AccountCode: "acct", Src: "5559", Dst: "600", DContext: "default", CLID: `"A" <5559>`,
		Channel: "SIP/a-1", DstChannel: "SIP/b-2", LastApp: "Dial", LastData: "SIP/b,30",
		Start: at(0), End: at(5000), Duration: 5, BillSec: 0,
		Disposition: DispositionBusy, AMAFlags: AMABilling,
		UniqueID: "1.1", UserField: "uf", LinkedID: "1.0", PeerAccount: "peer", Sequence: 42,
	}
	r.SetVar("Foo", "1")
	r.SetVar("bar", "2")
	r.SetVar("FOO", "3")
	r.SetVar("bar", "")
	r.SetVar("gone", "")
	if len(r.Vars) != 1 || r.Vars[0] != (Var{"Foo", "3"}) || r.Var("foo") != "3" || r.Var("bar") != "" {
		t.Fatalf("Vars = %v", r.Vars)
	}
	for name, want := range map[string]string{
		"accountcode": "acct", "src": "5559", "dst": "600", "dcontext": "default", "clid": `"A" <5559>`,
		"channel": "SIP/a-1", "dstchannel": "SIP/b-2", "lastapp": "Dial", "lastdata": "SIP/b,30",
		"start": "2026-11-27 10:22:06", "answer": "", "end": "2026-11-27 10:22:11",
		"duration": "5", "billsec": "0", "disposition": "BUSY", "amaflags": "BILLING",
		"uniqueid": "1.1", "userfield": "uf", "linkedid": "1.0", "peeraccount": "peer", "sequence": "42",
		"DURATION": "5", "foo": "3",
	} {
		if got, ok := r.Value(name, time.UTC); !ok || got != want {
			t.Errorf("Value(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if got, ok := r.Value("nosuch", time.UTC); ok || got != "" {
		t.Errorf(`Value("nosuch") = %q, %v`, got, ok)
	}
}

func TestKeep(t *testing.T) {
	g := DefaultConfig().General
	for _, tc := range []struct {
		name string
		rec  Record
		edit func(*General)
		want bool
	}{
		{"answered, one party", Record{Channel: "a", Disposition: DispositionAnswered}, nil, true},
		{"congestion counts as above answered", Record{Channel: "a", Disposition: DispositionCongestion}, nil, true},
		{"unanswered, no party B", Record{Channel: "a", Disposition: DispositionNoAnswer}, nil, false},
		{"unanswered, two parties", Record{Channel: "a", DstChannel: "b", Disposition: DispositionBusy}, nil, true},
		{"unanswered allowed", Record{Channel: "a", Disposition: DispositionFailed}, func(g *General) { g.Unanswered = true }, true},
		{"disabled", Record{Channel: "a", DstChannel: "b", Disposition: DispositionAnswered}, func(g *General) { g.Enable = false }, false},
	} {
		gg := g
		if tc.edit != nil {
			tc.edit(&gg)
		}
		if got := gg.Keep(&tc.rec); got != tc.want {
			t.Errorf("%s: Keep = %v, want %v", tc.name, got, tc.want)
		}
	}
}
