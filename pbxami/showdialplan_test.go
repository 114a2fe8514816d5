package pbxami_test

import (
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
)

// showDialPlanConf has a label, a hint, an include and an ignore pattern.
const showDialPlanConf = `[other]
exten => 700,1,NoOp(in other)

[default]
exten => 600,1,Answer()
 same => n(loop),Echo()
exten => 601,hint,Custom:601
exten => 601,1,NoOp(x,y)
include => other
ignorepat => 9
`

// item renders a ListDialplan event as "key=value|…" without Event and
// ActionID, to compare whole lists.
func item(m *ami.Message) string {
	var parts []string
	for _, h := range m.Headers {
		if h.Key != "Event" && h.Key != "ActionID" {
			parts = append(parts, h.Key+"="+h.Value)
		}
	}
	return strings.Join(parts, "|")
}

// ShowDialPlan lists every priority, include and ignore pattern as
// ListDialplan events (ActionID right after Event), then
// ShowDialPlanComplete with manager_show_dialplan's counters.
func TestShowDialPlan(t *testing.T) {
	srv := start(t, amitest.ExtensionsConf(showDialPlanConf))
	c := dial(t, srv)

	resp, items := c.list("ShowDialPlan")
	if resp.Get("Response") != "Success" || resp.Get("EventList") != "start" || resp.Get("Message") != "DialPlan list will follow" {
		t.Fatalf("response: %v", resp)
	}
	want := []string{
		"Context=default|Extension=600|Priority=1|Application=Answer|AppData=|Registrar=pbx_config",
		"Context=default|Extension=600|ExtensionLabel=loop|Priority=2|Application=Echo|AppData=|Registrar=pbx_config",
		"Context=default|Extension=601|Priority=hint|Application=Custom:601|Registrar=pbx_config",
		"Context=default|Extension=601|Priority=1|Application=NoOp|AppData=x,y|Registrar=pbx_config",
		"Context=default|IncludeContext=other|Registrar=pbx_config",
		"Context=default|IgnorePattern=9|Registrar=pbx_config",
		"Context=other|Extension=700|Priority=1|Application=NoOp|AppData=in other|Registrar=pbx_config",
	}
	if len(items) != len(want)+1 {
		t.Fatalf("%d events, want %d: %v", len(items), len(want)+1, items)
	}
	for i, w := range want {
		if items[i].Get("Event") != "ListDialplan" || keys(items[i])[1] != "ActionID" {
			t.Errorf("item %d: %v", i, items[i])
		}
		if got := item(items[i]); got != w {
			t.Errorf("item %d:\n got %s\nwant %s", i, got, w)
		}
	}
	done := items[len(items)-1]
	checkKeys(t, done, "Event", "ActionID", "EventList", "ListItems", "ListExtensions", "ListPriorities", "ListContexts")
	if done.Get("Event") != "ShowDialPlanComplete" || done.Get("ListItems") != "7" || done.Get("ListExtensions") != "3" ||
		done.Get("ListPriorities") != "5" || done.Get("ListContexts") != "2" {
		t.Errorf("complete: %v", done)
	}

	// One extension of one context, found through the include.
	resp, items = c.list("ShowDialPlan", "Context", "default", "Extension", "700")
	if resp.Get("Response") != "Success" || len(items) != 2 ||
		item(items[0]) != want[6] || items[1].Get("ListItems") != "1" || items[1].Get("ListContexts") != "2" {
		t.Errorf("default/700: %v %v", resp, items)
	}
	resp, items = c.list("ShowDialPlan", "Context", "other")
	if resp.Get("Response") != "Success" || len(items) != 2 || item(items[0]) != want[6] {
		t.Errorf("other: %v %v", resp, items)
	}

	// Unknown context and extension: manager_show_dialplan's errors.
	for _, tc := range []struct {
		kv  []string
		msg string
	}{
		{[]string{"Context", "nosuch"}, "Did not find context nosuch"},
		{[]string{"Context", "nosuch", "Extension", "600"}, "Did not find context nosuch"},
		{[]string{"Context", "other", "Extension", "600"}, "Did not find extension 600@other"},
		{[]string{"Extension", "555"}, "Did not find extension 555 in any context"},
	} {
		if r := c.do("ShowDialPlan", tc.kv...); r.Get("Response") != "Error" || r.Get("Message") != tc.msg {
			t.Errorf("%v: %v, want %q", tc.kv, r, tc.msg)
		}
	}

	// An extension that matches only the ignore pattern: the pattern is
	// listed before the error, as Asterisk sends its items as it walks.
	id := c.send("ShowDialPlan", "Context", "default", "Extension", "999")
	var got []string
	c.wait(func(m *ami.Message) bool {
		if m.ActionID() != id {
			return false
		}
		got = append(got, m.Get("Response")+m.Get("Event")+":"+m.Get("Message")+m.Get("IgnorePattern"))
		return m.Get("Response") == "Error"
	})
	if w := "Success:DialPlan list will follow,ListDialplan:9,Error:Did not find extension 999@default"; strings.Join(got, ",") != w {
		t.Errorf("default/999:\n got %s\nwant %s", strings.Join(got, ","), w)
	}
}

// ShowDialPlan needs the config or the reporting class, and is listed with
// Asterisk's synopsis.
func TestShowDialPlanPermission(t *testing.T) {
	srv := start(t, amitest.ManagerConf(amitest.DefaultManagerConf+`
[caller]
secret = pw
permit = 127.0.0.1/255.255.255.255
read = all
write = call,originate
`))
	c := dial(t, srv)
	lc := c.do("ListCommands")
	if got := lc.Get("ShowDialPlan"); got != "Show dialplan contexts and extensions  (Priv: config,reporting,all)" {
		t.Errorf("ListCommands: ShowDialPlan: %q", got)
	}
	srv.Username, srv.Secret = "caller", "pw"
	c = dial(t, srv)
	if r := c.do("ShowDialPlan"); r.Get("Message") != "Permission denied" {
		t.Errorf("caller: %v", r)
	}
}
