package dialplan

import (
	"fmt"
	"strings"
)

// padRight pads s with blanks to n bytes, as C's "%-*s" does.
func padRight(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

// showCounters are show_dialplan_helper's counters.
type showCounters struct {
	contexts, extens, prios  int
	contextFound, extenFound bool
}

// ShowDialplan renders the CLI command "dialplan show [[exten@]context]"
// as Asterisk 20 prints it; context and exten may be empty. ok is false
// when Asterisk answers with a failure (no such context or extension);
// the text then ends with its message.
func (d *Dialplan) ShowDialplan(context, exten string) (text string, ok bool) {
	var b strings.Builder
	var n showCounters
	d.showHelper(&b, context, exten, &n, false, nil)
	if context != "" && !n.contextFound {
		fmt.Fprintf(&b, "There is no existence of '%s' context\n", context)
		return b.String(), false
	}
	if exten != "" && !n.extenFound {
		if context != "" {
			fmt.Fprintf(&b, "There is no existence of %s@%s extension\n", exten, context)
		} else {
			fmt.Fprintf(&b, "There is no existence of '%s' extension in all contexts\n", exten)
		}
		return b.String(), false
	}
	fmt.Fprintf(&b, "-= %d %s (%d %s) in %d %s. =-\n",
		n.extens, plural(n.extens, "extension", "extensions"),
		n.prios, plural(n.prios, "priority", "priorities"),
		n.contexts, plural(n.contexts, "context", "contexts"))
	return b.String(), true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// showHelper is show_dialplan_helper. includes are the contexts already
// shown while following includes for an extension.
func (d *Dialplan) showHelper(b *strings.Builder, context, exten string, n *showCounters, included bool, includes []string) {
	for _, c := range d.order {
		if context != "" && c.name != context {
			continue
		}
		n.contextFound = true
		printed := false
		header := func() {
			n.contexts++
			if included {
				fmt.Fprintf(b, "[ Included context '%s' created by '%s' ]\n", c.name, Registrar)
			} else {
				fmt.Fprintf(b, "[ Context '%s' created by '%s' ]\n", c.name, Registrar)
			}
			printed = true
		}
		if exten == "" {
			header()
		}
		for _, x := range c.exts {
			if exten != "" && x.m.match(exten, matchExact) == noMatch {
				continue
			}
			n.extenFound = true
			if !printed {
				header()
			}
			var first string
			if x.matchCID {
				first = fmt.Sprintf("'%s' (CID match '%s') => ", x.name, x.cid)
			} else {
				first = fmt.Sprintf("'%s' =>", x.name)
			}
			n.extens++
			for i, p := range x.prios {
				n.prios++
				lead := first
				if i > 0 {
					lead = ""
					if p.Label != "" {
						lead = "   [" + p.Label + "]"
					}
				}
				fmt.Fprintf(b, "  %s %s [%s]\n", padRight(lead, 17), padRight(p.String(), 45), Registrar)
			}
		}
		for _, inc := range c.includes {
			if exten == "" {
				fmt.Fprintf(b, "  Include =>        %s [%s]\n", padRight("'"+inc.Name+"'", 45), Registrar)
				continue
			}
			if len(includes) >= MaxIncludeStack || containsFold(includes, inc.Context) {
				continue // Asterisk warns "Avoiding circular include"
			}
			d.showHelper(b, inc.Context, exten, n, true, append(includes, inc.Context))
		}
		for _, ip := range c.ignorepats {
			if exten == "" || MatchExtension("_"+ip.Pattern+".", exten) {
				fmt.Fprintf(b, "  Ignore pattern => %s [%s]\n", padRight("'"+ip.Pattern+"'", 45), Registrar)
			}
		}
		if !included {
			for _, sw := range c.switches {
				fmt.Fprintf(b, "  Alt. Switch =>    %s [%s]\n", padRight("'"+sw.Name+"/"+sw.Data+"'", 45), Registrar)
			}
		}
		if printed {
			b.WriteString("\n")
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// ListItem is one item of the AMI ShowDialPlan list (an Event:
// ListDialplan). Exactly one of the groups is set: Extension (with
// Priority, Label, App, AppData), IncludeContext, IgnorePattern or Switch.
type ListItem struct {
	Context string

	Extension string
	Label     string
	Priority  int // PriorityHint for a hint, which has no AppData
	App       string
	AppData   string

	IncludeContext string
	IgnorePattern  string
	Switch         string // "Tech/data"

	Registrar string
}

// ListResult is the ShowDialPlan list and its counters (ListItems is
// len(Items)).
type ListResult struct {
	Items      []ListItem
	Extensions int
	Priorities int
	Contexts   int
	// ContextFound and ExtensionFound are false when the requested context
	// or extension does not exist; the manager then answers "Did not find
	// context X" / "Did not find extension X@Y".
	ContextFound   bool
	ExtensionFound bool
}

// List walks the dialplan as the AMI action ShowDialPlan does
// (manager_show_dialplan_helper); context and exten may be empty. With an
// extension, the included contexts are searched for it too.
func (d *Dialplan) List(context, exten string) ListResult {
	var r ListResult
	d.listHelper(&r, context, exten, false, nil)
	return r
}

func (d *Dialplan) listHelper(r *ListResult, context, exten string, included bool, seen []string) {
	for _, c := range d.order {
		if context != "" && c.name != context {
			continue
		}
		r.ContextFound = true
		r.Contexts++
		for _, x := range c.exts {
			if exten != "" && x.m.match(exten, matchExact) == noMatch {
				continue
			}
			r.ExtensionFound = true
			r.Extensions++
			for _, p := range x.prios {
				r.Priorities++
				it := ListItem{Context: c.name, Extension: x.name, Label: p.Label, Priority: p.Number, App: p.App, Registrar: Registrar}
				if !p.IsHint() {
					it.AppData = p.Data
				}
				r.Items = append(r.Items, it)
			}
		}
		for _, inc := range c.includes {
			if exten == "" {
				r.Items = append(r.Items, ListItem{Context: c.name, IncludeContext: inc.Name, Registrar: Registrar})
				continue
			}
			// Each context is visited once. Asterisk's guard holds only
			// the contexts reached through includes, so in a loop back to
			// the starting context it walks that one a second time (and
			// counts it again in ListContexts).
			if len(seen) >= MaxIncludeStack || containsFold(seen, inc.Context) || strings.EqualFold(inc.Context, c.name) {
				continue
			}
			d.listHelper(r, inc.Context, exten, true, append(seen, c.name, inc.Context))
		}
		for _, ip := range c.ignorepats {
			if exten == "" || MatchExtension("_"+ip.Pattern+".", exten) {
				r.Items = append(r.Items, ListItem{Context: c.name, IgnorePattern: ip.Pattern, Registrar: Registrar})
			}
		}
		if !included {
			for _, sw := range c.switches {
				r.Items = append(r.Items, ListItem{Context: c.name, Switch: sw.Name + "/" + sw.Data, Registrar: Registrar})
			}
		}
	}
}
