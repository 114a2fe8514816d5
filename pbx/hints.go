package pbx

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/asterism-pbx/asterism/dialplan"
)

// ExtState is the state of a hinted extension, numbered as Asterisk's enum
// ast_extension_states: bits that combine (InUse|Ringing is 9), or -1 for
// an extension with no hint.
type ExtState int

// The extension states.
const (
	ExtRemoved     ExtState = -2 // the hint was removed
	ExtNoHint      ExtState = -1 // no hint, no such extension or context (DEACTIVATED)
	ExtNotInUse    ExtState = 0
	ExtInUse       ExtState = 1
	ExtBusy        ExtState = 2
	ExtUnavailable ExtState = 4
	ExtRinging     ExtState = 8
	ExtOnHold      ExtState = 16
)

// String returns the text Asterisk's ast_extension_state2str gives the
// state ("Idle", "InUse&Ringing" …; "Unknown" for any other number), the
// StatusText of ExtensionState and ExtensionStatus.
func (s ExtState) String() string {
	switch s {
	case ExtNotInUse:
		return "Idle"
	case ExtInUse:
		return "InUse"
	case ExtBusy:
		return "Busy"
	case ExtUnavailable:
		return "Unavailable"
	case ExtRinging:
		return "Ringing"
	case ExtInUse | ExtRinging:
		return "InUse&Ringing"
	case ExtOnHold:
		return "Hold"
	case ExtInUse | ExtOnHold:
		return "InUse&Hold"
	}
	return "Unknown"
}

// Code returns the state's number as the Status header carries it.
func (s ExtState) Code() string { return strconv.Itoa(int(s)) }

// ExtStateOf maps the aggregate state of a hint's devices to the
// extension state, as Asterisk's ast_devstate_to_extenstate: a device
// whose state is unknown counts as idle, and an invalid one (no such
// device or driver) as unavailable.
func ExtStateOf(d DeviceState) ExtState {
	switch d {
	case DeviceOnHold:
		return ExtOnHold
	case DeviceBusy:
		return ExtBusy
	case DeviceUnknown, DeviceNotInUse:
		return ExtNotInUse
	case DeviceUnavailable, DeviceInvalid:
		return ExtUnavailable
	case DeviceRingInUse:
		return ExtInUse | ExtRinging
	case DeviceRinging:
		return ExtRinging
	case DeviceInUse:
		return ExtInUse
	}
	return ExtNotInUse
}

// HintDevices returns the devices of a hint ("Sim/100&Custom:100,CustomPresence:100"
// gives Sim/100 and Custom:100): the part before the first comma (the rest
// names presence providers), split on "&".
func HintDevices(hint string) []string {
	devs, _, _ := strings.Cut(hint, ",")
	return strings.Split(devs, "&")
}

// HintState is a hint and the extension state last announced for it.
type HintState struct {
	Context string
	Exten   string
	Hint    string
	State   ExtState
}

// hintTable holds the hints of the dialplan in force, with the state last
// announced for each (Asterisk's hints container and hint->laststate).
// It is rebuilt when the dialplan is swapped (a "dialplan reload"):
// LoadHints does it, and any use notices a swap it missed. A hint that
// survives a reload keeps its last state, as Asterisk carries it over.
type hintTable struct {
	// mu guards the hints' last states and the rebuilding of idx, and
	// serialises recomputing and announcing hint states, so that the
	// ExtensionStatus events of a hint follow its changes. It is taken
	// after a device's ordering stripe and before Core.mu, Channel.mu
	// and devices.mu.
	mu sync.Mutex
	// idx is replaced whole under mu and read without it, so that the
	// change of a device in no hint (most of them) costs no lock.
	idx atomic.Pointer[hintIndex]
}

// hintIndex is the hint table built from one dialplan; only the hints'
// last fields change after it is built.
type hintIndex struct {
	dp       *dialplan.Dialplan // the dialplan it was built from
	list     []*hint            // dialplan order
	byDevice map[string][]*hint // lower-cased device name
}

// hint is one extension's hint.
type hint struct {
	context, exten, app string
	devices             []string
	last                ExtState // guarded by hintTable.mu
}

// hintKey identifies a hint across reloads.
type hintKey struct{ context, exten, app string }

// hintsLocked returns the hint index, rebuilt first if the dialplan in
// force is not the one it was built from. The caller holds t.mu.
func (c *Core) hintsLocked() *hintIndex {
	t := &c.dev.hints
	dp := c.Dialplan()
	old := t.idx.Load()
	if old != nil && old.dp == dp {
		return old
	}
	last := make(map[hintKey]ExtState)
	if old != nil {
		for _, h := range old.list {
			last[hintKey{h.context, h.exten, h.app}] = h.last
		}
	}
	idx := &hintIndex{dp: dp, byDevice: make(map[string][]*hint)}
	if dp != nil {
		for _, p := range dp.Hints() {
			// Pattern hints only serve the extensions they match, which
			// ExtensionState evaluates when asked; Asterisk lists none
			// and announces none.
			if strings.HasPrefix(p.Exten, "_") {
				continue
			}
			h := &hint{context: p.Context, exten: p.Exten, app: p.App, devices: HintDevices(p.App)}
			if st, ok := last[hintKey{h.context, h.exten, h.app}]; ok {
				h.last = st
			} else {
				h.last = c.hintState(h.devices)
			}
			idx.list = append(idx.list, h)
			seen := make(map[string]bool, len(h.devices))
			for _, d := range h.devices {
				k := strings.ToLower(d)
				if !seen[k] {
					seen[k] = true
					idx.byDevice[k] = append(idx.byDevice[k], h)
				}
			}
		}
	}
	t.idx.Store(idx)
	return idx
}

// hintState aggregates the current states of a hint's devices (Asterisk's
// ast_extension_state3).
func (c *Core) hintState(devices []string) ExtState {
	var agg DeviceAggregate
	for _, d := range devices {
		agg.Add(c.DeviceState(d))
	}
	return ExtStateOf(agg.Result())
}

// hintsDeviceChanged recomputes the hints that name device after its
// state was announced, and announces (ExtensionStatus) those whose state
// changed. The caller holds device's ordering stripe.
func (c *Core) hintsDeviceChanged(device string) {
	t := &c.dev.hints
	key := strings.ToLower(device)
	if idx := t.idx.Load(); idx != nil && idx.dp == c.Dialplan() && len(idx.byDevice[key]) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range c.hintsLocked().byDevice[key] {
		st := c.hintState(h.devices)
		if st == h.last {
			continue
		}
		h.last = st
		c.sink.HandleEvent(Event{Kind: EventExtensionStatus, HintExten: h.exten, HintContext: h.context, Hint: h.app, ExtState: st})
	}
}

// ExtensionState returns the hint of exten in context, found as the
// dialplan finds extensions (patterns, includes), and the extension's
// current state computed from its devices now, as Asterisk's
// ast_extension_state; ExtNoHint and "" when there is no hint, no such
// extension or no such context.
func (c *Core) ExtensionState(context, exten string) (hint string, state ExtState) {
	dp := c.Dialplan()
	if dp == nil {
		return "", ExtNoHint
	}
	h, ok := dp.Hint(context, exten)
	if !ok {
		return "", ExtNoHint
	}
	return h, c.hintState(HintDevices(h))
}

// LoadHints builds the hint table from the dialplan in force, if it is not
// built from it yet, taking each new hint's current state as its last
// one. Call it once the core is set up and after each dialplan reload:
// a table built only when a device changes would take that change as the
// state before it, and miss announcing it.
func (c *Core) LoadHints() {
	t := &c.dev.hints
	t.mu.Lock()
	c.hintsLocked()
	t.mu.Unlock()
}

// Hints returns the hints of the dialplan in force, context by context in
// dialplan order, with the state last announced for each (what
// ExtensionStateList and "core show hints" show). Pattern hints are left
// out, as Asterisk leaves them out.
func (c *Core) Hints() []HintState {
	t := &c.dev.hints
	t.mu.Lock()
	defer t.mu.Unlock()
	list := c.hintsLocked().list
	out := make([]HintState, len(list))
	for i, h := range list {
		out[i] = HintState{Context: h.context, Exten: h.exten, Hint: h.app, State: h.last}
	}
	return out
}
