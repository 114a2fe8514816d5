package pbx_test

import (
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/pbx"
)

// The e extension takes what has no handler of its own: RaiseException,
// an invalid extension with no i, an absolute timeout with no T;
// EXCEPTION() tells why and from where. With no e, RaiseException ends
// the dialplan.
func TestExceptionExtension(t *testing.T) {
	e := newEnv(t)
	for i, tc := range []struct{ ctx, exten, want string }{
		{"exc", "raise", "VarSet(WHY=BADTHING:raise:2)"},
		{"exc", "invalid", "VarSet(WHY=INVALID:nosuch:1)"},
		{"exc", "timeout", "VarSet(WHY=ABSOLUTETIMEOUT:timeout:2)"},
		{"noe", "raise", "Newexten(RaiseException)"},
	} {
		ch := bare(e, "Test/exc-0000000"+string(rune('1'+i)), nil)
		if err := e.core.StartPBX(ch, tc.ctx, tc.exten, 1); err != nil {
			t.Fatal(err)
		}
		e.rec.waitEvent(t, ch.Name(), isKind(pbx.EventHangup))
		got := kinds(e.rec.of(ch.Name()))
		if !strings.Contains(got, tc.want) || strings.Contains(got, "NOTREACHED") {
			t.Errorf("%s@%s: events %s, want %s and no NOTREACHED", tc.exten, tc.ctx, got, tc.want)
		}
	}
}
