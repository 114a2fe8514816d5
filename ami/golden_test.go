package ami

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// transcript is a recorded AMI session in the format of
// testdata/transcripts/README.md: the bytes each connection sent and
// received.
type transcript struct {
	conns      []string // in order of appearance
	sent, recv map[string][]byte
}

var chunkMarker = regexp.MustCompile(`^### .* (>>>|<<<) conn=(\S+) bytes=(\d+)$`)

func parseTranscript(data []byte) (*transcript, error) {
	tr := &transcript{sent: map[string][]byte{}, recv: map[string][]byte{}}
	for len(data) > 0 {
		line, rest, ok := bytes.Cut(data, []byte("\n"))
		if !ok || !bytes.HasPrefix(line, []byte("### ")) {
			return nil, fmt.Errorf("expected a ### marker line, got %.40q", data)
		}
		data = rest
		m := chunkMarker.FindSubmatch(line)
		if m == nil {
			continue // connects, closes, notes
		}
		conn := string(m[2])
		n, err := strconv.Atoi(string(m[3]))
		if err != nil || n > len(data) {
			return nil, fmt.Errorf("bad chunk length in %q", line)
		}
		chunk := data[:n]
		data = data[n:]
		if !bytes.HasSuffix(chunk, []byte("\n")) {
			// The recorder appends a "\n" to a chunk that lacks one.
			if len(data) == 0 || data[0] != '\n' {
				return nil, fmt.Errorf("no '\\n' after a chunk of %d bytes", n)
			}
			data = data[1:]
		}
		if _, ok := tr.sent[conn]; !ok {
			if _, ok := tr.recv[conn]; !ok {
				tr.conns = append(tr.conns, conn)
			}
		}
		if string(m[1]) == ">>>" {
			tr.sent[conn] = append(tr.sent[conn], chunk...)
		} else {
			tr.recv[conn] = append(tr.recv[conn], chunk...)
		}
	}
	return tr, nil
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
	files, err := filepath.Glob(filepath.Join("testdata", "transcripts", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := parseTranscript(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, conn := range tr.conns {
				want := responses(t, tr.recv[conn])
				sent := tr.sent[conn]
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
			data, err := os.ReadFile(filepath.Join("testdata", "transcripts", tt.file+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			tr, err := parseTranscript(data)
			if err != nil {
				t.Fatal(err)
			}
			got := responses(t, tr.recv[tt.conn])
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
