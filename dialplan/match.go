package dialplan

import (
	"strconv"
	"strings"
)

// This file holds Asterisk's extension matching and ordering rules
// (main/pbx.c: _extension_match_core, ext_cmp and their helpers), for
// extension names and for caller-ID patterns alike:
//
//   - A name that does not start with '_' is literal and matches only
//     itself, byte for byte (case matters); '-' is ignored everywhere
//     ("555-1212" is "5551212").
//   - After '_': X is 0-9, Z is 1-9, N is 2-9 (in either case), [..] is a
//     set with a-b ranges, '.' matches one or more further characters, '!'
//     zero or more; any other character is literal.
//   - Sorting puts literal names first (in byte order), then patterns by
//     how few characters each position admits, '.' and '!' last.

// matchMode is what a lookup asks of an extension (enum ext_match_t).
type matchMode uint8

const (
	matchMore  matchMode = iota // E_MATCHMORE: could match with more digits
	matchCan                    // E_CANMATCH: matches now or with more digits
	matchExact                  // E_MATCH: matches now
)

// Results of a pattern match, as _extension_match_core returns them.
const (
	noMatch    = 0
	matched    = 1
	earlyMatch = 2 // the pattern ended in '!'
)

// Kinds of compiled pattern element.
const (
	tokChar  = iota // one literal byte
	tokSet          // X, Z, N or [...]
	tokEmpty        // "[]": ignored when matching
	tokBad          // '[' with no ']'
	tokDot          // '.'
	tokBang         // '!'
)

type patTok struct {
	kind uint8
	c    byte
	set  *[4]uint64
}

func (t *patTok) has(c byte) bool { return t.set[c>>6]&(1<<(c&63)) != 0 }

// matcher is a compiled extension name or caller-ID pattern.
type matcher struct {
	raw     string
	pattern bool
	norm    string   // literal: raw without '-' (what ext_cmp_exten compares)
	toks    []patTok // pattern: the elements after '_'
}

var (
	setX = digitSet('0')
	setZ = digitSet('1')
	setN = digitSet('2')
)

func digitSet(from byte) *[4]uint64 {
	var s [4]uint64
	for c := int(from); c <= '9'; c++ {
		s[c>>6] |= 1 << (c & 63)
	}
	return &s
}

// cString cuts s at its first NUL byte: Asterisk's names are C strings.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func compileMatcher(s string) *matcher {
	s = cString(s)
	m := &matcher{raw: s}
	if !strings.HasPrefix(s, "_") {
		m.norm = stripDashes(s)
		return m
	}
	m.pattern = true
	p := s[1:]
	i := 0
	for {
		for i < len(p) && p[i] == '-' {
			i++
		}
		if i >= len(p) || p[i] == '/' {
			return m
		}
		switch c := p[i]; c {
		case '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end < 0 {
				m.toks = append(m.toks, patTok{kind: tokBad})
				return m
			}
			body := p[i+1 : i+1+end]
			i += end + 2
			if body == "" {
				m.toks = append(m.toks, patTok{kind: tokEmpty})
				continue
			}
			m.toks = append(m.toks, patTok{kind: tokSet, set: charSet(body)})
			continue
		case 'n', 'N':
			m.toks = append(m.toks, patTok{kind: tokSet, set: setN})
		case 'x', 'X':
			m.toks = append(m.toks, patTok{kind: tokSet, set: setX})
		case 'z', 'Z':
			m.toks = append(m.toks, patTok{kind: tokSet, set: setZ})
		case '.':
			m.toks = append(m.toks, patTok{kind: tokDot})
			return m
		case '!':
			m.toks = append(m.toks, patTok{kind: tokBang})
			return m
		default:
			m.toks = append(m.toks, patTok{kind: tokChar, c: c})
		}
		i++
	}
}

// charSet computes which bytes the body of a [...] set admits. Asterisk
// compares plain (signed) chars, so a range is tested with signed bytes;
// "a-" and "-a" take the '-' literally.
func charSet(body string) *[4]uint64 {
	type rng struct{ lo, hi int8 }
	var rs []rng
	for j := 0; j < len(body); j++ {
		if j+2 < len(body) && body[j+1] == '-' {
			rs = append(rs, rng{int8(body[j]), int8(body[j+2])})
			j += 2
			continue
		}
		rs = append(rs, rng{int8(body[j]), int8(body[j])})
	}
	var s [4]uint64
	for c := 0; c < 256; c++ {
		v := int8(uint8(c))
		for _, r := range rs {
			if v >= r.lo && v <= r.hi {
				s[c>>6] |= 1 << (c & 63)
				break
			}
		}
	}
	return &s
}

func stripDashes(s string) string {
	if strings.IndexByte(s, '-') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "-", "")
}

// lenNoDash is ext_cmp_exten_strlen.
func lenNoDash(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			n++
		}
	}
	return n
}

// match is _extension_match_core.
func (m *matcher) match(data string, mode matchMode) int {
	data = cString(data)
	if !m.pattern {
		lp, ld := len(m.norm), lenNoDash(data)
		if lp < ld {
			return noMatch
		}
		if mode == matchExact {
			if lp == ld && hasPrefixNoDash(m.norm, data) {
				return matched
			}
			return noMatch
		}
		if ld == 0 || hasPrefixNoDash(m.norm, data) {
			if mode == matchMore && lp <= ld {
				return noMatch
			}
			return matched
		}
		return noMatch
	}
	if mode == matchExact && strings.HasPrefix(data, "_") {
		// The "extension" is itself a pattern (a label lookup for a pattern
		// extension, or Goto to "_X."): equal patterns match.
		if cmpPattern(m.raw[1:], data[1:]) == 0 {
			return matched
		}
	}
	ti, di := 0, 0
	for {
		for di < len(data) && data[di] == '-' {
			di++
		}
		if di >= len(data) || ti >= len(m.toks) {
			break
		}
		t := &m.toks[ti]
		switch t.kind {
		case tokEmpty:
			ti++
			continue
		case tokBad:
			return noMatch
		case tokDot:
			return matched
		case tokBang:
			return earlyMatch
		case tokChar:
			if data[di] != t.c {
				return noMatch
			}
		case tokSet:
			if !t.has(data[di]) {
				return noMatch
			}
		}
		di++
		ti++
	}
	if di < len(data) {
		return noMatch // data longer than the pattern
	}
	if ti >= len(m.toks) {
		if mode == matchMore {
			return noMatch
		}
		return matched
	}
	if m.toks[ti].kind == tokBang {
		return earlyMatch
	}
	if mode == matchExact {
		return noMatch
	}
	return matched
}

// hasPrefixNoDash reports whether data, ignoring '-', is a prefix of norm
// (which has no '-'): ext_cmp_exten_partial(norm, data) == 0.
func hasPrefixNoDash(norm, data string) bool {
	j := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '-' {
			continue
		}
		if j >= len(norm) || norm[j] != c {
			return false
		}
		j++
	}
	return true
}

// MatchExtension reports whether exten matches the extension name or
// pattern as Asterisk's ast_extension_match does (an exact match: "_X."
// does not match "5" alone).
func MatchExtension(pattern, exten string) bool {
	return compileMatcher(pattern).match(exten, matchExact) != noMatch
}

// CompareExtensions orders two extension names the way Asterisk sorts a
// context (ast_extension_cmp): it returns -1, 0 or 1. Literal names come
// first, then patterns, most specific first. Names that compare equal are
// the same extension ("_X" and "_[0-9]", "12-34" and "1234").
func CompareExtensions(a, b string) int {
	switch c := extCmp(a, b); {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// extCmp is ext_cmp.
func extCmp(left, right string) int {
	left, right = cString(left), cString(right)
	lp := strings.HasPrefix(left, "_")
	rp := strings.HasPrefix(right, "_")
	switch {
	case !lp && rp:
		return -1
	case !lp:
		return cmpExten(left, right)
	case !rp:
		return 1
	}
	return cmpPattern(left[1:], right[1:])
}

// cmpExten is ext_cmp_exten: byte order ignoring '-', with C's signed
// chars, so a name with a byte >= 0x80 sorts before a shorter one.
func cmpExten(left, right string) int {
	i, j := 0, 0
	for {
		for i < len(left) && left[i] == '-' {
			i++
		}
		for j < len(right) && right[j] == '-' {
			j++
		}
		var l, r int
		if i < len(left) {
			l = int(int8(left[i]))
		}
		if j < len(right) {
			r = int(int8(right[j]))
		}
		if l != r {
			return l - r
		}
		if i >= len(left) {
			return 0
		}
		i++
		j++
	}
}

// Sort weights of one pattern position (ext_cmp_pattern_pos): the low byte
// is the first character of the set, the next bits count its members, and
// the special cases sort after every set.
const (
	posDot   = 0x18000
	posBang  = 0x28000
	posEnd   = 0x30000
	posError = 0x40000
)

// patPos returns the sort weight of the pattern position starting at s[i],
// the index after it (-1 at the end of the pattern), and the set of
// characters it admits, with lower characters in more significant bits so
// that equal-sized sets compare by their lowest members.
func patPos(s string, i int, bits *[32]byte) (pos, next int) {
	for {
		var c byte
		for {
			if i < len(s) {
				c = s[i]
			} else {
				c = 0
			}
			i++
			if c != '-' {
				break
			}
		}
		switch c {
		case 'n', 'N':
			bits[6], bits[7] = 0x3f, 0xc0
			return 0x0800 | '2', i
		case 'x', 'X':
			bits[6], bits[7] = 0xff, 0xc0
			return 0x0A00 | '0', i
		case 'z', 'Z':
			bits[6], bits[7] = 0x7f, 0xc0
			return 0x0900 | '1', i
		case '.':
			return posDot, i
		case '!':
			return posBang, i
		case 0:
			return posEnd, -1
		case '[':
		default:
			bits[c/8] = 1 << (7 - c%8)
			return 0x0100 | int(c), i
		}
		// A set: i is just after '['.
		end := -1
		if i <= len(s) {
			end = strings.IndexByte(s[i:], ']')
		}
		if end < 0 {
			return posError, i
		}
		end += i
		count := 0
		cmin := 0xFF
		for ; i < end; i++ {
			c1 := int(s[i])
			c2 := c1
			if i+2 < end && s[i+1] == '-' {
				c2 = int(s[i+2])
				i += 2
			}
			cmin = min(cmin, c1)
			for ; c1 <= c2; c1++ {
				mask := byte(1 << (7 - c1%8))
				if bits[c1/8]&mask == 0 {
					bits[c1/8] |= mask
					count += 0x100
				}
			}
		}
		i++ // past ']'
		if count != 0 {
			return count | cmin, i
		}
		// An empty set is skipped.
	}
}

// cmpPattern is ext_cmp_pattern, for two patterns without their '_'.
func cmpPattern(left, right string) int {
	li, ri := 0, 0
	for {
		var lb, rb [32]byte
		lpos, ln := patPos(left, li, &lb)
		rpos, rn := patPos(right, ri, &rb)
		c := lpos - rpos
		if c == 0 {
			// Equal weights, different sets: compare the sets (right
			// against left, as Asterisk does).
			for k := range rb {
				if rb[k] != lb[k] {
					c = int(rb[k]) - int(lb[k])
					break
				}
			}
		}
		if c != 0 || ln < 0 {
			return c
		}
		li, ri = ln, rn
	}
}

// sortKey returns a string that is equal for two names exactly when
// extCmp finds them equal: the dash-free name for literals, the sequence of
// position weights and sets for patterns.
func sortKey(name string) string {
	name = cString(name)
	if !strings.HasPrefix(name, "_") {
		return "L" + stripDashes(name)
	}
	var b strings.Builder
	b.WriteByte('P')
	p := name[1:]
	i := 0
	for n := 0; n < len(p)+2; n++ {
		var bits [32]byte
		pos, next := patPos(p, i, &bits)
		b.WriteString(strconv.Itoa(pos))
		b.WriteByte(':')
		b.Write(bits[:])
		if next < 0 {
			break
		}
		i = next
	}
	return b.String()
}
