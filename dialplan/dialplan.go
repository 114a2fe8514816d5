// Package dialplan is the pure part of Asterism's dialplan: it reads
// extensions.conf into an immutable Dialplan, finds the priority a call
// runs next with Asterisk's matching rules (patterns, their ordering,
// caller-ID matches, includes), and expands ${VAR}, ${FUNC(...)} and
// $[expression] in application data as Asterisk does. It knows nothing of
// channels: substitution reads variables through the small Vars interface,
// and the PBX core decides what a channel's variables are, runs the
// applications and swaps in a new Dialplan on "dialplan reload".
//
// Everything a Dialplan holds is read-only once Load or Parse returns, so
// any number of calls may look things up concurrently while a reload
// builds the next one; the PBX core keeps the current one in an
// atomic.Pointer and swaps it, and calls already running keep the
// Priority values they hold.
//
// The Asterisk sources this follows are pbx/pbx_config.c (reading the
// file), main/pbx.c (matching, ordering, substitution), main/ast_expr2.y
// (expressions) and main/app.c (argument splitting).
package dialplan

import (
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/asterism-pbx/asterism/conf"
)

// PriorityHint is the priority number of an extension's hint
// ("exten => 100,hint,SIP/100"), Asterisk's PRIORITY_HINT.
const PriorityHint = -1

// Registrar is who Asterisk says created the contexts and extensions read
// from extensions.conf, shown by "dialplan show" and ShowDialPlan.
const Registrar = "pbx_config"

// MaxIncludeStack is how many contexts one lookup may visit through
// includes (AST_PBX_MAX_STACK).
const MaxIncludeStack = 512

// General holds the [general] settings of extensions.conf.
type General struct {
	// Static and WriteProtect govern "dialplan save", which Asterism does
	// not offer; they are kept for display.
	Static       bool
	WriteProtect bool
	// AutoFallthrough: when an extension runs out of priorities the call
	// hangs up (yes, the default) rather than waiting for more digits.
	AutoFallthrough bool
	// ClearGlobalVars: a reload first clears the global variables.
	ClearGlobalVars bool
	// ExtenPatternMatchNew asks for Asterisk's trie matcher; Asterism
	// always uses the ordered algorithm, which gives the same answers.
	ExtenPatternMatchNew bool
	// UsersContext names the context users.conf extensions go to.
	UsersContext string
}

// Var is one global variable.
type Var struct {
	Name, Value string
}

// Dialplan is a loaded extensions.conf. It is immutable.
type Dialplan struct {
	general  General
	globals  []Var
	gindex   map[string]int
	contexts map[string]*Context
	order    []*Context // Asterisk's walk order
	warnings []conf.Warning
	files    []string
}

// Context is one [context] of the dialplan (all the sections of that
// name, merged).
type Context struct {
	name string
	file string
	line int

	exts     []*Extension // in Asterisk's order
	literals map[string][]*Extension
	litOrder []string // keys of literals, sorted
	patterns []*Extension

	includes   []Include
	ignorepats []IgnorePat
	switches   []Switch

	// Used while loading only.
	byKey map[string]*Extension
	dirty bool
}

// Include is one "include => context[,timespec]" of a context.
type Include struct {
	// Name is the value as written (after substitution), time condition
	// included: what "dialplan show" prints.
	Name string
	// Context is the included context's name.
	Context string
	// Timing is the time condition, nil if none.
	Timing *Timing
	File   string
	Line   int
}

// IgnorePat is one "ignorepat => pattern": digits that keep dial tone on.
type IgnorePat struct {
	Pattern string
	File    string
	Line    int
	m       *matcher
}

// Switch is one "switch => Tech/data" (also lswitch, eswitch). Asterism
// does not run switches; they are kept for display.
type Switch struct {
	Name, Data string
	Eval       bool
	File       string
	Line       int
}

// Extension is one extension (or pattern) of a context, with all its
// priorities.
type Extension struct {
	name     string
	cid      string
	matchCID bool
	prios    []*Priority
	m        *matcher
	cm       *matcher
}

// Priority is one step of an extension: "exten => 1234,2(lbl),Playback(x)"
// is priority 2 of 1234, label lbl, application Playback with data x. A
// Priority is shared and must not be modified.
type Priority struct {
	// Context and Exten say where it is defined; Exten is the name as
	// written (blanks removed), a pattern for pattern extensions.
	Context string
	Exten   string
	// CallerID is the caller-ID pattern of "exten => 100/_2XX,..."; it
	// applies when MatchCID is set (an empty pattern then matches calls
	// without caller ID).
	CallerID string
	MatchCID bool
	// Number is the priority, PriorityHint for a hint.
	Number int
	Label  string
	// App and Data are the application and its raw, unsubstituted
	// arguments. For a hint, App is the hint (e.g. "SIP/100&SIP/101").
	App  string
	Data string
	File string
	Line int
}

// IsHint reports whether p is a hint rather than a step.
func (p *Priority) IsHint() bool { return p.Number == PriorityHint }

// Load reads extensions.conf from the configuration directory dir (with
// what it #includes) and builds the dialplan. A missing file is an error
// for which errors.Is(err, fs.ErrNotExist) holds. Problems in the file are
// logged on log (slog.Default() when nil) with their file:line and kept in
// Warnings; they never make Load fail, as in Asterisk.
func Load(dir string, log *slog.Logger) (*Dialplan, error) {
	if log == nil {
		log = slog.Default()
	}
	f, err := conf.Load(dir, "extensions.conf")
	if err != nil {
		return nil, fmt.Errorf("loading extensions.conf: %w", err)
	}
	for _, w := range f.Warnings {
		log.Warn("extensions.conf: "+w.Msg, "pos", fmt.Sprintf("%s:%d", w.File, w.Line))
	}
	d, err := Parse(f, log)
	if err != nil {
		return nil, err
	}
	d.warnings = append(append([]conf.Warning(nil), f.Warnings...), d.warnings...)
	return d, nil
}

// Parse builds the dialplan from a parsed extensions.conf, as
// pbx_config's pbx_load_config does: [general] settings, [globals]
// (each value substituted with the globals before it), and every other
// section as a context. Bad lines are logged and skipped; the error is
// reserved for a nil file.
func Parse(f *conf.File, log *slog.Logger) (*Dialplan, error) {
	if f == nil {
		return nil, fmt.Errorf("dialplan: no extensions.conf")
	}
	if log == nil {
		log = slog.Default()
	}
	p := &parser{
		log:   log,
		funcs: NewFuncs(),
		d: &Dialplan{
			general:  General{AutoFallthrough: true, WriteProtect: true, UsersContext: "default"},
			gindex:   make(map[string]int),
			contexts: make(map[string]*Context),
			files:    f.Files,
		},
	}
	p.general(f)
	p.globalVars(f)
	var created []*Context
	for _, sec := range f.Sections {
		if strings.EqualFold(sec.Name, "general") || strings.EqualFold(sec.Name, "globals") {
			continue
		}
		c := p.d.contexts[sec.Name]
		if c == nil {
			c = &Context{name: sec.Name, file: sec.File, line: sec.Line, byKey: make(map[string]*Extension)}
			p.d.contexts[sec.Name] = c
			created = append(created, c)
		}
		p.section(c, sec)
	}
	// Asterisk prepends each new context to its list, so "dialplan show"
	// walks them newest first.
	for i := len(created) - 1; i >= 0; i-- {
		p.d.order = append(p.d.order, created[i])
	}
	for _, c := range created {
		c.finish()
	}
	for _, c := range p.d.order {
		for _, inc := range c.includes {
			if _, ok := p.d.contexts[inc.Context]; !ok {
				p.warn(inc.File, inc.Line, "Context '%s' tries to include nonexistent context '%s'", c.name, inc.Context)
			}
		}
	}
	return p.d, nil
}

// parser holds the state of one Parse.
type parser struct {
	log   *slog.Logger
	d     *Dialplan
	funcs *Funcs
}

func (p *parser) warn(file string, line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.d.warnings = append(p.d.warnings, conf.Warning{File: file, Line: line, Msg: msg})
	p.log.Warn("extensions.conf: "+msg, "pos", fmt.Sprintf("%s:%d", file, line))
}

// substitute expands a value at load time as pbx_config does, with no
// channel: only the globals defined so far (and extra, if given) are
// known.
func (p *parser) substitute(s string, e conf.Entry, extra MapVars) string {
	if strings.IndexByte(s, '$') < 0 {
		return s
	}
	out, err := SubstituteLimit(s, loadVars{d: p.d, extra: extra}, p.funcs, MaxDataLen)
	if err != nil {
		p.warn(e.File, e.Line, "substituting %q: %v", s, err)
	}
	return out
}

// loadVars are the variables known while loading: the globals so far.
type loadVars struct {
	d     *Dialplan
	extra MapVars
}

func (v loadVars) Get(name string) (string, bool) {
	if s, ok := v.extra[name]; ok {
		return s, true
	}
	return v.d.Global(name)
}

// cTrue is ast_true.
func cTrue(s string) bool {
	switch strings.ToLower(trimC(s)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}

func (p *parser) general(f *conf.File) {
	gens := f.SectionsNamed("general")
	if len(gens) == 0 {
		return
	}
	for _, g := range gens[1:] {
		p.warn(g.File, g.Line, "only the first [general] section is read; this one is ignored")
	}
	g := &p.d.general
	seen := map[string]bool{}
	for _, e := range gens[0].Entries {
		key := strings.ToLower(e.Key)
		if seen[key] {
			// ast_variable_retrieve returns the first value.
			p.warn(e.File, e.Line, "[general] %s given again; the first value is used", e.Key)
			continue
		}
		seen[key] = true
		switch key {
		case "static":
			g.Static = cTrue(e.Value)
		case "writeprotect":
			g.WriteProtect = cTrue(e.Value)
		case "autofallthrough":
			g.AutoFallthrough = cTrue(e.Value)
		case "clearglobalvars":
			g.ClearGlobalVars = cTrue(e.Value)
		case "extenpatternmatchnew":
			g.ExtenPatternMatchNew = cTrue(e.Value)
		case "userscontext":
			g.UsersContext = e.Value
		case "overrideswitch":
			p.warn(e.File, e.Line, "overrideswitch is not supported, ignoring")
		default:
			p.warn(e.File, e.Line, "unknown [general] option '%s', ignoring", e.Key)
		}
	}
}

// globalVars reads the first [globals] section. Each value is substituted
// with the globals defined before it; an empty value removes the
// variable, as pbx_builtin_setvar_helper does.
func (p *parser) globalVars(f *conf.File) {
	secs := f.SectionsNamed("globals")
	if len(secs) == 0 {
		return
	}
	for _, s := range secs[1:] {
		p.warn(s.File, s.Line, "only the first [globals] section is read; this one is ignored")
	}
	for _, e := range secs[0].Entries {
		if strings.HasSuffix(e.Key, ")") {
			p.warn(e.File, e.Line, "setting function %s from [globals] is not supported, ignoring", e.Key)
			continue
		}
		value := p.substitute(e.Value, e, nil)
		p.d.setGlobal(e.Key, value)
	}
}

func (d *Dialplan) setGlobal(name, value string) {
	// Asterisk matches the name without its inheritance underscores.
	base := strings.TrimPrefix(strings.TrimPrefix(name, "_"), "_")
	for i, g := range d.globals {
		gb := strings.TrimPrefix(strings.TrimPrefix(g.Name, "_"), "_")
		if gb == base {
			d.globals = append(d.globals[:i], d.globals[i+1:]...)
			break
		}
	}
	if value != "" {
		d.globals = append(d.globals, Var{Name: name, Value: value})
	}
	clear(d.gindex)
	for i, g := range d.globals {
		d.gindex[strings.TrimPrefix(strings.TrimPrefix(g.Name, "_"), "_")] = i
	}
}

// section adds one section's entries to context c.
func (p *parser) section(c *Context, sec *conf.Section) {
	// lastExten and lastPri carry "same =>" and "n" from line to line;
	// they restart with each section, as in Asterisk.
	lastExten := ""
	lastPri := -2
	for _, e := range sec.Entries {
		key := strings.ToLower(e.Key)
		switch {
		case strings.HasPrefix(key, "same"):
			if lastExten == "" {
				p.warn(e.File, e.Line, "No previous pattern in the first entry of context '%s' to match '%s'", c.name, e.Key)
				continue
			}
			p.extension(c, e, lastExten, e.Value, &lastPri)
		case key == "exten":
			ext, rest := pbxStrsep(e.Value)
			ext = p.substitute(ext, e, nil)
			lastExten = ext
			p.extension(c, e, ext, rest, &lastPri)
		case key == "include":
			p.include(c, e)
		case key == "ignorepat":
			p.ignorepat(c, e)
		case key == "switch" || key == "lswitch" || key == "eswitch":
			value := e.Value
			if key == "switch" {
				value = p.substitute(value, e, nil)
			}
			p.addSwitch(c, e, value, key == "eswitch")
		default:
			p.warn(e.File, e.Line, "==!!== Unknown directive: %s -- IGNORING!!!", e.Key)
		}
	}
}

func (p *parser) addSwitch(c *Context, e conf.Entry, value string, eval bool) {
	name, data, _ := strings.Cut(value, "/")
	for _, sw := range c.switches {
		if strings.EqualFold(sw.Name, name) && strings.EqualFold(sw.Data, data) {
			p.warn(e.File, e.Line, "Unable to include switch '%s' in context '%s'", e.Value, c.name)
			return
		}
	}
	c.switches = append(c.switches, Switch{Name: name, Data: data, Eval: eval, File: e.File, Line: e.Line})
	p.warn(e.File, e.Line, "switches are not supported: '%s' in context '%s' is never consulted", value, c.name)
}

// pbxStrsep splits the extension name off an "exten =>" value at the first
// comma outside square brackets (so "_[1,2]X" stays whole); a backslash
// protects the next character and is kept.
func pbxStrsep(s string) (first, rest string) {
	square := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			square++
		case ']':
			if square > 0 {
				square--
			}
		case '\\':
			i++
		case ',':
			if square == 0 {
				return s[:i], s[i+1:]
			}
		}
	}
	return s, ""
}

// extension handles the rest of an "exten =>" or "same =>" line:
// priority, optional label, application.
func (p *parser) extension(c *Context, e conf.Entry, realext, rest string, lastPri *int) {
	cid := ""
	matchCID := false
	if i := strings.IndexByte(realext, '/'); i >= 0 {
		cid = shrinkPhoneNumber(realext[i+1:])
		realext = realext[:i]
		matchCID = true
	}
	pri, appl, _ := strings.Cut(rest, ",")
	pri = trimC(pri)
	label := ""
	if i := strings.IndexByte(pri, '('); i >= 0 {
		label = pri[i+1:]
		pri = pri[:i]
		end := strings.IndexByte(label, ')')
		if end < 0 {
			p.warn(e.File, e.Line, "Label missing trailing ')'")
			return
		}
		label = label[:end]
	}
	plus := ""
	if i := strings.IndexByte(pri, '+'); i >= 0 {
		pri, plus = pri[:i], pri[i+1:]
	}
	var ipri int
	switch {
	case pri == "hint":
		ipri = PriorityHint
	case pri == "next" || pri == "n":
		if *lastPri <= -2 {
			p.warn(e.File, e.Line, "Can't use 'next' priority on the first entry!")
			return
		}
		ipri = *lastPri + 1
	case pri == "same" || pri == "s":
		if *lastPri <= -2 {
			p.warn(e.File, e.Line, "Can't use 'same' priority on the first entry!")
			return
		}
		ipri = *lastPri
	default:
		n, _, ok := scanCInt(pri)
		if !ok {
			n = c.findLabel(stripSpaces(realext), pri, cid, matchCID)
			if n < 1 {
				p.warn(e.File, e.Line, "Invalid priority/label '%s'", pri)
				return
			}
		} else if n < 1 {
			p.warn(e.File, e.Line, "Invalid priority '%s'", pri)
			return
		}
		ipri = n
	}
	app, data := p.splitApp(appl, ipri, e)
	if ipri == 0 {
		// "n" right after a hint gives priority 0, which Asterisk drops
		// without a word.
		p.warn(e.File, e.Line, "priority 0 (after a hint?) is ignored, as Asterisk ignores it")
		return
	}
	if plus != "" {
		n, _, _ := scanCInt(plus)
		ipri += n
	}
	*lastPri = ipri
	if realext == "_." || realext == "_!" {
		p.warn(e.File, e.Line, "The use of '%s' for an extension is strongly discouraged and can have unexpected behavior.  Please use '_X%c' instead", realext, realext[1])
	}
	p.add(c, e, realext, ipri, label, cid, matchCID, app, data)
}

// splitApp separates "App(args)" into its name and the text between the
// first '(' and the last ')'. A '$' before the '(' (a hint such as
// "DAHDI/${X}(y)") keeps the whole as the application. The pre-1.6 form
// "App,args" is accepted with a warning: Asterisk 1.6 and later would take
// "App,args" as the application's name.
func (p *parser) splitApp(appl string, pri int, e conf.Entry) (app, data string) {
	appl = strings.TrimLeft(appl, " \t\n\v\f\r")
	open := strings.IndexByte(appl, '(')
	if open < 0 {
		if comma := strings.IndexByte(appl, ','); comma >= 0 && pri != PriorityHint {
			p.warn(e.File, e.Line, "old-style application arguments '%s': write %s(%s)", appl, appl[:comma], appl[comma+1:])
			return trimC(appl[:comma]), appl[comma+1:]
		}
		return appl, ""
	}
	name := appl[:open]
	if strings.Contains(name, "${") || strings.Contains(name, "$[") {
		return appl, ""
	}
	data = appl[open+1:]
	if end := strings.LastIndexByte(data, ')'); end >= 0 {
		data = data[:end]
	} else {
		p.warn(e.File, e.Line, "No closing parenthesis found? '%s(%s'", name, data)
	}
	return name, data
}

// shrinkPhoneNumber is ast_shrink_phone_number, applied to caller-ID
// patterns: it drops blanks, parentheses, a '.' that is not last, and '-'
// outside square brackets.
func shrinkPhoneNumber(n string) string {
	var b strings.Builder
	bracketed := 0
	for i := 0; i < len(n); i++ {
		switch c := n[i]; c {
		case '[':
			bracketed++
			b.WriteByte(c)
		case ']':
			bracketed--
			b.WriteByte(c)
		case '-':
			if bracketed > 0 {
				b.WriteByte(c)
			}
		case '.':
			if i == len(n)-1 {
				b.WriteByte(c)
			}
		case '(', ' ', ')':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// stripSpaces is ext_strncpy: blanks outside square brackets go.
func stripSpaces(s string) string {
	if strings.IndexByte(s, ' ') < 0 {
		return s
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '[':
			in = true
		case c == ']':
			in = false
		case c == ' ' && !in:
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// extKey is equal for two extensions exactly when Asterisk would merge
// them into one (ext_cmp on the name, then on the caller-ID pattern).
func extKey(name, cid string, matchCID bool) string {
	k := sortKey(name)
	if matchCID {
		k += "\x00/" + sortKey(cid)
	}
	return k
}

// add is ast_add_extension2 for one priority.
func (p *parser) add(c *Context, e conf.Entry, ext string, pri int, label, cid string, matchCID bool, app, data string) {
	ext = stripSpaces(ext)
	if ext == "" {
		p.warn(e.File, e.Line, "You have to be kidding-- add exten '' to context %s? Figure out a name and call me back. Action ignored.", c.name)
		return
	}
	if matchCID {
		cid = stripSpaces(cid)
	}
	if pri == PriorityHint && strings.Contains(app, "${") && !strings.HasPrefix(ext, "_") {
		// A hint is expanded once, when added, with EXTEN and CONTEXT set.
		app = p.substitute(app, e, MapVars{"EXTEN": ext, "CONTEXT": c.name})
	}
	np := &Priority{Context: c.name, Exten: ext, CallerID: cid, MatchCID: matchCID,
		Number: pri, Label: label, App: app, Data: data, File: e.File, Line: e.Line}
	key := extKey(ext, cid, matchCID)
	x := c.byKey[key]
	if x == nil {
		x = &Extension{name: ext, cid: cid, matchCID: matchCID, m: compileMatcher(ext)}
		if matchCID {
			x.cm = compileMatcher(cid)
		}
		x.prios = []*Priority{np}
		c.byKey[key] = x
		c.exts = append(c.exts, x)
		c.dirty = true
		return
	}
	i := sort.Search(len(x.prios), func(i int) bool { return x.prios[i].Number >= pri })
	if label != "" {
		// Like add_priority, look at the priorities up to the insertion
		// point (and the one there).
		for _, q := range x.prios[:min(i+1, len(x.prios))] {
			if q.Label == label && q.Number != pri {
				if q.Exten != ext {
					p.warn(e.File, e.Line, "Extension '%s' priority %d in '%s', label '%s' already in use at aliased extension '%s' priority %d", ext, pri, c.name, label, q.Exten, q.Number)
				} else {
					p.warn(e.File, e.Line, "Extension '%s' priority %d in '%s', label '%s' already in use at priority %d", ext, pri, c.name, label, q.Number)
				}
				np.Label = ""
				break
			}
		}
	}
	if i < len(x.prios) && x.prios[i].Number == pri {
		q := x.prios[i]
		if q.Exten != ext {
			p.warn(e.File, e.Line, "Unable to register extension '%s' priority %d in '%s', already in use by aliased extension '%s' (%s:%d)", ext, pri, c.name, q.Exten, q.File, q.Line)
		} else {
			p.warn(e.File, e.Line, "Unable to register extension '%s' priority %d in '%s', already in use (%s:%d)", ext, pri, c.name, q.File, q.Line)
		}
		return
	}
	x.prios = append(x.prios, nil)
	copy(x.prios[i+1:], x.prios[i:])
	x.prios[i] = np
	x.name = x.prios[0].Exten
}

func (p *parser) include(c *Context, e conf.Entry) {
	value := p.substitute(e.Value, e, nil)
	inc := Include{Name: value, Context: value, File: e.File, Line: e.Line}
	if i := strings.IndexByte(value, ','); i >= 0 {
		inc.Context = value[:i]
		if spec := value[i+1:]; spec != "" {
			t, warns := ParseTiming(spec)
			for _, w := range warns {
				p.warn(e.File, e.Line, "include %s: %s", value, w)
			}
			inc.Timing = t
		}
	}
	for _, old := range c.includes {
		if strings.EqualFold(old.Name, inc.Name) {
			p.warn(e.File, e.Line, "Context '%s' already included in '%s' context on include", e.Value, c.name)
			return
		}
	}
	c.includes = append(c.includes, inc)
}

func (p *parser) ignorepat(c *Context, e conf.Entry) {
	value := p.substitute(e.Value, e, nil)
	for _, old := range c.ignorepats {
		if strings.EqualFold(old.Pattern, value) {
			p.warn(e.File, e.Line, "Unable to include ignorepat '%s' in context '%s'", e.Value, c.name)
			return
		}
	}
	c.ignorepats = append(c.ignorepats, IgnorePat{Pattern: value, File: e.File, Line: e.Line, m: compileMatcher(value)})
}

// extLess is the order of extensions in a context: by name (ext_cmp), and
// for the same name the caller-ID variants first, ordered by pattern.
func extLess(a, b *Extension) bool {
	if c := extCmp(a.name, b.name); c != 0 {
		return c < 0
	}
	switch {
	case a.matchCID && !b.matchCID:
		return true
	case !a.matchCID && b.matchCID:
		return false
	}
	return extCmp(a.cid, b.cid) < 0
}

// finish sorts the context and builds its lookup indexes. It runs at the
// end of loading, and during loading when a label must be found.
func (c *Context) finish() {
	if !c.dirty && c.literals != nil {
		return
	}
	c.dirty = false
	sort.SliceStable(c.exts, func(i, j int) bool { return extLess(c.exts[i], c.exts[j]) })
	c.literals = make(map[string][]*Extension)
	c.litOrder = c.litOrder[:0]
	c.patterns = c.patterns[:0]
	for _, x := range c.exts {
		if x.m.pattern {
			c.patterns = append(c.patterns, x)
			continue
		}
		k := x.m.norm
		if _, ok := c.literals[k]; !ok {
			c.litOrder = append(c.litOrder, k)
		}
		c.literals[k] = append(c.literals[k], x)
	}
}

// findLabel is ast_findlabel_extension2 while loading: the priority of a
// label in this context's extension that matches ext, or 0.
func (c *Context) findLabel(ext, label, cid string, matchCID bool) int {
	c.finish()
	q := query{exten: ext, label: label, byLabel: true, mode: matchExact}
	if matchCID {
		q.cid = cid
	}
	if pr, _ := c.search(&q); pr != nil {
		return pr.Number
	}
	return 0
}

// Settings returns the [general] settings.
func (d *Dialplan) Settings() General { return d.general }

// Globals returns the [globals] variables in the order they were defined.
func (d *Dialplan) Globals() []Var { return append([]Var(nil), d.globals...) }

// Global returns the value of one global variable. As in Asterisk, a
// variable set as "_NAME" or "__NAME" (inherited by channels) is found
// as NAME.
func (d *Dialplan) Global(name string) (string, bool) {
	i, ok := d.gindex[name]
	if !ok {
		return "", false
	}
	return d.globals[i].Value, true
}

// Warnings returns the problems found while loading, in file order
// (those of the configuration parser first).
func (d *Dialplan) Warnings() []conf.Warning { return append([]conf.Warning(nil), d.warnings...) }

// Files returns the files that were read.
func (d *Dialplan) Files() []string { return append([]string(nil), d.files...) }

// Context returns the context called name (case matters).
func (d *Dialplan) Context(name string) (*Context, bool) {
	c, ok := d.contexts[name]
	return c, ok
}

// Contexts returns every context in the order Asterisk walks them for
// "dialplan show" and ShowDialPlan: the most recently created first.
func (d *Dialplan) Contexts() []*Context { return append([]*Context(nil), d.order...) }

// Name returns the context's name.
func (c *Context) Name() string { return c.name }

// Position returns where the context was first defined.
func (c *Context) Position() (file string, line int) { return c.file, c.line }

// Extensions returns the context's extensions in Asterisk's order:
// literal names first, then patterns from most to least specific.
func (c *Context) Extensions() []*Extension { return append([]*Extension(nil), c.exts...) }

// Includes returns the context's includes in order.
func (c *Context) Includes() []Include { return append([]Include(nil), c.includes...) }

// IgnorePats returns the context's ignore patterns.
func (c *Context) IgnorePats() []IgnorePat { return append([]IgnorePat(nil), c.ignorepats...) }

// Switches returns the context's switches.
func (c *Context) Switches() []Switch { return append([]Switch(nil), c.switches...) }

// Name returns the extension's name as written (blanks removed).
func (x *Extension) Name() string { return x.name }

// CallerID returns the caller-ID pattern and whether the extension
// matches on caller ID at all.
func (x *Extension) CallerID() (pattern string, match bool) { return x.cid, x.matchCID }

// Priorities returns the extension's priorities in order, the hint first.
func (x *Extension) Priorities() []*Priority { return append([]*Priority(nil), x.prios...) }

// Priority returns priority n (PriorityHint for the hint).
func (x *Extension) Priority(n int) (*Priority, bool) {
	i := sort.Search(len(x.prios), func(i int) bool { return x.prios[i].Number >= n })
	if i < len(x.prios) && x.prios[i].Number == n {
		return x.prios[i], true
	}
	return nil, false
}

// Label returns the priority carrying label (case matters).
func (x *Extension) Label(label string) (*Priority, bool) {
	if label == "" {
		return nil, false
	}
	for _, p := range x.prios {
		if p.Label == label {
			return p, true
		}
	}
	return nil, false
}

// String formats the priority as "dialplan show" does: "2. Playback(x)"
// or "hint: SIP/100".
func (p *Priority) String() string {
	if p.IsHint() {
		return "hint: " + p.App
	}
	return strconv.Itoa(p.Number) + ". " + p.App + "(" + p.Data + ")"
}
