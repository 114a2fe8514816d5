// Package local is the Local channel technology: "Local/exten@context"
// creates a pair of channels, ;1 and ;2, joined back to back. Whoever
// requested the channel holds ;1; when ;1 is called, ;2 runs the dialplan at
// exten@context. Frames written to one half are read by the other, and
// answer, indications, DTMF and hangup cross over, as Asterisk's chan_local
// does (without its optimisation away of the pair: Asterism never
// optimises, as with the /n option, though its LocalBridge event says
// what Asterisk's would).
//
// A Local device ("Local/exten@context") is in use while a pair for it
// has been called and neither half has hung up, and invalid when the
// extension does not exist, as Asterisk's local_devicestate says; like
// Asterisk's Local channels, its state is announced on every change of
// one of its channels (it is not cached).
package local

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// Tech is the Local technology. Register it with pbx.Core.Register.
type Tech struct {
	mu    sync.Mutex
	pairs map[string]map[*pair]struct{} // by "exten@context"; the pairs in use
}

// New returns the Local technology.
func New() *Tech { return &Tech{pairs: make(map[string]map[*pair]struct{})} }

// DeviceState implements pbx.DeviceStateProvider for the device
// "Local/resource": in use while a pair for the extension has been
// called and both halves are up, not in use otherwise, invalid when the
// extension does not exist. Local device states are not cached.
func (t *Tech) DeviceState(core *pbx.Core, resource string) (pbx.DeviceState, bool) {
	exten, context, _, err := ParseResource(resource)
	if err != nil {
		return pbx.DeviceInvalid, false
	}
	if dp := core.Dialplan(); dp == nil || !dp.Exists(context, exten, "", 1) {
		return pbx.DeviceInvalid, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pairs[exten+"@"+context]) > 0 {
		return pbx.DeviceInUse, false
	}
	return pbx.DeviceNotInUse, false
}

// inUse adds p to the pairs in use, or removes it.
func (t *Tech) inUse(p *pair, on bool) {
	key := p.exten + "@" + p.context
	t.mu.Lock()
	defer t.mu.Unlock()
	set := t.pairs[key]
	if on {
		if set == nil {
			set = make(map[*pair]struct{})
			t.pairs[key] = set
		}
		set[p] = struct{}{}
		return
	}
	delete(set, p)
	if len(set) == 0 {
		delete(t.pairs, key)
	}
}

// Name returns "Local".
func (*Tech) Name() string { return "Local" }

// ErrBadResource reports a resource that is not exten[@context][/options].
var ErrBadResource = errors.New("local: bad resource")

// ParseResource splits "exten@context/options" (context "default" when
// absent) as chan_local does.
func ParseResource(resource string) (exten, context, options string, err error) {
	rest, options, _ := strings.Cut(resource, "/")
	exten, context, _ = strings.Cut(rest, "@")
	if context == "" {
		context = "default"
	}
	if exten == "" {
		return "", "", "", fmt.Errorf("%w: %q", ErrBadResource, resource)
	}
	return exten, context, options, nil
}

// Request creates the pair: ch becomes ";1" (announced first, state Down)
// and a new ";2" channel (state Ring) is announced after it.
func (t *Tech) Request(core *pbx.Core, ch *pbx.Channel, resource string) (pbx.Endpoint, error) {
	exten, context, options, err := ParseResource(resource)
	if err != nil {
		return nil, &pbx.CauseError{Cause: pbx.CauseRequestedChanUnavail, Err: fmt.Errorf("%w: %w", pbx.ErrChanUnavail, err)}
	}
	base := fmt.Sprintf("Local/%s@%s-%08x", exten, context, ch.Seq())
	p := &pair{tech: t, core: core, exten: exten, context: context, one: ch,
		optimize: !strings.Contains(options, "n")}
	ch.SetName(base + ";1")
	ch.SetLocation(context, exten, 1)
	ch.Publish()
	p.two = core.NewChannel(pbx.ChannelConfig{
		Name:     base + ";2",
		Uniqueid: ch.OtherUniqueid(),
		State:    pbx.StateRing,
		Context:  context,
		Exten:    exten,
		Priority: 1,
		Parent:   ch,
		Endpoint: &half{p: p},
	})
	p.two.Publish()
	return &half{p: p, first: true}, nil
}

// pair joins the two halves.
type pair struct {
	tech           *Tech
	core           *pbx.Core
	exten, context string
	optimize       bool // no /n: Asterisk could optimise the pair away
	one, two       *pbx.Channel

	mu      sync.Mutex
	started bool // ;2 runs the dialplan
	gone    bool // ;1 hung up
}

// half is the endpoint of one half; first is ;1.
type half struct {
	p     *pair
	first bool
}

func (h *half) other() *pbx.Channel {
	if h.first {
		return h.p.two
	}
	return h.p.one
}

// Call starts ;2's dialplan. It fails, as Asterisk's local_call does,
// when exten@context does not exist. Before the dialplan starts, ;2 gets
// ;1's variables and, as in Asterisk's ast_unreal_call_setup, ;1's
// connected line as its caller ID and ;1's caller ID as its connected
// line.
func (h *half) Call(dest string, timeout time.Duration) error {
	if !h.first {
		return errors.New("local: the ;2 half cannot be called")
	}
	p := h.p
	num, name := p.one.CallerID()
	if dp := p.core.Dialplan(); dp == nil || !dp.Exists(p.context, p.exten, num, 1) {
		return &pbx.CauseError{Cause: pbx.CauseNoRouteDestination,
			Err: fmt.Errorf("local: no such extension/context %s@%s while calling Local channel", p.exten, p.context)}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone || p.started {
		return errors.New("local: channel already called or gone")
	}
	// ast_unreal_call_setup: the variables, then one update of ;2's
	// parties: its caller ID is ;1's connected line, its connected line
	// ;1's caller ID, and the account code crosses over.
	p.two.CopyVars(p.one)
	connNum, connName := p.one.ConnectedLine()
	acct := p.one.AccountCode()
	p.two.Apply(pbx.Update{
		CallerID:      &pbx.Party{Num: connNum, Name: connName},
		AccountCode:   &acct,
		ConnectedLine: &pbx.Party{Num: num, Name: name},
	})
	p.one.AnnounceLocalBridge(p.two, p.context, p.exten, p.optimize)
	// In use from now on: ;2's first state change already reports the
	// device in use.
	p.started = true
	p.tech.inUse(p, true)
	if err := p.core.StartPBX(p.two, p.context, p.exten, 1); err != nil {
		p.started = false
		p.tech.inUse(p, false)
		return err
	}
	return nil
}

// Answer tells the other half that this one answered.
func (h *half) Answer() error {
	h.other().Queue(media.ControlFrame(media.ControlAnswer))
	return nil
}

// Hangup crosses the hangup over: the other half gets a HangupRequest with
// the cause; a ;2 whose dialplan never started is hung up with ;1.
func (h *half) Hangup(cause int) {
	p := h.p
	if !h.first {
		p.tech.inUse(p, false)
		p.one.QueueHangup(cause)
		return
	}
	p.mu.Lock()
	p.gone = true
	started := p.started
	p.mu.Unlock()
	p.tech.inUse(p, false)
	if started {
		p.two.QueueHangup(cause)
	} else {
		p.two.Hangup(cause)
	}
}

func (h *half) Write(f media.Frame) error {
	h.other().Queue(f)
	return nil
}

func (h *half) Indicate(c media.Control) error {
	h.other().Queue(media.ControlFrame(c))
	return nil
}

func (h *half) SendDigit(digit rune, d time.Duration) error {
	if digit > 0x7f {
		return fmt.Errorf("local: bad digit %q", digit)
	}
	o := h.other()
	o.Queue(media.DTMFBegin(byte(digit)))
	o.Queue(media.DTMFEnd(byte(digit), d))
	return nil
}
