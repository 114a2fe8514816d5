// Package conference is Asterism's audio conferencing: one mixing engine
// behind two dialplan applications, MeetMe (app_meetme, meetme.conf) and
// ConfBridge (app_confbridge, confbridge.conf).
//
// Every conference of an [Engine] is mixed by one goroutine that wakes
// every 20 ms, as the simulated phones share one frame clock: a goroutine
// and a timer per conference would cost more than the mixing itself once
// there are many small conferences. Each tick takes at most one frame from
// every member, sums the talkers once ([media.Mixer]) and writes to each
// listener the total less its own contribution, clipped, so that a member
// never hears itself.
//
// The channel's own application goroutine (MeetMe or ConfBridge) reads the
// member's frames and queues them for the mixer; it also notices hangups,
// redirects, kicks and DTMF. What happens is reported to a [Reporter],
// which renders the AMI events.
package conference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// Kind says which application a conference belongs to: MeetMe rooms and
// ConfBridge conferences of the same name are different conferences, as
// in Asterisk.
type Kind int

const (
	// MeetMe is app_meetme's conference.
	MeetMe Kind = iota
	// ConfBridge is app_confbridge's conference.
	ConfBridge
)

func (k Kind) String() string {
	if k == MeetMe {
		return "MeetMe"
	}
	return "ConfBridge"
}

// Reporter is told what the conferences do, to render it as events. It is
// called without any conference lock held, from the goroutine that made
// the change; the calls about one conference come in the order of the
// changes.
type Reporter interface {
	// Start: a conference was created (ConfbridgeStart).
	Start(c ConfInfo)
	// Join: a member entered (MeetmeJoin, ConfbridgeJoin).
	Join(c ConfInfo, m MemberInfo)
	// Leave: a member left (MeetmeLeave, ConfbridgeLeave).
	Leave(c ConfInfo, m MemberInfo)
	// End: the conference ended with its last member (MeetmeEnd,
	// ConfbridgeEnd).
	End(c ConfInfo)
	// Mute: a member was muted or unmuted.
	Mute(c ConfInfo, m MemberInfo)
	// Talking: a member whose talking is monitored started or stopped.
	Talking(c ConfInfo, m MemberInfo)
}

// ConfInfo is a conference as it was when something happened.
type ConfInfo struct {
	Kind     Kind
	Name     string
	BridgeID string // the uniqueid of the conference's bridge
	Members  int    // members in the conference
	Marked   int    // marked members
	Locked   bool
	Dynamic  bool
	Created  time.Time
}

// MemberInfo is a member as it was when something happened.
type MemberInfo struct {
	Channel  *pbx.Channel
	User     int // MeetMe's user number, from 1
	Admin    bool
	Marked   bool
	Muted    bool // by itself or an admin
	MutedBy  string
	Listen   bool // listen only (MeetMe m)
	TalkOnly bool // talk only (MeetMe t)
	Talking  bool
	Monitor  bool // talking is monitored
	Waiting  bool // wait_marked with no marked member yet
	WaitMark bool
	EndMark  bool
	Joined   time.Time
}

// Errors of the management operations.
var (
	ErrNoConference = errors.New("no such conference")
	ErrNoMember     = errors.New("no such member")
)

// member is one channel in a conference.
type member struct {
	ch   *pbx.Channel
	conf *Conference
	user int
	opts memberOpts

	// Under conf.mu.
	muted     bool
	mutedBy   string // "admin" or "self"
	talking   bool
	loud      int // consecutive loud frames
	quietRun  int // consecutive quiet frames
	kicked    bool
	waiting   bool
	inbox     [maxInbox][media.FrameSamples]int16
	inLen     [maxInbox]int
	inHead    int
	inCount   int
	format    media.Format
	cur       [media.FrameSamples]int16
	curLen    int
	added     bool
	joined    time.Time
	kick      chan struct{} // closed by a kick or the end of the conference
	kickOnce  sync.Once
	endReason string
}

// memberOpts are the flags a member joins with.
type memberOpts struct {
	admin, marked, listen, talkOnly, quiet bool
	startMuted, waitMarked, endMarked      bool
	monitor                                bool // talking events
	closeOnMarkedLeave                     bool // MeetMe x
}

// maxInbox is how many frames a member may be ahead of the mixer: a
// phone sending 60 ms at a time queues three at once.
const maxInbox = 4

// Conference is one conference room.
type Conference struct {
	eng      *Engine
	kind     Kind
	name     string
	bridgeID string
	// announcer names ConfBridge's announcer channel, the first of
	// every member's BRIDGEPEER (Asterisk keeps a CBAnn channel in each
	// conference bridge).
	announcer string
	created   time.Time
	dynamic   bool
	pin       string
	adminPin  string

	// evMu orders the reports about this conference.
	evMu sync.Mutex

	mu      sync.Mutex
	members []*member
	marked  int
	locked  bool
	ended   bool
	nextNo  int
	order   []*member // scratch of peersLocked: the members in join order
	mixer   media.Mixer
	out     [media.FrameSamples]int16
	writes  []pendingWrite
}

type pendingWrite struct {
	ch *pbx.Channel
	f  media.Frame
}

// Engine holds the conferences and mixes them.
type Engine struct {
	core *pbx.Core
	rep  Reporter
	log  *slog.Logger

	mu      sync.Mutex
	confs   map[confKey]*Conference
	running bool
	ticks   uint64
	cfgMu   sync.RWMutex
	meetme  *MeetMeConfig
	bridge  *ConfBridgeConfig
	closed  bool
	batch   []*Conference
}

type confKey struct {
	kind Kind
	name string
}

// Options configure an Engine.
type Options struct {
	Logger *slog.Logger
}

// New returns an engine for core, reporting to rep (nil: no reports),
// with the rooms of meetme.conf and the profiles of confbridge.conf.
func New(core *pbx.Core, rep Reporter, mc *MeetMeConfig, cc *ConfBridgeConfig, o Options) *Engine {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if rep == nil {
		rep = nopReporter{}
	}
	if mc == nil {
		mc = &MeetMeConfig{}
	}
	if cc == nil {
		cc = DefaultConfBridgeConfig()
	}
	return &Engine{core: core, rep: rep, log: o.Logger, confs: map[confKey]*Conference{}, meetme: mc, bridge: cc}
}

// SetConfig replaces the configuration (a reload); live conferences keep
// their settings.
func (e *Engine) SetConfig(mc *MeetMeConfig, cc *ConfBridgeConfig) {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	if mc != nil {
		e.meetme = mc
	}
	if cc != nil {
		e.bridge = cc
	}
}

func (e *Engine) config() (*MeetMeConfig, *ConfBridgeConfig) {
	e.cfgMu.RLock()
	defer e.cfgMu.RUnlock()
	return e.meetme, e.bridge
}

// Close kicks every member out of every conference.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	var all []*Conference
	for _, c := range e.confs {
		all = append(all, c)
	}
	e.mu.Unlock()
	for _, c := range all {
		c.kickAll("HANGUP")
	}
}

type nopReporter struct{}

func (nopReporter) Start(ConfInfo)               {}
func (nopReporter) Join(ConfInfo, MemberInfo)    {}
func (nopReporter) Leave(ConfInfo, MemberInfo)   {}
func (nopReporter) End(ConfInfo)                 {}
func (nopReporter) Mute(ConfInfo, MemberInfo)    {}
func (nopReporter) Talking(ConfInfo, MemberInfo) {}

// Conferences returns the live conferences of kind, sorted by name.
func (e *Engine) Conferences(kind Kind) []ConfInfo {
	e.mu.Lock()
	var cs []*Conference
	for k, c := range e.confs {
		if k.kind == kind {
			cs = append(cs, c)
		}
	}
	e.mu.Unlock()
	out := make([]ConfInfo, 0, len(cs))
	for _, c := range cs {
		c.mu.Lock()
		out = append(out, c.infoLocked())
		c.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Members returns the members of the conference kind/name in the order
// they joined.
func (e *Engine) Members(kind Kind, name string) (ConfInfo, []MemberInfo, error) {
	c := e.find(kind, name)
	if c == nil {
		return ConfInfo{}, nil, fmt.Errorf("%w: %s", ErrNoConference, name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]MemberInfo, 0, len(c.members))
	for _, m := range c.members {
		out = append(out, m.infoLocked())
	}
	return c.infoLocked(), out, nil
}

func (e *Engine) find(kind Kind, name string) *Conference {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.confs[confKey{kind, name}]
}

// findMember returns the member of kind/name that match selects.
func (e *Engine) findMember(kind Kind, name string, match func(*member) bool) (*Conference, []*member, error) {
	c := e.find(kind, name)
	if c == nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrNoConference, name)
	}
	c.mu.Lock()
	var ms []*member
	for _, m := range c.members {
		if match(m) {
			ms = append(ms, m)
		}
	}
	c.mu.Unlock()
	if len(ms) == 0 {
		return c, nil, fmt.Errorf("%w in %s", ErrNoMember, name)
	}
	return c, ms, nil
}

// byUser selects a MeetMe member by number, or every one for "all".
func byUser(user string) func(*member) bool {
	if user == "all" {
		return func(*member) bool { return true }
	}
	n, err := strconv.Atoi(user)
	return func(m *member) bool { return err == nil && m.user == n }
}

// byChannel selects a member by channel name, or every one for "all".
func byChannel(name string) func(*member) bool {
	if name == "all" {
		return func(*member) bool { return true }
	}
	return func(m *member) bool { return m.ch.Name() == name }
}

// Kick removes the members of kind/name that who names: a MeetMe user
// number or a ConfBridge channel name, or "all".
func (e *Engine) Kick(kind Kind, name, who string) error {
	sel := byChannel(who)
	if kind == MeetMe {
		sel = byUser(who)
	}
	_, ms, err := e.findMember(kind, name, sel)
	if err != nil {
		return err
	}
	for _, m := range ms {
		m.doKick("KICKED")
	}
	return nil
}

// Mute mutes or unmutes (as an admin) the members of kind/name that who
// names, as [Engine.Kick] selects them.
func (e *Engine) Mute(kind Kind, name, who string, mute bool) error {
	sel := byChannel(who)
	if kind == MeetMe {
		sel = byUser(who)
	}
	c, ms, err := e.findMember(kind, name, sel)
	if err != nil {
		return err
	}
	for _, m := range ms {
		c.setMute(m, mute, "admin")
	}
	return nil
}

// Lock locks or unlocks kind/name: a locked conference admits admins
// only.
func (e *Engine) Lock(kind Kind, name string, lock bool) error {
	c := e.find(kind, name)
	if c == nil {
		return fmt.Errorf("%w: %s", ErrNoConference, name)
	}
	c.mu.Lock()
	c.locked = lock
	c.mu.Unlock()
	return nil
}

func (c *Conference) infoLocked() ConfInfo {
	return ConfInfo{Kind: c.kind, Name: c.name, BridgeID: c.bridgeID, Members: len(c.members),
		Marked: c.marked, Locked: c.locked, Dynamic: c.dynamic, Created: c.created}
}

func (m *member) infoLocked() MemberInfo {
	return MemberInfo{Channel: m.ch, User: m.user, Admin: m.opts.admin, Marked: m.opts.marked,
		Muted: m.muted, MutedBy: m.mutedBy, Listen: m.opts.listen, TalkOnly: m.opts.talkOnly,
		Talking: m.talking, Monitor: m.opts.monitor, Waiting: m.waiting,
		WaitMark: m.opts.waitMarked, EndMark: m.opts.endMarked, Joined: m.joined}
}

func (m *member) doKick(reason string) {
	m.kickOnce.Do(func() {
		m.conf.mu.Lock()
		m.kicked = true
		m.endReason = reason
		m.conf.mu.Unlock()
		close(m.kick)
		m.ch.Wake()
	})
}

func (c *Conference) kickAll(reason string) {
	c.mu.Lock()
	ms := append([]*member(nil), c.members...)
	c.mu.Unlock()
	for _, m := range ms {
		m.doKick(reason)
	}
}

func (c *Conference) setMute(m *member, mute bool, by string) {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	c.mu.Lock()
	if m.muted == mute {
		c.mu.Unlock()
		return
	}
	m.muted = mute
	m.mutedBy = by
	if !mute {
		m.mutedBy = ""
	}
	ci, mi := c.infoLocked(), m.infoLocked()
	c.mu.Unlock()
	c.eng.rep.Mute(ci, mi)
}

// errLocked, errFull: a join refused.
var errLocked = errors.New("conference locked")

// join finds or creates kind/name and adds ch with opts. create says
// whether a missing conference may be made (with pins). It returns nil
// and false when the conference does not exist.
func (e *Engine) join(kind Kind, name string, ch *pbx.Channel, opts memberOpts, create bool, dynamic bool, pin, adminPin string) (*member, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, errors.New("conference: engine closed")
	}
	key := confKey{kind, name}
	c := e.confs[key]
	started := false
	if c == nil {
		if !create {
			e.mu.Unlock()
			return nil, fmt.Errorf("%w: %s", ErrNoConference, name)
		}
		c = &Conference{eng: e, kind: kind, name: name, bridgeID: newUUID(), created: time.Now(),
			dynamic: dynamic, pin: pin, adminPin: adminPin}
		if kind == ConfBridge {
			// The announcer is a channel in Asterisk and takes a
			// channel sequence number.
			c.announcer = fmt.Sprintf("CBAnn/%s-%08x;2", name, e.core.NextSeq())
		}
		e.confs[key] = c
		started = true
	}
	c.evMu.Lock()
	defer c.evMu.Unlock()
	c.mu.Lock()
	if c.locked && !opts.admin {
		c.mu.Unlock()
		e.mu.Unlock()
		return nil, errLocked
	}
	startInfo := c.infoLocked()
	c.nextNo++
	m := &member{ch: ch, conf: c, user: c.nextNo, opts: opts, joined: time.Now(), kick: make(chan struct{}), format: media.ULAW}
	m.muted = opts.startMuted
	if m.muted {
		m.mutedBy = "self"
	}
	c.members = append(c.members, m)
	if opts.marked {
		c.marked++
	}
	c.updateWaitingLocked()
	if !e.running {
		e.running = true
		go e.run()
	}
	ci, mi := c.infoLocked(), m.infoLocked()
	peers := c.peersLocked()
	order := append([]*member(nil), c.order...)
	c.mu.Unlock()
	e.mu.Unlock()
	if started {
		e.rep.Start(startInfo)
	}
	e.rep.Join(ci, mi)
	// The newcomer's BRIDGEPEER first, then the others', as the bridge
	// core updates them.
	if v, ok := peers[m]; ok {
		m.ch.SetVar("BRIDGEPEER", v)
	}
	for _, x := range order {
		if x != m {
			x.ch.SetVar("BRIDGEPEER", peers[x])
		}
	}
	return m, nil
}

// peersLocked returns, for a ConfBridge conference, the BRIDGEPEER of
// every member: the announcer, then the other members in the order they
// joined. MeetMe conferences have none.
func (c *Conference) peersLocked() map[*member]string {
	if c.kind != ConfBridge {
		return nil
	}
	out := make(map[*member]string, len(c.members))
	for _, m := range c.members {
		v := c.announcer
		for _, x := range c.members {
			if x != m {
				v += "," + x.ch.Name()
			}
		}
		out[m] = v
	}
	c.order = append(c.order[:0], c.members...)
	return out
}

// updateWaitingLocked puts wait_marked members on hold while no marked
// member is in.
func (c *Conference) updateWaitingLocked() {
	for _, m := range c.members {
		m.waiting = m.opts.waitMarked && !m.opts.marked && c.marked == 0
	}
}

// leave removes m; the last member out ends the conference. A marked
// member leaving kicks the members that end with it (ConfBridge
// end_marked, MeetMe x).
func (m *member) leave() {
	c := m.conf
	e := c.eng
	e.mu.Lock()
	c.evMu.Lock()
	c.mu.Lock()
	mi := m.infoLocked()
	ci := c.infoLocked()
	for i, x := range c.members {
		if x == m {
			c.members = append(c.members[:i], c.members[i+1:]...)
			break
		}
	}
	var endWith []*member
	if m.opts.marked {
		c.marked--
		if c.marked == 0 {
			for _, x := range c.members {
				if x.opts.endMarked || x.opts.closeOnMarkedLeave || m.opts.closeOnMarkedLeave {
					endWith = append(endWith, x)
				}
			}
		}
	}
	c.updateWaitingLocked()
	last := len(c.members) == 0
	if last {
		c.ended = true
		delete(e.confs, confKey{c.kind, c.name})
	}
	endInfo := c.infoLocked()
	peers := c.peersLocked()
	order := append([]*member(nil), c.order...)
	c.mu.Unlock()
	e.mu.Unlock()
	if c.kind == ConfBridge {
		m.ch.SetVar("BRIDGEPEER", "")
	}
	e.rep.Leave(ci, mi)
	for _, x := range order {
		x.ch.SetVar("BRIDGEPEER", peers[x])
	}
	if last {
		e.rep.End(endInfo)
	}
	c.evMu.Unlock()
	for _, x := range endWith {
		x.doKick("ENDMARKED")
	}
}

// push queues a frame the member sent for the mixer.
func (m *member) push(f *media.Frame) {
	c := m.conf
	var buf [media.FrameSamples]int16
	s := f.AppendSamples(buf[:0])
	c.mu.Lock()
	if f.Format != media.SLIN {
		m.format = f.Format
	}
	if m.inCount == maxInbox {
		// The member is ahead of the mixer: drop its oldest frame rather
		// than let the delay grow.
		m.inHead = (m.inHead + 1) % maxInbox
		m.inCount--
	}
	i := (m.inHead + m.inCount) % maxInbox
	m.inLen[i] = copy(m.inbox[i][:], s)
	m.inCount++
	c.mu.Unlock()
}

// run mixes every conference every 20 ms while there are any.
func (e *Engine) run() {
	media.Pace(func() bool {
		e.mu.Lock()
		if len(e.confs) == 0 {
			e.running = false
			e.mu.Unlock()
			return false
		}
		e.batch = e.batch[:0]
		for _, c := range e.confs {
			e.batch = append(e.batch, c)
		}
		e.mu.Unlock()
		e.ticks++
		for i, c := range e.batch {
			c.tick()
			e.batch[i] = nil
		}
		return true
	})
}

// talkThreshold is the mean absolute sample level above which a frame
// counts as speech (Asterisk's default dsp_talking_threshold is 160 on
// its energy scale; this is the same order for 16-bit samples).
const talkThreshold = 256

// Frames of speech or silence before the talking state changes: the
// hysteresis keeps short pauses between words from toggling it.
const (
	talkStartFrames = 2
	talkStopFrames  = 25
)

// tick mixes one 20 ms frame of c and writes it to the members.
func (c *Conference) tick() {
	var talk []*member
	c.mu.Lock()
	c.mixer.Reset()
	for _, m := range c.members {
		m.added = false
		m.curLen = 0
		if m.inCount > 0 {
			i := m.inHead
			m.curLen = copy(m.cur[:], m.inbox[i][:m.inLen[i]])
			m.inHead = (m.inHead + 1) % maxInbox
			m.inCount--
		}
		if m.opts.monitor && c.updateTalking(m) {
			talk = append(talk, m)
		}
		if m.curLen == 0 || m.muted || m.opts.listen || m.waiting {
			continue
		}
		c.mixer.Add(m.cur[:m.curLen])
		m.added = true
	}
	c.writes = c.writes[:0]
	// With no one talking the listeners get silence rather than nothing,
	// as from Asterisk's conferences: their audio keeps its pace.
	silent := c.mixer.Len() == 0
	for _, m := range c.members {
		if m.opts.talkOnly || m.waiting || m.kicked {
			continue
		}
		n := media.FrameSamples
		if silent {
			clear(c.out[:])
		} else {
			var own []int16
			if m.added {
				own = m.cur[:m.curLen]
			}
			n = c.mixer.Minus(c.out[:], own)
		}
		var f media.Frame
		if err := f.SetSamples(m.format, c.out[:n]); err != nil {
			continue
		}
		c.writes = append(c.writes, pendingWrite{ch: m.ch, f: f})
	}
	var infos []MemberInfo
	var ci ConfInfo
	if len(talk) > 0 {
		ci = c.infoLocked()
		for _, m := range talk {
			infos = append(infos, m.infoLocked())
		}
	}
	writes := c.writes
	c.mu.Unlock()
	for i := range writes {
		if err := writes[i].ch.Write(writes[i].f); err != nil {
			c.eng.log.Debug("conference: write", "channel", writes[i].ch.Name(), "err", err)
		}
		writes[i].ch = nil
	}
	if len(infos) > 0 {
		c.evMu.Lock()
		for _, mi := range infos {
			c.eng.rep.Talking(ci, mi)
		}
		c.evMu.Unlock()
	}
}

// updateTalking runs the talk detector on m's current frame and reports
// whether the talking state changed.
func (c *Conference) updateTalking(m *member) bool {
	var sum int64
	for _, s := range m.cur[:m.curLen] {
		if s < 0 {
			sum -= int64(s)
		} else {
			sum += int64(s)
		}
	}
	loud := m.curLen > 0 && sum/int64(m.curLen) > talkThreshold && !m.muted
	if loud {
		m.loud++
		m.quietRun = 0
	} else {
		m.quietRun++
		m.loud = 0
	}
	switch {
	case !m.talking && m.loud >= talkStartFrames:
		m.talking = true
		return true
	case m.talking && m.quietRun >= talkStopFrames:
		m.talking = false
		return true
	}
	return false
}

// serve reads m's channel until it hangs up, is redirected or kicked,
// handing voice frames to the mixer and DTMF to onDigit. It returns the
// reason the member left: "HANGUP", "KICKED", "ENDMARKED", "DTMF"; err is
// the channel's error (nil when the member was kicked: the dialplan goes
// on).
func (m *member) serve(onDigit func(d byte) bool) (string, error) {
	ctx, cancel := context.WithCancel(m.ch.Ctx())
	defer cancel()
	go func() {
		select {
		case <-m.kick:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		f, err := m.ch.Read(ctx)
		if err != nil {
			select {
			case <-m.kick:
				m.conf.mu.Lock()
				r := m.endReason
				m.conf.mu.Unlock()
				return r, nil
			default:
			}
			return "HANGUP", err
		}
		switch f.Type {
		case media.FrameVoice:
			m.push(&f)
		case media.FrameDTMFEnd:
			if onDigit != nil && onDigit(f.Digit) {
				return "DTMF", nil
			}
		}
	}
}
