package manager

import (
	"github.com/asterism-pbx/asterism/ami"
)

// Event is one AMI event as publishers hand it to the manager: a name, the
// classes a session must all hold to receive it, and its body headers in
// order. The manager adds Event, Privilege, and (as configured) Timestamp
// and SystemName in front, renders the whole once, and shares the rendering
// among every session that receives it.
type Event struct {
	Name    string
	Class   Perm
	Headers []ami.Header

	// text is the rendering shared by every session; set once by
	// [Manager.Publish] before the event is handed to any session.
	text []byte
}

// Get returns the value of the first body header named key
// (case-insensitive), or "". "Event" returns the event's name.
func (e *Event) Get(key string) string {
	if equalFold(key, "Event") {
		return e.Name
	}
	for _, h := range e.Headers {
		if equalFold(h.Key, key) {
			return h.Value
		}
	}
	return ""
}

// Text returns the rendered event, closing blank line included, while
// Publish delivers it (event filters read it); it is nil before and
// after, when its buffer serves the next event.
func (e *Event) Text() []byte { return e.text }

// equalFold is strings.EqualFold for ASCII header names, without the
// Unicode tables.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
