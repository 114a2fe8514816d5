package pbx

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoApp reports an application that is not registered.
var ErrNoApp = errors.New("no such application")

// AppInfo describes a registered application, for "core show
// applications".
type AppInfo struct {
	Name     string // as registered ("Playback")
	Synopsis string // one line, "" when unknown
}

// registeredApp is an application in the core's table.
type registeredApp struct {
	name     string
	fn       App
	synopsis string
}

// Apps returns the registered applications sorted by name, ignoring case,
// as "core show applications" lists them.
func (c *Core) Apps() []AppInfo {
	c.mu.Lock()
	out := make([]AppInfo, 0, len(c.apps))
	for _, a := range c.apps {
		out = append(out, AppInfo{Name: a.name, Synopsis: a.synopsis})
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// App returns the registered application called name (ignoring case).
func (c *Core) App(name string) (AppInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.apps[strings.ToLower(name)]
	if !ok {
		return AppInfo{}, false
	}
	return AppInfo{Name: a.name, Synopsis: a.synopsis}, true
}

// RunApp runs one application on ch in a goroutine of its own and hangs
// the channel up when it returns, as Asterisk's ast_pbx_run_app does for
// an Originate with Application: data is passed as it is (no
// substitution) and no dialplan runs, so there is no h extension. The
// application becomes the channel's current one ([Channel.Application])
// without a Newexten event: Asterisk announces Newexten only when the
// context, extension or priority changes, and running an application
// changes none of them. A redirect ([Channel.AsyncGoto]) ends the
// application and starts the dialplan at the new place. The channel must
// not already run a dialplan or an application.
func (c *Core) RunApp(ch *Channel, app, data string) error {
	fn, ok := c.app(app)
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoApp, app)
	}
	ctx := context.Background()
	if err := ch.claim(ctx); err != nil {
		return err
	}
	c.running.Add(1)
	go func() {
		defer c.running.Done()
		ch.runApp(ctx, app, fn, data)
	}()
	return nil
}

func (ch *Channel) runApp(ctx context.Context, app string, fn App, data string) {
	stop := context.AfterFunc(ctx, func() { ch.SoftHangup(0) })
	ch.setApp(app, data)
	err := fn(ch, data)
	stop()
	if errors.Is(err, ErrAsyncGoto) {
		ch.runPBX(ctx)
		return
	}
	ch.Hangup(0)
}
