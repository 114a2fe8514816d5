// Package cdrengine builds Call Detail Records from the PBX core's events,
// as Asterisk 20's main/cdr.c builds them from its channel, dial and bridge
// messages, and hands the finished records to backends.
//
// It sits between the core and the backends: it reads [pbx.Event]s (it is a
// [pbx.EventSink]) and knows nothing of AMI or files; the glue (pbxami)
// gives it the backends that announce a record on the manager or append it
// to Master.csv.
//
// # The records it makes
//
// Every channel gets a record when it appears (Newchannel: start time,
// party A's caller ID, name, unique IDs). The record follows the channel:
// its context and extension (dst, dcontext), the last application it ran
// (lastapp, lastdata, leaving out Dial's AppDial/AppDial2 placeholders, as
// Asterisk does), when it was answered (its state going Up), its account
// code. A Dial makes the called channel party B of the caller's record
// (dstchannel; the one that answers when several are called) and gives the
// record its disposition from the dial status. When the bridge with party B
// ends the record is closed; if the channel goes on in the dialplan a new
// record is started for what it does next, as Asterisk chains records.
// With endbeforehexten the record is closed when the h extension starts.
// The records of a channel are posted when it hangs up.
//
// As in Asterisk, a channel that was dialled by another (the callee of a
// Dial) gets no record of its own while it has no party B: the caller's
// record covers it. Unanswered records without a party B are dropped unless
// cdr.conf's unanswered is set ([cdr.General.Keep]).
//
// A Dial of several destinations forks the caller's record: one record per
// destination, each with its own disposition (the one that answers
// ANSWERED, the others NO ANSWER, BUSY …).
//
// Not modelled: bridges made other than by Dial (party A and B chosen
// among any two bridged channels), multi-party bridges, the CDR options of the ResetCDR/ForkCDR applications, and
// cdr.conf's batch mode (backends receive records at once; see the CSV
// writer in pbxami for how they reach the disk).
package cdrengine

import (
	"errors"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asterism-pbx/asterism/cdr"
	"github.com/asterism-pbx/asterism/pbx"
)

// Backend receives each posted record. Post is called from the goroutine
// that hung the channel up, with no lock of the engine held; it must not
// block for long (queue and return) and must not keep r after returning
// unless it copies it (the engine does not reuse records, so keeping the
// pointer is fine too).
type Backend interface {
	Post(r *cdr.Record)
}

// BackendFunc adapts a function to Backend.
type BackendFunc func(r *cdr.Record)

// Post calls f.
func (f BackendFunc) Post(r *cdr.Record) { f(r) }

// Options configure an Engine.
type Options struct {
	// General is cdr.conf's [general]; nil is Asterisk's defaults.
	General *cdr.General
	// Backends receive every record the engine posts, in order.
	Backends []Backend
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Channel finds a live channel by uniqueid (Core.ChannelByID), so
	// that the application a channel runs without a Newexten (an
	// Originate with Application) is its record's lastapp, as in
	// Asterisk, whose records read it from the channel. Nil: lastapp
	// comes from Newexten only.
	Channel func(uniqueid string) (*pbx.Channel, bool)
}

// shardCount spreads the channels over several maps, so that calls on many
// goroutines (the originate benchmark runs thousands a second) do not all
// wait on one lock.
const shardCount = 64

// Engine turns the core's events into records. It is safe for concurrent
// use; the zero value is not usable, use [New].
type Engine struct {
	g        cdr.General
	backends []Backend
	log      *slog.Logger
	now      func() time.Time
	channel  func(string) (*pbx.Channel, bool)
	seed     maphash.Seed
	seq      atomic.Int64
	shards   [shardCount]shard
}

type shard struct {
	mu sync.Mutex
	m  map[string]*chanCDR
}

// chanCDR is the engine's state for one live channel: its records, oldest
// first, as Asterisk chains them. A record is open until its End is set.
type chanCDR struct {
	mu sync.Mutex

	ch   *pbx.Channel  // the channel, if Options.Channel found it
	recs []*cdr.Record // every record of the channel, oldest first
	cur  *cdr.Record   // the open record the channel's changes go to; nil between records
	// dialing are the open records of the running Dial that wait for
	// their DialEnd, one per destination called (cur among them).
	dialing []*cdr.Record

	snap     pbx.Snapshot // the channel as last seen
	dialed   bool         // called by another channel's Dial
	dialedBy string       // the caller's uniqueid, when dialed
	causeB   int          // party B's hangup cause, once it hung up
	frozen   bool         // the h extension runs: records stay as they are
	amaFlags cdr.AMAFlags

	// The CLID last built, and the caller ID it was built from: most
	// events do not change the caller ID, and building it allocates.
	clid, clidName, clidNum string
	clidSet                 bool
}

// fillPartyA copies the channel's side of the record from c.snap.
func (c *chanCDR) fillPartyA(r *cdr.Record) {
	s := &c.snap
	r.Channel = s.Name
	r.UniqueID = s.Uniqueid
	r.LinkedID = s.Linkedid
	r.Src = s.CallerIDNum
	if !c.clidSet || c.clidName != s.CallerIDName || c.clidNum != s.CallerIDNum {
		c.clid, c.clidName, c.clidNum, c.clidSet = clid(s.CallerIDName, s.CallerIDNum), s.CallerIDName, s.CallerIDNum, true
	}
	r.CLID = c.clid
	r.Dst = s.Exten
	r.DContext = s.Context
	r.AccountCode = s.AccountCode
}

// New returns an engine posting to opts.Backends.
func New(opts Options) *Engine {
	e := &Engine{
		backends: opts.Backends,
		log:      opts.Logger,
		now:      opts.Now,
		channel:  opts.Channel,
		seed:     maphash.MakeSeed(),
	}
	if opts.General != nil {
		e.g = *opts.General
	} else {
		e.g = cdr.DefaultConfig().General
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	for i := range e.shards {
		e.shards[i].m = make(map[string]*chanCDR)
	}
	return e
}

// General returns the settings the engine runs with.
func (e *Engine) General() cdr.General { return e.g }

func (e *Engine) shard(id string) *shard {
	return &e.shards[maphash.String(e.seed, id)%shardCount]
}

func (e *Engine) lookup(id string) *chanCDR {
	s := e.shard(id)
	s.mu.Lock()
	c := s.m[id]
	s.mu.Unlock()
	return c
}

// HandleEvent implements pbx.EventSink. It only updates the channel's
// state; records are posted, after the channel's Hangup, to the backends.
func (e *Engine) HandleEvent(ev pbx.Event) {
	switch ev.Kind {
	case pbx.EventNewchannel:
		e.newChannel(&ev.Channel)
	case pbx.EventNewstate, pbx.EventNewexten, pbx.EventNewCallerid, pbx.EventNewAccountCode,
		pbx.EventDialBegin, pbx.EventDialEnd, pbx.EventBridgeLeave:
		if ev.Channel.Uniqueid == "" {
			return
		}
		c := e.lookup(ev.Channel.Uniqueid)
		if c == nil {
			return
		}
		var callee *chanCDR
		if ev.Kind == pbx.EventDialBegin && ev.Dest != nil {
			callee = e.lookup(ev.Dest.Uniqueid)
		}
		c.mu.Lock()
		e.update(c, &ev)
		c.mu.Unlock()
		if callee != nil {
			callee.mu.Lock()
			callee.dialed = true
			callee.dialedBy = ev.Channel.Uniqueid
			callee.mu.Unlock()
		}
	case pbx.EventHangup:
		e.hangup(&ev)
	}
}

func (e *Engine) newChannel(s *pbx.Snapshot) {
	if s.Uniqueid == "" {
		return
	}
	c := &chanCDR{snap: *s}
	if e.channel != nil {
		c.ch, _ = e.channel(s.Uniqueid)
	}
	c.cur = e.newRecord(c, e.now())
	c.recs = append(c.recs, c.cur)
	sh := e.shard(s.Uniqueid)
	sh.mu.Lock()
	sh.m[s.Uniqueid] = c
	sh.mu.Unlock()
}

// newRecord starts a record for c's channel at t; the caller chains it.
func (e *Engine) newRecord(c *chanCDR, t time.Time) *cdr.Record {
	r := &cdr.Record{Start: t, AMAFlags: c.amaFlags, Sequence: int(e.seq.Add(1) - 1)}
	c.fillPartyA(r)
	if c.snap.State == pbx.StateUp {
		// A record begun for a channel already up (after a bridge)
		// counts as answered from its start, as Asterisk's does.
		r.Answer = t
	}
	return r
}

// clid is Asterisk's ast_callerid_merge as cdr.c calls it, with a name and
// a number that are never NULL: `"name" <number>`, the name quoted with
// ast_escape_quoted (backslash before `"` and `\`).
func clid(name, num string) string {
	var b strings.Builder
	b.Grow(len(name) + len(num) + 5)
	b.WriteByte('"')
	for i := 0; i < len(name); i++ {
		if name[i] == '"' || name[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(name[i])
	}
	b.WriteString(`" <`)
	b.WriteString(num)
	b.WriteByte('>')
	return b.String()
}

// isAppDial reports whether app is one of the placeholders Dial runs on the
// channels it calls ("AppDial", "AppDial2"), which Asterisk's records skip.
func isAppDial(app string) bool {
	return len(app) >= 7 && strings.EqualFold(app[:7], "appdial")
}

// each calls f for every open record that follows the channel: the
// current one and those of the running Dial.
func (c *chanCDR) each(f func(r *cdr.Record)) {
	if c.cur != nil {
		f(c.cur)
	}
	for _, r := range c.dialing {
		if r != c.cur {
			f(r)
		}
	}
}

// close ends r at t; it stays in the chain, to be posted at the hangup.
func (c *chanCDR) close(r *cdr.Record, t time.Time) {
	r.End = t
	if c.cur == r {
		c.cur = nil
	}
}

// update applies ev to c; c.mu is held.
func (e *Engine) update(c *chanCDR, ev *pbx.Event) {
	if c.frozen {
		return
	}
	if ev.Kind == pbx.EventNewexten && ev.Channel.Exten == "h" && e.g.EndBeforeHExten {
		// Asterisk closes the records before the h extension runs
		// (AST_SOFTHANGUP_HANGUP_EXEC), so dst stays where the call was.
		c.frozen = true
		now := e.now()
		c.each(func(r *cdr.Record) { r.End = now })
		c.cur, c.dialing = nil, nil
		return
	}
	c.snap = ev.Channel
	if c.cur == nil && len(c.dialing) == 0 {
		if ev.Kind != pbx.EventNewexten {
			return
		}
		// The channel goes on in the dialplan after its bridge or its
		// Dial ended: a new record, with no party B yet. A channel that
		// was dialled runs a dialplan of its own now (it was
		// redirected), so its records are posted like any other's.
		c.dialed = false
		c.cur = e.newRecord(c, e.now())
		c.recs = append(c.recs, c.cur)
	}
	c.each(c.fillPartyA)
	switch ev.Kind {
	case pbx.EventNewstate:
		if ev.Channel.State == pbx.StateUp {
			now := e.now()
			c.each(func(r *cdr.Record) {
				if r.Answer.IsZero() {
					r.Answer = now
				}
			})
		}
	case pbx.EventNewexten:
		if !isAppDial(ev.App) {
			c.each(func(r *cdr.Record) { r.LastApp, r.LastData = ev.App, ev.AppData })
		}
	case pbx.EventDialBegin:
		e.dialBegin(c, ev.Dest)
	case pbx.EventDialEnd:
		e.dialEnd(c, ev.Dest, ev.DialStatus)
	case pbx.EventBridgeLeave:
		if r := c.cur; r != nil && r.DstChannel != "" {
			c.close(r, e.now())
		}
	}
}

// dialBegin makes dest party B of the current record or, if it already has
// one (a Dial of several destinations), of a record forked from it, as
// Asterisk makes one record per destination.
func (e *Engine) dialBegin(c *chanCDR, dest *pbx.Snapshot) {
	r := c.cur
	if dest == nil || r == nil {
		return
	}
	switch r.DstChannel {
	case "":
		r.DstChannel, r.PeerAccount = dest.Name, dest.AccountCode
		c.dialing = append(c.dialing, r)
	case dest.Name:
	default:
		f := e.newRecord(c, e.now())
		f.LastApp, f.LastData, f.UserField = r.LastApp, r.LastData, r.UserField
		f.Vars = append([]cdr.Var(nil), r.Vars...)
		f.DstChannel, f.PeerAccount = dest.Name, dest.AccountCode
		c.recs = append(c.recs, f)
		c.dialing = append(c.dialing, f)
	}
}

// dialEnd gives the record of dest its disposition. The answered one goes
// on (into the bridge); the others are over, and once the Dial has no
// destination left, what the channel does next starts another record.
func (e *Engine) dialEnd(c *chanCDR, dest *pbx.Snapshot, status string) {
	if dest == nil {
		return
	}
	for i, r := range c.dialing {
		if r.DstChannel != dest.Name {
			continue
		}
		c.dialing = append(c.dialing[:i], c.dialing[i+1:]...)
		r.Disposition = cdr.DispositionFromDialStatus(status, e.g.Congestion)
		if status == pbx.DialAnswer {
			r.PeerAccount = dest.AccountCode
			c.cur = r
		} else {
			c.close(r, e.now())
		}
		return
	}
}

func (e *Engine) hangup(ev *pbx.Event) {
	id := ev.Channel.Uniqueid
	if id == "" {
		return
	}
	sh := e.shard(id)
	sh.mu.Lock()
	c := sh.m[id]
	delete(sh.m, id)
	sh.mu.Unlock()
	if c == nil {
		return
	}
	end := e.now()
	c.mu.Lock()
	if !c.frozen {
		c.snap = ev.Channel
		c.each(c.fillPartyA)
		if r := c.cur; r != nil && c.ch != nil {
			// The application a channel runs without a Newexten (an
			// Originate's): the sink may read the channel it is told
			// about.
			if app, data := c.ch.Application(); app != "" && !isAppDial(app) {
				r.LastApp, r.LastData = app, data
			}
		}
	}
	records := c.recs
	c.recs, c.cur, c.dialing = nil, nil, nil
	dialed, dialedBy := c.dialed, c.dialedBy
	causeB := c.causeB
	c.mu.Unlock()

	if dialed && dialedBy != "" {
		// Tell the caller's record how its party B ended, for the
		// disposition of a call that was not answered.
		if caller := e.lookup(dialedBy); caller != nil {
			caller.mu.Lock()
			caller.causeB = ev.Cause
			caller.mu.Unlock()
		}
	}
	for _, r := range records {
		r.Finish(end, ev.Cause, causeB, &e.g)
		if dialed && r.DstChannel == "" {
			// Asterisk: "CDR for %s is dialed and has no Party B".
			continue
		}
		if !e.g.Keep(r) {
			continue
		}
		if e.g.Debug {
			e.log.Debug("cdr: posting", "channel", r.Channel, "dstchannel", r.DstChannel, "disposition", r.Disposition.String())
		}
		for _, b := range e.backends {
			b.Post(r)
		}
	}
}

// ErrNoRecord is returned (wrapped) by the record accessors for a channel
// the engine has no open record for.
var ErrNoRecord = errors.New("no CDR for the channel")

// With calls f with the channel's current record (the open one, or the
// newest between records) while no event can change it, and returns
// ErrNoRecord if the channel has none. f must not call into the engine.
func (e *Engine) With(uniqueid string, f func(r *cdr.Record)) error {
	c := e.lookup(uniqueid)
	if c == nil {
		return ErrNoRecord
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.cur
	if r == nil && len(c.recs) > 0 {
		r = c.recs[len(c.recs)-1]
	}
	if r == nil {
		return ErrNoRecord
	}
	f(r)
	return nil
}

// SetAMAFlags sets the channel's AMA flags: on its open record and on the
// records it starts later.
func (e *Engine) SetAMAFlags(uniqueid string, a cdr.AMAFlags) error {
	c := e.lookup(uniqueid)
	if c == nil {
		return ErrNoRecord
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.amaFlags = a
	if c.cur != nil {
		c.cur.AMAFlags = a
	}
	return nil
}
