package pbxami

import (
	"testing"

	"github.com/asterism-pbx/asterism/manager"
)

// The Originate blacklist of anchors §2 (Asterisk's originate_app_permissions).
func TestOriginateAllowed(t *testing.T) {
	orig := manager.PermOriginate
	for _, tc := range []struct {
		app, data string
		perm      manager.Perm
		want      bool
	}{
		{"Wait", "10", orig, true},
		{"Playback", "hello-world", orig, true},
		{"System", "id", orig, false},
		{"system", "id", orig, false},
		{"TrySystem", "id", orig, false},
		{"Exec", "Wait(1)", orig, false},
		{"AGI", "x.agi", orig, false},
		{"EAGI", "x.agi", orig, false},
		{"ExternalIVR", "x", orig, false},
		{"MixMonitor", "x.wav", orig, false},
		{"Originate", "Local/1@x", orig, false},
		{"Reload", "", orig, false},
		{"DBdeltree", "x", orig, false},
		{"Wait", "${SHELL(id)}", orig, false},
		{"Wait", "aaaDBbbb", orig, false},
		{"Wait", "${CURL(http://x)}", orig, false},
		{"Wait", "${eval(x)}", orig, true}, // the data check is case-sensitive
		{"Queue", "q,,,,60", orig, true},
		{"Queue", "q,,,,60,,x.agi", orig, false},
		{"Queue", "q,,,,60,,x.agi", orig | manager.PermAGI, true},
		{"System", "id", orig | manager.PermSystem, true},
	} {
		if got := originateAllowed(tc.app, tc.data, tc.perm); got != tc.want {
			t.Errorf("originateAllowed(%q, %q, %v) = %v, want %v", tc.app, tc.data, tc.perm, got, tc.want)
		}
	}
}

func TestFunctionAllowed(t *testing.T) {
	if functionAllowed("SHELL(id)", manager.PermCall) || functionAllowed("X,EVAL(y)", manager.PermCall) {
		t.Error("SHELL/EVAL allowed without system")
	}
	if !functionAllowed("SHELL(id)", manager.PermSystem) || !functionAllowed("CHANNEL(state)", manager.PermCall) {
		t.Error("allowed string refused")
	}
}
