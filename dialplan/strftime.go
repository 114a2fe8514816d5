package dialplan

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// strftimeMax bounds STRFTIME's output, as Asterisk's buffer does.
const strftimeMax = MaxValueLen

// strftime formats t as C's strftime does in the "C" locale, with
// Asterisk's extension "%q" / "%1q".."%6q" for fractions of a second (three
// digits by default). Unknown conversions are copied as written.
func strftime(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format) && b.Len() < strftimeMax; i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		c = format[i]
		// Skip the E and O modifiers, which the C locale ignores.
		if (c == 'E' || c == 'O') && i+1 < len(format) {
			i++
			c = format[i]
		}
		if c >= '1' && c <= '6' && i+1 < len(format) && format[i+1] == 'q' {
			writeFraction(&b, t, int(c-'0'))
			i++
			continue
		}
		writeConv(&b, c, t)
	}
	s := b.String()
	if len(s) > strftimeMax {
		s = s[:strftimeMax]
	}
	return s
}

func writeFraction(b *strings.Builder, t time.Time, digits int) {
	us := fmt.Sprintf("%06d", t.Nanosecond()/1000)
	b.WriteString(us[:digits])
}

func writeConv(b *strings.Builder, c byte, t time.Time) {
	pad2 := func(n int) { fmt.Fprintf(b, "%02d", n) }
	switch c {
	case 'a':
		b.WriteString(t.Weekday().String()[:3])
	case 'A':
		b.WriteString(t.Weekday().String())
	case 'b', 'h':
		b.WriteString(t.Month().String()[:3])
	case 'B':
		b.WriteString(t.Month().String())
	case 'c':
		writeConvs(b, "a b e H:M:S Y", t)
	case 'C':
		pad2(t.Year() / 100)
	case 'd':
		pad2(t.Day())
	case 'D':
		writeConvs(b, "m/d/y", t)
	case 'e':
		fmt.Fprintf(b, "%2d", t.Day())
	case 'F':
		writeConvs(b, "Y-m-d", t)
	case 'g':
		y, _ := t.ISOWeek()
		pad2(y % 100)
	case 'G':
		y, _ := t.ISOWeek()
		b.WriteString(strconv.Itoa(y))
	case 'H':
		pad2(t.Hour())
	case 'I':
		pad2(hour12(t))
	case 'j':
		fmt.Fprintf(b, "%03d", t.YearDay())
	case 'k':
		fmt.Fprintf(b, "%2d", t.Hour())
	case 'l':
		fmt.Fprintf(b, "%2d", hour12(t))
	case 'm':
		pad2(int(t.Month()))
	case 'M':
		pad2(t.Minute())
	case 'n':
		b.WriteByte('\n')
	case 'p':
		if t.Hour() < 12 {
			b.WriteString("AM")
		} else {
			b.WriteString("PM")
		}
	case 'P':
		if t.Hour() < 12 {
			b.WriteString("am")
		} else {
			b.WriteString("pm")
		}
	case 'q':
		writeFraction(b, t, 3)
	case 'r':
		writeConvs(b, "I:M:S p", t)
	case 'R':
		writeConvs(b, "H:M", t)
	case 's':
		b.WriteString(strconv.FormatInt(t.Unix(), 10))
	case 'S':
		pad2(t.Second())
	case 't':
		b.WriteByte('\t')
	case 'T':
		writeConvs(b, "H:M:S", t)
	case 'u':
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		b.WriteString(strconv.Itoa(wd))
	case 'U':
		pad2((t.YearDay() + 6 - int(t.Weekday())) / 7)
	case 'V':
		_, w := t.ISOWeek()
		pad2(w)
	case 'w':
		b.WriteString(strconv.Itoa(int(t.Weekday())))
	case 'W':
		pad2((t.YearDay() + 6 - (int(t.Weekday())+6)%7) / 7)
	case 'x':
		writeConvs(b, "m/d/y", t)
	case 'X':
		writeConvs(b, "H:M:S", t)
	case 'y':
		pad2(t.Year() % 100)
	case 'Y':
		b.WriteString(strconv.Itoa(t.Year()))
	case 'z':
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		fmt.Fprintf(b, "%c%02d%02d", sign, off/3600, off/60%60)
	case 'Z':
		name, _ := t.Zone()
		b.WriteString(name)
	case '%':
		b.WriteByte('%')
	default:
		b.WriteByte('%')
		b.WriteByte(c)
	}
}

// writeConvs writes a composite format: letters are conversions, other
// bytes are literal.
func writeConvs(b *strings.Builder, spec string, t time.Time) {
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			writeConv(b, c, t)
		} else {
			b.WriteByte(c)
		}
	}
}

func hour12(t time.Time) int {
	h := t.Hour() % 12
	if h == 0 {
		h = 12
	}
	return h
}
