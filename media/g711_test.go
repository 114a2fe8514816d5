package media

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"testing"
)

// audioopULaw and audioopALaw are the decoded values of every code as
// CPython's audioop (Sun's g711.c) computes them: an implementation
// independent of this package's, checked against ours code by code.
var audioopULaw = [256]int16{
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
	-23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
	-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
	-7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140,
	-5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
	-3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004,
	-2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
	-1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
	-1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
	-876, -844, -812, -780, -748, -716, -684, -652,
	-620, -588, -556, -524, -492, -460, -428, -396,
	-372, -356, -340, -324, -308, -292, -276, -260,
	-244, -228, -212, -196, -180, -164, -148, -132,
	-120, -112, -104, -96, -88, -80, -72, -64,
	-56, -48, -40, -32, -24, -16, -8, 0,
	32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956,
	23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
	15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412,
	11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
	7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
	5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
	3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004,
	2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
	1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436,
	1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
	876, 844, 812, 780, 748, 716, 684, 652,
	620, 588, 556, 524, 492, 460, 428, 396,
	372, 356, 340, 324, 308, 292, 276, 260,
	244, 228, 212, 196, 180, 164, 148, 132,
	120, 112, 104, 96, 88, 80, 72, 64,
	56, 48, 40, 32, 24, 16, 8, 0,
}

var audioopALaw = [256]int16{
	-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736,
	-7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784,
	-2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368,
	-3776, -3648, -4032, -3904, -3264, -3136, -3520, -3392,
	-22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944,
	-30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
	-11008, -10496, -12032, -11520, -8960, -8448, -9984, -9472,
	-15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,
	-344, -328, -376, -360, -280, -264, -312, -296,
	-472, -456, -504, -488, -408, -392, -440, -424,
	-88, -72, -120, -104, -24, -8, -56, -40,
	-216, -200, -248, -232, -152, -136, -184, -168,
	-1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184,
	-1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696,
	-688, -656, -752, -720, -560, -528, -624, -592,
	-944, -912, -1008, -976, -816, -784, -880, -848,
	5504, 5248, 6016, 5760, 4480, 4224, 4992, 4736,
	7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784,
	2752, 2624, 3008, 2880, 2240, 2112, 2496, 2368,
	3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392,
	22016, 20992, 24064, 23040, 17920, 16896, 19968, 18944,
	30208, 29184, 32256, 31232, 26112, 25088, 28160, 27136,
	11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472,
	15104, 14592, 16128, 15616, 13056, 12544, 14080, 13568,
	344, 328, 376, 360, 280, 264, 312, 296,
	472, 456, 504, 488, 408, 392, 440, 424,
	88, 72, 120, 104, 24, 8, 56, 40,
	216, 200, 248, 232, 152, 136, 184, 168,
	1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184,
	1888, 1824, 2016, 1952, 1632, 1568, 1760, 1696,
	688, 656, 752, 720, 560, 528, 624, 592,
	944, 912, 1008, 976, 816, 784, 880, 848,
}

func TestDecodeKnownValues(t *testing.T) {
	for c := range 256 {
		if got := ULawToLinear(byte(c)); got != audioopULaw[c] {
			t.Errorf("ULawToLinear(%#02x) = %d, want %d", c, got, audioopULaw[c])
		}
		if got := ALawToLinear(byte(c)); got != audioopALaw[c] {
			t.Errorf("ALawToLinear(%#02x) = %d, want %d", c, got, audioopALaw[c])
		}
	}
	// Landmarks of G.711 tables 1a/2a: the end points and the codes
	// nearest zero, in 16-bit units (14-bit µ-law ×4, 13-bit A-law ×8).
	for _, tc := range []struct {
		law  string
		code byte
		want int16
	}{
		{"ulaw", 0x80, 32124}, {"ulaw", 0x00, -32124}, {"ulaw", 0xFF, 0}, {"ulaw", 0x7F, 0},
		{"ulaw", 0xFE, 8}, {"ulaw", 0x7E, -8}, {"ulaw", 0xEF, 132}, {"ulaw", 0xF0, 120},
		{"alaw", 0xAA, 32256}, {"alaw", 0x2A, -32256}, {"alaw", 0xD5, 8}, {"alaw", 0x55, -8},
		{"alaw", 0xD4, 24}, {"alaw", 0xC5, 264},
	} {
		dec := ULawToLinear
		if tc.law == "alaw" {
			dec = ALawToLinear
		}
		if got := dec(tc.code); got != tc.want {
			t.Errorf("%s %#02x = %d, want %d", tc.law, tc.code, got, tc.want)
		}
	}
}

// TestEncodeMatchesReference hashes the encoding of every 16-bit value and
// compares it with CPython's audioop: all of A-law, and µ-law for the
// non-negative half (for negative values Sun's code, which audioop uses,
// negates after shifting where G.191 takes the one's complement; see
// TestULawNegativeFold).
func TestEncodeMatchesReference(t *testing.T) {
	all := make([]byte, 0, 65536)
	for x := math.MinInt16; x <= math.MaxInt16; x++ {
		all = append(all, LinearToALaw(int16(x)))
	}
	if got, want := sha256hex(all), "38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b"; got != want {
		t.Errorf("A-law encoding of all values: sha256 %s, want audioop's %s", got, want)
	}
	pos := make([]byte, 0, 32768)
	for x := 0; x <= math.MaxInt16; x++ {
		pos = append(pos, LinearToULaw(int16(x)))
	}
	if got, want := sha256hex(pos), "912062bf9c931c7ebc1dc1fd1d74faf0cfefcd47e8408a3ed4d07aa59f0f1c20"; got != want {
		t.Errorf("µ-law encoding of 0..32767: sha256 %s, want audioop's %s", got, want)
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestULawNegativeFold pins G.191's symmetry: x and -x-1 get codes of the
// same magnitude and opposite sign.
func TestULawNegativeFold(t *testing.T) {
	for x := 0; x <= math.MaxInt16; x++ {
		pos, neg := LinearToULaw(int16(x)), LinearToULaw(int16(-x-1))
		if neg != pos&0x7F {
			t.Fatalf("µ-law: %d → %#02x but %d → %#02x", x, pos, -x-1, neg)
		}
		apos, aneg := LinearToALaw(int16(x)), LinearToALaw(int16(-x-1))
		if aneg != apos&0x7F {
			t.Fatalf("A-law: %d → %#02x but %d → %#02x", x, apos, -x-1, aneg)
		}
	}
	for _, tc := range []struct {
		x    int16
		want byte
	}{{0, 0xFF}, {-1, 0x7F}, {3, 0xFF}, {4, 0xFE}, {-4, 0x7F}, {-5, 0x7E}, {32767, 0x80}, {-32768, 0x00}} {
		if got := LinearToULaw(tc.x); got != tc.want {
			t.Errorf("LinearToULaw(%d) = %#02x, want %#02x", tc.x, got, tc.want)
		}
	}
}

// TestRoundTripEveryCode: decoding then encoding gives back every code,
// except µ-law's negative zero 0x7F, which encodes as positive zero.
func TestRoundTripEveryCode(t *testing.T) {
	for c := range 256 {
		code := byte(c)
		want := code
		if code == 0x7F {
			want = 0xFF
		}
		if got := LinearToULaw(ULawToLinear(code)); got != want {
			t.Errorf("µ-law %#02x → %d → %#02x", code, ULawToLinear(code), got)
		}
		if got := LinearToALaw(ALawToLinear(code)); got != code {
			t.Errorf("A-law %#02x → %d → %#02x", code, ALawToLinear(code), got)
		}
	}
}

// TestEncodeIsNearest: every value encodes to a code whose level is within
// half a quantisation step (plus the bits G.711 ignores) of it, and the
// encoding never decreases as the value grows.
func TestEncodeIsNearest(t *testing.T) {
	prevU, prevA := int16(math.MinInt16), int16(math.MinInt16)
	for x := math.MinInt16; x <= math.MaxInt16; x++ {
		u := ULawToLinear(LinearToULaw(int16(x)))
		a := ALawToLinear(LinearToALaw(int16(x)))
		if u < prevU || a < prevA {
			t.Fatalf("encoding not monotonic at %d", x)
		}
		prevU, prevA = u, a
		// Steps grow to 1024 (µ-law) and 1024 (A-law) in the top
		// segment; the clipped ends are further.
		if x > -32000 && x < 32000 {
			if d := abs(x - int(u)); d > 512+4 {
				t.Fatalf("µ-law %d decodes to %d", x, u)
			}
			if d := abs(x - int(a)); d > 512+16 {
				t.Fatalf("A-law %d decodes to %d", x, a)
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestTranscodeAllPairs(t *testing.T) {
	// A payload of every code in each law, and of every decoded level.
	var lin []int16
	for c := range 256 {
		lin = append(lin, ULawToLinear(byte(c)), ALawToLinear(byte(c)))
	}
	payload := map[Format][]byte{
		ULAW: make([]byte, len(lin)),
		ALAW: make([]byte, len(lin)),
		SLIN: make([]byte, 2*len(lin)),
	}
	EncodeULaw(payload[ULAW], lin)
	EncodeALaw(payload[ALAW], lin)
	for i, x := range lin {
		binary.LittleEndian.PutUint16(payload[SLIN][2*i:], uint16(x))
	}
	for from, src := range payload {
		for to := range payload {
			dst := make([]byte, len(payload[to]))
			n, err := Transcode(dst, to, src, from)
			if err != nil || n != len(lin) {
				t.Fatalf("Transcode %v→%v = %d, %v", from, to, n, err)
			}
			// Reference: decode to linear, then encode.
			for i := range n {
				var x int16
				switch from {
				case ULAW:
					x = ULawToLinear(src[i])
				case ALAW:
					x = ALawToLinear(src[i])
				case SLIN:
					x = int16(binary.LittleEndian.Uint16(src[2*i:]))
				}
				var ok bool
				switch to {
				case ULAW:
					ok = dst[i] == LinearToULaw(x)
				case ALAW:
					ok = dst[i] == LinearToALaw(x)
				case SLIN:
					ok = int16(binary.LittleEndian.Uint16(dst[2*i:])) == x
				}
				if !ok {
					t.Fatalf("Transcode %v→%v sample %d wrong", from, to, i)
				}
			}
		}
	}
	if _, err := Transcode(nil, 0, nil, ULAW); err == nil {
		t.Error("Transcode to format 0 succeeded")
	}
	// Shorter destination: only what fits.
	if n, _ := Transcode(make([]byte, 3), SLIN, []byte{1, 2, 3}, ULAW); n != 1 {
		t.Errorf("Transcode into 3 bytes of slin = %d samples, want 1", n)
	}
}
