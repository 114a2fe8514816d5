package pbx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
)

// The DIALSTATUS values of the Dial application (and DialEnd's DialStatus).
const (
	DialAnswer      = "ANSWER"
	DialBusy        = "BUSY"
	DialNoAnswer    = "NOANSWER"
	DialCancel      = "CANCEL"
	DialCongestion  = "CONGESTION"
	DialChanUnavail = "CHANUNAVAIL"
)

// dialStatus maps the error of [Channel.Dial] to a DIALSTATUS, as
// Asterisk's app_dial does with the cause of an outgoing channel that
// failed.
func dialStatus(err error) string {
	switch {
	case err == nil:
		return DialAnswer
	case errors.Is(err, context.Canceled):
		return DialCancel
	case errors.Is(err, ErrBusy):
		return DialBusy
	case errors.Is(err, ErrNoAnswer):
		return DialNoAnswer
	case errors.Is(err, ErrCongestion):
		return DialCongestion
	case errors.Is(err, ErrChanUnavail):
		return DialChanUnavail
	}
	switch CauseOf(err) {
	case CauseUserBusy:
		return DialBusy
	case CauseNoAnswer, CauseNoUserResponse:
		return DialNoAnswer
	case CauseNormalCircuitCongestion, CauseSwitchCongestion:
		return DialCongestion
	case CauseRequestedChanUnavail, CauseNoRouteDestination, CauseUnallocated:
		return DialChanUnavail
	}
	return DialNoAnswer
}

// The application an outgoing channel shows (Newexten, Status,
// CoreShowChannels) from when it is requested until it runs one of its
// own, as Asterisk's dialling code sets it: AppDial on a channel the Dial
// application calls, AppDial2 on one an Originate calls, both with the
// data OutgoingLine.
const (
	AppDialOutgoing      = "AppDial"
	AppOriginateOutgoing = "AppDial2"
	OutgoingLine         = "(Outgoing Line)"
)

// SetOutgoing marks the channel as an outgoing channel of app
// (AppDialOutgoing, AppOriginateOutgoing) and announces it (Newexten).
func (ch *Channel) SetOutgoing(app string) {
	ch.setApp(app, OutgoingLine)
	ch.emit(Event{Kind: EventNewexten, App: app, AppData: OutgoingLine})
}

// dialOptions are the options of Dial that Asterism acts on.
type dialOptions struct {
	ringing bool // r: indicate ringing to the caller
	goOn    bool // g: go on in the dialplan when the called party hangs up
}

// parseDialOptions reads Dial's option letters; an option's "(…)" argument
// is skipped. t and T (DTMF transfer features) are accepted and ignored.
func parseDialOptions(s string) dialOptions {
	var o dialOptions
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')':
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case r == 'r':
			o.ringing = true
		case r == 'g':
			o.goOn = true
		}
	}
	return o
}

type dialLeg struct {
	ch   *Channel
	dial string
	err  error
}

// appDial is Dial(Tech/res&Tech/res,timeout,options): it calls every
// destination at once, bridges the caller with the first to answer and
// hangs up the others (cause 26, answered elsewhere), setting DIALSTATUS.
// After the bridge the caller hangs up, or goes on with option g when the
// called party left first. Like app_dial, it announces DialBegin,
// DialState (ringing, progress) and DialEnd, sets DIALEDPEERNAME and
// DIALEDPEERNUMBER on the answer, and shows AppDial on the channels it
// calls, which get the caller's place and parties (see setupCallee).
func appDial(ch *Channel, data string) error {
	args := dialplan.SplitArgs(data, ',', 3)
	var timeout time.Duration
	var opts dialOptions
	if len(args) > 1 && strings.TrimSpace(args[1]) != "" {
		if d, ok := parseSeconds(args[1]); ok {
			timeout = d
		}
	}
	if len(args) > 2 {
		opts = parseDialOptions(args[2])
	}
	core := ch.core
	if strings.TrimSpace(args[0]) == "" {
		core.log.Warn("pbx: Dial requires an argument (technology/resource)", "channel", ch.Name())
		return errEndDialplan
	}

	ctx, cancel := context.WithCancel(ch.Ctx())
	defer cancel()
	// app_dial starts by clearing what an earlier Dial left.
	for _, v := range dialVars {
		ch.SetVar(v, "")
	}
	var legs []*dialLeg
	status := DialChanUnavail
	for _, d := range strings.Split(args[0], "&") {
		tech, res, ok := strings.Cut(strings.TrimSpace(d), "/")
		if !ok || tech == "" {
			core.log.Warn("pbx: Dial argument takes format (technology/resource)", "channel", ch.Name(), "dest", d)
			continue
		}
		callee, err := core.Request(tech, res, ch)
		if err != nil {
			core.log.Debug("pbx: Dial request failed", "channel", ch.Name(), "dest", d, "err", err)
			continue
		}
		setupCallee(ch, callee, res)
		dest := callee.Snapshot()
		ch.emit(Event{Kind: EventDialBegin, Dest: &dest, DialString: res})
		legs = append(legs, &dialLeg{ch: callee, dial: res})
	}
	if len(legs) == 0 {
		ch.SetVar("DIALSTATUS", status)
		return nil
	}
	if opts.ringing {
		_ = ch.Indicate(media.ControlRinging)
	}

	dialCtx := ctx
	if timeout > 0 {
		var c2 context.CancelFunc
		dialCtx, c2 = context.WithTimeout(ctx, timeout)
		defer c2()
	}
	dialCtx, stopDialing := context.WithCancel(dialCtx)
	defer stopDialing()
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()

	results := make(chan *dialLeg, len(legs))
	for _, l := range legs {
		go func() {
			// app_dial tells of the called party's ringing and
			// progress (DialState).
			l.err = l.ch.dial(dialCtx, 0, nil, func(c media.Control) {
				st := "RINGING"
				if c == media.ControlProgress {
					st = "PROGRESS"
				}
				dest := l.ch.Snapshot()
				ch.emit(Event{Kind: EventDialState, Dest: &dest, DialString: l.dial, DialStatus: st})
			})
			results <- l
		}()
	}
	var (
		mu     sync.Mutex
		winner *dialLeg
		last   string
	)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		defer stopRead()
		for range legs {
			l := <-results
			mu.Lock()
			if l.err == nil && winner == nil && l.ch.claim(context.Background()) == nil {
				winner = l
				mu.Unlock()
				stopDialing()
				ch.SetVar("DIALSTATUS", DialAnswer)
				ch.SetVar("DIALEDPEERNAME", l.ch.Name())
				ch.SetVar("DIALEDPEERNUMBER", l.dial)
				// The answered channel leaves the caller's extension
				// (Asterisk clears it for the bridge) and says so.
				l.ch.mu.Lock()
				l.ch.exten = ""
				l.ch.mu.Unlock()
				l.ch.SetOutgoing(AppDialOutgoing)
				dest := l.ch.Snapshot()
				ch.emit(Event{Kind: EventDialEnd, Dest: &dest, DialString: l.dial, DialStatus: DialAnswer})
				continue
			}
			answered := winner != nil
			mu.Unlock()
			st := dialStatus(l.err)
			if l.err == nil {
				st = DialCancel
			}
			cause := CauseOf(l.err)
			if st == DialCancel {
				cause = CauseNormalClearing
				if answered {
					cause = CauseAnsweredElsewhere
				}
			}
			mu.Lock()
			last = st
			mu.Unlock()
			dest := l.ch.Snapshot()
			ch.emit(Event{Kind: EventDialEnd, Dest: &dest, DialString: l.dial, DialStatus: st})
			l.ch.Hangup(cause)
		}
	}()

	// The caller's frames are read (and dropped) while the others ring,
	// so that its hangup or redirect is seen at once.
	var callerErr error
	for {
		_, err := ch.Read(readCtx)
		if err != nil {
			if readCtx.Err() == nil || errors.Is(err, ErrHangup) || errors.Is(err, ErrAsyncGoto) {
				callerErr = err
			}
			break
		}
	}
	if callerErr != nil {
		stopDialing()
	}
	<-collected

	if callerErr != nil {
		if winner != nil {
			winner.ch.Hangup(CauseNormalClearing)
			ch.SetVar("DIALSTATUS", DialAnswer)
		} else {
			ch.SetVar("DIALSTATUS", DialCancel)
		}
		return callerErr
	}
	if winner == nil {
		ch.SetVar("DIALSTATUS", last)
		return nil
	}

	callee := winner.ch
	if err := ch.Answer(); err != nil {
		callee.Hangup(CauseNormalClearing)
		return err
	}
	// The called party enters the bridge first, as in Asterisk.
	left, err := core.Bridge(ch.Ctx(), callee, ch)
	// The called party goes where it was redirected, or hangs up.
	if callee.redirected() {
		callee.adoptPBX()
	} else {
		callee.Hangup(CauseNormalClearing)
	}
	ch.SetVar("DIALSTATUS", DialAnswer)
	// Both may have left together (a dual redirect): the caller's own
	// state decides.
	switch {
	case ch.redirected():
		return ErrAsyncGoto
	case ch.HangupRequested():
		return ErrHangup
	case left == ch:
		return err
	}
	if opts.goOn {
		return nil
	}
	return errEndDialplan
}

// dialVars are the variables app_dial clears when it starts.
var dialVars = []string{"DIALSTATUS", "DIALEDPEERNUMBER", "DIALEDPEERNAME", "ANSWEREDTIME", "ANSWEREDTIME_MS",
	"DIALEDTIME", "DIALEDTIME_MS", "RINGTIME", "RINGTIME_MS", "PROGRESSTIME", "PROGRESSTIME_MS"}

// setupCallee prepares a channel the Dial application is about to call,
// as app_dial does: it learns the number dialled (DIALEDPEERNUMBER),
// takes the caller's extension (not its context: app_dial sets only the
// dial context, which Asterism has not), gets the caller's extension and
// name as its caller ID and the caller's ID as its connected line, and
// shows AppDial as its application.
func setupCallee(caller, callee *Channel, dialled string) {
	callee.SetVar("DIALEDPEERNUMBER", dialled)
	caller.mu.Lock()
	exten, cidNum, cidName := caller.exten, caller.cidNum, caller.cidName
	caller.mu.Unlock()
	callee.mu.Lock()
	callee.exten, callee.priority = exten, 1
	callee.mu.Unlock()
	callee.Apply(Update{
		CallerID:      &Party{Num: exten, Name: cidName},
		ConnectedLine: &Party{Num: cidNum, Name: cidName},
	})
	callee.SetOutgoing(AppDialOutgoing)
}

// redirected reports whether a redirect waits for the channel.
func (ch *Channel) redirected() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.gotoNext != nil && !ch.hungUp && !ch.softHup
}

// adoptPBX starts the dialplan of a channel that a Dial claimed (the
// called party of a bridge) where its pending redirect sends it.
func (ch *Channel) adoptPBX() {
	c := ch.core
	c.running.Add(1)
	go func() {
		defer c.running.Done()
		ch.runPBX(context.Background())
	}()
}

// DialProgress is Dial that also calls progress (when not nil) for each
// ringing or progress indication of the far end, from the goroutine
// dialling, so that an application calling channels itself can announce
// DialState as the Dial application does.
func (ch *Channel) DialProgress(ctx context.Context, timeout time.Duration, progress func(media.Control)) error {
	return ch.dial(ctx, timeout, nil, progress)
}

// ErrNotDialEvent reports an AnnounceDial of an event kind that is not a
// dial event.
var ErrNotDialEvent = errors.New("not a dial event")

// AnnounceDial announces, on ch the calling channel, a dial event of
// callee through the core's event sink, exactly as the Dial application
// announces its own: kind is EventDialBegin (with dialString),
// EventDialState or EventDialEnd (with status, a DIALSTATUS value or
// RINGING/PROGRESS for DialState). Applications that call channels
// themselves (app/queue) use it so that AMI and the CDR engine see their
// dials as Dial's. Other kinds are refused with ErrNotDialEvent.
func (ch *Channel) AnnounceDial(kind EventKind, callee *Channel, dialString, status string) error {
	if callee == nil {
		return fmt.Errorf("pbx: announce dial on %s: %w (no callee)", ch.Name(), ErrNotDialEvent)
	}
	dest := callee.Snapshot()
	switch kind {
	case EventDialBegin:
		ch.emit(Event{Kind: kind, Dest: &dest, DialString: dialString})
	case EventDialState, EventDialEnd:
		ch.emit(Event{Kind: kind, Dest: &dest, DialString: dialString, DialStatus: status})
	default:
		return fmt.Errorf("pbx: announce dial on %s: %w (%v)", ch.Name(), ErrNotDialEvent, kind)
	}
	return nil
}
