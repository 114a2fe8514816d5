package dialplan

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Asterisk's expression parser computes in C's long double, which on the
// x86-64 Linux builds everyone runs is the x87 80-bit format: a 64-bit
// mantissa and a 15-bit exponent. Results are printed with "%.18Lg", so
// 10/3 prints as 3.33333333333333333 where a float64 would print
// 3.33333333333333348. To give the same answers, ldouble does its
// arithmetic in math/big with 64 bits of mantissa and clamps the exponent
// to the x87 range.

const (
	ldPrec = 64 // mantissa bits of the x87 extended format

	// ldMaxExp and ldMinExp bound big.Float's MantExp exponent (value =
	// mant * 2**exp with 0.5 <= mant < 1) to the x87 range: the largest
	// value is just under 2**16384, the smallest denormal is 2**-16445.
	ldMaxExp = 16384
	ldMinExp = -16444
)

// ldouble is one long double value. A nil f with nan unset is not used:
// constructors always set one of them.
type ldouble struct {
	f      *big.Float // finite or infinite value; nil when nan
	nan    bool
	nanNeg bool // glibc prints the x87 default NaN as "-nan"
}

func newLD() *big.Float { return new(big.Float).SetPrec(ldPrec) }

func ldInt(i int64) ldouble { return ldouble{f: newLD().SetInt64(i)} }

func ldNaN(neg bool) ldouble { return ldouble{nan: true, nanNeg: neg} }

// ldFloat64 converts a float64 result of a math function.
func ldFloat64(x float64) ldouble {
	if math.IsNaN(x) {
		return ldNaN(math.Signbit(x))
	}
	return ldouble{f: newLD().SetFloat64(x)}
}

// clamp applies the x87 exponent range: too large becomes infinite, too
// small becomes a signed zero.
func (x ldouble) clamp() ldouble {
	if x.nan || x.f.IsInf() || x.f.Sign() == 0 {
		return x
	}
	e := x.f.MantExp(nil)
	switch {
	case e > ldMaxExp:
		return ldouble{f: newLD().SetInf(x.f.Signbit())}
	case e < ldMinExp:
		z := newLD()
		if x.f.Signbit() {
			z.Neg(z)
		}
		return ldouble{f: z}
	}
	return x
}

// parseLD is strtold for the strings expressions hand it: leading blanks,
// a sign, digits with an optional fraction and exponent. Like strtold it
// yields 0 when there are no digits at all; ok is false only when the value
// is out of the long double range (strtold's ERANGE), which Asterisk treats
// as "not a number".
func parseLD(s string) (v ldouble, ok bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return ldInt(0), true
	}
	end := i
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k > j {
			end = k
		}
	}
	if end-start <= 18 && !strings.ContainsAny(s[start:end], ".eE") {
		// The common case, a plain integer, needs no big.Rat.
		if n, err := strconv.ParseInt(s[start:end], 10, 64); err == nil {
			if n == 0 && s[start] == '-' {
				return ldouble{f: newLD().Neg(newLD())}, true
			}
			return ldInt(n), true
		}
	}
	// big.Rat wants a digit after a radix point: "12." and "1.e5" are
	// written "12" and "1e5".
	text := strings.Replace(s[start:end], ".e", "e", 1)
	text = strings.Replace(text, ".E", "E", 1)
	text = strings.TrimSuffix(text, ".")
	// An exponent beyond what any long double can hold is an overflow or
	// underflow (or zero); checking it before building the big.Rat keeps
	// hostile input like "1e999999999" from allocating gigabytes.
	if ei := strings.IndexAny(text, "eE"); ei >= 0 {
		exp := 0
		for _, c := range text[ei+1:] {
			if c >= '0' && c <= '9' && exp < 100000 {
				exp = exp*10 + int(c-'0')
			}
		}
		if exp >= 100000 {
			if strings.Trim(text[:ei], "+-.0") == "" {
				return ldInt(0), true
			}
			return ldInt(0), false
		}
	}
	r, good := new(big.Rat).SetString(text)
	if !good {
		return ldInt(0), true
	}
	f := newLD().SetRat(r)
	if f.Sign() != 0 {
		e := f.MantExp(nil)
		if e > ldMaxExp || e < -16381 {
			// glibc reports ERANGE for overflow and for results in the
			// denormal range.
			return ldInt(0), false
		}
	} else if strings.HasPrefix(text, "-") {
		f.Neg(f)
	}
	return ldouble{f: f}, true
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (x ldouble) isZero() bool { return !x.nan && x.f.Sign() == 0 }

func (x ldouble) neg() ldouble {
	if x.nan {
		return ldNaN(!x.nanNeg)
	}
	return ldouble{f: newLD().Neg(x.f)}
}

func (x ldouble) add(y ldouble) ldouble {
	if x.nan {
		return x
	}
	if y.nan {
		return y
	}
	if x.f.IsInf() && y.f.IsInf() && x.f.Signbit() != y.f.Signbit() {
		return ldNaN(true)
	}
	return ldouble{f: newLD().Add(x.f, y.f)}.clamp()
}

func (x ldouble) sub(y ldouble) ldouble { return x.add(y.neg()) }

func (x ldouble) mul(y ldouble) ldouble {
	if x.nan {
		return x
	}
	if y.nan {
		return y
	}
	if (x.f.IsInf() && y.f.Sign() == 0) || (y.f.IsInf() && x.f.Sign() == 0) {
		return ldNaN(true)
	}
	return ldouble{f: newLD().Mul(x.f, y.f)}.clamp()
}

// quo divides; callers have already refused a zero divisor, as Asterisk
// does, but 0/0 and inf/inf still give a NaN rather than a panic.
func (x ldouble) quo(y ldouble) ldouble {
	if x.nan {
		return x
	}
	if y.nan {
		return y
	}
	if (x.f.IsInf() && y.f.IsInf()) || (x.f.Sign() == 0 && y.f.Sign() == 0) {
		return ldNaN(true)
	}
	if y.f.Sign() == 0 {
		return ldouble{f: newLD().SetInf(x.f.Signbit() != y.f.Signbit())}
	}
	return ldouble{f: newLD().Quo(x.f, y.f)}.clamp()
}

// fmod is C's fmodl, which is exact: the remainder of truncated division,
// with the sign of x.
func (x ldouble) fmod(y ldouble) ldouble {
	if x.nan {
		return x
	}
	if y.nan {
		return y
	}
	if x.f.IsInf() || y.f.Sign() == 0 {
		return ldNaN(true)
	}
	if y.f.IsInf() || x.f.Sign() == 0 {
		return x
	}
	xi, xe := scaledInt(x.f)
	yi, ye := scaledInt(y.f)
	e := min(xe, ye)
	xi.Lsh(xi, uint(xe-e))
	yi.Lsh(yi, uint(ye-e))
	r := new(big.Int).Rem(xi, yi)
	z := newLD().SetInt(r)
	z.SetMantExp(z, e)
	if z.Sign() == 0 && x.f.Signbit() {
		z.Neg(z)
	}
	return ldouble{f: z}
}

// scaledInt returns i and e with f = i * 2**e and i an integer. f is
// finite and nonzero.
func scaledInt(f *big.Float) (*big.Int, int) {
	m := new(big.Float)
	e := f.MantExp(m)
	m.SetMantExp(m, ldPrec)
	i, _ := m.Int(nil)
	return i, e - ldPrec
}

// cmp compares x and y; ok is false when either is a NaN, for which every
// ordered comparison is false.
func (x ldouble) cmp(y ldouble) (c int, ok bool) {
	if x.nan || y.nan {
		return 0, false
	}
	return x.f.Cmp(y.f), true
}

// String formats x as printf("%.18Lg") does.
func (x ldouble) String() string {
	if x.nan {
		if x.nanNeg {
			return "-nan"
		}
		return "nan"
	}
	if x.f.IsInf() {
		if x.f.Signbit() {
			return "-inf"
		}
		return "inf"
	}
	return x.f.Text('g', 18)
}

// trunc returns the integer part of x, keeping the sign of a zero.
func (x ldouble) trunc() ldouble {
	if x.nan || x.f.IsInf() || x.f.IsInt() {
		return x
	}
	i, _ := x.f.Int(nil)
	z := newLD().SetInt(i)
	if z.Sign() == 0 && x.f.Signbit() {
		z.Neg(z)
	}
	return ldouble{f: z}
}

// frac returns x minus its integer part, exactly.
func (x ldouble) frac() *big.Float {
	t := x.trunc()
	return new(big.Float).SetPrec(2*ldPrec).Sub(x.f, t.f)
}

func (x ldouble) floor() ldouble {
	t := x.trunc()
	if x.nan || x.f.IsInf() || x.f.IsInt() || !x.f.Signbit() {
		return t
	}
	return t.sub(ldInt(1))
}

func (x ldouble) ceil() ldouble { return x.neg().floor().neg() }

// round rounds half away from zero (roundl); rint rounds half to even
// (rintl in the default rounding mode).
func (x ldouble) round(halfEven bool) ldouble {
	if x.nan || x.f.IsInf() || x.f.IsInt() {
		return x
	}
	t := x.trunc()
	fr := x.frac()
	half := new(big.Float).SetFloat64(0.5)
	c := new(big.Float).Abs(fr).Cmp(half)
	away := c > 0
	if c == 0 {
		away = true
		if halfEven {
			odd := new(big.Int)
			t.f.Int(odd)
			away = odd.Bit(0) == 1
		}
	}
	if !away {
		return t
	}
	if x.f.Signbit() {
		return t.sub(ldInt(1))
	}
	return t.add(ldInt(1))
}

func (x ldouble) abs() ldouble {
	if x.nan {
		return ldNaN(false)
	}
	return ldouble{f: newLD().Abs(x.f)}
}

func (x ldouble) sqrt() ldouble {
	if x.nan {
		return x
	}
	if x.f.Signbit() && x.f.Sign() != 0 {
		return ldNaN(true)
	}
	if x.f.IsInf() || x.f.Sign() == 0 {
		return x
	}
	return ldouble{f: newLD().Sqrt(x.f)}
}

// float64 converts for the math functions computed in double precision.
func (x ldouble) float64() float64 {
	if x.nan {
		return math.NaN()
	}
	v, _ := x.f.Float64()
	return v
}

// truthy is C's "x != 0" on a long double (a NaN is true).
func (x ldouble) truthy() bool { return x.nan || x.f.Sign() != 0 }
