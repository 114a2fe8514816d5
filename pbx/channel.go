package pbx

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
)

// MaxQueuedFrames is how many frames a channel holds for its reader:
// 100 frames, 2 s of voice. A technology that queues more while nobody
// reads loses the oldest voice frames (counted by [Channel.DroppedFrames]);
// Queue never blocks.
const MaxQueuedFrames = 100

// Errors of calling a channel with [Channel.Dial]; they come wrapped in a
// *CauseError.
var (
	ErrBusy       = errors.New("busy")
	ErrCongestion = errors.New("congestion")
	ErrNoAnswer   = errors.New("no answer")
)

type variable struct {
	name  string // as set, leading underscores kept
	value string
}

// baseName strips the inheritance marks "_" and "__".
func baseName(name string) string {
	if strings.HasPrefix(name, "__") {
		return name[2:]
	}
	return strings.TrimPrefix(name, "_")
}

// inheritVars returns the variables a channel created from one holding
// vars gets: __VAR as it is (inherited forever), _VAR as VAR (one level).
func inheritVars(vars []variable) []variable {
	var out []variable
	for _, v := range vars {
		switch {
		case strings.HasPrefix(v.name, "__"):
			out = append(out, v)
		case strings.HasPrefix(v.name, "_"):
			out = append(out, variable{v.name[1:], v.value})
		}
	}
	return out
}

type location struct {
	context, exten string
	priority       int
}

// Channel is one call leg. Its methods are safe for concurrent use; see
// the package documentation for its locks.
type Channel struct {
	core *Core

	evMu    sync.Mutex
	writeMu sync.Mutex // serialises writes to the endpoint

	mu        sync.Mutex
	ep        Endpoint
	resource  string
	name      string
	uniqueid  string
	linkedid  string
	state     State
	cidNum    string
	cidName   string
	connNum   string
	connName  string
	language  string
	account   string
	context   string
	exten     string
	priority  int
	vars      []variable
	published bool
	hungUp    bool
	pbx       bool // a dialplan goroutine runs (or is about to)
	softHup   bool
	timedOut  bool
	cause     int
	gotoNext  *location
	jumped    bool       // the running application moved the channel
	stack     []location // Gosub return addresses
	absTimer  *time.Timer
	hupAt     time.Time // when the absolute timeout fires; zero if none
	app       string    // the application running now, or last run
	appData   string
	otherUID  string // the uniqueid asked for the other half (Local's ;2)
	seq       uint32 // the sequence number of the requested channel's name
	gen       *generator
	ctx       context.Context

	q       []media.Frame // ring buffer of queued frames
	qHead   int
	qLen    int
	dropped uint64

	wake chan struct{} // capacity 1: a frame or a state change arrived
	done chan struct{} // closed when the channel is hung up
}

// Name returns the channel's name.
func (ch *Channel) Name() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.name
}

// Uniqueid returns the channel's uniqueid.
func (ch *Channel) Uniqueid() string { return ch.uniqueid }

// Linkedid returns the uniqueid of the first channel of the call.
func (ch *Channel) Linkedid() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.linkedid
}

// Core returns the core the channel belongs to.
func (ch *Channel) Core() *Core { return ch.core }

// State returns the channel's state.
func (ch *Channel) State() State {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.state
}

// Cause returns the hangup cause set so far (0 if none).
func (ch *Channel) Cause() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.cause
}

// Location returns where the channel is in the dialplan.
func (ch *Channel) Location() (context, exten string, priority int) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.context, ch.exten, ch.priority
}

// Snapshot returns the channel's event header block as it is now.
func (ch *Channel) Snapshot() Snapshot {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.snapshotLocked()
}

func (ch *Channel) snapshotLocked() Snapshot {
	return Snapshot{
		Name:              ch.name,
		State:             ch.state,
		CallerIDNum:       ch.cidNum,
		CallerIDName:      ch.cidName,
		ConnectedLineNum:  ch.connNum,
		ConnectedLineName: ch.connName,
		Language:          ch.language,
		AccountCode:       ch.account,
		Context:           ch.context,
		Exten:             ch.exten,
		Priority:          ch.priority,
		Uniqueid:          ch.uniqueid,
		Linkedid:          ch.linkedid,
	}
}

// Done returns a channel closed when the channel has hung up.
func (ch *Channel) Done() <-chan struct{} { return ch.done }

// DroppedFrames returns how many queued voice frames were dropped because
// the reader fell behind.
func (ch *Channel) DroppedFrames() uint64 {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.dropped
}

// Ctx returns the context of the dialplan running on the channel
// (context.Background() when none), for applications that read.
func (ch *Channel) Ctx() context.Context {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.ctx == nil {
		return context.Background()
	}
	return ch.ctx
}

// SetName renames a channel that is not yet announced (technologies that
// name their channels their own way do it in Request).
func (ch *Channel) SetName(name string) {
	ch.mu.Lock()
	if !ch.published {
		ch.name = name
	}
	ch.mu.Unlock()
}

// SetEndpoint sets the technology side of the channel.
func (ch *Channel) SetEndpoint(ep Endpoint) {
	ch.mu.Lock()
	ch.ep = ep
	ch.mu.Unlock()
}

func (ch *Channel) endpoint() Endpoint {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.ep
}

// emit delivers an event built from the channel's current snapshot.
// The caller holds ch.evMu.
func (ch *Channel) emitLocked(ev Event) {
	ch.mu.Lock()
	if ch.hungUp {
		// Nothing follows (or precedes) the Hangup event.
		ch.mu.Unlock()
		return
	}
	ev.Channel = ch.snapshotLocked()
	ch.mu.Unlock()
	ch.core.sink.HandleEvent(ev)
}

func (ch *Channel) emit(ev Event) {
	ch.evMu.Lock()
	ch.emitLocked(ev)
	ch.evMu.Unlock()
}

// Publish adds the channel to the core and announces it (Newchannel).
// Calling it again does nothing.
func (ch *Channel) Publish() {
	ch.evMu.Lock()
	defer ch.evMu.Unlock()
	ch.mu.Lock()
	if ch.published || ch.hungUp {
		ch.mu.Unlock()
		return
	}
	ch.published = true
	ch.mu.Unlock()
	ch.core.add(ch)
	ch.emitLocked(Event{Kind: EventNewchannel})
}

// SetState changes the state and announces it (Newstate) if it changed.
func (ch *Channel) SetState(s State) {
	ch.evMu.Lock()
	defer ch.evMu.Unlock()
	ch.mu.Lock()
	if ch.state == s || ch.hungUp {
		ch.mu.Unlock()
		return
	}
	ch.state = s
	ch.mu.Unlock()
	ch.emitLocked(Event{Kind: EventNewstate})
}

// SetCallerID sets the caller ID and announces it (NewCallerid).
func (ch *Channel) SetCallerID(num, name string) {
	ch.Apply(Update{CallerID: &Party{Num: num, Name: name}})
}

// CallerID returns the caller ID number and name.
func (ch *Channel) CallerID() (num, name string) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.cidNum, ch.cidName
}

// SetConnectedLine sets the connected line and announces it
// (NewConnectedLine).
func (ch *Channel) SetConnectedLine(num, name string) {
	ch.Apply(Update{ConnectedLine: &Party{Num: num, Name: name}})
}

// ConnectedLine returns the connected line number and name.
func (ch *Channel) ConnectedLine() (num, name string) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.connNum, ch.connName
}

// Party is a caller ID or connected line.
type Party struct {
	Num, Name string
}

// Update is a change of several of a channel's parties at once (one
// snapshot update in Asterisk); nil fields are left as they are.
type Update struct {
	CallerID      *Party
	AccountCode   *string
	ConnectedLine *Party
}

// Apply makes the changes of u and then announces each part that changed,
// in Asterisk's order (NewCallerid, NewAccountCode, NewConnectedLine), every
// event carrying the channel as it is after all of them, as Asterisk
// compares one snapshot with the next. A part set to the value it has is
// not announced.
func (ch *Channel) Apply(u Update) {
	ch.evMu.Lock()
	defer ch.evMu.Unlock()
	ch.mu.Lock()
	var evs []Event
	if p := u.CallerID; p != nil && (p.Num != ch.cidNum || p.Name != ch.cidName) {
		ch.cidNum, ch.cidName = p.Num, p.Name
		evs = append(evs, Event{Kind: EventNewCallerid})
	}
	if a := u.AccountCode; a != nil && *a != ch.account {
		evs = append(evs, Event{Kind: EventNewAccountCode, OldAccountCode: ch.account})
		ch.account = *a
	}
	if p := u.ConnectedLine; p != nil && (p.Num != ch.connNum || p.Name != ch.connName) {
		ch.connNum, ch.connName = p.Num, p.Name
		evs = append(evs, Event{Kind: EventNewConnectedLine})
	}
	ch.mu.Unlock()
	for _, ev := range evs {
		ch.emitLocked(ev)
	}
}

// SetAccountCode sets the account code and, if it changed, announces it
// (NewAccountCode).
func (ch *Channel) SetAccountCode(code string) {
	ch.Apply(Update{AccountCode: &code})
}

// AccountCode returns the channel's account code.
func (ch *Channel) AccountCode() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.account
}

// Seq returns the sequence number [Core.Request] gave the channel's name
// (the 8 hex digits after the resource), for technologies that name their
// channels their own way and keep the number (Local).
func (ch *Channel) Seq() uint32 {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.seq
}

// OtherUniqueid returns the uniqueid asked for the channel's other half
// ([RequestOptions].OtherUniqueid), "" if none: Local gives it to ;2.
func (ch *Channel) OtherUniqueid() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.otherUID
}

func (ch *Channel) setApp(app, data string) {
	ch.mu.Lock()
	ch.app, ch.appData = app, data
	ch.mu.Unlock()
}

// Application returns the application the channel runs (or ran last) and
// its data, "" when none: what Status and CoreShowChannels show.
func (ch *Channel) Application() (app, data string) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.app, ch.appData
}

// HangupAt returns when the channel's absolute timeout fires, the zero
// time when none is set (Status's TimeToHangup).
func (ch *Channel) HangupAt() time.Time {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.hupAt
}

// SetLanguage sets the channel's language (CHANNEL(language)).
func (ch *Channel) SetLanguage(lang string) {
	ch.mu.Lock()
	ch.language = lang
	ch.mu.Unlock()
}

// Language returns the channel's language.
func (ch *Channel) Language() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.language
}

// SetLocation moves the channel in the dialplan without running anything
// (for a channel about to start its dialplan).
func (ch *Channel) SetLocation(context, exten string, priority int) {
	ch.mu.Lock()
	ch.context, ch.exten, ch.priority = context, exten, priority
	ch.mu.Unlock()
}

// SetVar sets a channel variable and announces it (VarSet). A name
// starting with "_" is inherited by channels created from this one (as
// the name without the "_"), one with "__" by all their descendants too.
// An empty value deletes the variable, as Set(VAR=) does.
func (ch *Channel) SetVar(name, value string) {
	ch.evMu.Lock()
	defer ch.evMu.Unlock()
	base := baseName(name)
	ch.mu.Lock()
	for i, v := range ch.vars {
		if baseName(v.name) == base {
			ch.vars = append(ch.vars[:i:i], ch.vars[i+1:]...)
			break
		}
	}
	if value != "" {
		ch.vars = append(ch.vars, variable{name, value})
	}
	ch.mu.Unlock()
	ch.emitLocked(Event{Kind: EventVarSet, Variable: name, Value: value})
}

// Var returns a channel variable (not the built-in ones); name may carry
// inheritance underscores or not.
func (ch *Channel) Var(name string) (string, bool) {
	base := baseName(name)
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for _, v := range ch.vars {
		if baseName(v.name) == base {
			return v.value, true
		}
	}
	return "", false
}

// Vars returns the channel variables in the order they were set, as
// "NAME=value" pairs (names as set).
func (ch *Channel) Vars() [][2]string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	out := make([][2]string, len(ch.vars))
	for i, v := range ch.vars {
		out[i] = [2]string{v.name, v.value}
	}
	return out
}

// Get implements dialplan.Vars: the built-in variables first (EXTEN,
// CONTEXT, PRIORITY, CHANNEL, UNIQUEID, HANGUPCAUSE, EPOCH, SYSTEMNAME),
// then the channel's variables, then the global variables
// ([Core.Global]), as
// Asterisk's pbx_retrieve_variable looks them up.
func (ch *Channel) Get(name string) (string, bool) {
	ch.mu.Lock()
	switch name {
	case "EXTEN":
		defer ch.mu.Unlock()
		return ch.exten, true
	case "CONTEXT":
		defer ch.mu.Unlock()
		return ch.context, true
	case "PRIORITY":
		defer ch.mu.Unlock()
		return strconv.Itoa(ch.priority), true
	case "CHANNEL":
		defer ch.mu.Unlock()
		return ch.name, true
	case "UNIQUEID":
		defer ch.mu.Unlock()
		return ch.uniqueid, true
	case "HANGUPCAUSE":
		defer ch.mu.Unlock()
		return strconv.Itoa(ch.cause), true
	}
	ch.mu.Unlock()
	if v, ok := ch.Var(name); ok {
		return v, true
	}
	switch name {
	case "EPOCH":
		return strconv.FormatInt(time.Now().Unix(), 10), true
	case "SYSTEMNAME":
		return ch.core.opts.SystemName, true
	}
	return ch.core.Global(name)
}

var _ dialplan.Vars = (*Channel)(nil)

// signal wakes the channel's reader.
func (ch *Channel) signal() {
	select {
	case ch.wake <- struct{}{}:
	default:
	}
}

// Queue hands the channel a frame from its far end (technologies call it).
// It never blocks: when MaxQueuedFrames are waiting, the oldest voice frame
// is dropped and counted. Control frames are acted on when read: answer
// makes the channel Up, ringing makes it Ringing.
func (ch *Channel) Queue(f media.Frame) {
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		return
	}
	if ch.q == nil {
		ch.q = make([]media.Frame, MaxQueuedFrames)
	}
	if ch.qLen == len(ch.q) {
		if !ch.dropOldestVoiceLocked() {
			// Only control and DTMF frames wait: drop the newcomer if it
			// is voice, else the oldest frame.
			ch.dropped++
			if f.Type == media.FrameVoice {
				ch.mu.Unlock()
				return
			}
			ch.qHead = (ch.qHead + 1) % len(ch.q)
			ch.qLen--
		}
	}
	ch.q[(ch.qHead+ch.qLen)%len(ch.q)] = f
	ch.qLen++
	ch.mu.Unlock()
	ch.signal()
}

func (ch *Channel) dropOldestVoiceLocked() bool {
	n := len(ch.q)
	for i := 0; i < ch.qLen; i++ {
		if ch.q[(ch.qHead+i)%n].Type != media.FrameVoice {
			continue
		}
		// Shift the frames before it one place towards the tail.
		for j := i; j > 0; j-- {
			ch.q[(ch.qHead+j)%n] = ch.q[(ch.qHead+j-1)%n]
		}
		ch.qHead = (ch.qHead + 1) % n
		ch.qLen--
		ch.dropped++
		return true
	}
	return false
}

// Read returns the next frame from the far end, waiting for one. It
// returns ErrHangup once the channel is asked to hang up, ErrAsyncGoto
// when the channel is redirected ([Channel.AsyncGoto]), or ctx's error.
func (ch *Channel) Read(ctx context.Context) (media.Frame, error) {
	for {
		ch.mu.Lock()
		if ch.gotoNext != nil {
			ch.mu.Unlock()
			return media.Frame{}, ErrAsyncGoto
		}
		if ch.softHup || ch.hungUp {
			ch.mu.Unlock()
			return media.Frame{}, ErrHangup
		}
		if ch.qLen > 0 {
			f := ch.q[ch.qHead]
			ch.qHead = (ch.qHead + 1) % len(ch.q)
			ch.qLen--
			ch.mu.Unlock()
			ch.handleControl(f)
			return f, nil
		}
		ch.mu.Unlock()
		select {
		case <-ch.wake:
		case <-ch.done:
		case <-ctx.Done():
			return media.Frame{}, ctx.Err()
		}
	}
}

// takeQueuedAnswer removes the queued frames up to an Answer, if one is
// queued, and acts on it; it reports whether there was one.
func (ch *Channel) takeQueuedAnswer() bool {
	ch.mu.Lock()
	found := -1
	for i := 0; i < ch.qLen; i++ {
		f := ch.q[(ch.qHead+i)%len(ch.q)]
		if f.Type == media.FrameControl && f.Control == media.ControlAnswer {
			found = i
			break
		}
	}
	if found < 0 {
		ch.mu.Unlock()
		return false
	}
	ch.qHead = (ch.qHead + found + 1) % len(ch.q)
	ch.qLen -= found + 1
	ch.mu.Unlock()
	ch.handleControl(media.ControlFrame(media.ControlAnswer))
	return true
}

func (ch *Channel) handleControl(f media.Frame) {
	if f.Type != media.FrameControl {
		return
	}
	switch f.Control {
	case media.ControlAnswer:
		ch.SetState(StateUp)
	case media.ControlRinging:
		if ch.State() != StateUp {
			ch.SetState(StateRinging)
		}
	case media.ControlHangup:
		ch.mu.Lock()
		ch.softHup = true
		ch.mu.Unlock()
		ch.signal()
	}
}

// Write sends a frame to the far end. Frames written after hangup are
// dropped silently.
func (ch *Channel) Write(f media.Frame) error {
	ch.writeMu.Lock()
	defer ch.writeMu.Unlock()
	ch.mu.Lock()
	ep, dead := ch.ep, ch.hungUp
	ch.mu.Unlock()
	if dead || ep == nil {
		return nil
	}
	return ep.Write(f)
}

// Answer answers the channel if it is not up (Newstate Up).
func (ch *Channel) Answer() error {
	if ch.State() == StateUp {
		return nil
	}
	if ep := ch.endpoint(); ep != nil {
		if err := ep.Answer(); err != nil {
			return err
		}
	}
	ch.SetState(StateUp)
	return nil
}

// Indicate sends an indication (ringing, busy …) to the far end.
func (ch *Channel) Indicate(c media.Control) error {
	if ep := ch.endpoint(); ep != nil {
		return ep.Indicate(c)
	}
	return nil
}

// SendDigit sends a DTMF digit lasting d to the far end.
func (ch *Channel) SendDigit(digit rune, d time.Duration) error {
	if ep := ch.endpoint(); ep != nil {
		return ep.SendDigit(digit, d)
	}
	return nil
}

// Dial calls the channel's far end and waits until it answers (nil),
// or is busy, congested, hangs up, or does not answer within timeout
// (0: no limit) — errors wrapped in a *CauseError with Asterisk's cause.
// On error the channel is not hung up: the caller does that.
func (ch *Channel) Dial(ctx context.Context, timeout time.Duration) error {
	ch.mu.Lock()
	ep, res := ch.ep, ch.resource
	ch.mu.Unlock()
	if ep == nil {
		return &CauseError{Cause: CauseRequestedChanUnavail, Err: ErrChanUnavail}
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := ep.Call(res, timeout); err != nil {
		if CauseOf(err) == 0 {
			err = &CauseError{Cause: CauseNormalCircuitCongestion, Err: err}
		}
		return err
	}
	for {
		f, err := ch.Read(ctx)
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return &CauseError{Cause: CauseNoAnswer, Err: ErrNoAnswer}
		case errors.Is(err, ErrHangup):
			// The far end may have answered and hung up at once (a Local
			// ;2 running Answer, Hangup): the answer waits in the queue,
			// and it counts, as in Asterisk, where the answer is read
			// before the hangup that follows it.
			if ch.takeQueuedAnswer() {
				return nil
			}
			cause := ch.Cause()
			if cause == 0 {
				cause = CauseNormalClearing
			}
			return &CauseError{Cause: cause, Err: ErrHangup}
		case err != nil:
			return err
		}
		if f.Type != media.FrameControl {
			continue
		}
		switch f.Control {
		case media.ControlAnswer:
			return nil
		case media.ControlBusy:
			return &CauseError{Cause: CauseUserBusy, Err: ErrBusy}
		case media.ControlCongestion:
			return &CauseError{Cause: CauseNormalCircuitCongestion, Err: ErrCongestion}
		}
	}
}

// SoftHangup asks the channel to hang up (Asterisk's ast_softhangup),
// announcing SoftHangupRequest: its dialplan stops at the next
// application boundary and runs the h extension; readers get ErrHangup.
// cause > 0 becomes the hangup cause; 0 leaves it (the event then says 16,
// as Asterisk's does for requests without a cause).
func (ch *Channel) SoftHangup(cause int) {
	ch.softHangup(cause, cause > 0)
}

func (ch *Channel) softHangup(cause int, setCause bool) {
	ch.evMu.Lock()
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		ch.evMu.Unlock()
		return
	}
	ch.softHup = true
	if setCause {
		ch.cause = cause
	}
	ch.mu.Unlock()
	if cause <= 0 {
		cause = CauseNormalClearing
	}
	ch.emitLocked(Event{Kind: EventSoftHangupRequest, Cause: cause})
	ch.evMu.Unlock()
	ch.signal()
}

// requestHangup is softHangup without the event (ast_softhangup_nolock).
func (ch *Channel) requestHangup(cause int) {
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		return
	}
	ch.softHup = true
	if cause > 0 {
		ch.cause = cause
	}
	ch.mu.Unlock()
	ch.signal()
}

// QueueHangup tells the channel that its far end hung up with cause
// (technologies call it), announcing HangupRequest; like SoftHangup, the
// channel's reader and dialplan stop. A channel that runs no dialplan
// must be hung up by its owner.
func (ch *Channel) QueueHangup(cause int) {
	ch.evMu.Lock()
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		ch.evMu.Unlock()
		return
	}
	ch.softHup = true
	if cause > 0 {
		ch.cause = cause
	}
	ch.mu.Unlock()
	ch.emitLocked(Event{Kind: EventHangupRequest, Cause: cause})
	ch.evMu.Unlock()
	ch.signal()
}

// HangupRequested reports whether the channel has been asked to hang up.
func (ch *Channel) HangupRequested() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.softHup || ch.hungUp
}

// Hangup ends the channel now (Asterisk's ast_hangup): the far end is told,
// the channel leaves the core and Hangup is announced with the channel's
// cause (cause > 0 sets it if none is set yet). Calling it again does
// nothing. The channel's dialplan goroutine calls it when the dialplan
// ends; others call it for channels that run no dialplan.
func (ch *Channel) Hangup(cause int) {
	ch.evMu.Lock()
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		ch.evMu.Unlock()
		return
	}
	ch.hungUp = true
	if ch.cause == 0 && cause > 0 {
		ch.cause = cause
	}
	final := ch.cause
	published := ch.published
	ep := ch.ep
	if ch.absTimer != nil {
		ch.absTimer.Stop()
		ch.absTimer = nil
	}
	gen := ch.gen
	ch.gen = nil
	ch.qLen = 0
	close(ch.done)
	ch.mu.Unlock()
	ch.evMu.Unlock()

	if gen != nil {
		gen.stop()
	}
	// A barrier, not a critical section: once the lock has been taken, no
	// write to the endpoint is in progress or can start (gen is gone).
	ch.writeMu.Lock()
	//lint:ignore SA2001 waiting for in-flight writes is the point
	ch.writeMu.Unlock()
	if ep != nil {
		ep.Hangup(final)
	}
	if published {
		ch.core.remove(ch)
		ch.evMu.Lock()
		ch.mu.Lock()
		ev := Event{Kind: EventHangup, Channel: ch.snapshotLocked(), Cause: final, CauseText: CauseText(final)}
		ch.mu.Unlock()
		ch.core.sink.HandleEvent(ev)
		ch.evMu.Unlock()
	}
}

// SetAbsoluteTimeout makes the channel hang up d from now (AMI
// AbsoluteTimeout, TIMEOUT(absolute)); d <= 0 cancels. When it fires the
// channel is asked to hang up (unannounced, as in Asterisk) and its
// dialplan goes to the T extension if there is one, else ends; a channel
// running no dialplan is hung up. [Channel.HangupAt] tells when it fires.
func (ch *Channel) SetAbsoluteTimeout(d time.Duration) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.absTimer != nil {
		ch.absTimer.Stop()
		ch.absTimer = nil
	}
	ch.hupAt = time.Time{}
	if d > 0 && !ch.hungUp {
		ch.hupAt = time.Now().Add(d)
		ch.absTimer = time.AfterFunc(d, ch.absoluteTimeout)
	}
}

func (ch *Channel) absoluteTimeout() {
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		return
	}
	ch.timedOut = true
	ch.absTimer = nil
	ch.hupAt = time.Time{}
	running := ch.pbx
	ch.mu.Unlock()
	// Asterisk's ast_check_hangup flags the channel without an event.
	ch.requestHangup(0)
	if !running {
		ch.Hangup(0)
	}
}

// AsyncGoto sends the channel to context, exten, priority (an empty
// context or exten keeps the current one), as Redirect does: a running
// application returns and the dialplan goes on there; a channel that runs
// no dialplan starts one there.
func (ch *Channel) AsyncGoto(context, exten string, priority int) error {
	return AsyncGotoAll(Goto{ch, context, exten, priority})
}

// Goto is a place to send a channel with [AsyncGotoAll].
type Goto struct {
	Channel        *Channel
	Context, Exten string
	Priority       int
}

// AsyncGotoAll redirects several channels together, as a Redirect with
// ExtraChannel does: every channel is marked before any is woken, so two
// channels bridged together both leave the bridge for their new places
// (neither is hung up as the other's partner). It fails with ErrNoChannel,
// changing nothing, if one of them has hung up.
func AsyncGotoAll(gs ...Goto) error {
	var start []Goto
	for i, g := range gs {
		ch := g.Channel
		ch.mu.Lock()
		if ch.hungUp {
			ch.mu.Unlock()
			for _, done := range gs[:i] {
				done.Channel.mu.Lock()
				done.Channel.gotoNext = nil
				done.Channel.mu.Unlock()
			}
			return ErrNoChannel
		}
		if g.Context == "" {
			g.Context = ch.context
		}
		if g.Exten == "" {
			g.Exten = ch.exten
		}
		if g.Priority < 1 {
			g.Priority = 1
		}
		if ch.pbx {
			ch.gotoNext = &location{g.Context, g.Exten, g.Priority}
		} else {
			start = append(start, g)
		}
		ch.mu.Unlock()
	}
	for _, g := range gs {
		g.Channel.signal()
	}
	var first error
	for _, g := range start {
		if err := g.Channel.core.StartPBX(g.Channel, g.Context, g.Exten, g.Priority); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (ch *Channel) hasPBX() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.pbx
}

// Sleep waits for d while consuming the frames the far end sends (as
// Asterisk's ast_safe_sleep), returning early with ErrHangup or
// ErrAsyncGoto.
func (ch *Channel) Sleep(d time.Duration) error {
	ctx, cancel := context.WithTimeout(ch.Ctx(), d)
	defer cancel()
	for {
		_, err := ch.Read(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// CopyVars gives the channel every variable of from, names as they are,
// announcing each (VarSet): what a Local channel's ;2 half gets from ;1
// when it is called (Asterisk's ast_unreal_call_setup copies them all).
func (ch *Channel) CopyVars(from *Channel) {
	for _, v := range from.Vars() {
		ch.SetVar(v[0], v[1])
	}
}
