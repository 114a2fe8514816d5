package media

import (
	"encoding/binary"
	"fmt"
)

// G.711 by table. The tables are built once from the companding rules of
// ITU-T G.711 as its reference implementation (G.191 STL, g711.c) codes
// them, so every entry is exactly what the recommendation specifies:
//
//   - decoding is a 256-entry table per law;
//   - µ-law encoding only looks at the 14 most significant bits of a
//     sample and A-law at the 12 most significant bits of its magnitude, so
//     the encoders are tables of 16384 and 4096 entries indexed by the
//     sample shifted right (both fit in the first-level cache);
//   - negative samples are folded by one's complement (-x-1), as G.191
//     does, so x and -x-1 always get codes of equal magnitude. Sun's g711.c
//     (and Python's audioop) fold µ-law by negation after shifting instead,
//     which differs for a few small negative values: -1 is µ-law 0x7F
//     (zero) here and 0x7E (-8) there.
//
// µ-law ⇄ A-law goes through the linear value, as Asterisk's codec_a_mu
// does; the composed 256-entry tables make it one lookup.
var (
	ulawToLin  = buildDecode(stlULawExpand)
	alawToLin  = buildDecode(stlALawExpand)
	linToULaw  = buildULawEncode()
	linToALaw  = buildALawEncode()
	ulawToALaw = buildTranscode(&ulawToLin, func(x int16) byte { return linToALaw[uint16(x)>>4] })
	alawToULaw = buildTranscode(&alawToLin, func(x int16) byte { return linToULaw[uint16(x)>>2] })
)

// stlULawCompress is G.191's ulaw_compress for one 16-bit sample, of which
// only the 14 most significant bits count.
func stlULawCompress(x int16) byte {
	v := int32(x)
	var absno int32
	if v < 0 {
		absno = (^v)>>2 + 33
	} else {
		absno = v>>2 + 33
	}
	if absno > 0x1FFF {
		absno = 0x1FFF
	}
	segno := int32(1)
	for i := absno >> 6; i != 0; i >>= 1 {
		segno++
	}
	high := 8 - segno
	low := 0xF - (absno>>segno)&0xF
	code := byte(high<<4 | low)
	if v >= 0 {
		code |= 0x80
	}
	return code
}

// stlULawExpand is G.191's ulaw_expand.
func stlULawExpand(code byte) int16 {
	sign := int32(1)
	if code < 0x80 {
		sign = -1
	}
	m := int32(^code)
	exponent := (m >> 4) & 7
	step := int32(4) << (exponent + 1)
	mantissa := m & 0xF
	return int16(sign * ((0x80 << exponent) + step*mantissa + step/2 - 4*33))
}

// stlALawCompress is G.191's alaw_compress for one 16-bit sample, of which
// only the sign and the 12 most significant bits of the magnitude count.
func stlALawCompress(x int16) byte {
	v := int32(x)
	var ix int32
	if v < 0 {
		ix = (^v) >> 4
	} else {
		ix = v >> 4
	}
	if ix > 15 {
		iexp := int32(1)
		for ix > 16+15 {
			ix >>= 1
			iexp++
		}
		ix -= 16
		ix += iexp << 4
	}
	if v >= 0 {
		ix |= 0x80
	}
	return byte(ix ^ 0x55)
}

// stlALawExpand is G.191's alaw_expand.
func stlALawExpand(code byte) int16 {
	ix := int32(code^0x55) & 0x7F
	iexp := ix >> 4
	mant := ix & 0xF
	if iexp > 0 {
		mant += 16
	}
	mant = mant<<4 + 8
	if iexp > 1 {
		mant <<= iexp - 1
	}
	if code > 127 {
		return int16(mant)
	}
	return int16(-mant)
}

func buildDecode(expand func(byte) int16) (t [256]int16) {
	for i := range t {
		t[i] = expand(byte(i))
	}
	return t
}

func buildULawEncode() (t [1 << 14]byte) {
	for i := range t {
		t[i] = stlULawCompress(int16(uint16(i) << 2))
	}
	return t
}

func buildALawEncode() (t [1 << 12]byte) {
	for i := range t {
		t[i] = stlALawCompress(int16(uint16(i) << 4))
	}
	return t
}

func buildTranscode(dec *[256]int16, enc func(int16) byte) (t [256]byte) {
	for i := range t {
		t[i] = enc(dec[i])
	}
	return t
}

// LinearToULaw returns the G.711 µ-law code of a signed-linear sample.
func LinearToULaw(x int16) byte { return linToULaw[uint16(x)>>2] }

// ULawToLinear returns the signed-linear value of a G.711 µ-law code.
func ULawToLinear(code byte) int16 { return ulawToLin[code] }

// LinearToALaw returns the G.711 A-law code of a signed-linear sample.
func LinearToALaw(x int16) byte { return linToALaw[uint16(x)>>4] }

// ALawToLinear returns the signed-linear value of a G.711 A-law code.
func ALawToLinear(code byte) int16 { return alawToLin[code] }

// EncodeULaw writes the µ-law codes of src to dst and returns how many it
// wrote: the shorter of the two lengths.
func EncodeULaw(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, x := range src {
		dst[i] = linToULaw[uint16(x)>>2]
	}
	return n
}

// DecodeULaw writes the signed-linear values of the µ-law codes in src to
// dst and returns how many it wrote: the shorter of the two lengths.
func DecodeULaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, c := range src {
		dst[i] = ulawToLin[c]
	}
	return n
}

// EncodeALaw writes the A-law codes of src to dst and returns how many it
// wrote: the shorter of the two lengths.
func EncodeALaw(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, x := range src {
		dst[i] = linToALaw[uint16(x)>>4]
	}
	return n
}

// DecodeALaw writes the signed-linear values of the A-law codes in src to
// dst and returns how many it wrote: the shorter of the two lengths.
func DecodeALaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, c := range src {
		dst[i] = alawToLin[c]
	}
	return n
}

// Transcode converts the payload src, in format from, into dst in format
// to, and returns the number of samples converted: as many as both src and
// dst hold (a trailing odd byte of a signed-linear src is ignored). Signed
// linear payloads are 16-bit little-endian, as in a [Frame] and a WAV
// file. dst and src must not overlap unless they start at the same
// address and the conversion does not widen (to is not wider than from);
// [Frame.Convert] handles the in-place widening case itself.
func Transcode(dst []byte, to Format, src []byte, from Format) (int, error) {
	if !from.Valid() || !to.Valid() {
		return 0, fmt.Errorf("media: transcode %v to %v: invalid format", from, to)
	}
	n := min(len(src)/from.BytesPerSample(), len(dst)/to.BytesPerSample())
	switch {
	case from == to:
		copy(dst, src[:n*from.BytesPerSample()])
	case from == ULAW && to == ALAW:
		for i, c := range src[:n] {
			dst[i] = ulawToALaw[c]
		}
	case from == ALAW && to == ULAW:
		for i, c := range src[:n] {
			dst[i] = alawToULaw[c]
		}
	case from == SLIN && to == ULAW:
		for i := range n {
			dst[i] = linToULaw[binary.LittleEndian.Uint16(src[2*i:])>>2]
		}
	case from == SLIN: // to A-law
		for i := range n {
			dst[i] = linToALaw[binary.LittleEndian.Uint16(src[2*i:])>>4]
		}
	default: // µ-law or A-law to signed linear
		t := &ulawToLin
		if from == ALAW {
			t = &alawToLin
		}
		for i, c := range src[:n] {
			binary.LittleEndian.PutUint16(dst[2*i:], uint16(t[c]))
		}
	}
	return n, nil
}
