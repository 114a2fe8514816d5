package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/ami/client"
	"github.com/asterism-pbx/asterism/amitest"
)

// TestAgainstAsterism drives the client against the real server, as the
// transcript-replay tests drive it against Asterisk's recorded bytes.
func TestAgainstAsterism(t *testing.T) {
	srv := amitest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, md5 := range []bool{false, true} {
		c, err := client.Dial(ctx, srv.Addr, client.Options{Username: srv.Username, Secret: srv.Secret, MD5: md5, Events: "user"})
		if err != nil {
			t.Fatalf("dial (md5 %v): %v", md5, err)
		}
		if c.Version() != "9.0.0" {
			t.Errorf("version %q", c.Version())
		}
		c.Close()
	}

	c, err := client.Dial(ctx, srv.Addr, client.Options{Username: srv.Username, Secret: srv.Secret, Events: "user"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub := c.Subscribe(16, func(m *ami.Message) bool { return m.Get("UserEvent") == "FromTest" })
	defer sub.Close()

	// Concurrent actions, each answered to its own caller.
	errs := make(chan error, 50)
	for range 50 {
		go func() {
			r, err := c.Do(ctx, ami.NewMessage("Action", "Ping"))
			if err == nil && r.Get("Ping") != "Pong" {
				err = errors.New("no Pong: " + r.String())
			}
			errs <- err
		}()
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	// Sessions closed just before may still be listed for a moment, so
	// only the shape is checked: header, rows, count line.
	out, err := c.Command(ctx, "manager show connected")
	if err != nil || len(out) < 3 || !strings.HasPrefix(out[0], "  Username") || !strings.HasSuffix(out[len(out)-1], " users connected.") {
		t.Fatalf("Command: %q, %v", out, err)
	}
	_, err = c.Command(ctx, "core show nosuchthing")
	var ae *client.ActionError
	if !errors.As(err, &ae) || !strings.Contains(strings.Join(ae.Response.Values("Output"), "\n"), "No such command") {
		t.Fatalf("unknown CLI command: %v", err)
	}
	if _, err := c.Do(ctx, ami.NewMessage("Action", "NoSuchAction")); !errors.As(err, &ae) || !strings.HasPrefix(ae.Message, "Invalid/unknown command") {
		t.Fatalf("unknown action: %v", err)
	}

	if _, err := c.Do(ctx, ami.NewMessage("Action", "UserEvent", "UserEvent", "FromTest", "Seq", "1")); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-sub.C():
		if ev.Get("Seq") != "1" || ev.Get("Privilege") != "user,all" {
			t.Fatalf("event: %v", ev)
		}
	case <-ctx.Done():
		t.Fatal("the UserEvent never arrived")
	}

	_, err = client.Dial(ctx, srv.Addr, client.Options{Username: srv.Username, Secret: "wrong"})
	if !errors.Is(err, client.ErrAuthFailed) {
		t.Fatalf("wrong secret: %v", err)
	}
}
