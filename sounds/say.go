package sounds

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ErrNumberTooBig reports a number English cannot say: Asterisk's int
// reaches 2,147,483,647, and its English grammar stops one short of that.
var ErrNumberTooBig = errors.New("sounds: number too big to say")

// cString returns s up to its first NUL, where C code reading the same
// dialplan argument would stop.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// digitFile returns the SayDigits file of c, or "" for a character
// SayDigits skips.
func digitFile(c byte) string {
	switch {
	case c >= '0' && c <= '9':
		return "digits/" + string(rune(c))
	case c == '*':
		return "digits/star"
	case c == '#':
		return "digits/pound"
	case c == '-':
		return "digits/minus"
	}
	return ""
}

// DigitFiles returns the files SayDigits plays for digits, as Asterisk's
// ast_get_digit_str builds them: "digits/0" … "digits/9", "digits/star"
// for '*', "digits/pound" for '#' and "digits/minus" for '-'. Every other
// character is skipped, letters included: Asterisk's SayDigits says
// nothing for them (SayAlpha does; see [AlphaFiles]).
//
// Asterisk also drops the files the channel's language lacks;
// [DigitFilesIn] does that against a library.
func DigitFiles(digits string) []string {
	digits = cString(digits)
	out := make([]string, 0, len(digits))
	for i := 0; i < len(digits); i++ {
		if fn := digitFile(digits[i]); fn != "" {
			out = append(out, fn)
		}
	}
	return out
}

// DigitFilesIn returns the files of [DigitFiles] that lib has in language
// lang: what Asterisk's SayDigits actually plays.
func DigitFilesIn(lib Library, digits, lang string) []string {
	all := DigitFiles(digits)
	out := all[:0]
	for _, fn := range all {
		if lib != nil && lib.Exists(fn, lang) {
			out = append(out, fn)
		}
	}
	return out
}

// alphaFile returns the SayAlpha file of c.
func alphaFile(c byte) string {
	switch c {
	case '*':
		return "digits/star"
	case '#':
		return "digits/pound"
	case '!':
		return "letters/exclaimation-point" // sic: the file's name in Asterisk's sound sets
	case '@':
		return "letters/at"
	case '$':
		return "letters/dollar"
	case '-':
		return "letters/dash"
	case '.':
		return "letters/dot"
	case '=':
		return "letters/equals"
	case '+':
		return "letters/plus"
	case '/':
		return "letters/slash"
	case ' ':
		return "letters/space"
	}
	if c >= '0' && c <= '9' {
		return "digits/" + string(rune(c))
	}
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A' // the files are lower case
	}
	return "letters/" + string([]byte{c})
}

// asciiFile returns the file Asterisk tries when a character's own file is
// missing: "letters/ascii" and the character's code as a C char, signed on
// the platforms Asterisk runs on, so bytes above 127 give negative codes.
func asciiFile(c byte) string {
	return "letters/ascii" + strconv.Itoa(int(int8(c)))
}

// AlphaFiles returns the files SayAlpha plays for s, as Asterisk's
// ast_get_character_str builds them without case announcements: digits
// as "digits/N", letters lower-cased as "letters/x", and named files for
// * # ! @ $ - . = + / and space. The string is taken byte by byte, as
// Asterisk takes it.
//
// Asterisk replaces a file the language lacks with "letters/ascii<code>"
// when that exists, and otherwise skips the character; [AlphaFilesIn]
// does that against a library.
func AlphaFiles(s string) []string {
	s = cString(s)
	out := make([]string, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, alphaFile(s[i]))
	}
	return out
}

// AlphaFilesIn returns what Asterisk's SayAlpha plays for s in language
// lang from lib: each character's file, or its "letters/ascii<code>"
// file, or nothing when lib has neither.
func AlphaFilesIn(lib Library, s, lang string) []string {
	s = cString(s)
	out := make([]string, 0, len(s))
	if lib == nil {
		return out
	}
	for i := 0; i < len(s); i++ {
		if fn := alphaFile(s[i]); lib.Exists(fn, lang) {
			out = append(out, fn)
		} else if fn := asciiFile(s[i]); lib.Exists(fn, lang) {
			out = append(out, fn)
		}
	}
	return out
}

// NumberFiles returns the files SayNumber plays for n, as Asterisk's
// English grammar (get_number_str_en, which also serves SAYFILES) builds
// them: "digits/0" … "digits/19", the tens "digits/20" … "digits/90",
// "digits/hundred", "digits/thousand", "digits/million",
// "digits/billion", and "digits/minus" first for a negative number.
// 1,042 is digits/1, digits/thousand, digits/40, digits/2.
//
// Only the English grammar exists here. Asterisk's SayNumber uses its own
// grammar for en_GB, de, fr and the other languages say.c knows, and
// English for the rest; NumberFiles uses English for every lang, as
// Asterisk's SAYFILES does.
//
// Numbers beyond Asterisk's 32-bit int give no files and ErrNumberTooBig.
// Asterisk's English stops at 2,147,483,647 (INT_MAX itself is "too big"
// for it): the files built before that point are returned with
// ErrNumberTooBig, because Asterisk plays them (-2,147,483,647 says
// "minus" and stops). -2,147,483,648 says only "minus", without error, as
// in Asterisk.
//
// Unlike digits, numbers are not filtered by what the language has: in
// Asterisk a missing file ends the number there.
func NumberFiles(n int, lang string) ([]string, error) {
	if n > math.MaxInt32 || n < math.MinInt32 {
		return nil, ErrNumberTooBig
	}
	if n == 0 {
		return []string{"digits/0"}, nil
	}
	return appendNumberEN(make([]string, 0, 8), n)
}

// appendNumberEN appends the English files of num, which is within the
// 32-bit range, to dst.
func appendNumberEN(dst []string, num int) ([]string, error) {
	var err error
	hundred := false // "digits/hundred" is due after the hundreds digit
	for num != 0 || hundred {
		switch {
		case num < 0:
			dst = append(dst, "digits/minus")
			if num == math.MinInt32 {
				// Its opposite does not fit in 32 bits; Asterisk gives up
				// after the "minus", silently.
				num = 0
			} else {
				num = -num
			}
		case hundred:
			dst = append(dst, "digits/hundred")
			hundred = false
		case num < 20:
			dst = append(dst, "digits/"+strconv.Itoa(num))
			num = 0
		case num < 100:
			dst = append(dst, "digits/"+strconv.Itoa(num/10*10))
			num %= 10
		case num < 1000:
			dst = append(dst, "digits/"+strconv.Itoa(num/100))
			hundred = true
			num %= 100
		case num < 1_000_000:
			dst, err = appendGroup(dst, num/1000, "digits/thousand")
			num %= 1000
		case num < 1_000_000_000:
			dst, err = appendGroup(dst, num/1_000_000, "digits/million")
			num %= 1_000_000
		case num < math.MaxInt32:
			dst, err = appendGroup(dst, num/1_000_000_000, "digits/billion")
			num %= 1_000_000_000
		default:
			return dst, ErrNumberTooBig
		}
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendGroup appends the files of count followed by the name of its
// power of a thousand.
func appendGroup(dst []string, count int, power string) ([]string, error) {
	dst, err := appendNumberEN(dst, count)
	if err != nil {
		return dst, err
	}
	return append(dst, power), nil
}
