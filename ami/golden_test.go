package ami

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/internal/transcript"
)

// transcriptDir holds the transcripts recorded from a real Asterisk 20.20.1
// (its README.md describes the format).
const transcriptDir = "../testdata/asterisk-20.20.1"

// codecTranscripts names the transcripts of transcriptDir that exercise the
// codec: TestTranscripts feeds each connection's client bytes to the Reader
// and checks that it yields one message per response Asterisk gave, with the
// same ActionID and the same kind of error (line too long, too many lines,
// missing action). They are in the order of their names, which fixes the
// names of the fuzz seeds drawn from them.
var codecTranscripts = []string{
	"header-variants",
	"malformed-bare-lf",
	"malformed-binary-garbage",
	"malformed-empty-block",
	"malformed-long-header",
	"malformed-many-headers",
	"malformed-no-colon",
	"missing-action-header",
	"ping",
}

// loadTranscript parses the transcript called name in transcriptDir.
func loadTranscript(t testing.TB, name string) *transcript.Transcript {
	t.Helper()
	tr, err := transcript.ParseFile(filepath.Join(transcriptDir, name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// loadTranscripts parses the transcripts named in codecTranscripts.
func loadTranscripts(t testing.TB) []*transcript.Transcript {
	t.Helper()
	trs := make([]*transcript.Transcript, len(codecTranscripts))
	for i, name := range codecTranscripts {
		trs[i] = loadTranscript(t, name)
	}
	return trs
}

// sentBytes returns everything the client sent on conn, the Send chunks joined.
func sentBytes(tr *transcript.Transcript, conn string) []byte {
	var b []byte
	for _, st := range tr.Steps {
		if st.Kind == transcript.Send && st.Conn == conn {
			b = append(b, st.Bytes...)
		}
	}
	return b
}

// expected is what Asterisk's answer says of the message it parsed.
type expected struct {
	err      error  // ErrLineTooLong, ErrTooManyHeaders or nil
	actionID string // echoed ActionID, "" when none
	// action is what Asterisk took for the Action: "" for "Missing action
	// in request", the name it quotes for an unknown command, or "*" for any
	// non-empty action.
	action string
}

const (
	msgLineTooLong = "Failed to parse message: line too long"
	msgTooMany     = "Too many lines in message or allocation failure"
	msgNoAction    = "Missing action in request"
	unknownPrefix  = "Invalid/unknown command: "
	unknownSuffix  = ". Use Action: ListCommands to show available commands."
)

// responses parses what the server sent on one connection into the outcome
// of each request, in order.
func responses(t *testing.T, recv []byte) []expected {
	t.Helper()
	banner, rest, ok := bytes.Cut(recv, []byte("\r\n"))
	if !ok || !bytes.HasPrefix(banner, []byte("Asterisk Call Manager/")) {
		t.Fatalf("no banner in %.40q", recv)
	}
	r := NewReader(bufio.NewReader(bytes.NewReader(rest)))
	var out []expected
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("server output does not parse: %v", err)
		}
		resp, ok := m.Lookup("Response")
		if !ok {
			if _, ok := m.Lookup("Event"); !ok {
				t.Fatalf("server block is neither a response nor an event: %v", m)
			}
			continue
		}
		e := expected{actionID: m.ActionID(), action: "*"}
		switch text := m.Get("Message"); {
		case text == msgLineTooLong:
			e.err, e.action = ErrLineTooLong, ""
		case text == msgTooMany:
			e.err, e.action = ErrTooManyHeaders, ""
		case text == msgNoAction:
			e.action = ""
		case strings.HasPrefix(text, unknownPrefix) && strings.HasSuffix(text, unknownSuffix):
			e.action = strings.TrimSuffix(strings.TrimPrefix(text, unknownPrefix), unknownSuffix)
		case resp != "Success" && resp != "Error" && resp != "Goodbye":
			t.Fatalf("odd response %q", resp)
		}
		out = append(out, e)
	}
}

// asteriskAction returns the action as Asterisk's process_message finds it:
// the first Action header whose value is not empty (GET_HEADER_SKIP_EMPTY).
func asteriskAction(h []Header) string {
	for _, x := range h {
		if strings.EqualFold(x.Key, "Action") && x.Value != "" {
			return x.Value
		}
	}
	return ""
}

func TestTranscripts(t *testing.T) {
	for _, tr := range loadTranscripts(t) {
		t.Run(tr.Name, func(t *testing.T) {
			for _, conn := range tr.Conns() {
				want := responses(t, tr.Received(conn))
				sent := sentBytes(tr, conn)
				got := readSteps(t, NewReader(bufio.NewReader(bytes.NewReader(sent))))
				if last := got[len(got)-1]; last.err != io.EOF {
					t.Errorf("conn %s: stream ends with %v, want io.EOF", conn, last.err)
				}
				got = got[:len(got)-1]
				if len(got) != len(want) {
					t.Errorf("conn %s: Reader yields %d messages, Asterisk answered %d", conn, len(got), len(want))
				}
				for i := range min(len(got), len(want)) {
					m, w := &Message{Headers: got[i].h}, want[i]
					if !errors.Is(got[i].err, w.err) || (got[i].err == nil) != (w.err == nil) {
						t.Errorf("conn %s message %d: err = %v, want %v", conn, i, got[i].err, w.err)
					}
					if id := m.ActionID(); id != w.actionID {
						t.Errorf("conn %s message %d: ActionID = %q, Asterisk echoed %q", conn, i, id, w.actionID)
					}
					if w.err != nil {
						continue
					}
					switch a := asteriskAction(m.Headers); {
					case w.action == "*" && a == "", w.action != "*" && a != w.action:
						t.Errorf("conn %s message %d: Action = %q, Asterisk saw %q", conn, i, a, w.action)
					}
				}
				// Any feeding gives the same messages.
				for _, f := range feeds() {
					if again := readSteps(t, NewReader(f.new(sent))); !sameSteps(again, append(got, step{nil, io.EOF})) {
						t.Errorf("conn %s, %s: messages differ from whole-buffer feeding", conn, f.name)
					}
				}
			}
		})
	}
}

// The outcomes the transcripts are known to hold, spelt out, so that a change
// in the parsing of the reference answers cannot hollow out TestTranscripts.
func TestTranscriptsSpotChecks(t *testing.T) {
	tests := []struct {
		file string
		conn string
		want []expected
	}{
		{"malformed-many-headers", "a", []expected{
			{nil, "1", "*"},
			{ErrTooManyHeaders, "many-1", ""},
			{ErrTooManyHeaders, "", ""},
			{nil, "still-alive", "*"},
		}},
		{"malformed-long-header", "a", []expected{
			{nil, "1", "*"},
			{ErrLineTooLong, "long-1", ""},
			{nil, "still-alive", "*"},
		}},
		{"malformed-binary-garbage", "a", []expected{
			{nil, "1", "*"},
			{nil, "", ""},
			{nil, "still-alive", "*"},
		}},
		{"malformed-binary-garbage", "b", []expected{
			{nil, "", ""},
			{nil, "still-alive-b", "*"},
		}},
		{"malformed-empty-block", "a", []expected{
			{nil, "", ""}, {nil, "", ""}, {nil, "", ""}, {nil, "", ""},
			{nil, "1", "*"},
			{nil, "", ""}, {nil, "", ""},
			{nil, "", ""},
			{nil, "still-alive", "*"},
		}},
		{"header-variants", "a", []expected{
			{nil, "1", "*"},
			{nil, "nospace", "*"},
			{nil, "manyspaces", "*"},
			{nil, "trailing   ", "Ping   "},
			{nil, "dup-first", "*"},
			{nil, "oddcase", "*"},
			{nil, "colon-in-value", "*"},
		}},
		{"missing-action-header", "a", []expected{
			{nil, "noact-0", ""},
			{nil, "1", "*"},
			{nil, "noact-1", ""},
			{nil, "noact-2", ""},
			{nil, "still-alive", "*"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.conn, func(t *testing.T) {
			got := responses(t, loadTranscript(t, tt.file).Received(tt.conn))
			if len(got) != len(tt.want) {
				t.Fatalf("%d responses, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("response %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
