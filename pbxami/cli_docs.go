package pbxami

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/pbx"
)

// docCommands are the CLI commands that describe applications and
// functions, worded as Asterisk 20's pbx_app.c and pbx_functions.c.
func (a *Adapter) docCommands() []*cli.Command {
	return []*cli.Command{
		{Words: []string{"core", "show", "applications"}, Args: "[like|describing]", MaxArgs: -1,
			Summary: "Shows registered dialplan applications",
			Usage: "Usage: core show applications [{like|describing} <text>]\n" +
				"       List applications which are currently available.\n" +
				"       If 'like', <text> will be a substring of the app name\n" +
				"       If 'describing', <text> will be a substring of the description\n",
			Run: a.cliShowApplications},
		{Words: []string{"core", "show", "application"}, Args: "<application> [<application> [<application> [...]]]", MinArgs: 1, MaxArgs: -1,
			Summary: "Describe a specific dialplan application",
			Usage:   "Usage: core show application <application> [<application> [<application> [...]]]\n       Describes a particular application.\n",
			Run:     a.cliShowApplication},
		{Words: []string{"core", "show", "functions"}, Args: "[like]", MaxArgs: 2,
			Summary: "Shows registered dialplan functions",
			Usage:   "Usage: core show functions [like <text>]\n       List builtin functions, optionally only those matching a given string\n",
			Run:     a.cliShowFunctions},
		{Words: []string{"core", "show", "function"}, Args: "<function>", MinArgs: 1, MaxArgs: 1,
			Summary: "Describe a specific dialplan function",
			Usage:   "Usage: core show function <function>\n       Describe a particular dialplan function.\n",
			Run:     a.cliShowFunction},
	}
}

// appSynopsis is the synopsis "core show applications" lists: the
// documented one, else the one the application was registered with.
func appSynopsis(app pbx.AppInfo) string {
	if d, ok := pbx.AppDoc(app.Name); ok && d.Synopsis != "" {
		return d.Synopsis
	}
	if app.Synopsis != "" {
		return app.Synopsis
	}
	return "<Synopsis not available>"
}

// cliShowApplications is handle_show_applications: every application, or
// those whose name contains a text, ignoring case ("like <text>"), or whose
// description contains every given word ("describing <word>…"). As in
// Asterisk, the count after "describing" adds up the words found in each
// description, printed or not, rather than the applications shown.
func (a *Adapter) cliShowApplications(_ context.Context, w io.Writer, args []string) error {
	like := len(args) == 2 && args[0] == "like"
	describing := len(args) > 1 && args[0] == "describing"
	apps := a.core.Load().Apps()
	if len(apps) == 0 {
		_, err := io.WriteString(w, "There are no registered applications\n")
		return err
	}
	var b strings.Builder
	if like || describing {
		b.WriteString("    -= Matching Asterisk Applications =-\n")
	} else {
		b.WriteString("    -= Registered Asterisk Applications =-\n")
	}
	matched := 0
	for _, app := range apps {
		show := true
		switch {
		case like:
			show = containsFold(app.Name, args[1])
			if show {
				matched++
			}
		case describing:
			d, _ := pbx.AppDoc(app.Name)
			show = d.Description != ""
			if !show {
				break
			}
			for _, word := range args[1:] {
				if containsFold(d.Description, word) {
					matched++
				} else {
					show = false
				}
			}
		}
		if show {
			fmt.Fprintf(&b, "  %20s: %s\n", app.Name, appSynopsis(app))
		}
	}
	if like || describing {
		fmt.Fprintf(&b, "    -= %d Applications Matching =-\n", matched)
	} else {
		fmt.Fprintf(&b, "    -= %d Applications Registered =-\n", len(apps))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// cliShowApplication is handle_show_application: the documentation of
// each named application, in the order of the application list (as
// Asterisk walks it), without the terminal colours.
func (a *Adapter) cliShowApplication(_ context.Context, w io.Writer, args []string) error {
	var b strings.Builder
	found := false
	for _, app := range a.core.Load().Apps() {
		for _, name := range args {
			if !strings.EqualFold(app.Name, name) {
				continue
			}
			found = true
			d, ok := pbx.AppDoc(app.Name)
			if !ok {
				d = pbx.Doc{Synopsis: app.Synopsis}
			}
			writeDoc(&b, "application", app.Name, d.Synopsis, d.Description, d.Syntax, docArgs(d.Arguments), seeAlso(d.SeeAlso))
		}
	}
	if !found {
		b.WriteString("Your application(s) is (are) not registered\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDoc prints one documentation block as print_app_docs and
// handle_show_function do; an empty part reads "Not available".
func writeDoc(b *strings.Builder, kind, name, synopsis, description, syntax, arguments, seealso string) {
	fmt.Fprintf(b, "\n  -= Info about %s '%s' =- \n\n", kind, name)
	for _, part := range [][2]string{
		{"[Synopsis]", synopsis}, {"[Description]", description}, {"[Syntax]", syntax},
		{"[Arguments]", arguments}, {"[See Also]", seealso},
	} {
		if part[1] == "" {
			part[1] = "Not available"
		}
		fmt.Fprintf(b, "%s\n%s\n", part[0], part[1])
		if part[0] != "[See Also]" {
			b.WriteString("\n")
		}
	}
}

// docArgs lays the arguments out as Asterisk's XML documentation prints
// them: the name, then its text indented by four blanks.
func docArgs(args []pbx.DocArg) string {
	var b strings.Builder
	for i, arg := range args {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(arg.Name)
		for line := range strings.SplitSeq(arg.Text, "\n") {
			b.WriteString("\n    " + line)
		}
	}
	return b.String()
}

// seeAlso lists related applications as Asterisk does: "Name(), Name()".
func seeAlso(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "()"
	}
	return strings.Join(parts, ", ")
}

// cliShowFunctions is handle_show_functions. like matches the name
// case-sensitively, as Asterisk's strstr does.
func (a *Adapter) cliShowFunctions(_ context.Context, w io.Writer, args []string) error {
	like := false
	switch {
	case len(args) == 2 && args[0] == "like":
		like = true
	case len(args) != 0:
		return cli.ErrShowUsage
	}
	var b strings.Builder
	if like {
		b.WriteString("Matching Custom Functions:\n")
	} else {
		b.WriteString("Installed Custom Functions:\n")
	}
	b.WriteString(strings.Repeat("-", 80) + "\n")
	// Asterisk keeps its functions sorted by strcmp, not ignoring case.
	list := a.funcs().List()
	sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	n := 0
	for _, f := range list {
		if like && !strings.Contains(f.Name, args[1]) {
			continue
		}
		n++
		fmt.Fprintf(&b, "%-20.20s  %-35.35s  %s\n", f.Name, f.Syntax, f.Synopsis)
	}
	matching := ""
	if like {
		matching = "matching "
	}
	fmt.Fprintf(&b, "%d %scustom functions installed.\n", n, matching)
	_, err := io.WriteString(w, b.String())
	return err
}

// cliShowFunction is handle_show_function. Functions carry a synopsis and
// a syntax only; the other parts read "Not available".
func (a *Adapter) cliShowFunction(_ context.Context, w io.Writer, args []string) error {
	f, ok := a.funcs().Function(args[0])
	if !ok {
		_, err := io.WriteString(w, "No function by that name registered.\n")
		return err
	}
	var syntax, synopsis string
	if d, ok := f.(dialplan.Documented); ok {
		syntax, synopsis = d.Syntax(), d.Synopsis()
	}
	var b strings.Builder
	writeDoc(&b, "function", args[0], synopsis, "", syntax, "", "")
	_, err := io.WriteString(w, b.String())
	return err
}

// funcs returns the core's dialplan functions.
func (a *Adapter) funcs() *dialplan.Funcs {
	return a.core.Load().Funcs()
}
