package dialplan

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/conf"
)

// bigDialplan has 1,000 extensions in [users] (900 literal, 100 patterns)
// and a [from-trunk] context that reaches them through an include.
func bigDialplan(b *testing.B) *Dialplan {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("[users]\n")
	for i := 0; i < 900; i++ {
		fmt.Fprintf(&sb, "exten => %d,1,Answer()\n same => n,Dial(SIP/%d,20)\n same => n,Hangup()\n", 1000+i, 1000+i)
	}
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&sb, "exten => _%02dXXXX.,1,Dial(SIP/trunk/${EXTEN})\n", i)
	}
	sb.WriteString("[from-trunk]\nexten => s,1,NoOp\ninclude => users\n")
	f, err := conf.Parse("extensions.conf", strings.NewReader(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	d, err := Parse(f, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkFind(b *testing.B) {
	d := bigDialplan(b)
	cases := []struct {
		name, ctx, exten string
		prio             int
		found            bool
	}{
		{"literal", "users", "1450", 2, true},
		{"pattern-last", "users", "99123456", 1, true},
		{"miss", "users", "5", 1, false},
		{"through-include", "from-trunk", "1899", 3, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := d.Find(tc.ctx, tc.exten, "", tc.prio); ok != tc.found {
					b.Fatal("wrong answer")
				}
			}
		})
	}
	b.Run("canmatch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !d.CanMatch("users", "14", "") {
				b.Fatal("wrong answer")
			}
		}
	})
}

func BenchmarkLoad1000(b *testing.B) {
	for b.Loop() {
		bigDialplan(b)
	}
}

func BenchmarkSubstitute(b *testing.B) {
	fs := NewFuncs()
	vars := MapVars{"EXTEN": "5551234", "CHANNEL": "SIP/100-00000001", "DIALSTATUS": "ANSWER", "N": "EXTEN"}
	cases := []struct{ name, in string }{
		{"plain", "SIP/100,20,tT"},
		{"vars", "SIP/trunk/${EXTEN:1},${DIALSTATUS},${CHANNEL}"},
		{"nested", "${${N}:0:3}-${CUT(CHANNEL,-,2)}"},
		{"expr", "$[${EXTEN:0:3} = 555 & ${LEN(${EXTEN})} > 4]"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Substitute(tc.in, vars, fs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
