package transcript

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Rule relaxes the comparison of header values that must differ between two
// servers or two runs. Before two blocks are compared, every value of a header
// named Header in a block whose Event is Event is rewritten with
// Match.ReplaceAllString(value, Replace), on both sides; the rewritten values
// must then be equal. A value the pattern does not match is compared as it
// is, so a rule also checks a value's shape: with Match `^\d+$` and Replace
// "<n>", any decimal number is accepted but "abc" is not.
type Rule struct {
	Event   string // "" for every block, else only blocks with this Event
	Header  string // the header name, exactly; "" for every header
	Match   *regexp.Regexp
	Replace string // in the syntax of [regexp.Regexp.Expand]
}

// Ignore returns rules that accept any value, even an empty one, for the
// named headers in every block.
func Ignore(headers ...string) []Rule {
	rs := make([]Rule, len(headers))
	for i, h := range headers {
		rs[i] = Rule{Header: h, Match: anyValue, Replace: "<ignored>"}
	}
	return rs
}

var anyValue = regexp.MustCompile(`^.*$`)

// DefaultRules returns the rules used when [Options].Rules is nil: times,
// counters, session and channel identifiers, addresses and MD5 challenges must
// have the right shape but may have any value; so may the variable columns of
// the Output lines of "core show version", "core show channels" and
// "manager show connected".
func DefaultRules() []Rule {
	var rs []Rule
	add := func(event, expr, repl string, headers ...string) {
		re := regexp.MustCompile(expr)
		for _, h := range headers {
			rs = append(rs, Rule{Event: event, Header: h, Match: re, Replace: repl})
		}
	}
	add("", `^\d+\.\d{6}$`, "<timestamp>", "Timestamp")
	add("", `^\d+$`, "<seconds>", "Uptime", "LastReload")
	add("", `^\d{4}-\d\d-\d\d$`, "<date>", "CoreStartupDate", "CoreReloadDate")
	add("", `^\d\d:\d\d:\d\d$`, "<time>", "CoreStartupTime", "CoreReloadTime")
	add("", `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$`, "<tv>", "EventTV", "SessionTV")
	add("", `^\S+$`, "<session>", "SessionID")
	add("", `^IPV[46]/(TCP|TLS|UDP)/\S+/\d+$`, "<address>", "RemoteAddress", "LocalAddress")
	add("", `^\d+$`, "<challenge>", "Challenge")
	add("ChallengeResponseFailed", `^[0-9a-f]{32}$`, "<md5>", "Key", "Response", "ExpectedResponse")
	add("", `^(\S+-)?\d+\.\d+$`, "${1}<uniqueid>",
		"Uniqueid", "UniqueID", "Linkedid", "DestUniqueid", "DestLinkedid",
		"LocalOneUniqueid", "LocalOneLinkedid", "LocalTwoUniqueid", "LocalTwoLinkedid")
	add("", `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, "<uuid>", "BridgeUniqueid")
	// Channel names carry a per-run sequence number: Local/1234@default-00000002;1.
	add("", `\b((?:Local|SIP|IAX2|PJSIP|DAHDI)/[^\s,;]*?)-[0-9a-f]{8}\b`, "${1}-<seq>", "")
	add("", `^Asterisk \S+ built by .+ on .+ running .+ on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`, "<core show version>", "Output")
	add("", `^\d+ calls? processed$`, "<n> calls processed", "Output")
	// manager show connected: Start (epoch), Elapsed, FileDes and HttpCnt vary.
	add("", `^(  \S+ +\S+ +)\d+ +\d+ +\d+ +\d+( +-?\d+ +-?\d+)$`, "${1}<start elapsed fd httpcnt>${2}", "Output")
	return rs
}

// canonical returns the form of m that is compared: the raw banner, or the
// lines of a block with the rules applied to their values.
func canonical(m Message, rules []Rule) string {
	if m.Banner {
		return string(m.Raw)
	}
	var sb strings.Builder
	ev := m.Event()
	for _, l := range m.lines() {
		sb.WriteString(l.name)
		sb.WriteString(l.sep)
		sb.WriteString(normalize(l, ev, rules))
		sb.WriteString(l.eol)
	}
	sb.WriteString(m.closing())
	return sb.String()
}

func normalize(l line, event string, rules []Rule) string {
	v := l.value
	if l.sep == "" {
		return v
	}
	for _, r := range rules {
		if (r.Event == "" || r.Event == event) && (r.Header == "" || r.Header == l.name) {
			v = r.Match.ReplaceAllString(v, r.Replace)
		}
	}
	return v
}

// EventOrder says how strictly the order of events is compared.
type EventOrder int

const (
	// Strict requires the messages of a connection in the transcript's
	// order.
	Strict EventOrder = iota
	// EventsBetweenResponses lets the events between two non-event messages
	// (banner, responses) come in any order.
	EventsBetweenResponses
	// EventsAnywhere compares the non-event messages in order and the events
	// of the whole connection as a multiset.
	EventsAnywhere
)

// keyed is a message with its canonical form.
type keyed struct {
	m   Message
	key string
}

// arrange returns msgs with their canonical forms, reordered for order.
// A message for which floating returns true is ordered as an event.
func arrange(msgs []Message, rules []Rule, order EventOrder, floating func(Message) bool) []keyed {
	var out, evs []keyed
	flush := func() {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].key < evs[j].key })
		out = append(out, evs...)
		evs = evs[:0]
	}
	for _, m := range msgs {
		k := keyed{m, canonical(m, rules)}
		switch {
		case order == Strict || !m.IsEvent() && (floating == nil || !floating(m)):
			if order == EventsBetweenResponses {
				flush()
			}
			out = append(out, k)
		default:
			evs = append(evs, k)
		}
	}
	flush()
	return out
}

// compareConn compares the messages of one connection and returns one
// problem per difference.
func compareConn(conn string, want, got []Message, rules []Rule, order EventOrder, floating func(Message) bool) []string {
	w := arrange(want, rules, order, floating)
	g := arrange(got, rules, order, floating)
	// Longest common subsequence, so that one missing or extra message is
	// reported as such and not as a shift of all that follow.
	n, m := len(w), len(g)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if w[i].key == g[j].key {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	// Walk the alignment: runs of unmatched messages between matched ones.
	type op struct {
		w, g  int // index into w or g; -1 if none
		moved bool
	}
	var ops []op
	for i, j := 0, 0; i < n || j < m; {
		switch {
		case i < n && j < m && w[i].key == g[j].key:
			ops = append(ops, op{i, j, false})
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{-1, j, false})
			j++
		default:
			ops = append(ops, op{i, -1, false})
			i++
		}
	}
	// An unexpected message equal to a missing one came out of order.
	var problems []string
	missingAt := map[string][]int{}
	for k, o := range ops {
		if o.g < 0 {
			missingAt[w[o.w].key] = append(missingAt[w[o.w].key], k)
		}
	}
	for k, o := range ops {
		if o.w >= 0 || len(missingAt[g[o.g].key]) == 0 {
			continue
		}
		mk := missingAt[g[o.g].key][0]
		missingAt[g[o.g].key] = missingAt[g[o.g].key][1:]
		ops[k].moved, ops[mk].moved = true, true
		x := w[ops[mk].w].m
		problems = append(problems, fmt.Sprintf("conn %s: message %d came out of order, as message %d; want:\n%s",
			conn, x.Index, g[o.g].m.Index, x))
	}
	var missing, extra []keyed
	flush := func() {
		k := min(len(missing), len(extra))
		for x := 0; x < k; x++ {
			problems = append(problems, differs(conn, missing[x], extra[x], rules))
		}
		for _, x := range missing[k:] {
			problems = append(problems, fmt.Sprintf("conn %s: message %d missing; want:\n%s", conn, x.m.Index, x.m))
		}
		for _, x := range extra[k:] {
			problems = append(problems, fmt.Sprintf("conn %s: unexpected message %d; got:\n%s", conn, x.m.Index, x.m))
		}
		missing, extra = missing[:0], extra[:0]
	}
	for _, o := range ops {
		switch {
		case o.moved:
		case o.w >= 0 && o.g >= 0:
			flush()
		case o.w >= 0:
			missing = append(missing, w[o.w])
		default:
			extra = append(extra, g[o.g])
		}
	}
	flush()
	return problems
}

// differs describes how got differs from want, naming the first line that
// differs.
func differs(conn string, want, got keyed, rules []Rule) string {
	head := fmt.Sprintf("conn %s: message %d differs (got message %d)", conn, want.m.Index, got.m.Index)
	if want.m.Banner || got.m.Banner {
		return fmt.Sprintf("%s: want banner %q, got %q", head, want.m.Raw, got.m.Raw)
	}
	wl, gl := want.m.lines(), got.m.lines()
	we, ge := want.m.Event(), got.m.Event()
	var what string
	for k := 0; k < max(len(wl), len(gl)); k++ {
		if k >= len(wl) {
			what = fmt.Sprintf("extra line %d %q", k+1, gl[k].text())
			break
		}
		if k >= len(gl) {
			what = fmt.Sprintf("line %d %q missing", k+1, wl[k].text())
			break
		}
		a, b := wl[k], gl[k]
		if a.name != b.name || a.sep != b.sep {
			what = fmt.Sprintf("line %d: want %q, got %q", k+1, a.text(), b.text())
			break
		}
		if a.eol != b.eol {
			what = fmt.Sprintf("line %d %q: want line end %q, got %q", k+1, a.text(), a.eol, b.eol)
			break
		}
		na, nb := normalize(a, we, rules), normalize(b, ge, rules)
		if na != nb {
			what = fmt.Sprintf("line %d: want %q, got %q", k+1, a.text(), b.text())
			if na != a.value || nb != b.value {
				what += fmt.Sprintf(" (after the rules: %q, %q)", na, nb)
			}
			break
		}
	}
	if what == "" {
		what = fmt.Sprintf("closing empty line: want %q, got %q", want.m.closing(), got.m.closing())
	}
	return fmt.Sprintf("%s: %s\nwant:\n%sgot:\n%s", head, what, want.m, got.m)
}
