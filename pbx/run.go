package pbx

import (
	"context"
	"errors"
	"fmt"

	"github.com/asterism-pbx/asterism/dialplan"
)

// StartPBX starts the channel's dialplan at context, exten, priority in a
// goroutine of its own (Asterisk's ast_pbx_start); the channel is hung up
// when the dialplan ends. The channel must not already run one.
func (c *Core) StartPBX(ch *Channel, dpContext, exten string, priority int) error {
	return c.startPBX(context.Background(), ch, dpContext, exten, priority)
}

func (c *Core) startPBX(ctx context.Context, ch *Channel, dpContext, exten string, priority int) error {
	if err := ch.claimPBX(ctx, dpContext, exten, priority); err != nil {
		return err
	}
	c.running.Add(1)
	go func() {
		defer c.running.Done()
		ch.runPBX(ctx)
	}()
	return nil
}

func (ch *Channel) claimPBX(ctx context.Context, dpContext, exten string, priority int) error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if err := ch.claimLocked(ctx); err != nil {
		return err
	}
	if priority < 1 {
		priority = 1
	}
	ch.context, ch.exten, ch.priority = dpContext, exten, priority
	return nil
}

// claim marks the channel as running a dialplan or an application.
func (ch *Channel) claim(ctx context.Context) error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.claimLocked(ctx)
}

func (ch *Channel) claimLocked(ctx context.Context) error {
	if ch.hungUp {
		return ErrNoChannel
	}
	if ch.pbx {
		return errors.New("pbx: channel already runs a dialplan")
	}
	ch.pbx = true
	ch.ctx = ctx
	return nil
}

// Run runs the channel's dialplan from where the channel is (its context,
// exten and priority) in the calling goroutine, and hangs the channel up
// when it ends. Cancelling ctx hangs the channel up too.
func (ch *Channel) Run(ctx context.Context) error {
	c, e, p := ch.Location()
	if err := ch.claimPBX(ctx, c, e, p); err != nil {
		return err
	}
	ch.core.running.Add(1)
	defer ch.core.running.Done()
	ch.runPBX(ctx)
	return nil
}

// runPBX is __ast_pbx_run: run priorities until the dialplan ends or the
// channel is asked to hang up, then the h extension, then hang up.
func (ch *Channel) runPBX(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { ch.SoftHangup(0) })
	defer stop()
	log := ch.core.log

	ended := ch.runLoop(ctx)
	if ended {
		// The dialplan ran out (or Hangup() ended it): a normal end.
		ch.mu.Lock()
		if ch.cause == 0 {
			ch.cause = CauseNormalClearing
		}
		ch.mu.Unlock()
	}
	// __ast_pbx_run ends with ast_softhangup(AST_SOFTHANGUP_APPUNLOAD),
	// whose flag value AMI shows as the Cause.
	ch.emit(Event{Kind: EventSoftHangupRequest, Cause: softHangupAppUnload})
	ch.runHangupExten(ctx)
	log.Debug("pbx: dialplan ended", "channel", ch.Name())
	ch.Hangup(0)
}

// softHangupAppUnload is Asterisk's AST_SOFTHANGUP_APPUNLOAD (0x10), the
// reason of the SoftHangupRequest a dialplan announces when it ends.
const softHangupAppUnload = 16

// runLoop runs priorities. It reports whether the dialplan ended by
// itself (autofallthrough or an application ending it) rather than by a
// request to hang up.
func (ch *Channel) runLoop(ctx context.Context) bool {
	for {
		// A pending redirect or timeout takes effect between priorities.
		ch.mu.Lock()
		if g := ch.gotoNext; g != nil {
			ch.gotoNext = nil
			ch.context, ch.exten, ch.priority = g.context, g.exten, g.priority
		}
		if ch.timedOut {
			ch.timedOut = false
			dp := ch.core.Dialplan()
			switch {
			case dp != nil && dp.Exists(ch.context, "T", ch.cidNum, 1):
				ch.softHup = false
				ch.exten, ch.priority = "T", 1
			case dp != nil && dp.Exists(ch.context, "e", ch.cidNum, 1):
				// No T: the exception extension, as Asterisk's pbx loop.
				ch.exc = &exception{reason: "ABSOLUTETIMEOUT", context: ch.context, exten: ch.exten, priority: ch.priority}
				ch.softHup = false
				ch.exten, ch.priority = "e", 1
			}
		}
		soft, dpCtx, exten, prio, cid := ch.softHup || ch.hungUp, ch.context, ch.exten, ch.priority, ch.cidNum
		ch.mu.Unlock()
		if soft {
			return false
		}

		dp := ch.core.Dialplan()
		var p *dialplan.Priority
		ok := false
		if dp != nil {
			p, ok = dp.Find(dpCtx, exten, cid, prio)
		}
		if !ok {
			if dp == nil || !dp.Exists(dpCtx, exten, cid, 1) {
				if exten != "i" && dp != nil && dp.Exists(dpCtx, "i", cid, 1) {
					// An extension that does not exist goes to i.
					ch.SetVar("INVALID_EXTEN", exten)
					ch.SetLocation(dpCtx, "i", 1)
					continue
				}
				if exten != "i" && exten != "e" {
					if eCtx, ok := ch.exceptionTarget("INVALID"); ok {
						ch.SetLocation(eCtx, "e", 1)
						continue
					}
				}
				ch.core.log.Warn("pbx: channel sent to invalid extension with no 'i' handler",
					"channel", ch.Name(), "context", dpCtx, "exten", exten, "priority", prio)
			}
			return true // autofallthrough
		}
		err := ch.execPriority(p)
		switch {
		case err == nil:
		case errors.Is(err, errEndDialplan):
			return true
		case errors.Is(err, ErrAsyncGoto), errors.Is(err, ErrHangup):
			// The top of the loop applies a redirect, goes to T after a
			// timeout, or ends on a hangup request.
			continue
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return false
		default:
			ch.core.log.Warn("pbx: application failed", "channel", ch.Name(), "app", p.App, "err", err)
			return true
		}
		// Next priority, unless the application jumped.
		ch.mu.Lock()
		if ch.jumped {
			ch.jumped = false
		} else {
			ch.priority++
		}
		ch.mu.Unlock()
	}
}

// errEndDialplan is returned by applications that end the dialplan
// normally (Hangup, Busy …).
var errEndDialplan = ErrEndDialplan

// ErrEndDialplan is what an application returns to end the channel's
// dialplan normally, as an Asterisk application returning -1 without a
// hangup does: the channel goes to its h extension and hangs up, and
// nothing is logged (any other error is logged as a failure).
var ErrEndDialplan = errors.New("dialplan ended by application")

// execPriority substitutes the data, announces Newexten and runs the app.
func (ch *Channel) execPriority(p *dialplan.Priority) error {
	data, err := dialplan.Substitute(p.Data, ch, ch.core.funcs)
	if err != nil {
		ch.core.log.Debug("pbx: substitution", "channel", ch.Name(), "err", err)
	}
	ch.emit(Event{Kind: EventNewexten, App: p.App, AppData: data})
	ch.setApp(p.App, data)
	app, ok := ch.core.app(p.App)
	if !ok {
		ch.core.log.Warn("pbx: no application", "app", p.App, "channel", ch.Name())
		return fmt.Errorf("no application %q", p.App)
	}
	return app(ch, data)
}

// runHangupExten runs the h extension, if the context has one, with the
// channel still marked as hanging up (as Asterisk runs it).
func (ch *Channel) runHangupExten(ctx context.Context) {
	dp := ch.core.Dialplan()
	if dp == nil {
		return
	}
	ch.mu.Lock()
	dpCtx, cid := ch.context, ch.cidNum
	ch.mu.Unlock()
	if !dp.Exists(dpCtx, "h", cid, 1) {
		return
	}
	ch.mu.Lock()
	ch.softHup = true
	ch.gotoNext = nil
	ch.exten, ch.priority = "h", 1
	ch.mu.Unlock()
	for i := 0; i < maxHangupPriorities; i++ {
		ch.mu.Lock()
		dpCtx, prio := ch.context, ch.priority
		ch.mu.Unlock()
		p, ok := dp.Find(dpCtx, "h", cid, prio)
		if !ok {
			return
		}
		err := ch.execPriority(p)
		if err != nil && !errors.Is(err, ErrHangup) && !errors.Is(err, ErrAsyncGoto) {
			return
		}
		if errors.Is(err, errEndDialplan) {
			return
		}
		ch.mu.Lock()
		if ch.jumped {
			ch.jumped = false
		} else {
			ch.priority++
		}
		ch.gotoNext = nil
		ch.mu.Unlock()
	}
}

// maxHangupPriorities bounds the h extension, which runs with the channel
// already hung up and so cannot be stopped by a hangup: a Goto loop in it
// must not run forever.
const maxHangupPriorities = 1000
