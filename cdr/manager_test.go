package cdr

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
)

// transcriptEvents returns the header lists of every event called name in a
// recorded transcript, in order.
func transcriptEvents(t *testing.T, path, name string) [][]ami.Header {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var events [][]ami.Header
	var cur []ami.Header
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if !in {
			if line == "Event: "+name {
				in, cur = true, []ami.Header{{Key: "Event", Value: name}}
			}
			continue
		}
		if line == "" || strings.HasPrefix(line, "### ") {
			events, in = append(events, cur), false
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s: bad header line %q", path, line)
		}
		cur = append(cur, ami.Header{Key: k, Value: strings.TrimPrefix(v, " ")})
	}
	return events
}

// TestEventHeadersTranscript builds the records of the two halves of the
// Local channel that Originate created in events-reader-vs-admin.txt (a
// call to 1234, Answer and Wait(5) on ;2, Echo on ;1, hung up 4 s later)
// and compares the event body with what Asterisk 20.20.1 sent, header by
// header.
func TestEventHeadersTranscript(t *testing.T) {
	events := transcriptEvents(t, "../testdata/asterisk-20.20.1/events-reader-vs-admin.txt", "Cdr")
	if len(events) != 2 {
		t.Fatalf("%d Cdr events in the transcript, want 2", len(events))
	}
	// The transcript's machine ran on UTC; the uniqueids hold the epoch.
	start := time.Unix(1795774926, 120_000)
	end := start.Add(4*time.Second + 300*time.Millisecond)
	base := Record{
		Src: "5559", DContext: "default", CLID: `"Event Test" <5559>`,
		Start: start, Answer: start.Add(2 * time.Millisecond),
	}
	one := base
	one.Dst, one.Channel, one.LastApp, one.UniqueID = "600", "Local/1234@default-00000002;1", "Echo", "refast-1795774926.4"
	two := base
	two.Dst, two.Channel, two.LastApp, two.LastData, two.UniqueID = "1234", "Local/1234@default-00000002;2", "Wait", "5", "refast-1795774926.5"
	for i, r := range []*Record{&one, &two} {
		r.Finish(end, 16, 0, &DefaultConfig().General)
		// The manager adds Event, Privilege and SystemName.
		want := events[i]
		if want[1].Key != "Privilege" || want[1].Value != EventClass+",all" || want[2].Key != "SystemName" {
			t.Fatalf("event %d starts %v", i, want[:3])
		}
		want = want[3:]
		got := EventHeaders(r, time.UTC)
		if len(got) != len(want) {
			t.Errorf("event %d: %d headers, want %d:\n%v\n%v", i, len(got), len(want), got, want)
			continue
		}
		for j := range want {
			if got[j] != want[j] {
				t.Errorf("event %d header %d: got %q, want %q", i, j, got[j], want[j])
			}
		}
	}
}

func TestEventHeadersUnanswered(t *testing.T) {
	r := &Record{Channel: "SIP/a-1", Start: at(0), UserField: "u", AccountCode: "acct", Sequence: 3}
	r.SetVar("rate", "0.02")
	r.Finish(at(2500), 17, 0, nil)
	got := EventHeaders(r, time.UTC, Mapping{"rate", "Rate"}, Mapping{"sequence", "Seq"}, Mapping{"nosuch", "Missing"}, Mapping{"start", "Begin"})
	want := map[string]string{
		"AccountCode": "acct", "StartTime": "2026-11-27 10:22:06", "AnswerTime": "", "EndTime": "2026-11-27 10:22:08",
		"Duration": "2", "BillableSeconds": "0", "Disposition": "BUSY", "AMAFlags": "DOCUMENTATION", "UserField": "u",
		"Rate": "0.02", "Seq": "3", "Missing": "", "Begin": "2026-11-27 10:22:06",
	}
	if len(got) != 22 {
		t.Fatalf("%d headers: %v", len(got), got)
	}
	if got[18].Key != "Rate" || got[21].Key != "Begin" {
		t.Errorf("mappings out of order: %v", got[18:])
	}
	for _, h := range got {
		if w, ok := want[h.Key]; ok && w != h.Value {
			t.Errorf("%s: %q, want %q", h.Key, h.Value, w)
		}
	}
	// An unset start or end is shown as Asterisk shows its zero time.
	got = EventHeaders(&Record{}, time.UTC)
	if got[9].Value != "1970-01-01 00:00:00" || got[10].Value != "" || got[11].Value != "1970-01-01 00:00:00" {
		t.Errorf("zero record times: %v", got[9:12])
	}
}
