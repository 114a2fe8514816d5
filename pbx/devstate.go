package pbx

import (
	"sort"
	"strconv"
	"strings"
	"sync"
)

// DeviceState is the state of a device (a phone, a Local extension …),
// numbered as Asterisk's enum ast_device_state. A device is what its
// channels share: [DeviceName] of the channel name.
type DeviceState int

// The device states.
const (
	DeviceUnknown     DeviceState = 0 // valid, but the state is not known
	DeviceNotInUse    DeviceState = 1
	DeviceInUse       DeviceState = 2
	DeviceBusy        DeviceState = 3
	DeviceInvalid     DeviceState = 4 // no such device
	DeviceUnavailable DeviceState = 5
	DeviceRinging     DeviceState = 6
	DeviceRingInUse   DeviceState = 7 // ringing while in use
	DeviceOnHold      DeviceState = 8
)

var deviceStateNames = [...]string{"UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"}

// String returns the name Asterisk's ast_devstate_str gives the state
// ("NOT_INUSE" …), which DeviceStateChange's State header carries.
func (d DeviceState) String() string {
	if d >= 0 && int(d) < len(deviceStateNames) {
		return deviceStateNames[d]
	}
	return "DeviceState(" + strconv.Itoa(int(d)) + ")"
}

// DeviceName returns the device a channel called name belongs to: the
// name up to its last "-" (the sequence number and a Local half's ";1" or
// ";2" go), as Asterisk's ast_setstate names the device it reports.
func DeviceName(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}

// ChannelDeviceState is the device state one channel in state s gives its
// device (Asterisk's ast_state_chan2dev).
func ChannelDeviceState(s State) DeviceState {
	switch s {
	case StateDown:
		return DeviceNotInUse
	case StateRinging, StatePreRing:
		return DeviceRinging
	case StateBusy:
		return DeviceBusy
	case StateRsrvd, StateOffHook, StateDialing, StateRing, StateUp, StateDialingOffhook:
		return DeviceInUse
	}
	return DeviceUnknown
}

// DeviceAggregate combines the states of several devices or channels into
// one, as Asterisk's ast_devstate_aggregate does: the "strongest" state
// wins (invalid < unknown < unavailable < not in use < on hold < ringing
// < in use < busy), and ringing together with in use, busy or on hold is
// RINGINUSE. The zero value is an empty aggregate, whose result is
// DeviceInvalid.
type DeviceAggregate struct {
	state          DeviceState
	set            bool
	inUse, ringing bool
}

// deviceOrder ranks the states for DeviceAggregate (Asterisk's
// state_order table).
var deviceOrder = [...]int{
	DeviceUnknown: 1, DeviceNotInUse: 3, DeviceInUse: 6, DeviceBusy: 7, DeviceInvalid: 0,
	DeviceUnavailable: 2, DeviceRinging: 5, DeviceRingInUse: 8, DeviceOnHold: 4,
}

// Add adds one state to the aggregate.
func (a *DeviceAggregate) Add(s DeviceState) {
	if s < 0 || int(s) >= len(deviceOrder) {
		s = DeviceUnknown
	}
	if !a.set {
		a.state, a.set = DeviceInvalid, true
	}
	switch s {
	case DeviceRinging:
		a.ringing = true
	case DeviceInUse, DeviceOnHold, DeviceBusy:
		a.inUse = true
	}
	if a.ringing && a.inUse {
		a.state = DeviceRingInUse
	} else if deviceOrder[s] > deviceOrder[a.state] {
		a.state = s
	}
}

// Result returns the aggregate state.
func (a *DeviceAggregate) Result() DeviceState {
	if !a.set {
		return DeviceInvalid
	}
	return a.state
}

// DeviceStateProvider is implemented by technologies that know the state
// of their devices better than their channels' states tell (Asterisk's
// devicestate callback of a channel driver), as Local does.
type DeviceStateProvider interface {
	// DeviceState returns the state of the device resource (the device
	// name after "Tech/"). cachable false means every change of one of
	// the device's channels is announced, even when the state stays the
	// same (Asterisk's AST_FLAG_DISABLE_DEVSTATE_CACHE, which Local
	// channels carry).
	DeviceState(c *Core, resource string) (state DeviceState, cachable bool)
}

// devices tracks the device states last announced.
type devices struct {
	// order serialises the computation and announcement of the state of
	// the devices whose names hash to the same stripe, so that the events
	// of one device follow its changes without all devices waiting on
	// one lock. A stripe is taken with no channel lock held, before
	// Channel.mu, Core.mu and mu.
	order [32]sync.Mutex
	mu    sync.Mutex             // guards last and explicit; a leaf
	last  map[string]DeviceState // absent: DeviceNotInUse, never announced
	// explicit holds the devices set by SetDeviceState, which keep
	// their state until set again.
	explicit map[string]DeviceState

	wmu      sync.Mutex // guards watchers; a leaf
	watchers []*watcher // replaced, never changed in place

	hints hintTable // the dialplan's hints and their last states
}

// stripe returns the lock that orders device's announcements.
func (d *devices) stripe(device string) *sync.Mutex {
	h := uint32(2166136261)
	for i := 0; i < len(device); i++ {
		h = (h ^ uint32(device[i])) * 16777619
	}
	return &d.order[h%uint32(len(d.order))]
}

// DeviceState returns the current state of device ("Local/100@default",
// "Sim/100", "Custom:100"), as Asterisk's ast_device_state finds it: the
// state SetDeviceState gave it; else what its technology says if that is
// a [DeviceStateProvider]; else the aggregate of its live channels'
// states, DeviceNotInUse when it has none. A device of a technology not
// registered is DeviceInvalid when it has no channel (SIP/100 in a hint
// with no SIP driver: Unavailable, as Asterisk shows it); a provider's
// device ("Custom:x", "Queue:y") never set is DeviceUnknown; a name with
// neither "/" nor ":" is DeviceInvalid.
func (c *Core) DeviceState(device string) DeviceState {
	s, _ := c.deviceState(device)
	return s
}

func (c *Core) deviceState(device string) (DeviceState, bool) {
	if st, ok := c.dev.set(device); ok {
		return st, true
	}
	tech, res, found := strings.Cut(device, "/")
	if !found {
		// Asterisk asks the provider named before the ':' (Custom reads
		// astdb, which has nothing for a device never set); a name
		// without one is no device.
		if strings.Contains(device, ":") {
			return DeviceUnknown, true
		}
		return DeviceInvalid, true
	}
	c.mu.Lock()
	t, registered := c.techs[strings.ToLower(tech)]
	if p, ok := t.(DeviceStateProvider); ok {
		c.mu.Unlock()
		st, cachable := p.DeviceState(c, res)
		if st != DeviceUnknown {
			return st, cachable
		}
		// A technology that knows the device is there but not what it
		// does: its channels tell, as ast_parse_device_state does (a
		// ringing channel rings, any other is in use, none is UNKNOWN).
		c.mu.Lock()
		dc := c.byDevice[device]
		var counts [DeviceOnHold + 1]int
		if dc != nil {
			counts = dc.count
		}
		c.mu.Unlock()
		if dc == nil {
			return DeviceUnknown, cachable
		}
		if counts[DeviceRinging] > 0 {
			return DeviceRinging, cachable
		}
		return DeviceInUse, cachable
	}
	var counts [DeviceOnHold + 1]int
	dc := c.byDevice[device]
	if dc != nil {
		counts = dc.count
	}
	c.mu.Unlock()
	if dc == nil {
		if !registered {
			return DeviceInvalid, true
		}
		return DeviceNotInUse, true
	}
	var agg DeviceAggregate
	for st, n := range counts {
		if n > 0 {
			agg.Add(DeviceState(st))
		}
	}
	return agg.Result(), true
}

// deviceChanged recomputes the state of the device of the channel called
// name after one of its channels changed state or hung up, and announces
// it (DeviceStateChange) if it changed or the device is not cachable.
// The caller holds no channel lock.
func (c *Core) deviceChanged(name string) {
	c.DeviceStateChanged(DeviceName(name))
}

// DeviceStateChanged tells the core that device's state may have changed
// for a reason its channels do not show (a phone registered, went
// unreachable …), as a channel driver's ast_devstate_changed does: the
// state is asked of the technology again and announced if it changed.
// The caller holds no lock the technology's DeviceState takes.
func (c *Core) DeviceStateChanged(device string) {
	order := c.dev.stripe(device)
	order.Lock()
	defer order.Unlock()
	state, cachable := c.deviceState(device)
	if cachable && !c.dev.remember(device, state) {
		return
	}
	c.sink.HandleEvent(Event{Kind: EventDeviceStateChange, Device: device, DeviceState: state})
	c.hintsDeviceChanged(device)
	c.dev.notify(device, state)
}

// SetDeviceState sets the state of a device that no channel technology
// owns ("Custom:100", "Queue:support_avail" …, Asterisk's
// ast_devstate_changed for a provider's device) and announces it, the
// first time whatever the state, later when it changed.
func (c *Core) SetDeviceState(device string, state DeviceState) {
	order := c.dev.stripe(device)
	order.Lock()
	defer order.Unlock()
	d := &c.dev
	d.mu.Lock()
	last, known := d.explicit[device]
	if d.explicit == nil {
		d.explicit = make(map[string]DeviceState)
	}
	d.explicit[device] = state
	d.mu.Unlock()
	if known && last == state {
		return
	}
	c.sink.HandleEvent(Event{Kind: EventDeviceStateChange, Device: device, DeviceState: state})
	c.hintsDeviceChanged(device)
	d.notify(device, state)
}

// set returns the state SetDeviceState gave device, if any.
func (d *devices) set(device string) (DeviceState, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, ok := d.explicit[device]
	return st, ok
}

// WatchDevices calls fn with every device state change announced from now
// on (what DeviceStateChange events report), in order for each device,
// until cancel is called. fn runs in the goroutine that changed the
// device, with that device's ordering lock held: it must return quickly
// and must not change a device's state itself (hand the work to a
// goroutine of its own). Queues follow their members and hints their
// devices this way.
func (c *Core) WatchDevices(fn func(device string, state DeviceState)) (cancel func()) {
	w := &watcher{fn: fn}
	d := &c.dev
	d.wmu.Lock()
	d.watchers = append(d.watchers[:len(d.watchers):len(d.watchers)], w)
	d.wmu.Unlock()
	return func() {
		d.wmu.Lock()
		defer d.wmu.Unlock()
		out := make([]*watcher, 0, len(d.watchers))
		for _, x := range d.watchers {
			if x != w {
				out = append(out, x)
			}
		}
		d.watchers = out
	}
}

// watcher is one WatchDevices subscription; a pointer, so that cancel
// removes this one even if fn is registered twice.
type watcher struct {
	fn func(device string, state DeviceState)
}

// notify calls the watchers with a change.
func (d *devices) notify(device string, state DeviceState) {
	d.wmu.Lock()
	ws := d.watchers // never changed in place: see WatchDevices
	d.wmu.Unlock()
	for _, w := range ws {
		w.fn(device, state)
	}
}

// remember records state as device's last announced one and reports
// whether it differs from the one before.
func (d *devices) remember(device string, state DeviceState) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	last, ok := d.last[device]
	if !ok {
		last = DeviceNotInUse
	}
	if state == last {
		return false
	}
	// Idle devices stay listed, as Asterisk's cache keeps the last
	// state of every cachable device for DeviceStateList. Only cachable
	// devices get here, which are the configured phones and the like:
	// Local's, one per dialled extension, are not.
	if d.last == nil {
		d.last = make(map[string]DeviceState)
	}
	d.last[device] = state
	return true
}

// DeviceStateEntry is one device and its last announced state.
type DeviceStateEntry struct {
	Device string
	State  DeviceState
}

// DeviceStates returns the devices whose states have been announced and
// are kept (Asterisk's device state cache: cachable devices only, so no
// Local ones, including those back to NOT_INUSE), sorted by name, for
// DeviceStateList.
func (c *Core) DeviceStates() []DeviceStateEntry {
	d := &c.dev
	d.mu.Lock()
	out := make([]DeviceStateEntry, 0, len(d.last)+len(d.explicit))
	for dev, st := range d.explicit {
		out = append(out, DeviceStateEntry{dev, st})
	}
	for dev, st := range d.last {
		if _, ok := d.explicit[dev]; !ok {
			out = append(out, DeviceStateEntry{dev, st})
		}
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out
}

// ParseDeviceState returns the state called s ("INUSE", "not_inuse"),
// ignoring case, as Asterisk's ast_devstate_val does; anything else is
// DeviceUnknown.
func ParseDeviceState(s string) DeviceState {
	for i, n := range deviceStateNames {
		if strings.EqualFold(s, n) {
			return DeviceState(i)
		}
	}
	return DeviceUnknown
}
