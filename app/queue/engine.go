// Package queue is Asterism's call queues (Asterisk's app_queue): the
// queues of queues.conf and their members, the Queue application that
// makes callers wait with music on hold while the members are rung by the
// queue's strategy, the member management applications, and the state
// that QueueStatus, QueueSummary and "queue show" report.
//
// The package knows nothing of AMI text: what happens is told to a
// [Reporter], synchronously, from the goroutine that changed it, so that
// its events keep their order with the channels' own events. Member
// availability follows device state ([pbx.Core.WatchDevices]); the
// queue's own devices (Queue:<q>, Queue:<q>_avail,
// Queue:<q>_pause_<iface>) are set with [pbx.Core.SetDeviceState].
//
// # Locks
//
// Engine.ops serialises the changes that announce device states (member
// management, joins and leaves), so that their events keep the order of
// the changes; it is taken before Engine.mu. Engine.mu guards every queue,
// member and caller; it is a leaf towards the core: no device state is
// set and no channel is changed with it held, because the core calls the
// device watcher with a device lock held and that watcher takes Engine.mu.
package queue

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/pbx"
)

// Errors of the member management operations; their texts are not
// Asterisk's (the AMI and CLI layers word them).
var (
	ErrNoSuchQueue  = errors.New("no such queue")
	ErrAlreadyThere = errors.New("already there")
	ErrNotThere     = errors.New("not there")
	ErrNotDynamic   = errors.New("member not dynamic")
	ErrBadInterface = errors.New("malformed interface")
)

// MemberEvent names a member event (QueueMemberAdded …).
type MemberEvent string

// The member events.
const (
	MemberAdded   MemberEvent = "QueueMemberAdded"
	MemberRemoved MemberEvent = "QueueMemberRemoved"
	MemberPause   MemberEvent = "QueueMemberPause"
	MemberPenalty MemberEvent = "QueueMemberPenalty"
	MemberStatus  MemberEvent = "QueueMemberStatus"
	// MemberRingInUse is Asterisk's spelling of the event.
	MemberRingInUse MemberEvent = "QueueMemberRinginuse"
)

// AgentEvent names an event about a member rung for a caller.
type AgentEvent string

// The agent events.
const (
	AgentCalled       AgentEvent = "AgentCalled"
	AgentConnect      AgentEvent = "AgentConnect"
	AgentComplete     AgentEvent = "AgentComplete"
	AgentRingNoAnswer AgentEvent = "AgentRingNoAnswer"
)

// AgentInfo is the body of an agent event, in Asterisk's field order.
type AgentInfo struct {
	Queue, Interface, MemberName string
	HoldTime                     int    // AgentConnect, AgentComplete: seconds
	RingTime                     int    // AgentConnect: seconds; AgentRingNoAnswer: ms
	TalkTime                     int    // AgentComplete: seconds
	Reason                       string // AgentComplete: caller, agent
}

// CallerInfo is the body of a caller event (QueueCallerJoin/Leave/Abandon).
type CallerInfo struct {
	Queue            string
	Position, Count  int
	OriginalPosition int // Abandon
	HoldTime         int // Abandon, seconds
}

// Reporter is told what the queues do, synchronously and in order.
// Its methods must not block for long nor change the channels they are
// given (reading them is fine).
type Reporter interface {
	CallerJoin(ch *pbx.Channel, info CallerInfo)
	CallerLeave(ch *pbx.Channel, info CallerInfo)
	CallerAbandon(ch *pbx.Channel, info CallerInfo)
	Agent(kind AgentEvent, caller, member *pbx.Channel, info AgentInfo)
	Member(kind MemberEvent, m MemberStatusInfo)
	// MusicOnHold tells of the caller's music starting (class set) or
	// stopping (class empty).
	MusicOnHold(ch *pbx.Channel, start bool, class string)
}

// Member is a queue member.
type Member struct {
	Interface, Name, StateInterface string
	Penalty                         int
	Paused                          bool
	PausedReason                    string
	Dynamic                         bool
	RingInUse                       bool
	Wrapup                          int
	Status                          pbx.DeviceState
	Calls                           int
	LastCall, LastPause, LoginTime  time.Time
	InCall                          bool
}

// MemberStatusInfo is a member as an event or a status list shows it.
type MemberStatusInfo struct {
	Queue string
	Member
}

// Entry is a caller waiting in a queue.
type Entry struct {
	ch      *pbx.Channel
	q       *Queue
	start   time.Time
	prio    int
	origPos int
	pending bool // ringing members now
	lin     selState
}

// CallerStatus is a waiting caller as QueueStatus shows it.
type CallerStatus struct {
	Position int
	Channel  *pbx.Channel
	Wait     time.Duration
	Priority int
}

// Queue is one queue.
type Queue struct {
	Params
	members   []*Member
	callers   []*Entry
	rr        selState
	completed int
	abandoned int
	holdtime  int
	talktime  int
	inSL      int
	abandInSL int
}

// QueueStatus is a queue as QueueStatus, QueueSummary and "queue show"
// report it.
type QueueStatus struct {
	Params
	Completed, Abandoned     int
	HoldTime, TalkTime       int
	CompletedInSL, AbandInSL int
	Members                  []Member
	Callers                  []CallerStatus
}

// Engine holds the queues.
type Engine struct {
	core *pbx.Core
	rep  Reporter
	log  *slog.Logger
	now  func() time.Time

	ops sync.Mutex // see the package comment

	mu     sync.Mutex
	queues []*Queue
	rnd    *rand.Rand
	wake   chan struct{} // closed and replaced when callers may move on

	avail   chan string // queues whose _avail device may have changed; guarded by mu once closed
	closed  bool        // avail is closed; guarded by mu
	stop    func()
	stopped chan struct{}
}

// Options configure an engine.
type Options struct {
	// Rand is the randomness of the random strategies; nil seeds one
	// from the clock. Tests give a seeded one.
	Rand *rand.Rand
	// Now is the clock; nil is time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// New builds the queues of cfg on core, following the members' device
// states. Close stops it.
func New(core *pbx.Core, cfg *Config, rep Reporter, o Options) *Engine {
	e := &Engine{core: core, rep: rep, log: o.Logger, now: o.Now, rnd: o.Rand,
		wake: make(chan struct{}), avail: make(chan string, 256), stopped: make(chan struct{})}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.rnd == nil {
		e.rnd = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15))
	}
	e.load(cfg)
	cancel := core.WatchDevices(e.deviceChanged)
	go e.availLoop()
	e.stop = cancel
	return e
}

// Close stops following device states.
func (e *Engine) Close() {
	e.stop()
	// A watcher call may still be running after the cancel: it sends
	// under mu and only while open.
	e.mu.Lock()
	e.closed = true
	close(e.avail)
	e.mu.Unlock()
	<-e.stopped
}

// load installs cfg's queues. A queue that stays (a reload) keeps its
// callers, statistics and dynamic members, and its static members that
// stay keep their calls and pause: the objects are updated in place, as
// calls in progress hold them.
func (e *Engine) load(cfg *Config) {
	e.loadMasked(cfg, ReloadMask{Parameters: true, Members: true})
}

// ReloadMask is what a reload changes (app_queue's QUEUE_RELOAD_* flags)
// and where.
type ReloadMask struct {
	// Queue restricts the reload to one queue; "" is every queue.
	Queue string
	// Parameters reloads the queues' settings; it also adds the queues
	// new in the file and drops those that left it.
	Parameters bool
	// Members reloads the static members.
	Members bool
}

// loadMasked is reload_queues for the parts mask names.
func (e *Engine) loadMasked(cfg *Config, mask ReloadMask) {
	now := e.now()
	mine := func(name string) bool { return mask.Queue == "" || strings.EqualFold(name, mask.Queue) }
	var out []*Queue
	e.mu.Lock()
	for _, p := range cfg.Queues {
		q := e.findLocked(p.Name)
		if !mine(p.Name) {
			if q != nil {
				out = append(out, q)
			}
			continue
		}
		if q == nil {
			if !mask.Parameters {
				// A queue unknown yet is only added by a reload of
				// the parameters, as in reload_single_queue.
				continue
			}
			q = &Queue{}
			q.Params = p
			q.Params.Members = nil
		}
		if mask.Parameters {
			keep := q.Params.Members
			q.Params = p
			q.Params.Members = keep
		}
		if mask.Members {
			q.Params.Members = p.Members
			var members []*Member
			for _, mc := range p.Members {
				if !mc.ringInUseSet {
					// reload_single_member takes the queue's current
					// ringinuse, reloaded or not.
					mc.RingInUse = q.RingInUse
				}
				m := q.memberLocked(mc.Interface)
				if m == nil || m.Dynamic {
					m = &Member{LoginTime: now, Status: pbx.DeviceUnknown}
				}
				m.Interface, m.Name, m.StateInterface = mc.Interface, mc.Name, mc.StateInterface
				m.Penalty, m.RingInUse, m.Wrapup, m.Dynamic = mc.Penalty, mc.RingInUse, mc.Wrapup, false
				members = append(members, m)
			}
			for _, om := range q.members {
				if om.Dynamic && !hasMember(members, om.Interface) {
					members = append(members, om)
				}
			}
			q.members = members
		}
		out = append(out, q)
	}
	// Queues that left the file go with a reload of the parameters (of
	// them), but those that still have callers stay until they leave, as
	// Asterisk keeps them while referenced. Other reloads keep them.
	for _, old := range e.queues {
		if containsQueue(out, old.Name) {
			continue
		}
		if !mask.Parameters || !mine(old.Name) || len(old.callers) > 0 {
			out = append(out, old)
		}
	}
	e.queues = out
	var fresh []*Member
	for _, q := range out {
		for _, m := range q.members {
			if m.Status == pbx.DeviceUnknown {
				fresh = append(fresh, m)
			}
		}
	}
	e.mu.Unlock()
	for _, m := range fresh {
		st := e.core.DeviceState(m.StateInterface)
		e.mu.Lock()
		m.Status = st
		e.mu.Unlock()
	}
}

func hasMember(ms []*Member, iface string) bool {
	for _, m := range ms {
		if strings.EqualFold(m.Interface, iface) {
			return true
		}
	}
	return false
}

func containsQueue(qs []*Queue, name string) bool {
	for _, q := range qs {
		if strings.EqualFold(q.Name, name) {
			return true
		}
	}
	return false
}

// Reload replaces the queues' settings and static members with cfg's.
func (e *Engine) Reload(cfg *Config) {
	e.ReloadMasked(cfg, ReloadMask{Parameters: true, Members: true})
}

// ReloadMasked replaces what mask names with cfg's (QueueReload).
func (e *Engine) ReloadMasked(cfg *Config, mask ReloadMask) {
	e.ops.Lock()
	defer e.ops.Unlock()
	e.loadMasked(cfg, mask)
	e.kick()
}

// SetRingInUse sets a member's ringinuse in a queue, or in every queue
// that has it when queue is empty, announcing QueueMemberRinginuse for
// each. ErrNotThere when no queue has the member (set_member_value).
func (e *Engine) SetRingInUse(queue, iface string, ringInUse bool) error {
	return e.setMemberValue(queue, iface, MemberRingInUse, func(m *Member) { m.RingInUse = ringInUse })
}

// setMemberValue applies set to the member iface in queue, or in every
// queue that has it when queue is empty, then announces ev for each
// changed member and kicks the engine. It is the common body of the
// set_member_value setters (SetRingInUse, SetPenalty), which differ only
// in the field set and the event. ErrNotThere when no queue has iface.
func (e *Engine) setMemberValue(queue, iface string, ev MemberEvent, set func(*Member)) error {
	e.ops.Lock()
	defer e.ops.Unlock()
	var infos []MemberStatusInfo
	e.mu.Lock()
	for _, q := range e.queues {
		if queue != "" && !strings.EqualFold(q.Name, queue) {
			continue
		}
		if m := q.memberLocked(iface); m != nil {
			set(m)
			infos = append(infos, MemberStatusInfo{Queue: q.Name, Member: *m})
		}
	}
	e.mu.Unlock()
	if len(infos) == 0 {
		return ErrNotThere
	}
	for _, in := range infos {
		e.rep.Member(ev, in)
	}
	e.kick()
	return nil
}

func (e *Engine) findLocked(name string) *Queue {
	for _, q := range e.queues {
		if strings.EqualFold(q.Name, name) {
			return q
		}
	}
	return nil
}

func (q *Queue) memberLocked(iface string) *Member {
	for _, m := range q.members {
		if strings.EqualFold(m.Interface, iface) {
			return m
		}
	}
	return nil
}

// kick wakes the waiting callers: a member became free, a caller left.
func (e *Engine) kick() {
	e.mu.Lock()
	close(e.wake)
	e.wake = make(chan struct{})
	e.mu.Unlock()
}

// Names returns the queues' names in configuration order.
func (e *Engine) Names() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, len(e.queues))
	for i, q := range e.queues {
		out[i] = q.Name
	}
	return out
}

// Exists reports whether a queue is configured.
func (e *Engine) Exists(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.findLocked(name) != nil
}

// Status returns the queues (all, or the one named queue, matched without
// regard to case) as they are now, in configuration order.
func (e *Engine) Status(queue string) []QueueStatus {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []QueueStatus
	for _, q := range e.queues {
		if queue != "" && !strings.EqualFold(q.Name, queue) {
			continue
		}
		s := QueueStatus{Params: q.Params, Completed: q.completed, Abandoned: q.abandoned,
			HoldTime: q.holdtime, TalkTime: q.talktime, CompletedInSL: q.inSL, AbandInSL: q.abandInSL}
		s.Members = make([]Member, len(q.members))
		for i, m := range q.members {
			s.Members[i] = *m
		}
		for i, c := range q.callers {
			s.Callers = append(s.Callers, CallerStatus{Position: i + 1, Channel: c.ch, Wait: now.Sub(c.start), Priority: c.prio})
		}
		out = append(out, s)
	}
	return out
}

// Available reports whether a member could be rung now
// (is_member_available).
func (e *Engine) Available(q *Params, m *Member) bool {
	return available(q, m, e.now())
}

func available(q *Params, m *Member, now time.Time) bool {
	if m.Paused {
		return false
	}
	switch m.Status {
	case pbx.DeviceInvalid, pbx.DeviceUnavailable:
		return false
	case pbx.DeviceInUse, pbx.DeviceBusy, pbx.DeviceRinging, pbx.DeviceRingInUse, pbx.DeviceOnHold:
		if !m.RingInUse {
			return false
		}
	}
	return !inWrapup(q, m, now)
}

func inWrapup(q *Params, m *Member, now time.Time) bool {
	w := q.Wrapup
	if m.Wrapup > 0 {
		w = m.Wrapup
	}
	return !m.LastCall.IsZero() && w > 0 && now.Sub(m.LastCall) < time.Duration(w)*time.Second
}

// emptyLocked is get_member_status: whether no member passes the
// conditions (Empty* flags). A queue with no members is empty under any
// condition and not empty under none.
func (q *Queue) emptyLocked(cond int, now time.Time) bool {
	if cond == 0 {
		return false
	}
	for _, m := range q.members {
		switch m.Status {
		case pbx.DeviceInvalid:
			if cond&EmptyInvalid != 0 {
				continue
			}
		case pbx.DeviceUnavailable:
			if cond&EmptyUnavailable != 0 {
				continue
			}
		case pbx.DeviceInUse:
			if cond&EmptyInUse != 0 {
				continue
			}
		case pbx.DeviceRinging:
			if cond&EmptyRinging != 0 {
				continue
			}
		case pbx.DeviceUnknown:
			if cond&EmptyUnknown != 0 {
				continue
			}
		}
		if m.Paused && cond&EmptyPaused != 0 {
			continue
		}
		if cond&EmptyWrapup != 0 && inWrapup(&q.Params, m, now) {
			continue
		}
		return false
	}
	return true
}

// Add adds a dynamic member (QueueAdd, AddQueueMember, "queue add
// member"): announces Queue:<q>_pause_<iface>, QueueMemberAdded, and
// Queue:<q>_avail when the member is available.
func (e *Engine) Add(queue string, mc MemberConfig, paused bool) error {
	if !ValidInterface(mc.Interface) {
		return ErrBadInterface
	}
	if mc.Name == "" {
		mc.Name = mc.Interface
	}
	if mc.StateInterface == "" {
		mc.StateInterface = mc.Interface
	}
	e.ops.Lock()
	defer e.ops.Unlock()
	st := e.core.DeviceState(mc.StateInterface)
	now := e.now()
	e.mu.Lock()
	q := e.findLocked(queue)
	if q == nil {
		e.mu.Unlock()
		return ErrNoSuchQueue
	}
	if q.memberLocked(mc.Interface) != nil {
		e.mu.Unlock()
		return ErrAlreadyThere
	}
	m := &Member{Interface: mc.Interface, Name: mc.Name, StateInterface: mc.StateInterface, Penalty: max(mc.Penalty, 0),
		Dynamic: true, RingInUse: q.RingInUse, Wrapup: mc.Wrapup, Status: st, LoginTime: now, Paused: paused}
	if paused {
		m.LastPause = now
	}
	q.members = append(q.members, m)
	info := MemberStatusInfo{Queue: q.Name, Member: *m}
	avail := available(&q.Params, m, now)
	name := q.Name
	e.mu.Unlock()
	e.core.SetDeviceState(pauseDevice(name, m.Interface), pauseState(paused))
	e.rep.Member(MemberAdded, info)
	if avail {
		e.core.SetDeviceState("Queue:"+name+"_avail", pbx.DeviceNotInUse)
	}
	e.kick()
	return nil
}

// Remove removes a dynamic member: QueueMemberRemoved, then
// Queue:<q>_pause_<iface> NOT_INUSE.
func (e *Engine) Remove(queue, iface string) error {
	e.ops.Lock()
	defer e.ops.Unlock()
	e.mu.Lock()
	q := e.findLocked(queue)
	if q == nil {
		e.mu.Unlock()
		return ErrNoSuchQueue
	}
	var m *Member
	idx := -1
	for i, x := range q.members {
		if strings.EqualFold(x.Interface, iface) {
			m, idx = x, i
		}
	}
	if m == nil {
		e.mu.Unlock()
		return ErrNotThere
	}
	if !m.Dynamic {
		e.mu.Unlock()
		return ErrNotDynamic
	}
	q.members = append(q.members[:idx:idx], q.members[idx+1:]...)
	// The round robin position follows the members after the one removed.
	if q.rr.pos > idx {
		q.rr.pos--
	}
	info := MemberStatusInfo{Queue: q.Name, Member: *m}
	name := q.Name
	e.mu.Unlock()
	e.rep.Member(MemberRemoved, info)
	e.core.SetDeviceState(pauseDevice(name, m.Interface), pbx.DeviceNotInUse)
	e.kick()
	return nil
}

// Pause pauses or unpauses a member in queue, or in every queue that has
// it when queue is empty. It fails with ErrNotThere when no member
// matched.
func (e *Engine) Pause(queue, iface string, paused bool, reason string) error {
	e.ops.Lock()
	defer e.ops.Unlock()
	now := e.now()
	type change struct {
		queue string
		info  MemberStatusInfo
	}
	var changes []change
	e.mu.Lock()
	for _, q := range e.queues {
		if queue != "" && !strings.EqualFold(q.Name, queue) {
			continue
		}
		m := q.memberLocked(iface)
		if m == nil {
			continue
		}
		m.Paused = paused
		m.PausedReason = ""
		if paused {
			m.PausedReason = reason
			m.LastPause = now
		}
		changes = append(changes, change{q.Name, MemberStatusInfo{Queue: q.Name, Member: *m}})
	}
	e.mu.Unlock()
	if len(changes) == 0 {
		return ErrNotThere
	}
	for _, c := range changes {
		e.core.SetDeviceState(pauseDevice(c.queue, c.info.Interface), pauseState(paused))
		e.rep.Member(MemberPause, c.info)
	}
	e.kick()
	return nil
}

// SetPenalty sets a member's penalty in queue, or in every queue that has
// it when queue is empty.
func (e *Engine) SetPenalty(queue, iface string, penalty int) error {
	if penalty < 0 {
		return ErrNotThere
	}
	return e.setMemberValue(queue, iface, MemberPenalty, func(m *Member) { m.Penalty = penalty })
}

// Reset clears the statistics of a queue, or of all when queue is empty
// (clear_queue): the counters and averages, and each member's calls and
// last call. It fails with ErrNoSuchQueue for an unknown queue.
func (e *Engine) Reset(queue string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	found := false
	for _, q := range e.queues {
		if queue != "" && !strings.EqualFold(q.Name, queue) {
			continue
		}
		found = true
		q.completed, q.abandoned, q.holdtime, q.talktime, q.inSL, q.abandInSL = 0, 0, 0, 0, 0, 0
		for _, m := range q.members {
			m.Calls, m.LastCall = 0, time.Time{}
		}
	}
	if !found {
		return ErrNoSuchQueue
	}
	return nil
}

func pauseDevice(queue, iface string) string { return "Queue:" + queue + "_pause_" + iface }

func pauseState(paused bool) pbx.DeviceState {
	if paused {
		return pbx.DeviceInUse
	}
	return pbx.DeviceNotInUse
}

// stateKey is how a device is matched to a member's state interface:
// without regard to case, and Local's "/n" option cut off.
func stateKey(device string) string {
	d := strings.ToLower(device)
	if strings.HasPrefix(d, "local/") {
		if i := strings.Index(d[len("local/"):], "/"); i >= 0 {
			d = d[:len("local/")+i]
		}
	}
	return d
}

// deviceChanged is the core's device watcher (device_state_cb): every
// member whose state interface is device takes the new state, announced
// as QueueMemberStatus; the queue's _avail device is recomputed by
// availLoop, since a watcher must not set device states.
func (e *Engine) deviceChanged(device string, state pbx.DeviceState) {
	key := stateKey(device)
	if strings.HasPrefix(key, "queue:") {
		return
	}
	var infos []MemberStatusInfo
	e.mu.Lock()
	for _, q := range e.queues {
		for _, m := range q.members {
			if stateKey(m.StateInterface) != key || m.Status == state {
				continue
			}
			m.Status = state
			infos = append(infos, MemberStatusInfo{Queue: q.Name, Member: *m})
		}
	}
	if len(infos) > 0 {
		close(e.wake)
		e.wake = make(chan struct{})
	}
	e.mu.Unlock()
	for _, in := range infos {
		e.rep.Member(MemberStatus, in)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, in := range infos {
		if e.closed {
			return
		}
		select {
		case e.avail <- in.Queue:
		default:
			// A burst larger than the buffer: a goroutine of its own
			// keeps the watcher from blocking.
			go e.availChanged(in.Queue)
		}
	}
}

// availLoop announces the queues' _avail devices after member changes.
func (e *Engine) availLoop() {
	defer close(e.stopped)
	for name := range e.avail {
		e.availChanged(name)
	}
}

// availChanged sets Queue:<q>_avail: NOT_INUSE when a member could be
// rung, INUSE when none can.
func (e *Engine) availChanged(name string) {
	now := e.now()
	e.mu.Lock()
	q := e.findLocked(name)
	if q == nil {
		e.mu.Unlock()
		return
	}
	any := false
	for _, m := range q.members {
		if available(&q.Params, m, now) {
			any = true
			break
		}
	}
	e.mu.Unlock()
	st := pbx.DeviceInUse
	if any {
		st = pbx.DeviceNotInUse
	}
	e.core.SetDeviceState("Queue:"+name+"_avail", st)
}

// SetRand replaces the randomness of the random strategies (tests and
// simulations seed it to make the choices reproducible).
func (e *Engine) SetRand(r *rand.Rand) {
	e.mu.Lock()
	e.rnd = r
	e.mu.Unlock()
}
