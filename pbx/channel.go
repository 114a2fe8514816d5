package pbx

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	otherUID  string   // the uniqueid asked for the other half (Local's ;2)
	peer      *Channel // the other party of the bridge the channel is in
	bridgeID  string   // the uniqueid of that bridge
	seq       uint32   // the sequence number of the requested channel's name
	gen       *generator
	ctx       context.Context

	// TIMEOUT(response) and TIMEOUT(digit) once set; zero: the defaults.
	respTimeout, digitTimeout time.Duration
	exc                       *exception // the last exception raised (EXCEPTION())

	// The audio hooks (AddAudioHook): read by the frame path without a
	// lock; hooksMu orders their changes.
	hooks   atomic.Pointer[hookList]
	hooksMu sync.Mutex

	// The device the core counts the channel under and the state it
	// counts it in (see Core.byDevice); guarded by Core.mu.
	devKey   string
	devState DeviceState

	q       []media.Frame // ring buffer of queued frames
	qHead   int
	qLen    int
	dropped uint64

	wake chan struct{} // capacity 1: a frame or a state change arrived
	done chan struct{} // closed when the channel is hung up
	gone chan struct{} // closed when its hangup is complete (Hangup announced)
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

// Gone returns a channel closed once the channel's hangup is complete: its
// far end has been told (a Local partner has its HangupRequest), and
// Hangup and the device's new state have been announced.
func (ch *Channel) Gone() <-chan struct{} { return ch.gone }

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

// AnnounceLocalBridge announces that ch, a Local pair's ;1, and two, its
// ;2, are joined for exten@context (LocalBridge), as Asterisk's chan_local
// does when the pair is called; optimization tells whether the pair may
// be optimised away (no /n option).
func (ch *Channel) AnnounceLocalBridge(two *Channel, context, exten string, optimization bool) {
	peer := two.Snapshot()
	ch.emit(Event{Kind: EventLocalBridge, Peer: &peer, LocalContext: context, LocalExten: exten, LocalOptimization: optimization})
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
	ch.core.add(ch)
	ch.mu.Unlock()
	ch.emitLocked(Event{Kind: EventNewchannel})
}

// SetState changes the state and announces it (Newstate) if it changed,
// and then the state of the channel's device (DeviceStateChange).
func (ch *Channel) SetState(s State) {
	ch.evMu.Lock()
	ch.mu.Lock()
	if ch.state == s || ch.hungUp {
		ch.mu.Unlock()
		ch.evMu.Unlock()
		return
	}
	ch.state = s
	name, published := ch.name, ch.published
	if published {
		ch.core.stateChanged(ch, s)
	}
	ch.mu.Unlock()
	ch.emitLocked(Event{Kind: EventNewstate})
	ch.evMu.Unlock()
	if published {
		ch.core.deviceChanged(name)
	}
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
	if ch.queue(&f) {
		ch.signal()
	}
}

// QueueBatch is Queue for a technology that queues frames on many
// channels at once (the simulated phones' shared 20 ms clock): it copies
// *f into the queue without waking the channel's reader and reports
// whether [Channel.Wake] must be called once the whole batch is queued.
// Waking readers after the batch lets a reader of two channels (a bridge)
// take both its frames of a tick in one wakeup instead of two.
func (ch *Channel) QueueBatch(f *media.Frame) (wake bool) {
	return ch.queue(f)
}

// Wake wakes the channel's reader, after [Channel.QueueBatch].
func (ch *Channel) Wake() {
	ch.signal()
}

// queue is Queue without the signal; it reports whether a frame was
// queued.
func (ch *Channel) queue(f *media.Frame) bool {
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		return false
	}
	if ch.qLen == len(ch.q) && len(ch.q) < MaxQueuedFrames {
		ch.growQueueLocked()
	}
	if ch.qLen == len(ch.q) {
		if !ch.dropOldestVoiceLocked() {
			// Only control and DTMF frames wait: drop the newcomer if it
			// is voice, else the oldest frame.
			ch.dropped++
			if f.Type == media.FrameVoice {
				ch.mu.Unlock()
				return false
			}
			ch.qHead = (ch.qHead + 1) % len(ch.q)
			ch.qLen--
		}
	}
	ch.q[(ch.qHead+ch.qLen)%len(ch.q)] = *f
	ch.qLen++
	ch.mu.Unlock()
	// Tapped as it arrives rather than when read, so that a recording
	// hears the far end even while nothing reads the channel (Wait).
	ch.runAudioHooks(AudioIn, f)
	return true
}

// initialQueue is the ring's first size. A frame is some 350 bytes and a
// channel that is read steadily holds a few at most (three for a phone
// sending 60 ms at a time), so the ring starts small and doubles up to
// MaxQueuedFrames: 20,000 channels with full-size rings would hold 700 MB.
const initialQueue = 4

// maxIdleQueue is the largest ring kept once it is empty again; a larger
// one is released (see pollFrame).
const maxIdleQueue = initialQueue

// growQueueLocked doubles the ring (up to MaxQueuedFrames), keeping the
// queued frames in order from index 0.
func (ch *Channel) growQueueLocked() {
	n := min(max(2*len(ch.q), initialQueue), MaxQueuedFrames)
	q := make([]media.Frame, n)
	for i := 0; i < ch.qLen; i++ {
		q[i] = ch.q[(ch.qHead+i)%len(ch.q)]
	}
	ch.q, ch.qHead = q, 0
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
	var f media.Frame
	for {
		ok, err := ch.pollFrame(&f)
		if err != nil {
			return media.Frame{}, err
		}
		if ok {
			return f, nil
		}
		select {
		case <-ch.wake:
		case <-ch.done:
		case <-ctx.Done():
			return media.Frame{}, ctx.Err()
		}
	}
}

// pollFrame is Read without the wait: it stores the next queued frame in
// f and reports true, reports false when none is queued, or returns
// Read's errors. The frame is copied into f rather than returned so that
// moving a frame (some 350 bytes) costs one copy.
func (ch *Channel) pollFrame(f *media.Frame) (bool, error) {
	ch.mu.Lock()
	if ch.gotoNext != nil {
		ch.mu.Unlock()
		return false, ErrAsyncGoto
	}
	if ch.softHup || ch.hungUp {
		ch.mu.Unlock()
		return false, ErrHangup
	}
	if ch.qLen == 0 {
		ch.mu.Unlock()
		return false, nil
	}
	*f = ch.q[ch.qHead]
	ch.qHead = (ch.qHead + 1) % len(ch.q)
	ch.qLen--
	if ch.qLen == 0 && len(ch.q) > maxIdleQueue {
		// A backlog (frames queued before anyone read, a slow reader)
		// grew the ring; a steady reader needs only a few slots, and
		// thousands of channels keeping 35 kB rings add up.
		ch.q, ch.qHead = nil, 0
	}
	ch.mu.Unlock()
	if f.Type == media.FrameControl {
		ch.handleControl(*f)
	}
	return true, nil
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
	// Before writeMu: hooks run with no lock of the channel held.
	ch.runAudioHooks(AudioOut, &f)
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
	return ch.dial(ctx, timeout, nil, nil)
}

// DialAlone is Dial for a call no channel makes (an Originate), with the
// events of Asterisk's dialling API: DialBegin once the call has started
// and DialEnd when it is answered or fails, both naming only the channel
// called and the resource dialled.
func (ch *Channel) DialAlone(ctx context.Context, timeout time.Duration) error {
	ch.mu.Lock()
	res := ch.resource
	ch.mu.Unlock()
	called := false
	err := ch.dial(ctx, timeout, func() {
		called = true
		ch.emitDialAlone(Event{Kind: EventDialBegin, DialString: res})
	}, nil)
	if called {
		ch.emitDialAlone(Event{Kind: EventDialEnd, DialString: res, DialStatus: dialStatus(err)})
	}
	return err
}

// emitDialAlone announces a dial event whose Dest is ch and which has no
// calling channel.
func (ch *Channel) emitDialAlone(ev Event) {
	ch.evMu.Lock()
	defer ch.evMu.Unlock()
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		return
	}
	dest := ch.snapshotLocked()
	ch.mu.Unlock()
	ev.Dest = &dest
	ch.core.sink.HandleEvent(ev)
}

// dial calls the far end, runs called once the call has started, and
// waits for the answer, telling progress of each ringing or progress
// indication on the way.
func (ch *Channel) dial(ctx context.Context, timeout time.Duration, called func(), progress func(media.Control)) error {
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
	if called != nil {
		called()
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
		case media.ControlRinging, media.ControlProgress:
			if progress != nil {
				progress(f.Control)
			}
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
		ch.core.deviceChanged(ev.Channel.Name)
	}
	close(ch.gone)
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

// BridgeID returns the uniqueid of the bridge the channel is in, or "".
func (ch *Channel) BridgeID() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.bridgeID
}

// setBridgePeer records the channel on the other side of the channel's
// bridge (nil when it leaves) and, on entering, announces it as the
// BRIDGEPEER variable.
func (ch *Channel) setBridgePeer(peer *Channel, bridgeID string) {
	ch.mu.Lock()
	ch.peer, ch.bridgeID = peer, bridgeID
	ch.mu.Unlock()
	if peer != nil {
		ch.SetVar("BRIDGEPEER", peer.Name())
	}
}

// leaveBridgeFor prepares a bridged channel for a redirect to g, as
// Asterisk's async goto does to a channel in a bridge: BRIDGEPEER is
// cleared, the channel moves to g at once (Newexten, with the application
// it ran), and its dialplan goes on at the priority after g's once it
// has left the bridge. It reports false for a channel in no bridge.
func (ch *Channel) leaveBridgeFor(g Goto) bool {
	ch.mu.Lock()
	bridged := ch.peer != nil
	ch.mu.Unlock()
	if !bridged {
		return false
	}
	ch.SetVar("BRIDGEPEER", "")
	ch.evMu.Lock()
	ch.mu.Lock()
	ch.context, ch.exten, ch.priority = g.Context, g.Exten, g.Priority
	app, data := ch.app, ch.appData
	ch.mu.Unlock()
	ch.emitLocked(Event{Kind: EventNewexten, App: app, AppData: data})
	ch.evMu.Unlock()
	return true
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
// (neither is hung up as the other's partner). A bridged channel moves as
// Asterisk's async goto moves one: its BRIDGEPEER is cleared, it is at the
// new place at once (Newexten, with the application it ran), and its
// dialplan goes on at the priority after that once it has left the
// bridge. It fails with ErrNoChannel, changing nothing, if one of them
// has hung up.
func AsyncGotoAll(gs ...Goto) error {
	gs = append([]Goto(nil), gs...)
	for i, g := range gs {
		ch := g.Channel
		ch.mu.Lock()
		if ch.hungUp {
			ch.mu.Unlock()
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
		ch.mu.Unlock()
		gs[i] = g
	}
	// A bridged channel moves (and says so) while still in its bridge,
	// before any is marked, so that none leaves its bridge before.
	bridged := make([]bool, len(gs))
	for i, g := range gs {
		bridged[i] = g.Channel.leaveBridgeFor(g)
	}
	var start []Goto
	for i, g := range gs {
		ch := g.Channel
		ch.mu.Lock()
		if ch.pbx {
			next := &location{g.Context, g.Exten, g.Priority}
			if bridged[i] {
				next.priority++
			}
			ch.gotoNext = next
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
