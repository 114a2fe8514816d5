// Package ami is the wire codec of the Asterisk Manager Interface: blocks of
// "Key: Value" lines closed by an empty line.
//
// It knows nothing of sockets, sessions or goroutines. [Reader] parses
// messages from a [bufio.Reader] as liberally as Asterisk 20 does (bare "\n"
// line ends, any header case and order, no space after the colon) and
// enforces Asterisk's limits inside the codec, so that no caller can forget
// them: a line of more than [MaxLineLength] bytes and a message of more than
// [MaxHeaders] lines are reported as [ErrLineTooLong] and [ErrTooManyHeaders]
// once the whole offending message has been consumed, leaving the stream in
// step. [AppendMessage] and [Writer] render the canonical form: "Key: Value\r\n"
// lines and a closing "\r\n".
package ami

import (
	"strings"
)

// Header is one "Key: Value" line of a message.
type Header struct {
	Key   string
	Value string
}

// Message is an ordered list of headers. Repeated keys (Variable, Output,
// ChanVariable) are kept in the order they arrived.
//
// Lookups are case-insensitive and the first match wins, as in Asterisk's
// astman_get_header.
type Message struct {
	Headers []Header
}

// NewMessage returns a message holding the given key/value pairs, which must
// come in pairs: NewMessage("Action", "Ping", "ActionID", "1").
func NewMessage(kv ...string) *Message {
	m := &Message{Headers: make([]Header, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Headers = append(m.Headers, Header{kv[i], kv[i+1]})
	}
	return m
}

// Get returns the value of the first header named key (case-insensitive), or
// "" when there is none.
func (m *Message) Get(key string) string {
	v, _ := m.Lookup(key)
	return v
}

// Lookup returns the value of the first header named key and whether one was
// present.
func (m *Message) Lookup(key string) (string, bool) {
	if m == nil {
		return "", false
	}
	for i := range m.Headers {
		if strings.EqualFold(m.Headers[i].Key, key) {
			return m.Headers[i].Value, true
		}
	}
	return "", false
}

// Values returns the values of every header named key, in order.
func (m *Message) Values(key string) []string {
	var vs []string
	for i := range m.Headers {
		if strings.EqualFold(m.Headers[i].Key, key) {
			vs = append(vs, m.Headers[i].Value)
		}
	}
	return vs
}

// Add appends a header, keeping any earlier one of the same name.
func (m *Message) Add(key, value string) {
	m.Headers = append(m.Headers, Header{key, value})
}

// Set replaces the value of the first header named key, or appends one.
func (m *Message) Set(key, value string) {
	for i := range m.Headers {
		if strings.EqualFold(m.Headers[i].Key, key) {
			m.Headers[i].Value = value
			return
		}
	}
	m.Add(key, value)
}

// Del removes every header named key.
func (m *Message) Del(key string) {
	out := m.Headers[:0]
	for _, h := range m.Headers {
		if !strings.EqualFold(h.Key, key) {
			out = append(out, h)
		}
	}
	m.Headers = out
}

// Action returns the value of the first non-empty Action header: Asterisk
// skips empty ones when it looks for the action.
func (m *Message) Action() string {
	for i := range m.Headers {
		if m.Headers[i].Value != "" && strings.EqualFold(m.Headers[i].Key, "Action") {
			return m.Headers[i].Value
		}
	}
	return ""
}

// ActionID returns the value of the ActionID header, verbatim.
func (m *Message) ActionID() string { return m.Get("ActionID") }

// Len reports the number of headers.
func (m *Message) Len() int { return len(m.Headers) }

// Clone returns a deep enough copy: the header slice is new, the strings are
// shared (they are immutable).
func (m *Message) Clone() *Message {
	return &Message{Headers: append([]Header(nil), m.Headers...)}
}

// String renders the message in wire form; meant for logs and tests.
func (m *Message) String() string {
	return string(AppendMessage(nil, m))
}
