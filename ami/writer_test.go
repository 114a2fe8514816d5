package ami

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestAppendHeader(t *testing.T) {
	tests := []struct {
		key, value string
		want       string
	}{
		{"Action", "Ping", "Action: Ping\r\n"},
		{"ActionID", "", "ActionID: \r\n"},
		{"", "", ": \r\n"},
		{"ChanVariable(SIP/1-0001)", "x=y", "ChanVariable(SIP/1-0001): x=y\r\n"},
		{"Message", "a: b: c", "Message: a: b: c\r\n"},
		{"ActionID", "trailing   ", "ActionID: trailing   \r\n"},
		{"Output", "\x00\xff binary", "Output: \x00\xff binary\r\n"},
		// CR and LF become spaces, one each.
		{"Value", "a\r\nb", "Value: a  b\r\n"},
		{"Value", "a\nb\rc", "Value: a b c\r\n"},
		{"Value", "\r\n\r\n", "Value:     \r\n"},
		{"Key\r\nInjected", "v", "Key  Injected: v\r\n"},
	}
	for _, tt := range tests {
		if got := string(AppendHeader(nil, tt.key, tt.value)); got != tt.want {
			t.Errorf("AppendHeader(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.want)
		}
	}
	if got := string(AppendHeader([]byte("pre"), "A", "b")); got != "preA: b\r\n" {
		t.Errorf("AppendHeader does not append: %q", got)
	}
}

func TestAppendMessage(t *testing.T) {
	tests := []struct {
		m    *Message
		want string
	}{
		{NewMessage(), "\r\n"},
		{&Message{}, "\r\n"},
		{NewMessage("Action", "Ping", "ActionID", "1"), "Action: Ping\r\nActionID: 1\r\n\r\n"},
		{NewMessage("Response", "Success", "Ping", "Pong", "Timestamp", "1795775108.903890"),
			"Response: Success\r\nPing: Pong\r\nTimestamp: 1795775108.903890\r\n\r\n"},
		{NewMessage("Variable", "a=1", "Variable", "b=2"), "Variable: a=1\r\nVariable: b=2\r\n\r\n"},
	}
	for _, tt := range tests {
		if got := string(AppendMessage(nil, tt.m)); got != tt.want {
			t.Errorf("AppendMessage(%v) = %q, want %q", tt.m.Headers, got, tt.want)
		}
		if got := tt.m.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	if got := string(AppendMessage([]byte("x"), NewMessage("A", "b"))); got != "xA: b\r\n\r\n" {
		t.Errorf("AppendMessage does not append: %q", got)
	}
}

// No key or value can end a line or the message early: whatever the
// headers, the Reader gets back one message with as many headers.
func TestAppendMessageNoInjection(t *testing.T) {
	evil := []string{
		"\r\n", "\n", "\r", "\r\n\r\n", "\n\n", "x\r\nAction: Originate", "x\nActionID: evil\n\nAction: Command",
		"\r\r\n\n", "Ping\r\n\r\nAction: Logoff\r\n\r\n",
	}
	for _, s := range evil {
		for _, m := range []*Message{
			NewMessage("Action", "Ping", "ActionID", s),
			NewMessage("Action", "Ping", s, "v"),
			NewMessage(s, s),
		} {
			wire := AppendMessage(nil, m)
			if n := bytes.Count(wire, []byte("\n")); n != m.Len()+1 {
				t.Errorf("%q: %d line ends, want %d", wire, n, m.Len()+1)
			}
			if n := bytes.Count(wire, []byte("\r")); n != m.Len()+1 {
				t.Errorf("%q: %d CRs, want %d", wire, n, m.Len()+1)
			}
			got := readSteps(t, NewReader(bufio.NewReader(bytes.NewReader(wire))))
			if len(got) != 2 || got[0].err != nil || len(got[0].h) != m.Len() || got[1].err != io.EOF {
				t.Errorf("%q reads back as %v", wire, got)
			}
			if id := (&Message{Headers: got[0].h}).ActionID(); id == "evil" {
				t.Errorf("%q: injected ActionID", wire)
			}
		}
	}
}

func TestWriter(t *testing.T) {
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	w := NewWriter(bw)
	if err := w.WriteMessage(NewMessage("Response", "Success", "ActionID", "1", "Ping", "Pong")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteMessage(NewMessage("Event", "FullyBooted", "Status", "Fully Booted\r\nInjected: yes")); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("Writer flushed on its own: %q", out.String())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "Response: Success\r\nActionID: 1\r\nPing: Pong\r\n\r\n" +
		"Event: FullyBooted\r\nStatus: Fully Booted  Injected: yes\r\n\r\n"
	if out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
}

func TestWriterError(t *testing.T) {
	boom := errors.New("boom")
	w := NewWriter(bufio.NewWriterSize(errWriter{boom}, 16))
	err := w.WriteMessage(NewMessage("Event", strings.Repeat("x", 64)))
	if err == nil {
		err = w.Flush()
	}
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

// roundTripWant is what reading AppendMessage(h) back gives: each CR or LF
// has become a space, and a header whose rendered line exceeds MaxLineLength
// (possible for a header read from a line without the space after the colon,
// or ended by a bare "\n") is dropped with ErrLineTooLong.
func roundTripWant(h []Header) step {
	var err error
	out := []Header{}
	clean := strings.NewReplacer("\r", " ", "\n", " ")
	for _, x := range h {
		if len(x.Key)+len(": ")+len(x.Value)+len("\r\n") > MaxLineLength {
			err = ErrLineTooLong
			continue
		}
		out = append(out, Header{clean.Replace(x.Key), clean.Replace(x.Value)})
	}
	return step{out, err}
}

// checkRoundTrip renders headers that the Reader accepted and reads them
// back.
func checkRoundTrip(t testing.TB, h []Header) {
	t.Helper()
	wire := AppendMessage(nil, &Message{Headers: h})
	got := readSteps(t, NewReader(bufio.NewReader(bytes.NewReader(wire))))
	want := []step{roundTripWant(h), {nil, io.EOF}}
	if !sameSteps(got, want) {
		t.Errorf("round trip of %q:\n got  %v\n want %v", h, got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tt := range readerTests() {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.want {
				if s.err == nil && s.h != nil {
					checkRoundTrip(t, s.h)
				}
			}
		})
	}
}

// A header read from a 1024-byte line without the space after the colon
// renders to a 1026-byte line: past the limit of the Reader (and Asterisk).
func TestRoundTripNearLimit(t *testing.T) {
	h := []Header{{"X", strings.Repeat("v", 1021)}}
	r := NewReader(bufio.NewReader(strings.NewReader("X:" + h[0].Value + "\n\n")))
	m, err := r.ReadMessage()
	if err != nil || !reflect.DeepEqual(m.Headers, h) {
		t.Fatalf("ReadMessage = %v, %v", m, err)
	}
	wire := AppendMessage(nil, m)
	if n := bytes.IndexByte(wire, '\n') + 1; n != MaxLineLength+2 {
		t.Errorf("rendered line is %d bytes, want %d", n, MaxLineLength+2)
	}
	_, err = NewReader(bufio.NewReader(bytes.NewReader(wire))).ReadMessage()
	if !errors.Is(err, ErrLineTooLong) {
		t.Errorf("reading it back: err = %v, want ErrLineTooLong", err)
	}
}
