package pbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/sounds"
)

// Errors of the core. Request errors wrap ErrChanUnavail (or
// ErrNoTechnology) together with a *CauseError carrying the hangup cause
// Asterisk reports for them.
var (
	ErrNoTechnology = errors.New("no such channel technology")
	ErrChanUnavail  = errors.New("channel unavailable")
	ErrNoChannel    = errors.New("no such channel")
	ErrHangup       = errors.New("channel hung up")
	ErrAsyncGoto    = errors.New("channel redirected")
)

// CauseError is an error that carries a hangup cause: why a request or a
// call failed (Asterisk's CHANUNAVAIL is CauseRequestedChanUnavail or
// CauseNoRouteDestination, BUSY is CauseUserBusy …).
type CauseError struct {
	Cause int
	Err   error
}

func (e *CauseError) Error() string {
	return fmt.Sprintf("%v (cause %d, %s)", e.Err, e.Cause, CauseText(e.Cause))
}

func (e *CauseError) Unwrap() error { return e.Err }

// CauseOf returns the hangup cause carried by err, or 0.
func CauseOf(err error) int {
	var ce *CauseError
	if errors.As(err, &ce) {
		return ce.Cause
	}
	return 0
}

// Technology is a channel driver (Local, Sim, SIP …), registered on a
// Core with [Core.Register].
type Technology interface {
	// Name is the technology's name as in dial strings ("Local").
	Name() string
	// Request creates the far end of ch for resource (the dial string
	// after "Name/"). ch is allocated but not yet announced; the
	// technology may change its name with [Channel.SetName] and announce
	// it early with [Channel.Publish] (Local must, to announce ;1 before
	// ;2). An error makes the request fail with no event; wrap
	// ErrChanUnavail in a *CauseError for unknown resources.
	Request(core *Core, ch *Channel, resource string) (Endpoint, error)
}

// Endpoint is the technology's side of one channel. Its methods are called
// from the channel's goroutines without any channel lock held; they must
// not block for long. The endpoint reports what happens at the far end by
// queuing frames on the channel ([Channel.Queue]: ringing, answer, busy,
// congestion, voice, DTMF) and, when the far end hangs up, with
// [Channel.QueueHangup].
type Endpoint interface {
	// Call starts calling dest (the resource); the result arrives as
	// control frames. timeout is how long the caller will wait (0: no
	// limit), for endpoints that give up by themselves.
	Call(dest string, timeout time.Duration) error
	Answer() error
	// Hangup tells the far end the channel is gone; it is called once.
	Hangup(cause int)
	Write(f media.Frame) error
	Indicate(c media.Control) error
	SendDigit(digit rune, d time.Duration) error
}

// App is a dialplan application. It returns nil to go on to the next
// priority; an error ends the dialplan (ErrHangup and ErrAsyncGoto are the
// ordinary ways, the others are logged). An app that reads the channel
// sees ErrAsyncGoto from [Channel.Read] and must return it.
type App func(ch *Channel, data string) error

// Options configure a Core.
type Options struct {
	// SystemName (asterisk.conf's systemname) prefixes uniqueids.
	SystemName string
	// Sink receives every event; nil discards them.
	Sink EventSink
	// Dialplan returns the current dialplan (swapped on reload); nil or a
	// nil result means an empty one.
	Dialplan func() *dialplan.Dialplan
	// Funcs are the dialplan functions; the core registers CALLERID and
	// CHANNEL on it. Nil means dialplan.NewFuncs().
	Funcs *dialplan.Funcs
	// Sounds is where Playback finds prompts; nil finds nothing.
	Sounds sounds.Library
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Core is the PBX: its technologies, applications and live channels.
type Core struct {
	opts  Options
	log   *slog.Logger
	funcs *dialplan.Funcs
	sink  EventSink

	chanSeq atomic.Uint32 // channel name suffix
	uidSeq  atomic.Uint64 // uniqueid suffix

	mu     sync.Mutex // guards the maps below; a leaf lock
	techs  map[string]Technology
	apps   map[string]registeredApp
	byName map[string]*Channel
	byID   map[string]*Channel
	// byDevice counts the live channels of each device ([DeviceName]) by
	// the device state each gives it, so that a device's state is known
	// without visiting its channels (a trunk or a load-test phone may
	// have thousands).
	byDevice map[string]*deviceChans

	dev devices
	moh atomic.Pointer[MusicOnHold] // set by SetMusicOnHold

	globalMu sync.Mutex        // orders SetGlobal's changes and their events
	globals  map[string]string // set at run time; guarded by mu

	running sync.WaitGroup // PBX goroutines
}

// New returns a Core with the built-in applications registered.
func New(opts Options) *Core {
	c := &Core{
		opts:   opts,
		log:    opts.Logger,
		funcs:  opts.Funcs,
		sink:   opts.Sink,
		techs:  make(map[string]Technology),
		apps:   make(map[string]registeredApp),
		byName: make(map[string]*Channel),
		byID:   make(map[string]*Channel),

		byDevice: make(map[string]*deviceChans),

		globals: make(map[string]string),
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.funcs == nil {
		c.funcs = dialplan.NewFuncs()
	}
	if c.sink == nil {
		c.sink = EventSinkFunc(func(Event) {})
	}
	registerFuncs(c.funcs)
	registerApps(c)
	return c
}

// Funcs returns the dialplan functions the core substitutes with.
func (c *Core) Funcs() *dialplan.Funcs { return c.funcs }

// Logger returns the core's logger.
func (c *Core) Logger() *slog.Logger { return c.log }

// Sounds returns the sound library (possibly nil).
func (c *Core) Sounds() sounds.Library { return c.opts.Sounds }

// Dialplan returns the current dialplan, or nil.
func (c *Core) Dialplan() *dialplan.Dialplan {
	if c.opts.Dialplan == nil {
		return nil
	}
	return c.opts.Dialplan()
}

// Register adds a channel technology. Names are matched ignoring case,
// as Asterisk matches them; registering a name twice is an error.
func (c *Core) Register(t Technology) error {
	key := strings.ToLower(t.Name())
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.techs[key]; dup {
		return fmt.Errorf("pbx: already have a handler for type %q", t.Name())
	}
	c.techs[key] = t
	return nil
}

// RegisterApp adds (or replaces) a dialplan application. Names are
// matched ignoring case, as in Asterisk. An application with
// documentation ([AppDoc]) gets its one-line synopsis ([Core.Apps]).
func (c *Core) RegisterApp(name string, app App) {
	key := strings.ToLower(name)
	doc, _ := AppDoc(name)
	c.mu.Lock()
	c.apps[key] = registeredApp{name: name, fn: app, synopsis: doc.Synopsis}
	c.mu.Unlock()
}

func (c *Core) app(name string) (App, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.apps[strings.ToLower(name)]
	return a.fn, ok
}

// Channels returns the live channels, in no particular order.
func (c *Core) Channels() []*Channel {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Channel, 0, len(c.byName))
	for _, ch := range c.byName {
		out = append(out, ch)
	}
	return out
}

// Channel returns the live channel called name (case matters).
func (c *Core) Channel(name string) (*Channel, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.byName[name]
	return ch, ok
}

// ChannelByID returns the live channel with the uniqueid id.
func (c *Core) ChannelByID(id string) (*Channel, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.byID[id]
	return ch, ok
}

// Count returns the number of live channels.
func (c *Core) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byName)
}

// Hangup asks the channel called name to hang up with cause (0 leaves the
// channel's cause as it is), as the AMI Hangup action does: a channel
// running a dialplan leaves it (running its h extension), a channel
// running an application ([Core.RunApp]) leaves it, any other channel is
// hung up at once. Like Asterisk's ast_softhangup_nolock, which the action
// calls, the request itself is not announced: the dialplan announces
// SoftHangupRequest when it ends.
func (c *Core) Hangup(name string, cause int) error {
	ch, ok := c.Channel(name)
	if !ok {
		return ErrNoChannel
	}
	ch.requestHangup(cause)
	if !ch.hasPBX() {
		ch.Hangup(cause)
	}
	return nil
}

// Shutdown asks every channel to hang up and waits until the dialplan
// goroutines have ended or ctx is done.
func (c *Core) Shutdown(ctx context.Context) error {
	for _, ch := range c.Channels() {
		_ = c.Hangup(ch.Name(), CauseNormalClearing)
	}
	done := make(chan struct{})
	go func() { c.running.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ChannelConfig describes a channel to create.
type ChannelConfig struct {
	// Name is the full channel name ("Local/100@default-00000001;2").
	Name string
	// State is the initial state (StateDown for an outgoing channel,
	// StateRing for an incoming one).
	State State
	// Context, Exten and Priority are where the channel starts; Priority
	// 0 means 1.
	Context, Exten string
	Priority       int
	CallerIDNum    string
	CallerIDName   string
	AccountCode    string
	// Uniqueid, when set, is the channel's uniqueid instead of a new one
	// (Originate's ChannelId).
	Uniqueid string
	// Parent is the channel this one is created from: it gives the
	// linkedid and the inherited variables (_VAR and __VAR).
	Parent *Channel
	// Endpoint is the technology side; it may be set later with
	// SetEndpoint, before the channel is used.
	Endpoint Endpoint
}

// NextSeq returns the next channel sequence number, the 8 hex digits of
// channel names, starting at 0 as Asterisk's do.
func (c *Core) NextSeq() uint32 { return c.chanSeq.Add(1) - 1 }

// NewChannel creates a channel that is not yet announced; [Channel.Publish]
// announces it (Newchannel). Technologies use it for channels they create
// themselves (Local's ;2 half, incoming calls).
func (c *Core) NewChannel(cfg ChannelConfig) *Channel {
	uid := strconv.FormatInt(time.Now().Unix(), 10) + "." + strconv.FormatUint(c.uidSeq.Add(1)-1, 10)
	if c.opts.SystemName != "" {
		uid = c.opts.SystemName + "-" + uid
	}
	if cfg.Uniqueid != "" {
		uid = cfg.Uniqueid
	}
	ch := &Channel{
		core:     c,
		ep:       cfg.Endpoint,
		name:     cfg.Name,
		uniqueid: uid,
		linkedid: uid,
		state:    cfg.State,
		cidNum:   cfg.CallerIDNum,
		cidName:  cfg.CallerIDName,
		language: "en",
		account:  cfg.AccountCode,
		context:  cfg.Context,
		exten:    cfg.Exten,
		priority: cfg.Priority,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		gone:     make(chan struct{}),
	}
	if ch.priority == 0 {
		ch.priority = 1
	}
	if p := cfg.Parent; p != nil {
		p.mu.Lock()
		ch.linkedid = p.linkedid
		ch.vars = inheritVars(p.vars)
		if ch.account == "" {
			ch.account = p.account
		}
		ch.language = p.language
		p.mu.Unlock()
	}
	return ch
}

// Request creates a channel of technology tech for resource ("Sim/100":
// tech "Sim", resource "100"), as ast_request does. The channel is
// announced (Newchannel, state Down) but not called: [Channel.Dial] calls
// it. parent, if any, gives the linkedid and inherited variables.
// Unknown technologies and resources fail with errors carrying
// CauseRequestedChanUnavail (Asterisk's CHANUNAVAIL); nothing is announced.
func (c *Core) Request(tech, resource string, parent *Channel) (*Channel, error) {
	return c.RequestWith(tech, resource, parent, RequestOptions{})
}

// RequestOptions are what Originate asks of a new channel besides its
// technology and resource.
type RequestOptions struct {
	// AccountCode is set once the channel is announced, with a
	// NewAccountCode event, as Asterisk's originate sets Account.
	AccountCode string
	// Uniqueid and OtherUniqueid are the uniqueids of the channel and
	// of its other half (Local's ;2), instead of new ones (Originate's
	// ChannelId and OtherChannelId). A uniqueid already in use fails the
	// request.
	Uniqueid, OtherUniqueid string
}

// ErrUniqueidInUse reports a requested uniqueid that a live channel has.
var ErrUniqueidInUse = errors.New("uniqueid already in use")

// RequestWith is Request with options.
func (c *Core) RequestWith(tech, resource string, parent *Channel, o RequestOptions) (*Channel, error) {
	c.mu.Lock()
	t, ok := c.techs[strings.ToLower(tech)]
	c.mu.Unlock()
	if !ok {
		return nil, &CauseError{Cause: CauseRequestedChanUnavail, Err: fmt.Errorf("%w: %q", ErrNoTechnology, tech)}
	}
	for _, id := range []string{o.Uniqueid, o.OtherUniqueid} {
		if _, dup := c.ChannelByID(id); dup && id != "" {
			return nil, &CauseError{Cause: CauseRequestedChanUnavail, Err: fmt.Errorf("%w: %w %q", ErrChanUnavail, ErrUniqueidInUse, id)}
		}
	}
	seq := c.NextSeq()
	ch := c.NewChannel(ChannelConfig{
		Name:     fmt.Sprintf("%s/%s-%08x", t.Name(), resource, seq),
		State:    StateDown,
		Parent:   parent,
		Uniqueid: o.Uniqueid,
	})
	ch.resource = resource
	ch.seq = seq
	ch.otherUID = o.OtherUniqueid
	ep, err := t.Request(c, ch, resource)
	if err != nil {
		ch.mu.Lock()
		published := ch.published
		ch.mu.Unlock()
		if published {
			ch.Hangup(CauseOf(err))
		}
		if CauseOf(err) == 0 {
			err = &CauseError{Cause: CauseRequestedChanUnavail, Err: err}
		}
		return nil, err
	}
	ch.SetEndpoint(ep)
	ch.Publish()
	if o.AccountCode != "" {
		ch.SetAccountCode(o.AccountCode)
	}
	return ch, nil
}

// RequestDial is Request with a dial string "Tech/resource".
func (c *Core) RequestDial(dial string, parent *Channel) (*Channel, error) {
	return c.RequestDialWith(dial, parent, RequestOptions{})
}

// RequestDialWith is RequestWith with a dial string "Tech/resource".
func (c *Core) RequestDialWith(dial string, parent *Channel, o RequestOptions) (*Channel, error) {
	tech, res, ok := strings.Cut(dial, "/")
	if !ok || tech == "" || res == "" {
		return nil, &CauseError{Cause: CauseRequestedChanUnavail, Err: fmt.Errorf("%w: malformed dial string %q", ErrChanUnavail, dial)}
	}
	return c.RequestWith(tech, res, parent, o)
}

// add makes ch known by name, uniqueid and device. The caller holds
// ch.mu (ch's name and state do not change meanwhile).
func (c *Core) add(ch *Channel) {
	c.mu.Lock()
	c.byName[ch.name] = ch
	c.byID[ch.uniqueid] = ch
	ch.devKey, ch.devState = DeviceName(ch.name), ChannelDeviceState(ch.state)
	dc := c.byDevice[ch.devKey]
	if dc == nil {
		dc = &deviceChans{}
		c.byDevice[ch.devKey] = dc
	}
	dc.n++
	dc.count[ch.devState]++
	c.mu.Unlock()
}

// deviceChans counts a device's channels by the state each gives it.
type deviceChans struct {
	n     int
	count [DeviceOnHold + 1]int
}

// stateChanged moves ch to the count of its new state s. The caller
// holds ch.mu.
func (c *Core) stateChanged(ch *Channel, s State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dc := c.byDevice[ch.devKey]
	if dc == nil || ch.devKey == "" {
		return
	}
	dc.count[ch.devState]--
	ch.devState = ChannelDeviceState(s)
	dc.count[ch.devState]++
}

func (c *Core) remove(ch *Channel) {
	c.mu.Lock()
	if c.byName[ch.name] == ch {
		delete(c.byName, ch.name)
	}
	if c.byID[ch.uniqueid] == ch {
		delete(c.byID, ch.uniqueid)
	}
	if dc := c.byDevice[ch.devKey]; dc != nil && ch.devKey != "" {
		dc.n--
		dc.count[ch.devState]--
		if dc.n == 0 {
			delete(c.byDevice, ch.devKey)
		}
		ch.devKey = ""
	}
	c.mu.Unlock()
}
