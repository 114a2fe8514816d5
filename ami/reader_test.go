package ami

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// step is one outcome of ReadMessage: the headers of the message (nil for a
// terminal error) and the error.
type step struct {
	h   []Header
	err error
}

func (s step) String() string {
	return fmt.Sprintf("{%q %v}", s.h, s.err)
}

// msg builds the headers of a step from key/value pairs.
func msg(kv ...string) []Header {
	h := []Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, Header{kv[i], kv[i+1]})
	}
	return h
}

// readSteps reads r until ReadMessage returns a terminal error, which is the
// last step. It checks the contract of ReadMessage on the way.
func readSteps(t testing.TB, r *Reader) []step {
	t.Helper()
	var steps []step
	for i := 0; ; i++ {
		if i > 1<<20 {
			t.Fatal("ReadMessage does not make progress")
		}
		m, err := r.ReadMessage()
		switch {
		case err == nil || IsRecoverable(err):
			if m == nil {
				t.Fatalf("ReadMessage = nil, %v; want a message", err)
			}
			steps = append(steps, step{m.Headers, err})
		default:
			if m != nil {
				t.Fatalf("ReadMessage = %v, %v; want nil message with a terminal error", m, err)
			}
			return append(steps, step{nil, err})
		}
	}
}

// chunkReader returns 1..max bytes per Read, at random.
type chunkReader struct {
	data []byte
	max  int
	rng  *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1 + c.rng.IntN(c.max)
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// feed is one way of handing the input to the Reader.
type feed struct {
	name string
	new  func(data []byte) *bufio.Reader
}

// feeds returns the whole buffer at once, then byte by byte and in random
// chunks through buffers smaller and larger than MaxLineLength.
func feeds() []feed {
	fs := []feed{{"whole", func(d []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(d)) }}}
	for _, size := range []int{16, 100, 1023, 1024, 1025, 4096, 1 << 16} {
		fs = append(fs, feed{fmt.Sprintf("bytes/buf%d", size), func(d []byte) *bufio.Reader {
			return bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(d)), size)
		}})
		for _, k := range []int{3, 17, 700, 3000} {
			fs = append(fs, feed{fmt.Sprintf("chunks%d/buf%d", k, size), func(d []byte) *bufio.Reader {
				rng := rand.New(rand.NewPCG(uint64(len(d)), uint64(k*size)))
				return bufio.NewReaderSize(&chunkReader{d, k, rng}, size)
			}})
		}
	}
	return fs
}

func sameSteps(got, want []step) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !errors.Is(got[i].err, want[i].err) || (got[i].err == nil) != (want[i].err == nil) {
			return false
		}
		if got[i].h == nil && want[i].h == nil {
			continue
		}
		if !reflect.DeepEqual(append([]Header{}, got[i].h...), append([]Header{}, want[i].h...)) {
			return false
		}
	}
	return true
}

// checkFeeds reads input through every feed and compares with want.
func checkFeeds(t *testing.T, input string, want []step) {
	t.Helper()
	for _, f := range feeds() {
		got := readSteps(t, NewReader(f.new([]byte(input))))
		if !sameSteps(got, want) {
			t.Errorf("%s:\n got  %v\n want %v", f.name, got, want)
		}
	}
}

var (
	x1019 = strings.Repeat("x", 1019)
	x1020 = strings.Repeat("x", 1020)
	x1021 = strings.Repeat("x", 1021)
)

// headerLines returns n lines "H<i>: v<i>" ending in eol.
func headerLines(n int, eol string) (string, []Header) {
	var b strings.Builder
	var h []Header
	for i := range n {
		fmt.Fprintf(&b, "H%d: v%d%s", i, i, eol)
		h = append(h, Header{fmt.Sprintf("H%d", i), fmt.Sprintf("v%d", i)})
	}
	return b.String(), h
}

type readerTest struct {
	name  string
	input string
	want  []step
}

// readerTests is the table of TestReadMessage, shared with the round-trip
// test of the Writer and the fuzz seeds.
func readerTests() []readerTest {
	lines128, h128 := headerLines(128, "\r\n")
	lines129, _ := headerLines(129, "\n")
	lines127, h127 := headerLines(127, "\r\n")
	lines1000, _ := headerLines(1000, "\r\n")
	eof := step{nil, io.EOF}
	unexpectedEOF := step{nil, io.ErrUnexpectedEOF}

	return []readerTest{
		{"empty stream", "", []step{eof}},
		{"crlf", "Action: Ping\r\nActionID: 1\r\n\r\n",
			[]step{{msg("Action", "Ping", "ActionID", "1"), nil}, eof}},
		{"bare lf", "Action: Ping\nActionID: 1\n\n",
			[]step{{msg("Action", "Ping", "ActionID", "1"), nil}, eof}},
		{"mixed line ends", "Action: Ping\r\nActionID: 1\n\r\nAction: Ping\n\n",
			[]step{{msg("Action", "Ping", "ActionID", "1"), nil}, {msg("Action", "Ping"), nil}, eof}},
		{"case kept verbatim", "aCtIoN: PiNg\r\nACTIONID: X\r\n\r\n",
			[]step{{msg("aCtIoN", "PiNg", "ACTIONID", "X"), nil}, eof}},
		{"no space after colon", "Action:Ping\r\nActionID:nospace\r\n\r\n",
			[]step{{msg("Action", "Ping", "ActionID", "nospace"), nil}, eof}},
		{"many blanks after colon", "Action:    Ping\r\nActionID:\t \x01\x1f manyspaces\r\n\r\n",
			[]step{{msg("Action", "Ping", "ActionID", "manyspaces"), nil}, eof}},
		{"trailing blanks kept", "Action: Ping   \r\nActionID: trailing \t \r\n\r\n",
			[]step{{msg("Action", "Ping   ", "ActionID", "trailing \t "), nil}, eof}},
		{"blank key kept", " Action : Ping\r\n\r\n", []step{{msg(" Action ", "Ping"), nil}, eof}},
		{"empty values", "Action: \r\nActionID:\r\nX:   \r\n\r\n",
			[]step{{msg("Action", "", "ActionID", "", "X", ""), nil}, eof}},
		{"empty key", ": value\r\n\r\n", []step{{msg("", "value"), nil}, eof}},
		{"value containing colons", "X-Extra: a: b: c\r\n\r\n",
			[]step{{msg("X-Extra", "a: b: c"), nil}, eof}},
		{"duplicate keys kept in order", "Action: Ping\r\nActionID: dup-first\r\nActionID: dup-second\r\n\r\n",
			[]step{{msg("Action", "Ping", "ActionID", "dup-first", "ActionID", "dup-second"), nil}, eof}},
		{"repeated Variable", "Action: Originate\r\nVariable: a=1\r\nChannel: Local/1@x\r\nVariable: b=2,c=3\r\n\r\n",
			[]step{{msg("Action", "Originate", "Variable", "a=1", "Channel", "Local/1@x", "Variable", "b=2,c=3"), nil}, eof}},
		{"ChanVariable key kept whole", "Event: Hangup\r\nChanVariable(SIP/1-0001): x=y\r\n\r\n",
			[]step{{msg("Event", "Hangup", "ChanVariable(SIP/1-0001)", "x=y"), nil}, eof}},
		{"lines without colon ignored", "Action: Ping\r\nThisLineHasNoColon\r\nActionID: nc-1\r\n\r\n",
			[]step{{msg("Action", "Ping", "ActionID", "nc-1"), nil}, eof}},
		{"block of colonless lines", "just some words\r\n\r\n", []step{{msg(), nil}, eof}},
		{"every empty line is a message", "\r\n\r\n\n\r\n", []step{{msg(), nil}, {msg(), nil}, {msg(), nil}, {msg(), nil}, eof}},
		{"blank line is not empty", "   \r\n\r\n", []step{{msg(), nil}, eof}},
		{"lone CR is not a line end", "Action: Ping\rActionID: 1\r\n\r\n",
			[]step{{msg("Action", "Ping\rActionID: 1"), nil}, eof}},
		{"CR before CRLF kept", "A: b\r\r\n\r\r\n\r\n", []step{{msg("A", "b\r"), nil}, eof}},
		{"NUL ends a line", "Action: Ping\x00\r\nActionID: 1\x00: evil\r\n\r\n",
			[]step{{msg("Action", "Ping", "ActionID", "1"), nil}, eof}},
		{"NUL key line has no colon", "Key\x00: v\r\n\r\n", []step{{msg(), nil}, eof}},
		{"leading NUL is an empty line", "Action: Ping\r\n\x00junk\r\nActionID: 2\r\n\r\n",
			[]step{{msg("Action", "Ping"), nil}, {msg("ActionID", "2"), nil}, eof}},
		{"binary value", "X: \xff\xfe\x80\x7f\r\n\r\n", []step{{msg("X", "\xff\xfe\x80\x7f"), nil}, eof}},

		// Line length: the line's bytes, terminator included.
		{"lf line of 1024", "X: " + x1020 + "\n\n", []step{{msg("X", x1020), nil}, eof}},
		{"lf line of 1025", "ActionID: a\nX: " + x1021 + "\n\n",
			[]step{{msg("ActionID", "a"), ErrLineTooLong}, eof}},
		{"crlf line of 1024", "X: " + x1019 + "\r\n\r\n", []step{{msg("X", x1019), nil}, eof}},
		{"crlf line of 1025", "ActionID: a\r\nX: " + x1020 + "\r\n\r\n",
			[]step{{msg("ActionID", "a"), ErrLineTooLong}, eof}},
		{"line too long then more headers",
			"Action: Ping\r\nActionID: long-1\r\nX-Long: " + strings.Repeat("a", 10240) + "\r\nAfter: 1\r\n\r\nAction: Ping\r\nActionID: still-alive\r\n\r\n",
			[]step{{msg("Action", "Ping", "ActionID", "long-1", "After", "1"), ErrLineTooLong},
				{msg("Action", "Ping", "ActionID", "still-alive"), nil}, eof}},
		{"two long lines", strings.Repeat("b", 5000) + "\n" + strings.Repeat("c", 1025) + "\r\n\r\n",
			[]step{{msg(), ErrLineTooLong}, eof}},
		{"long colonless line", strings.Repeat(":", 2048) + "\n\n", []step{{msg(), ErrLineTooLong}, eof}},

		// Line count: every non-empty line counts, with a colon or not.
		{"128 lines", lines128 + "\r\n", []step{{h128, nil}, eof}},
		{"129 lines", "ActionID: many\n" + lines129 + "\n", []step{{append(msg("ActionID", "many"), h128[:127]...), ErrTooManyHeaders}, eof}},
		{"127 headers and a colonless line", lines127 + "junk\r\n\r\n", []step{{h127, nil}, eof}},
		{"128 headers and a colonless line", lines128 + "junk\r\n\r\n", []step{{h128, ErrTooManyHeaders}, eof}},
		{"too many lines beats too long", "ActionID: x\r\n" + strings.Repeat("y", 2000) + "\r\n" + lines1000 + "\r\nActionID: next\r\n\r\n",
			[]step{{append(msg("ActionID", "x"), h128[:127]...), ErrTooManyHeaders}, {msg("ActionID", "next"), nil}, eof}},

		// End of stream.
		{"eof between messages", "Action: Ping\r\n\r\n", []step{{msg("Action", "Ping"), nil}, eof}},
		{"eof after a header", "Action: Ping\r\n", []step{unexpectedEOF}},
		{"eof mid-line", "Action: Ping\r\n\r\nAction: Pi", []step{{msg("Action", "Ping"), nil}, unexpectedEOF}},
		{"eof after CR", "Action: Ping\r\n\r", []step{unexpectedEOF}},
		{"eof after colonless line", "junk\n", []step{unexpectedEOF}},
		{"eof in a long line", "Action: Ping\n" + strings.Repeat("z", 3000), []step{unexpectedEOF}},
		{"eof after partial first line", "Act", []step{unexpectedEOF}},
	}
}

func TestReadMessage(t *testing.T) {
	for _, tt := range readerTests() {
		t.Run(tt.name, func(t *testing.T) {
			checkFeeds(t, tt.input, tt.want)
		})
	}
}

// A message made only of too-long lines, cut by the end of the stream, is
// cut mid-message and must say so (a too-long line is not counted in lines;
// this pinned that bug).
func TestReadMessageEOFAfterLongLineOnly(t *testing.T) {
	input := strings.Repeat("z", 2000) + "\r\n"
	checkFeeds(t, input, []step{{nil, io.ErrUnexpectedEOF}})
}

func TestReadMessageLookup(t *testing.T) {
	r := NewReader(bufio.NewReader(strings.NewReader(
		"aCtIoN: PiNg\r\nAcTiOnId: oddcase\r\nActionID: second\r\nVariable: a=1\r\nvariable: b=2\r\n\r\n")))
	m, err := r.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Action(); got != "PiNg" {
		t.Errorf("Action() = %q, want PiNg", got)
	}
	if got := m.ActionID(); got != "oddcase" {
		t.Errorf("ActionID() = %q, want the first one, oddcase", got)
	}
	if got := m.Values("VARIABLE"); !reflect.DeepEqual(got, []string{"a=1", "b=2"}) {
		t.Errorf("Values(VARIABLE) = %q", got)
	}
	if _, ok := m.Lookup("Missing"); ok {
		t.Error("Lookup(Missing) found a header")
	}
}

// The messages returned must not alias the Reader's buffers.
func TestReadMessageNoAliasing(t *testing.T) {
	r := NewReader(bufio.NewReaderSize(strings.NewReader("A: 1\r\nB: 2\r\n\r\nA: 3\r\nB: 4\r\n\r\n"), 16))
	m1, err := r.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	if want := msg("A", "1", "B", "2"); !reflect.DeepEqual(m1.Headers, want) {
		t.Errorf("first message changed after the second read: %q", m1.Headers)
	}
}

// Memory stays bounded whatever the line and message sizes.
func TestReadMessageMemoryBound(t *testing.T) {
	for _, size := range []int{16, 100, 4096} {
		lines, _ := headerLines(5000, "\r\n")
		input := "X: " + strings.Repeat("a", 1<<20) + "\r\n" + lines + strings.Repeat("b", 1<<20) + "\n\n"
		r := NewReader(bufio.NewReaderSize(strings.NewReader(input), size))
		m, err := r.ReadMessage()
		if !errors.Is(err, ErrTooManyHeaders) {
			t.Fatalf("buf%d: err = %v, want ErrTooManyHeaders", size, err)
		}
		if m.Len() != MaxHeaders {
			t.Errorf("buf%d: %d headers, want %d", size, m.Len(), MaxHeaders)
		}
		if c := cap(r.line); c > 2*MaxLineLength {
			t.Errorf("buf%d: line buffer grew to %d bytes", size, c)
		}
		if c := cap(r.block); c > 2*MaxHeaders*MaxLineLength {
			t.Errorf("buf%d: block buffer grew to %d bytes", size, c)
		}
		if _, err := r.ReadMessage(); err != io.EOF {
			t.Errorf("buf%d: then err = %v, want io.EOF", size, err)
		}
	}
}

// A read error other than EOF is passed through, mid-message or not.
func TestReadMessageReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, input := range []string{"", "Action: Ping\r\n", "Action: Pi"} {
		r := NewReader(bufio.NewReader(io.MultiReader(strings.NewReader(input), iotest.ErrReader(boom))))
		if m, err := r.ReadMessage(); m != nil || !errors.Is(err, boom) {
			t.Errorf("%q: ReadMessage = %v, %v; want nil, boom", input, m, err)
		}
	}
}

func TestReaderReset(t *testing.T) {
	r := NewReader(bufio.NewReader(strings.NewReader("Action: Ping\r\nActionID: lost")))
	if _, err := r.ReadMessage(); err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
	r.Reset(bufio.NewReader(strings.NewReader("Action: Logoff\r\n\r\n")))
	m, err := r.ReadMessage()
	if err != nil || !reflect.DeepEqual(m.Headers, msg("Action", "Logoff")) {
		t.Errorf("after Reset: %v, %v", m, err)
	}
	if r.Buffered() != 0 {
		t.Errorf("Buffered() = %d, want 0", r.Buffered())
	}
}
