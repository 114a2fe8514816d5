package pbxami_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/ami/client"
	"github.com/asterism-pbx/asterism/amitest"
)

const userEventManagerConf = amitest.DefaultManagerConf + `
[calls]
secret = calls1
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = call
write = originate
`

const userEventExtensions = `
[default]
exten => ue,1,UserEvent(Alarm,Level: high,Zone:3,nocolon)
`

// UserEvent in the dialplan reaches the AMI sessions that may read class
// user, as app_userevent's event: the channel's headers, then UserEvent and
// the body; a session without class user does not get it.
func TestUserEventReachesAMI(t *testing.T) {
	srv := amitest.Start(t, amitest.ManagerConf(userEventManagerConf), amitest.ExtensionsConf(userEventExtensions))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := client.Dial(ctx, srv.Addr, client.Options{Username: srv.Username, Secret: srv.Secret, Events: "on", EventBuffer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	calls, err := client.Dial(ctx, srv.Addr, client.Options{Username: "calls", Secret: "calls1", Events: "on", EventBuffer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer calls.Close()

	r, err := admin.Do(ctx, ami.NewMessage("Action", "Originate", "Channel", "Local/ue@default",
		"Application", "Wait", "Data", "1", "Async", "true"))
	if err != nil || r.Get("Response") != "Success" {
		t.Fatalf("Originate: %v %v", r, err)
	}

	next := func(c *client.Client, match func(*ami.Message) bool) *ami.Message {
		t.Helper()
		for {
			select {
			case m, ok := <-c.Events():
				if !ok {
					t.Fatal("event stream ended")
				}
				if match(m) {
					return m
				}
			case <-ctx.Done():
				t.Fatal("gave up waiting for an event")
			}
		}
	}
	ev := next(admin, func(m *ami.Message) bool { return m.Get("Event") == "UserEvent" })
	if ev.Get("Privilege") != "user,all" || ev.Get("UserEvent") != "Alarm" || ev.Get("Level") != "high" ||
		ev.Get("Zone") != "3" || !strings.HasSuffix(ev.Get("Channel"), ";2") || ev.Get("Exten") != "ue" {
		t.Errorf("UserEvent: %v", ev)
	}
	if _, ok := ev.Lookup("nocolon"); ok {
		t.Errorf("an item without a colon became a header: %v", ev)
	}
	// The keys come last, in the order written, after the channel's headers.
	keys := make([]string, 0, len(ev.Headers))
	for _, h := range ev.Headers {
		keys = append(keys, h.Key)
	}
	if got := strings.Join(keys[len(keys)-3:], " "); got != "UserEvent Level Zone" {
		t.Errorf("last headers %q", got)
	}

	// The call-only session sees the channel hang up, and no UserEvent
	// before that (a channel's events arrive in order).
	two := ev.Get("Channel")
	seen := next(calls, func(m *ami.Message) bool {
		return m.Get("Event") == "UserEvent" || (m.Get("Event") == "Hangup" && m.Get("Channel") == two)
	})
	if seen.Get("Event") != "Hangup" {
		t.Errorf("a session without class user got %v", seen)
	}
}
