package conf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Load reads the file name from the configuration directory dir, with every
// file it includes. Relative names, in the call and in #include directives,
// are resolved against dir; absolute names are used as given. Like Asterisk,
// name may be a glob pattern. A missing file gives an error for which
// errors.Is(err, fs.ErrNotExist) holds.
func Load(dir, name string) (*File, error) {
	p := newParser(dir, true)
	if err := p.loadPattern(name, "", 0, 1, false); err != nil {
		return nil, err
	}
	return p.file(), nil
}

// Parse reads one configuration file from r. name is used in positions and
// messages; #include directives in it are resolved against the directory of
// name.
func Parse(name string, r io.Reader) (*File, error) {
	return parse(name, r, true)
}

// parse is Parse with includes optionally disabled, for the fuzz target,
// which must not read whatever files a random input names.
func parse(name string, r io.Reader, includes bool) (*File, error) {
	p := newParser(filepath.Dir(name), includes)
	p.files = append(p.files, name)
	if err := p.parseReader(name, r, 1); err != nil {
		return nil, err
	}
	return p.file(), nil
}

// parser holds the state of one Load or Parse, shared by every included file.
type parser struct {
	dir      string
	includes bool

	// all holds every section, templates included, in file order:
	// inheritance and "(+)" look sections up by name among them.
	all []*Section

	// current is Asterisk's cfg->current: the section an included file
	// starts in. It is the last section declared or appended to, in any
	// file.
	current *Section

	warnings []Warning
	files    []string

	// stack holds the absolute names of the files being read, outermost
	// first, to report include cycles.
	stack []string
}

func newParser(dir string, includes bool) *parser {
	return &parser{dir: dir, includes: includes}
}

func (p *parser) file() *File {
	f := &File{Warnings: p.warnings, Files: p.files, Dir: p.dir}
	for _, s := range p.all {
		if s.Template {
			f.Templates = append(f.Templates, s)
		} else {
			f.Sections = append(f.Sections, s)
		}
	}
	return f
}

func (p *parser) warn(file string, line int, format string, args ...any) {
	p.warnings = append(p.warnings, Warning{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// loadPattern reads every file matching pattern (a name or glob, relative to
// the configuration directory) at include depth depth. from and line locate
// the #include, if any. It reports whether at least one file was read
// through the error: a pattern that matches no file is an error unless try.
func (p *parser) loadPattern(pattern, from string, line, depth int, try bool) error {
	pos := func(err error) error {
		if from == "" {
			return &Error{File: pattern, Err: err}
		}
		return &Error{File: from, Line: line, Err: err}
	}
	if depth > MaxIncludeDepth {
		return pos(fmt.Errorf("maximum include depth %d exceeded including %q", MaxIncludeDepth, pattern))
	}
	full := pattern
	if !filepath.IsAbs(full) {
		full = filepath.Join(p.dir, full)
	}
	names, err := expandGlob(full)
	if err != nil {
		return pos(fmt.Errorf("bad file pattern %q: %w", pattern, err))
	}

	// Asterisk carries the current section from one globbed file to the
	// next: they behave like one file.
	cat := p.current
	read := 0
	for _, name := range names {
		fi, err := os.Stat(name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if try {
				p.warn(from, line, "cannot read %s: %v", name, err)
				continue
			}
			return pos(fmt.Errorf("reading %q: %w", name, err))
		}
		if !fi.Mode().IsRegular() {
			p.warn(from, line, "%q is not a regular file, ignoring", name)
			continue
		}
		if err := p.loadFile(name, &cat, depth, pos); err != nil {
			if try && errors.Is(err, fs.ErrPermission) {
				p.warn(from, line, "cannot read %s: %v", name, err)
				continue
			}
			return err
		}
		read++
	}
	if read == 0 && !try {
		if from == "" {
			return pos(fmt.Errorf("no such file %q: %w", full, fs.ErrNotExist))
		}
		return pos(fmt.Errorf("the file %q was listed as a #include but it does not exist: %w", pattern, fs.ErrNotExist))
	}
	return nil
}

func (p *parser) loadFile(name string, cat **Section, depth int, pos func(error) error) error {
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = filepath.Clean(name)
	}
	for _, s := range p.stack {
		if s == abs {
			chain := append(append([]string(nil), p.stack...), abs)
			return pos(fmt.Errorf("include cycle: %s", strings.Join(chain, " -> ")))
		}
	}
	f, err := os.Open(name)
	if err != nil {
		return pos(fmt.Errorf("opening %q: %w", name, err))
	}
	defer f.Close()
	p.files = append(p.files, name)
	p.stack = append(p.stack, abs)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	return p.parseLines(name, f, cat, depth)
}

// parseReader parses one top-level stream.
func (p *parser) parseReader(name string, r io.Reader, depth int) error {
	cat := p.current
	return p.parseLines(name, r, &cat, depth)
}

// parseLines reads r line by line. *cat is the section entries go to; it
// is the caller's, so that globbed files share it.
func (p *parser) parseLines(name string, r io.Reader, cat **Section, depth int) error {
	br := bufio.NewReaderSize(r, MaxLineLength+1)
	var cs commentState
	lineno := 0
	for {
		raw, err := br.ReadSlice('\n')
		if len(raw) == 0 && err == io.EOF {
			break
		}
		lineno++
		if errors.Is(err, bufio.ErrBufferFull) {
			p.warn(name, lineno, "line too long, skipping; it begins with %.32q", raw)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return &Error{File: name, Line: lineno, Err: fmt.Errorf("reading: %w", err)}
			}
			continue
		}
		if err != nil && err != io.EOF {
			return &Error{File: name, Line: lineno, Err: fmt.Errorf("reading: %w", err)}
		}
		text := cs.strip(raw, lineno, func(msg string) { p.warn(name, lineno, "%s", msg) })
		text = trimBlanks(text)
		if text != "" {
			if perr := p.line(cat, text, name, lineno, depth); perr != nil {
				return perr
			}
		}
		if err == io.EOF {
			break
		}
	}
	if cs.depth > 0 {
		p.warn(name, cs.start[cs.depth-1], "unterminated comment")
	}
	return nil
}

// commentState follows ";-- ... --;" block comments across the lines of one
// file.
type commentState struct {
	depth int
	start [maxCommentNesting]int // line where each open comment began
}

// strip returns the part of line that is outside comments, with "\;"
// turned into ";". It follows config_text_file_load: ";--" opens a block
// comment (but ";---" does not), "--;" closes one, and any other ";" outside
// a block comment ends the line. Unlike Asterisk, a stray "--;" outside a
// block comment is taken as a plain ";" rather than leaving the comment
// depth negative, which made Asterisk ignore the rest of the file.
func (cs *commentState) strip(line []byte, lineno int, warn func(string)) string {
	var out []byte
	seg := 0 // start of the text not yet consumed by a comment marker
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != ';' {
			if cs.depth == 0 {
				out = append(out, c)
			}
			continue
		}
		switch {
		case i > seg && line[i-1] == '\\':
			// An escaped semicolon: drop the backslash, keep the ';'.
			if cs.depth == 0 {
				out[len(out)-1] = ';'
			}
		case i+2 < len(line) && line[i+1] == '-' && line[i+2] == '-' && (i+3 >= len(line) || line[i+3] != '-'):
			if cs.depth < maxCommentNesting {
				cs.start[cs.depth] = lineno
				cs.depth++
			} else {
				warn(fmt.Sprintf("maximum comment nesting of %d reached", maxCommentNesting))
			}
			i += 2
			seg = i + 1
		case cs.depth > 0 && i >= seg+2 && line[i-1] == '-' && line[i-2] == '-':
			cs.depth--
			seg = i + 1
		default:
			if cs.depth == 0 {
				return string(out)
			}
		}
	}
	return string(out)
}

// trimBlanks is Asterisk's ast_strip: C isspace, not Unicode spaces.
func trimBlanks(s string) string {
	return strings.Trim(s, " \t\n\v\f\r")
}

// line handles one non-empty line with comments removed.
func (p *parser) line(cat **Section, text, file string, lineno, depth int) error {
	switch text[0] {
	case '[':
		return p.sectionHeader(cat, text, file, lineno)
	case '#':
		return p.directive(text, file, lineno, depth)
	}
	return p.entry(*cat, text, file, lineno)
}

// sectionHeader handles "[name]", "[name](!)", "[name](+)",
// "[name](base1,base2)" and their combinations, in the order the options
// are written, as process_text_line does.
func (p *parser) sectionHeader(cat **Section, text, file string, lineno int) error {
	errAt := func(format string, args ...any) error {
		return &Error{File: file, Line: lineno, Err: fmt.Errorf(format, args...)}
	}
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return errAt("no closing ']' in section header")
	}
	name := text[1:end]
	rest := text[end+1:]
	newcat := &Section{Name: name, File: file, Line: lineno}
	*cat = newcat
	if strings.HasPrefix(rest, "(") {
		closing := strings.IndexByte(rest, ')')
		if closing < 0 {
			return errAt("no closing ')' in section header")
		}
		for _, opt := range strings.Split(rest[1:closing], ",") {
			opt = trimBlanks(opt)
			switch {
			case opt == "":
				// Asterisk would look up a section with an empty name;
				// "[x](!,)" is a slip, not a request.
			case opt == "!":
				(*cat).Template = true
			case opt[0] == '+':
				target, err := p.findForAppend(name, trimBlanks(opt[1:]))
				if err != nil {
					return errAt("bad filter in %q: %w", opt, err)
				}
				if target == nil {
					return errAt("section addition requested, but section %q does not exist", name)
				}
				if newcat != nil {
					p.current = target
					target.Template = target.Template || newcat.Template
					target.Entries = append(target.Entries, newcat.Entries...)
					target.Bases = append(target.Bases, newcat.Bases...)
					newcat = nil
				}
				*cat = target
			default:
				base := p.findBase(opt)
				if base == nil {
					return errAt("inheritance requested, but section %q does not exist", opt)
				}
				c := *cat
				c.Bases = append(c.Bases, opt)
				for _, e := range base.Entries {
					e.Inherited = true
					c.Entries = append(c.Entries, e)
				}
			}
		}
	}
	if newcat != nil {
		p.all = append(p.all, newcat)
		p.current = newcat
	}
	return nil
}

// findBase returns the first section, template or not, called name: what
// ast_category_get(cfg, name, "TEMPLATES=include") finds.
func (p *parser) findBase(name string) *Section {
	for _, s := range p.all {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// findForAppend returns the first section called name that "(+filter)"
// may append to: with no filter, the first one that is not a template.
func (p *parser) findForAppend(name, filter string) (*Section, error) {
	for _, s := range p.all {
		if !strings.EqualFold(s.Name, name) {
			continue
		}
		ok, err := matchesFilter(s, filter)
		if err != nil {
			return nil, err
		}
		if ok {
			return s, nil
		}
	}
	return nil, nil
}

// matchesFilter is config.c's does_category_match for one section: the
// filter is a list of "name=value" regular expression pairs joined by '&'
// (each must match some entry), plus TEMPLATES=include (templates may
// match) or TEMPLATES=restrict (only templates match). Asterisk uses POSIX
// extended expressions; these are Go (RE2) expressions, with '.' also
// matching a newline as in POSIX.
func matchesFilter(s *Section, filter string) (bool, error) {
	if filter == "" {
		return !s.Template, nil
	}
	exprs, found := 0, 0
	templateOK := false
	for _, nvp := range strings.Split(filter, "&") {
		nvp = trimBlanks(nvp)
		exprs++
		k, v, ok := strings.Cut(nvp, "=")
		if !ok {
			break
		}
		k, v = trimBlanks(k), trimBlanks(v)
		if k == "TEMPLATES" {
			switch strings.ToLower(v) {
			case "include":
				templateOK = templateOK || s.Template
				found++
			case "restrict":
				if !s.Template {
					return false, nil
				}
				templateOK = true
				found++
			}
			continue
		}
		kre, err := regexp.Compile("(?s)" + k)
		if err != nil {
			return false, fmt.Errorf("compiling %q: %w", k, err)
		}
		vre, err := regexp.Compile("(?s)" + v)
		if err != nil {
			return false, fmt.Errorf("compiling %q: %w", v, err)
		}
		for _, e := range s.Entries {
			if kre.MatchString(e.Key) && vre.MatchString(e.Value) {
				found++
				break
			}
		}
	}
	return found == exprs && (!s.Template || templateOK), nil
}

// directive handles "#include", "#tryinclude" and the unsupported "#exec".
func (p *parser) directive(text, file string, lineno, depth int) error {
	cmd := text[1:]
	arg := ""
	if i := strings.IndexFunc(cmd, func(r rune) bool { return r <= ' ' }); i >= 0 {
		cmd, arg = cmd[:i], trimBlanks(cmd[i+1:])
	}
	try := false
	switch strings.ToLower(cmd) {
	case "include":
	case "tryinclude":
		try = true
	case "exec":
		p.warn(file, lineno, "#exec is not supported, ignoring")
		return nil
	default:
		p.warn(file, lineno, "unknown directive '#%s'", cmd)
		return nil
	}
	if arg == "" {
		p.warn(file, lineno, "directive '#%s' needs a file name", cmd)
		return nil
	}
	if q := arg[0]; (q == '"' || q == '<') && len(arg) >= 2 {
		want := byte('"')
		if q == '<' {
			want = '>'
		}
		if arg[len(arg)-1] == want {
			arg = arg[1 : len(arg)-1]
		}
	}
	if !p.includes {
		p.warn(file, lineno, "#%s %q not followed: includes are disabled", cmd, arg)
		return nil
	}
	return p.loadPattern(arg, file, lineno, depth+1, try)
}

// entry handles "key = value", "key => value" and "key += value".
func (p *parser) entry(cat *Section, text, file string, lineno int) error {
	if cat == nil {
		return &Error{File: file, Line: lineno, Err: errors.New("entry before any section")}
	}
	cur := text
	esc := 0
	if cur[0] == '\\' {
		// "\[x] = y" and "\#x = y": a key that starts with a character that
		// would otherwise open a section or a directive.
		cur = cur[1:]
		if cur == "" || cur[0] < 33 {
			return &Error{File: file, Line: lineno, Err: errors.New("invalid escape")}
		}
		esc = 1
	}
	eq := strings.IndexByte(cur[esc:], '=')
	if eq < 0 {
		p.warn(file, lineno, "no '=' (equal sign) in line")
		return nil
	}
	eq += esc
	if eq > esc && cur[eq-1] == '+' {
		key := trimBlanks(cur[:eq-1])
		rhs := cur[eq+1:]
		// "key += more" appends to the value of the last entry of that
		// key, keeping the blanks written before "more".
		for i := len(cat.Entries) - 1; i >= 0; i-- {
			if cat.Entries[i].Key == key {
				cat.Entries[i].Value = trimBlanks(cat.Entries[i].Value + rhs)
				return nil
			}
		}
		return p.add(cat, key, trimBlanks(rhs), false, file, lineno)
	}
	key := trimBlanks(cur[:eq])
	rhs := cur[eq+1:]
	object := false
	if strings.HasPrefix(rhs, ">") {
		object = true
		rhs = rhs[1:]
	}
	return p.add(cat, key, trimBlanks(rhs), object, file, lineno)
}

func (p *parser) add(cat *Section, key, value string, object bool, file string, lineno int) error {
	if key == "" {
		p.warn(file, lineno, "no variable name in line")
		return nil
	}
	cat.Entries = append(cat.Entries, Entry{Key: key, Value: value, Object: object, File: file, Line: lineno})
	return nil
}
