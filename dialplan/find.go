package dialplan

import (
	"strings"
	"time"
)

// query is one lookup (Asterisk's pbx_find_extension arguments and its
// pbx_find_info state).
type query struct {
	exten   string
	cid     string
	prio    int
	label   string
	byLabel bool
	mode    matchMode

	// stack holds the contexts already searched: a context included twice
	// (or in a loop) is searched once.
	stack []string
	when  time.Time
}

func (q *query) now() time.Time {
	if q.when.IsZero() {
		q.when = now()
	}
	return q.when
}

// find is pbx_find_extension: the context's own extensions in order, then
// its includes, depth first.
func (d *Dialplan) find(q *query, context string) *Priority {
	if len(q.stack) >= MaxIncludeStack {
		return nil
	}
	for _, s := range q.stack {
		if strings.EqualFold(s, context) {
			return nil
		}
	}
	c := d.contexts[context]
	if c == nil {
		return nil
	}
	if p, stop := c.search(q); p != nil || stop {
		return p
	}
	q.stack = append(q.stack, c.name)
	for i := range c.includes {
		inc := &c.includes[i]
		if inc.Timing != nil && !inc.Timing.Matches(q.now()) {
			continue
		}
		if p := d.find(q, inc.Context); p != nil {
			return p
		}
	}
	return nil
}

// search scans one context's extensions in Asterisk's order. The first
// extension that matches and has the wanted priority (or label) wins; one
// that matches but lacks it does not stop the scan, so a pattern can
// supply the priorities a literal extension lacks. stop is set when a
// '!' pattern answers a "match more" question: no, and no further.
func (c *Context) search(q *query) (p *Priority, stop bool) {
	switch q.mode {
	case matchExact:
		for _, x := range c.literals[stripDashes(cString(q.exten))] {
			if p, stop := x.try(q); p != nil || stop {
				return p, stop
			}
		}
	default:
		// Literal names that start with what was dialed. Any one with
		// the priority answers the question, so their order does not
		// matter here.
		data := stripDashes(q.exten)
		for _, k := range c.litOrder {
			if !strings.HasPrefix(k, data) {
				continue
			}
			for _, x := range c.literals[k] {
				if p, stop := x.try(q); p != nil || stop {
					return p, stop
				}
			}
		}
	}
	for _, x := range c.patterns {
		if p, stop := x.try(q); p != nil || stop {
			return p, stop
		}
	}
	return nil, false
}

// try checks one extension against the query.
func (x *Extension) try(q *query) (*Priority, bool) {
	m := x.m.match(q.exten, q.mode)
	if m == noMatch {
		return nil, false
	}
	if x.matchCID && !x.cidMatches(q.cid) {
		return nil, false
	}
	if m == earlyMatch && q.mode == matchMore {
		return nil, true
	}
	var p *Priority
	var ok bool
	if q.byLabel {
		p, ok = x.Label(q.label)
	} else {
		p, ok = x.Priority(q.prio)
	}
	if ok {
		return p, false
	}
	return nil, false
}

// cidMatches is matchcid: an empty caller ID matches only an empty
// pattern; otherwise the pattern must match exactly.
func (x *Extension) cidMatches(callerID string) bool {
	if callerID == "" {
		return x.cid == ""
	}
	return x.cm.match(callerID, matchExact) != noMatch
}

// Find returns the priority a call in context that dialed exten, with
// caller ID number callerID ("" if none), runs at priority: the first
// matching extension of the context (literal names, then patterns from
// most to least specific) that has that priority, else the same search in
// each included context in turn.
func (d *Dialplan) Find(context, exten, callerID string, priority int) (*Priority, bool) {
	q := query{exten: exten, cid: callerID, prio: priority, mode: matchExact}
	p := d.find(&q, context)
	return p, p != nil
}

// Exists reports whether Find would find the priority
// (ast_exists_extension).
func (d *Dialplan) Exists(context, exten, callerID string, priority int) bool {
	_, ok := d.Find(context, exten, callerID, priority)
	return ok
}

// FindLabel returns the priority labelled label in the extension exten
// matches (Goto(context,exten,label)), searching like Find.
func (d *Dialplan) FindLabel(context, exten, callerID, label string) (*Priority, bool) {
	q := query{exten: exten, cid: callerID, label: label, byLabel: true, mode: matchExact}
	p := d.find(&q, context)
	return p, p != nil
}

// CanMatch reports whether exten, or exten followed by more digits, would
// find priority 1 (ast_canmatch_extension): whether collecting digits
// should go on.
func (d *Dialplan) CanMatch(context, exten, callerID string) bool {
	q := query{exten: exten, cid: callerID, prio: 1, mode: matchCan}
	return d.find(&q, context) != nil
}

// MatchMore reports whether some extension with priority 1 needs more
// digits than exten has (ast_matchmore_extension). A '!' pattern that
// exten already matches answers no: the number is complete.
func (d *Dialplan) MatchMore(context, exten, callerID string) bool {
	q := query{exten: exten, cid: callerID, prio: 1, mode: matchMore}
	return d.find(&q, context) != nil
}

// Hint returns the hint of exten in context ("SIP/100&SIP/101"), searched
// like Find with no caller ID. A hint found through a pattern is expanded
// for exten, as Asterisk does when it creates the hint for that extension
// ("exten => _1XX,hint,SIP/${EXTEN}" gives "SIP/150" for 150).
func (d *Dialplan) Hint(context, exten string) (string, bool) {
	q := query{exten: exten, prio: PriorityHint, mode: matchExact}
	p := d.find(&q, context)
	if p == nil {
		return "", false
	}
	if strings.HasPrefix(p.Exten, "_") && strings.Contains(p.App, "${") {
		vars := loadVars{d: d, extra: MapVars{"EXTEN": exten, "CONTEXT": p.Context}}
		out, _ := Substitute(p.App, vars, NewFuncs())
		return out, true
	}
	return p.App, true
}

// Hints returns every hint, context by context in walk order.
func (d *Dialplan) Hints() []*Priority {
	var out []*Priority
	for _, c := range d.order {
		for _, x := range c.exts {
			if p, ok := x.Priority(PriorityHint); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// IgnorePattern reports whether digits dialed in context match one of its
// ignorepat lines (includes are not followed), so that dial tone should
// stay on (ast_ignore_pattern).
func (d *Dialplan) IgnorePattern(context, digits string) bool {
	c := d.contexts[context]
	if c == nil {
		return false
	}
	for _, ip := range c.ignorepats {
		if ip.m.match(digits, matchExact) != noMatch {
			return true
		}
	}
	return false
}
