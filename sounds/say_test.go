package sounds

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// files splits an Asterisk SAYFILES result ("digits/3&digits/5").
func files(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "&")
}

func TestDigitFiles(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"35", "digits/3&digits/5"}, // Asterisk's SAYFILES(35,digits) test
		{"1234", "digits/1&digits/2&digits/3&digits/4"},
		{"*0#", "digits/star&digits/0&digits/pound"},
		{"-12", "digits/minus&digits/1&digits/2"},
		{"1a b2", "digits/1&digits/2"}, // SayDigits says nothing for letters or spaces
		{"", ""},
		{"9\x008", "digits/9"}, // C stops at the NUL
	} {
		if got := DigitFiles(tc.in); !slices.Equal(got, files(tc.want)) {
			t.Errorf("DigitFiles(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAlphaFiles(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Asterisk's SAYFILES(hi Th3re,alpha) test.
		{"hi Th3re", "letters/h&letters/i&letters/space&letters/t&letters/h&digits/3&letters/r&letters/e"},
		{"A*#", "letters/a&digits/star&digits/pound"},
		{"!@$-.=+/", "letters/exclaimation-point&letters/at&letters/dollar&letters/dash&letters/dot&letters/equals&letters/plus&letters/slash"},
		{"%", "letters/%"},
		{"", ""},
	} {
		if got := AlphaFiles(tc.in); !slices.Equal(got, files(tc.want)) {
			t.Errorf("AlphaFiles(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSayFilesInLibrary(t *testing.T) {
	datadir := t.TempDir()
	en := filepath.Join(datadir, "sounds", "en")
	for _, name := range []string{"digits/1", "letters/h", "letters/ascii105", "letters/ascii37", "letters/ascii-61"} {
		writeSound(t, filepath.Join(en, name+".sln"), sine(10))
	}
	d := NewDir(datadir)
	if got, want := DigitFilesIn(d, "121", "en"), files("digits/1&digits/1"); !slices.Equal(got, want) {
		t.Errorf("DigitFilesIn = %q, want %q", got, want)
	}
	// 'i' (105) has no letters/i here but has letters/ascii105; '%' (37)
	// likewise; 'x' has neither and is skipped; 0xc3 is -61 as a C char.
	got := AlphaFilesIn(d, "hix%\xc3", "fr")
	want := files("letters/h&letters/ascii105&letters/ascii37&letters/ascii-61")
	if !slices.Equal(got, want) {
		t.Errorf("AlphaFilesIn = %q, want %q", got, want)
	}
	if got := AlphaFilesIn(nil, "abc", "en"); len(got) != 0 {
		t.Errorf("AlphaFilesIn(nil) = %q", got)
	}
	if got := DigitFilesIn(nil, "123", "en"); len(got) != 0 {
		t.Errorf("DigitFilesIn(nil) = %q", got)
	}
}

func TestNumberFiles(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		// Asterisk's SAYFILES(…,number) tests (funcs/func_sayfiles.c).
		{35, "digits/30&digits/5"},
		{747, "digits/7&digits/hundred&digits/40&digits/7"},
		{1042, "digits/1&digits/thousand&digits/40&digits/2"},
		{0, "digits/0"},
		{2001000001, "digits/2&digits/billion&digits/1&digits/million&digits/1"},
		// Worked through get_number_str_en by hand.
		{7, "digits/7"},
		{13, "digits/13"},
		{19, "digits/19"},
		{20, "digits/20"},
		{99, "digits/90&digits/9"},
		{100, "digits/1&digits/hundred"},
		{101, "digits/1&digits/hundred&digits/1"},
		{110, "digits/1&digits/hundred&digits/10"},
		{999, "digits/9&digits/hundred&digits/90&digits/9"},
		{1000, "digits/1&digits/thousand"},
		{1001, "digits/1&digits/thousand&digits/1"},
		{12345, "digits/12&digits/thousand&digits/3&digits/hundred&digits/40&digits/5"},
		{100000, "digits/1&digits/hundred&digits/thousand"},
		{1000000, "digits/1&digits/million"},
		{123456789, "digits/1&digits/hundred&digits/20&digits/3&digits/million&digits/4&digits/hundred&digits/50&digits/6&digits/thousand&digits/7&digits/hundred&digits/80&digits/9"},
		{1000000000, "digits/1&digits/billion"},
		{2147483646, "digits/2&digits/billion&digits/1&digits/hundred&digits/40&digits/7&digits/million&digits/4&digits/hundred&digits/80&digits/3&digits/thousand&digits/6&digits/hundred&digits/40&digits/6"},
		{-5, "digits/minus&digits/5"},
		{-1042, "digits/minus&digits/1&digits/thousand&digits/40&digits/2"},
		{math.MinInt32, "digits/minus"}, // Asterisk's quiet give-up
	} {
		got, err := NumberFiles(tc.n, "en")
		if err != nil || !slices.Equal(got, files(tc.want)) {
			t.Errorf("NumberFiles(%d) = %q, %v; want %q", tc.n, got, err, tc.want)
		}
	}
	// Every language gets the English grammar, as SAYFILES gives it.
	if got, _ := NumberFiles(21, "de"); !slices.Equal(got, files("digits/20&digits/1")) {
		t.Errorf("NumberFiles(21, de) = %q", got)
	}
}

func TestNumberFilesTooBig(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{math.MaxInt32, ""},              // INT_MAX is one too many for Asterisk
		{-math.MaxInt32, "digits/minus"}, // what is played before it gives up
		{math.MaxInt32 + 1, ""},
		{math.MinInt32 - 1, ""},
	} {
		got, err := NumberFiles(tc.n, "en")
		if !errors.Is(err, ErrNumberTooBig) || !slices.Equal(got, files(tc.want)) {
			t.Errorf("NumberFiles(%d) = %q, %v; want %q, ErrNumberTooBig", tc.n, got, err, tc.want)
		}
	}
}

// TestNumberFilesNamesExist checks that every number from 0 to 2,000 and
// some large ones use only names Asterisk's English sound set has.
func TestNumberFilesNamesExist(t *testing.T) {
	known := map[string]bool{"digits/hundred": true, "digits/thousand": true, "digits/million": true, "digits/billion": true, "digits/minus": true}
	for i := 0; i < 20; i++ {
		known["digits/"+itoa(i)] = true
	}
	for i := 20; i < 100; i += 10 {
		known["digits/"+itoa(i)] = true
	}
	check := func(n int) {
		got, err := NumberFiles(n, "en")
		if err != nil {
			t.Fatalf("NumberFiles(%d): %v", n, err)
		}
		for _, fn := range got {
			if !known[fn] {
				t.Fatalf("NumberFiles(%d) uses %q", n, fn)
			}
		}
	}
	for n := -2000; n <= 2000; n++ {
		check(n)
	}
	for n := 1; n < math.MaxInt32/7; n *= 7 {
		check(n)
		check(-n)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}
