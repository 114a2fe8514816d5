package transcript

import (
	"bytes"
	"strings"
)

// Message is one unit of what an AMI server sends: the banner line, or a
// block of lines closed by an empty line.
type Message struct {
	// Raw holds the exact bytes, with line ends and, for a block, the
	// closing empty line.
	Raw []byte
	// Banner is set for the first line of a connection
	// ("Asterisk Call Manager/9.0.0\r\n").
	Banner bool
	// Index is the position of the message in its connection's stream,
	// 0 being the banner.
	Index int
}

// Get returns the value of the first header of m named name
// (case-insensitive), without the single space after the colon, or "".
func (m Message) Get(name string) string {
	for _, l := range m.lines() {
		if l.sep != "" && strings.EqualFold(l.name, name) {
			return l.value
		}
	}
	return ""
}

// Event returns the value of the Event header, or "" for a banner or a
// block that does not start with "Event:".
func (m Message) Event() string {
	ls := m.lines()
	if m.Banner || len(ls) == 0 || !strings.EqualFold(ls[0].name, "Event") || ls[0].sep == "" {
		return ""
	}
	return ls[0].value
}

// IsEvent reports whether m is an event: a block whose first header is
// "Event:".
func (m Message) IsEvent() bool {
	ls := m.lines()
	return !m.Banner && len(ls) > 0 && ls[0].sep != "" && strings.EqualFold(ls[0].name, "Event")
}

// String returns the text of m for failure messages: one line per header,
// without line ends, a line ending in a bare "\n" marked "[LF]".
func (m Message) String() string {
	var sb strings.Builder
	for _, l := range m.lines() {
		sb.WriteString("    ")
		sb.WriteString(l.text())
		if l.eol != "\r\n" {
			sb.WriteString(" [LF]")
		}
		sb.WriteByte('\n')
	}
	if len(m.lines()) == 0 {
		sb.WriteString("    (empty block)\n")
	}
	return sb.String()
}

// closing returns the closing empty line of a block: "\r\n" or "\n".
func (m Message) closing() string {
	if m.Banner || !bytes.HasSuffix(m.Raw, []byte("\r\n")) {
		return "\n"
	}
	return "\r\n"
}

// line is one line of a block split for comparison: name + sep + value + eol
// give the line back byte for byte.
type line struct {
	name  string // text before the first ':', or the whole line if it has none
	sep   string // ": ", ":" or "" (no colon)
	value string
	eol   string // "\r\n" or "\n"
}

func (l line) text() string { return l.name + l.sep + l.value }

// lines splits m into lines; the closing empty line of a block is left out.
func (m Message) lines() []line {
	var ls []line
	b := m.Raw
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b) - 1 // an unterminated tail; SplitMessages never makes one
		}
		s := string(b[:i+1])
		b = b[i+1:]
		var l line
		switch {
		case strings.HasSuffix(s, "\r\n"):
			l.eol, s = "\r\n", s[:len(s)-2]
		case strings.HasSuffix(s, "\n"):
			l.eol, s = "\n", s[:len(s)-1]
		}
		if s == "" && !m.Banner && len(b) == 0 {
			break // the closing empty line
		}
		if name, value, ok := strings.Cut(s, ":"); ok && !m.Banner {
			l.name, l.sep, l.value = name, ":", value
			if strings.HasPrefix(value, " ") {
				l.sep, l.value = ": ", value[1:]
			}
		} else {
			l.name = s
		}
		ls = append(ls, l)
	}
	return ls
}

// SplitMessages splits b, everything a server sent on one connection from its
// start, into messages: the first line is the banner, then come blocks, each
// ending with an empty line ("\r\n" or a bare "\n"). A lone empty line is an
// empty block. Bytes after the last complete message are returned as rest.
func SplitMessages(b []byte) (msgs []Message, rest []byte) {
	return splitFrom(b, true, 0)
}

// splitFrom splits b into messages, the first line being the banner when
// atStart is set; index is the Index of the first message.
func splitFrom(b []byte, atStart bool, index int) (msgs []Message, rest []byte) {
	if atStart {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, b
		}
		msgs = append(msgs, Message{Raw: b[:i+1], Banner: true, Index: index})
		b = b[i+1:]
		index++
	}
	start := 0
	for pos := 0; pos < len(b); {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			break
		}
		l := b[pos : pos+i+1]
		pos += i + 1
		if len(l) == 1 || (len(l) == 2 && l[0] == '\r') {
			msgs = append(msgs, Message{Raw: b[start:pos], Index: index})
			index++
			start = pos
		}
	}
	return msgs, b[start:]
}
