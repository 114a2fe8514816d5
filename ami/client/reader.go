package client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/asterism-pbx/asterism/ami"
)

// Default limits on what the client accepts from a server. They are far
// above the server-side limits of package ami (1024-byte lines, 128 headers)
// on purpose: those bound what Asterisk accepts from clients, while servers
// send much more — ListCommands answers with ~125 headers, and a Command
// such as "core show help" or "dialplan show" answers with one Output
// header per line, thousands of them. The client therefore bounds bytes,
// not headers.
const (
	// DefaultMaxLineLength is the longest line, terminator included, that
	// the client keeps. Longer lines are skipped.
	DefaultMaxLineLength = 64 << 10

	// DefaultMaxMessageSize is the most bytes of header lines the client
	// keeps for one message. The rest of a larger message is read and
	// dropped so that the stream stays in step.
	DefaultMaxMessageSize = 8 << 20
)

// endCommand closes the raw output of a pre-14 "Response: Follows" reply.
const endCommand = "--END COMMAND--"

// errLineTooLong reports a line over the limit; the line was consumed.
var errLineTooLong = errors.New("ami client: line too long")

// reader reads messages the way a client must: liberal in line ends, header
// syntax and size, and aware of the raw-text "Response: Follows" reply that
// Asterisk sent for Command until version 13. package ami's Reader is the
// server's codec and keeps Asterisk's strict limits, hence this one.
type reader struct {
	br      *bufio.Reader
	maxLine int
	maxMsg  int

	line []byte // collects a line longer than br's buffer
	back []byte // a line read ahead and given back
	hasB bool
}

func newReader(r io.Reader, maxLine, maxMsg int) *reader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineLength
	}
	if maxMsg <= 0 {
		maxMsg = DefaultMaxMessageSize
	}
	return &reader{br: bufio.NewReaderSize(r, 16<<10), maxLine: maxLine, maxMsg: maxMsg}
}

// readLine returns the next line without its "\n" or "\r\n". The slice is
// valid until the next call. A line over maxLine is consumed whole and
// reported as errLineTooLong; a line cut by the end of the stream is
// io.ErrUnexpectedEOF.
func (r *reader) readLine() ([]byte, error) {
	if r.hasB {
		r.hasB = false
		return r.back, nil
	}
	r.line = r.line[:0]
	long := false
	for {
		frag, err := r.br.ReadSlice('\n')
		switch err {
		case nil:
			if long || len(r.line)+len(frag) > r.maxLine {
				return nil, errLineTooLong
			}
			if len(r.line) > 0 {
				r.line = append(r.line, frag...)
				frag = r.line
			}
			return trimEOL(frag), nil
		case bufio.ErrBufferFull:
			if !long && len(r.line)+len(frag) > r.maxLine {
				long = true
				r.line = r.line[:0]
			}
			if !long {
				r.line = append(r.line, frag...)
			}
		default:
			if long || len(r.line) > 0 || len(frag) > 0 {
				return nil, unexpected(err)
			}
			return nil, err
		}
	}
}

// unreadLine gives back a line so that the next readLine returns it.
func (r *reader) unreadLine(line []byte) {
	r.back = append(r.back[:0], line...)
	r.hasB = true
}

// readMessage reads one message. A lone empty line is an empty message, as
// Asterisk has it. A message over the limits is returned with what was kept
// and an error wrapping ErrMessageTooLarge; the stream is still in step.
// Any other error is the stream's, with a nil message.
func (r *reader) readMessage() (*ami.Message, error) {
	m := &ami.Message{}
	size, tooBig, started := 0, false, false
	for {
		line, err := r.readLine()
		if errors.Is(err, errLineTooLong) {
			tooBig, started = true, true
			continue
		}
		if err != nil {
			if started {
				return nil, unexpected(err)
			}
			return nil, err
		}
		started = true
		if len(line) == 0 {
			break
		}
		if size += len(line) + 2; size > r.maxMsg {
			tooBig = true
			continue
		}
		k, v, ok := splitHeader(line)
		if !ok {
			// Raw text outside a Follows reply (1.0's IAXpeers, Queues)
			// carries nothing a client can correlate; Asterisk itself
			// ignores lines without a colon.
			continue
		}
		m.Add(k, v)
		if len(m.Headers) == 1 && strings.EqualFold(k, "Response") && strings.EqualFold(v, "Follows") {
			return r.readFollows(m, size, tooBig)
		}
	}
	if tooBig {
		return m, tooLarge(m)
	}
	return m, nil
}

// readFollows reads the rest of a pre-14 Command reply:
//
//	Response: Follows\r\n
//	Privilege: Command\r\n        (from 1.2)
//	ActionID: 42\r\n              (if the request had one)
//	raw CLI text, "\n" line ends, blank lines included
//	--END COMMAND--\r\n
//	\r\n
//
// Each raw line becomes an Output header, so that callers see the same
// shape as from Asterisk 14 and later.
func (r *reader) readFollows(m *ami.Message, size int, tooBig bool) (*ami.Message, error) {
	inHeaders := true
	for {
		line, err := r.readLine()
		if errors.Is(err, errLineTooLong) {
			tooBig, inHeaders = true, false
			continue
		}
		if err != nil {
			return nil, unexpected(err)
		}
		if inHeaders {
			if k, v, ok := splitHeader(line); ok && (strings.EqualFold(k, "Privilege") || strings.EqualFold(k, "ActionID")) {
				size += len(line) + 2
				m.Add(k, v)
				continue
			}
			inHeaders = false
		}
		text, end := strings.CutSuffix(string(line), endCommand)
		if size += len(text) + 8; size > r.maxMsg {
			tooBig = true
		} else if !end || text != "" {
			// Output that does not end in a newline runs into the
			// terminator: "text--END COMMAND--".
			m.Add("Output", text)
		}
		if end {
			break
		}
	}
	// The terminator is followed by the blank line that closes the block.
	if line, err := r.readLine(); err == nil && len(line) > 0 {
		r.unreadLine(line)
	}
	if tooBig {
		return m, tooLarge(m)
	}
	return m, nil
}

func tooLarge(m *ami.Message) error {
	return &sizeError{name: describe(m)}
}

// sizeError reports a message over the client's limits.
type sizeError struct{ name string }

func (e *sizeError) Error() string {
	return "ami client: " + e.name + ": " + ErrMessageTooLarge.Error()
}
func (e *sizeError) Unwrap() error { return ErrMessageTooLarge }

// describe names a message for logs and errors: "event Newchannel",
// "response Success (ActionID 7)".
func describe(m *ami.Message) string {
	if ev, ok := m.Lookup("Event"); ok {
		return "event " + ev
	}
	s := "response " + m.Get("Response")
	if id, ok := m.Lookup("ActionID"); ok {
		s += " (ActionID " + id + ")"
	}
	return s
}

// splitHeader splits "Key: Value" at the first colon and skips the blanks
// that lead the value, as Asterisk's astman_get_header does.
func splitHeader(line []byte) (key, value string, ok bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return "", "", false
	}
	v := colon + 1
	if string(line[:colon]) == "Output" {
		// CLI output keeps its indentation: servers write exactly one
		// space after "Output:", and the rest is the command's.
		if v < len(line) && line[v] == ' ' {
			v++
		}
		return "Output", string(line[v:]), true
	}
	for v < len(line) && line[v] < '!' {
		v++
	}
	return string(line[:colon]), string(line[v:]), true
}

func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
