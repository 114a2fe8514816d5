package dialplan_test

import (
	"fmt"
	"strings"

	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/dialplan"
)

func ExampleDialplan_Find() {
	f, _ := conf.Parse("extensions.conf", strings.NewReader(`
[default]
exten => 1234,1,Answer()
 same => n,Playback(hello-world)
exten => _9NXXXXXX,1,Dial(SIP/trunk/${EXTEN:1})
`))
	d, _ := dialplan.Parse(f, nil)
	p, _ := d.Find("default", "95551234", "", 1)
	fmt.Println(p.Exten, p.App, p.Data)
	fmt.Println(d.CanMatch("default", "955", ""), d.MatchMore("default", "1234", ""))
	// Output:
	// _9NXXXXXX Dial SIP/trunk/${EXTEN:1}
	// true false
}

func ExampleSubstitute() {
	vars := dialplan.MapVars{"EXTEN": "95551234", "COUNT": "2"}
	out, err := dialplan.Substitute("SIP/trunk/${EXTEN:1},$[${COUNT} * 10],${LEN(${EXTEN})}", vars, dialplan.NewFuncs())
	fmt.Println(out, err)
	// Output: SIP/trunk/5551234,20,8 <nil>
}

func ExampleAppArgs() {
	fmt.Printf("%q\n", dialplan.AppArgs(`SIP/100&SIP/101,20,"tT,r"`))
	// Output: ["SIP/100&SIP/101" "20" "tT,r"]
}
