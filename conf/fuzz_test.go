package conf

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes the parser panic or loop, and that
// what it returns is consistent. Includes are disabled so that random
// inputs cannot make the test read arbitrary files.
func FuzzParse(f *testing.F) {
	f.Add([]byte("[general]\nenabled = yes\nport = 5038\n"))
	f.Add([]byte("[t](!)\nk=1\n[a](t,+)\nk += 2\nexten => s,1,NoOp\n"))
	f.Add([]byte("[a]\n;-- block\n--; k = v \\; x\n#include x.conf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parse("fuzz.conf", bytes.NewReader(data), false)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.conf:") {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		for _, s := range append(append([]*Section(nil), file.Sections...), file.Templates...) {
			if s.Line < 1 || s.File != "fuzz.conf" {
				t.Fatalf("section %q at %s:%d", s.Name, s.File, s.Line)
			}
			for _, e := range s.Entries {
				if e.Key == "" || e.Line < 1 {
					t.Fatalf("entry %+v", e)
				}
			}
		}
	})
}
