package pbx_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/pbx"
)

// The applications that other packages register on the core and that
// "core show application" must still describe.
var addedApps = []string{"Background", "WaitExten", "Read", "SayDigits", "SayNumber", "MusicOnHold", "UserEvent"}

// Every application of a new core, and every one added by other packages,
// has its documentation, with the synopsis the core lists and a syntax
// that names the application.
func TestAppDocCoversApps(t *testing.T) {
	core := pbx.New(pbx.Options{})
	names := addedApps
	for _, a := range core.Apps() {
		names = append(names, a.Name)
		d, ok := pbx.AppDoc(a.Name)
		if !ok {
			t.Errorf("%s: no documentation", a.Name)
			continue
		}
		if a.Synopsis != "" && d.Synopsis != a.Synopsis {
			t.Errorf("%s: synopsis %q, the core lists %q", a.Name, d.Synopsis, a.Synopsis)
		}
	}
	syntax := regexp.MustCompile(`^[A-Za-z]+\(.*\)$`)
	for _, name := range names {
		d, ok := pbx.AppDoc(strings.ToUpper(name))
		if !ok {
			t.Errorf("%s: no documentation (looked up in upper case)", name)
			continue
		}
		if d.Name != name && !strings.EqualFold(d.Name, name) {
			t.Errorf("%s: documented as %q", name, d.Name)
		}
		if !strings.HasPrefix(d.Syntax, d.Name+"(") || !syntax.MatchString(d.Syntax) {
			t.Errorf("%s: syntax %q", name, d.Syntax)
		}
		if d.Synopsis == "" || d.Description == "" {
			t.Errorf("%s: synopsis %q, description %q", name, d.Synopsis, d.Description)
		}
		for _, arg := range d.Arguments {
			if arg.Name == "" || arg.Text == "" {
				t.Errorf("%s: argument %+v", name, arg)
			}
		}
	}
	if _, ok := pbx.AppDoc("NoSuchApp"); ok {
		t.Error("AppDoc(NoSuchApp) found something")
	}
	all := pbx.AppDocNames()
	for i := 1; i < len(all); i++ {
		if strings.ToLower(all[i-1]) >= strings.ToLower(all[i]) {
			t.Errorf("AppDocNames not sorted: %q before %q", all[i-1], all[i])
		}
	}
}
