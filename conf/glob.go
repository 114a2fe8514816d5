package conf

import (
	"errors"
	"path/filepath"
	"strings"
)

var errTooManyPatterns = errors.New("brace expansion gives too many patterns")

// expandGlob returns the file names a #include pattern stands for, as
// glob(3) with GLOB_BRACE|GLOB_NOMAGIC does for Asterisk: "{a,b}" is
// expanded first, then each pattern with *, ? or [ is matched against the
// file system (sorted), and a pattern without them is returned as it is,
// whether or not the file exists.
func expandGlob(pattern string) ([]string, error) {
	pats, err := expandBraces(pattern, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pats {
		if !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
	}
	return out, nil
}

// expandBraces appends to out the expansions of the first top-level
// "{x,y,...}" in s, recursively. An unmatched brace is literal.
func expandBraces(s string, out []string) ([]string, error) {
	open := strings.IndexByte(s, '{')
	if open < 0 {
		if len(out) >= maxGlobPatterns {
			return nil, errTooManyPatterns
		}
		return append(out, s), nil
	}
	depth := 0
	var alts []string
	start := open + 1
	closing := -1
scan:
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				alts = append(alts, s[start:i])
				closing = i
				break scan
			}
		case ',':
			if depth == 1 {
				alts = append(alts, s[start:i])
				start = i + 1
			}
		}
	}
	if closing < 0 {
		if len(out) >= maxGlobPatterns {
			return nil, errTooManyPatterns
		}
		return append(out, s), nil
	}
	prefix, suffix := s[:open], s[closing+1:]
	var err error
	for _, a := range alts {
		if out, err = expandBraces(prefix+a+suffix, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}
