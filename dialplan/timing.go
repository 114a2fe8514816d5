package dialplan

import (
	"fmt"
	"strings"
	"time"
)

// Timing is a time condition as written after an include
// ("include => daytime,09:00-17:00,mon-fri,*,*") or in IFTIME: times of
// day, days of the week, days of the month, months, and an optional time
// zone, each "*" for any (Asterisk's struct ast_timing).
type Timing struct {
	spec    string
	minutes [48]uint32 // one bit per minute: two 30-bit words per hour
	dow     uint32     // bit 0 is Sunday
	mday    uint32     // bit 0 is the 1st
	months  uint32     // bit 0 is January
	loc     *time.Location
}

var (
	dayNames   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
)

// ParseTiming reads a time specification "times,weekdays,mdays,months[,zone]"
// as ast_build_timing does: missing fields mean any, bad elements are
// skipped (and reported in warnings), ranges wrap around ("fri-mon",
// "22:00-06:00"). Fields may also be separated by '|', the pre-1.6 form.
func ParseTiming(spec string) (*Timing, []string) {
	t := &Timing{spec: spec, dow: 0x7f, mday: 0x7fffffff, months: 0xfff}
	var warns []string
	if n := strings.Count(spec, ","); n == 4 {
		zone := spec[strings.LastIndexByte(spec, ',')+1:]
		if loc, err := time.LoadLocation(strings.TrimSpace(zone)); err == nil {
			t.loc = loc
		} else {
			warns = append(warns, fmt.Sprintf("unknown time zone %q, using local time", zone))
		}
	}
	fields := splitAny(spec, ",|")
	t.timeRange(fields[0], &warns)
	if len(fields) > 1 {
		t.dow = getRange(fields[1], 7, dayNames, "day of week", &warns)
	}
	if len(fields) > 2 {
		t.mday = getRange(fields[2], 31, nil, "day", &warns)
	}
	if len(fields) > 3 {
		t.months = getRange(fields[3], 12, monthNames, "month", &warns)
	}
	return t, warns
}

func splitAny(s, seps string) []string {
	var out []string
	for {
		i := strings.IndexAny(s, seps)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

// String returns the specification the timing was parsed from.
func (t *Timing) String() string { return t.spec }

// Matches reports whether now falls within the timing
// (ast_check_timing2), in the timing's zone or else in now's.
func (t *Timing) Matches(now time.Time) bool {
	if t.loc != nil {
		now = now.In(t.loc)
	}
	if t.months&(1<<(int(now.Month())-1)) == 0 {
		return false
	}
	if t.mday&(1<<(now.Day()-1)) == 0 {
		return false
	}
	if t.dow&(1<<int(now.Weekday())) == 0 {
		return false
	}
	h, m := now.Hour(), now.Minute()
	word := h * 2
	if m >= 30 {
		word++
	}
	return t.minutes[word]&(1<<(m%30)) != 0
}

// timeRange is get_timerange: "*", "HH:MM", "HH:MM-HH:MM", joined by '&'.
func (t *Timing) timeRange(spec string, warns *[]string) {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "*" {
		for i := range t.minutes {
			t.minutes[i] = 0x3fffffff
		}
		return
	}
	for _, part := range strings.Split(spec, "&") {
		start, end, isRange := strings.Cut(part, "-")
		sh, sm, ok := hhmm(start)
		if !isRange {
			if !ok {
				*warns = append(*warns, fmt.Sprintf("%s isn't a valid time", part))
				continue
			}
			t.setMinute(sh*60 + sm)
			continue
		}
		// Asterisk skips non-digits (mostly blanks) before the end time.
		end = strings.TrimLeftFunc(end, func(r rune) bool { return r < '0' || r > '9' })
		if end == "" {
			*warns = append(*warns, fmt.Sprintf("invalid time range starting with '%s-'", start))
			continue
		}
		if !ok {
			*warns = append(*warns, fmt.Sprintf("'%s' isn't a valid start time", start))
			continue
		}
		eh, em, ok := hhmm(end)
		if !ok {
			*warns = append(*warns, fmt.Sprintf("'%s' isn't a valid end time", end))
			continue
		}
		from, to := sh*60+sm, eh*60+em
		x := from
		for x != to {
			t.setMinute(x)
			x = (x + 1) % (24 * 60)
		}
		t.setMinute(x)
	}
}

func (t *Timing) setMinute(x int) { t.minutes[x/30] |= 1 << (x % 30) }

// hhmm is sscanf("%2d:%2d") with the range checks Asterisk applies.
func hhmm(s string) (h, m int, ok bool) {
	s = strings.TrimLeft(s, " \t")
	hs, ms, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	h, n, okh := scanInt2(hs)
	m, _, okm := scanInt2(strings.TrimLeft(ms, " \t"))
	if !okh || n != len(hs) || !okm || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// scanInt2 is sscanf("%2d"): an optional sign and up to two digits. It
// returns the value and how many bytes it read.
func scanInt2(s string) (int, int, bool) {
	n := 0
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && i-start < 2 && isDigit(s[i]) {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == start {
		return 0, 0, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}

// getRange is get_range: "*" or "a-b&c" over 1..max (or names), wrapping.
func getRange(spec string, max int, names []string, what string, warns *[]string) uint32 {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "*" {
		return 1<<max - 1
	}
	var mask uint32
	for _, part := range strings.Split(spec, "&") {
		first, last, isRange := strings.Cut(part, "-")
		start := lookupName(first, names, max)
		if start < 0 {
			*warns = append(*warns, fmt.Sprintf("invalid %s '%s', skipping element", what, first))
			continue
		}
		end := start
		if isRange {
			if end = lookupName(last, names, max); end < 0 {
				*warns = append(*warns, fmt.Sprintf("invalid end %s '%s', skipping element", what, last))
				continue
			}
		}
		mask |= 1 << end
		for start != end {
			mask |= 1 << start
			if start++; start >= max {
				start = 0
			}
		}
	}
	return mask
}

// lookupName is lookup_name: a name (case-insensitive) or a number 1..max,
// returned 0-based; -1 if neither.
func lookupName(s string, names []string, max int) int {
	if names != nil && s != "" && s[0] > '9' {
		for i, n := range names {
			if strings.EqualFold(s, n) {
				return i
			}
		}
	}
	if n, _, ok := scanInt2(strings.TrimLeft(s, " \t")); ok && n >= 1 && n <= max {
		return n - 1
	}
	return -1
}
