package local

import (
	"errors"
	"testing"
)

func TestParseResource(t *testing.T) {
	for in, want := range map[string][3]string{
		"1234@default":   {"1234", "default", ""},
		"600@test/n":     {"600", "test", "n"},
		"s":              {"s", "default", ""},
		"100@from-sip/j": {"100", "from-sip", "j"},
	} {
		e, c, o, err := ParseResource(in)
		if err != nil || [3]string{e, c, o} != want {
			t.Errorf("ParseResource(%q) = %q %q %q, %v; want %q", in, e, c, o, err, want)
		}
	}
	for _, bad := range []string{"", "@default", "/n"} {
		if _, _, _, err := ParseResource(bad); !errors.Is(err, ErrBadResource) {
			t.Errorf("ParseResource(%q): %v", bad, err)
		}
	}
}
