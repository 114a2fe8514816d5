package dialplan

import "strings"

// AppArgs splits an application's argument string on commas as
// AST_STANDARD_APP_ARGS does: a comma inside parentheses, square brackets
// or double quotes does not split, double quotes are removed, and a
// backslash makes the next character literal (the backslash is removed).
// An empty string has no arguments; "a," has two, the second empty.
func AppArgs(data string) []string { return separateArgs(data, ',', 0, true) }

// SplitArgs is AppArgs with another delimiter and an optional limit
// (AST_NONSTANDARD_APP_ARGS): when max > 0, at most max arguments are
// returned and the last one holds the rest of the string unparsed, as
// Asterisk's fixed-size argument arrays do.
func SplitArgs(data string, delim byte, max int) []string {
	return separateArgs(data, delim, max, true)
}

// SplitArgsRaw is SplitArgs that keeps quotes and backslashes in the
// arguments (AST_STANDARD_RAW_ARGS, AST_NONSTANDARD_RAW_ARGS); they still
// protect delimiters.
func SplitArgsRaw(data string, delim byte, max int) []string {
	return separateArgs(data, delim, max, false)
}

// separateArgs follows __ast_app_separate_args.
func separateArgs(data string, delim byte, max int, removeChars bool) []string {
	if data == "" {
		return nil
	}
	var out []string
	var cur strings.Builder
	paren, bracket := 0, 0
	quote := false
	i := 0
	lastWasDelim := false
	for i < len(data) {
		if max > 0 && len(out) == max-1 {
			// The last slot takes the remainder untouched.
			out = append(out, data[i:])
			return out
		}
		cur.Reset()
		lastWasDelim = false
		for i < len(data) {
			c := data[i]
			switch {
			case c == '(':
				paren++
			case c == ')':
				if paren > 0 {
					paren--
				}
			case c == '[':
				bracket++
			case c == ']':
				if bracket > 0 {
					bracket--
				}
			case c == '"' && delim != '"':
				quote = !quote
				if removeChars {
					i++
					continue
				}
			case c == '\\':
				if removeChars {
					// Drop the backslash; the next character is taken
					// as is, whatever it is.
					i++
					if i < len(data) {
						cur.WriteByte(data[i])
						i++
					}
					continue
				}
				cur.WriteByte(c)
				i++
				if i < len(data) {
					cur.WriteByte(data[i])
					i++
				}
				continue
			case c == delim && paren == 0 && !quote && bracket == 0:
				i++
				lastWasDelim = true
			}
			if lastWasDelim {
				break
			}
			cur.WriteByte(c)
			i++
		}
		out = append(out, cur.String())
	}
	if lastWasDelim {
		// "a," ends with an empty argument.
		if max <= 0 || len(out) < max {
			out = append(out, "")
		}
	}
	return out
}
