package manager

import (
	"strconv"
	"strings"
)

// Perm is a set of AMI permission classes, with Asterisk's bit values
// (include/asterisk/manager.h), so that numeric masks given by clients mean
// the same thing here.
type Perm uint32

// The permission classes.
const (
	PermSystem    Perm = 1 << 0
	PermCall      Perm = 1 << 1
	PermLog       Perm = 1 << 2
	PermVerbose   Perm = 1 << 3
	PermCommand   Perm = 1 << 4
	PermAgent     Perm = 1 << 5
	PermUser      Perm = 1 << 6
	PermConfig    Perm = 1 << 7
	PermDTMF      Perm = 1 << 8
	PermReporting Perm = 1 << 9
	PermCDR       Perm = 1 << 10
	PermDialplan  Perm = 1 << 11
	PermOriginate Perm = 1 << 12
	PermAGI       Perm = 1 << 13
	PermCC        Perm = 1 << 15
	PermAOC       Perm = 1 << 16
	PermTest      Perm = 1 << 17
	PermSecurity  Perm = 1 << 18
	PermMessage   Perm = 1 << 30

	// PermAll is Asterisk's "all": INT_MAX.
	PermAll  Perm = 0x7fffffff
	PermNone Perm = 0
)

// permNames lists the classes in Asterisk's perms[] order, which is the order
// of a Privilege header.
var permNames = []struct {
	bit  Perm
	name string
}{
	{PermSystem, "system"},
	{PermCall, "call"},
	{PermLog, "log"},
	{PermVerbose, "verbose"},
	{PermCommand, "command"},
	{PermAgent, "agent"},
	{PermUser, "user"},
	{PermConfig, "config"},
	{PermDTMF, "dtmf"},
	{PermReporting, "reporting"},
	{PermCDR, "cdr"},
	{PermDialplan, "dialplan"},
	{PermOriginate, "originate"},
	{PermAGI, "agi"},
	{PermCC, "cc"},
	{PermAOC, "aoc"},
	{PermTest, "test"},
	{PermSecurity, "security"},
	{PermMessage, "message"},
}

// ParsePerm parses a read= or write= value: a comma-separated list of class
// names, "all" or "none", as Asterisk's get_perm does. Unknown names are
// returned in unknown so that the caller can warn about them.
func ParsePerm(s string) (p Perm, unknown []string) {
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		switch lw := strings.ToLower(w); lw {
		case "all":
			p |= PermAll
		case "none":
		default:
			bit, ok := permByName(lw)
			if !ok {
				unknown = append(unknown, w)
				continue
			}
			p |= bit
		}
	}
	return p, unknown
}

func permByName(name string) (Perm, bool) {
	for _, pn := range permNames {
		if pn.name == name {
			return pn.bit, true
		}
	}
	return 0, false
}

// ParseEventMask parses the Events header of Login and the EventMask of the
// Events action (Asterisk's strings_to_mask): a number is the mask itself,
// on/yes/true means all, off/no/false means none, otherwise a list of class
// names. ok is false for an empty string, which Asterisk treats as an error.
// Unknown names alone give an empty mask, as in Asterisk ("bogus" turns
// events off).
func ParseEventMask(s string) (p Perm, ok bool) {
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return Perm(n), true
	}
	switch strings.ToLower(s) {
	case "on", "yes", "true", "y", "t", "1":
		return PermAll, true
	case "off", "no", "false", "n", "f", "0":
		return PermNone, true
	}
	p, _ = ParsePerm(s)
	return p, true
}

// String renders p as Asterisk's authority_to_str does for a Privilege
// header: every class whose bit is set, then "all"; "<none>" for none.
func (p Perm) String() string {
	if p == 0 {
		return "<none>"
	}
	var b strings.Builder
	for _, pn := range permNames {
		if p&pn.bit != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(pn.name)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(',')
	}
	b.WriteString("all")
	return b.String()
}

// CanRun reports whether a user holding write permissions w may run an action
// that needs any one of the classes in need (Asterisk 20: any-of; an action
// needing no class is open to every logged-in user).
func (w Perm) CanRun(need Perm) bool {
	return need == 0 || w&need != 0
}

// Receives reports whether a session whose effective read mask is r gets an
// event of class c: it must hold every class of the event.
func (r Perm) Receives(c Perm) bool {
	return r&c == c
}
