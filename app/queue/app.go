package queue

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/sounds"
)

// QUEUESTATUS values (set_queue_result).
const (
	StatusUnknown    = "UNKNOWN"
	StatusTimeout    = "TIMEOUT"
	StatusJoinEmpty  = "JOINEMPTY"
	StatusLeaveEmpty = "LEAVEEMPTY"
	StatusFull       = "FULL"
	StatusContinue   = "CONTINUE"
)

// recheck is app_queue's RECHECK: how often a waiting caller looks again
// when nothing woke it.
const recheck = time.Second

// timingVars are cleared when a caller joins, in Asterisk 20's order.
var timingVars = []string{"ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS"}

// queueOptions are the option letters of Queue that Asterism acts on.
type queueOptions struct {
	ringing  bool // r: ringing instead of music on hold
	goOn     bool // c: continue in the dialplan when the member hangs up
	oneCycle bool // n: no retries; leave after one round of attempts
	moh      string
}

func parseQueueOptions(s string) queueOptions {
	var o queueOptions
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'r':
			o.ringing = true
		case 'c':
			o.goOn = true
		case 'n':
			o.oneCycle = true
		case 'm':
			if i+1 < len(s) && s[i+1] == '(' {
				if j := strings.IndexByte(s[i:], ')'); j > 0 {
					o.moh = s[i+2 : i+j]
					i += j
				}
			}
		}
	}
	return o
}

// RegisterApps registers Queue, AddQueueMember, RemoveQueueMember,
// PauseQueueMember and UnpauseQueueMember (with their documentation) on
// the core.
func (e *Engine) RegisterApps() {
	for _, d := range appDocs {
		pbx.RegisterAppDoc(d)
	}
	e.core.RegisterApp("Queue", e.appQueue)
	e.core.RegisterApp("AddQueueMember", e.appAdd)
	e.core.RegisterApp("RemoveQueueMember", e.appRemove)
	e.core.RegisterApp("PauseQueueMember", func(ch *pbx.Channel, data string) error { return e.appPause(ch, data, true) })
	e.core.RegisterApp("UnpauseQueueMember", func(ch *pbx.Channel, data string) error { return e.appPause(ch, data, false) })
}

func arg(args []string, i int) string {
	if i < len(args) {
		return strings.TrimSpace(args[i])
	}
	return ""
}

// appQueue is Queue(queuename[,options[,URL[,announceoverride[,timeout]]]]).
func (e *Engine) appQueue(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	name := arg(args, 0)
	if name == "" {
		e.log.Warn("Queue requires an argument: queuename[,options[,URL[,announceoverride[,timeout[,AGI[,macro[,gosub[,rule[,position]]]]]]]]]", "channel", ch.Name())
		return fmt.Errorf("queue: %w", errNoQueueName)
	}
	opts := parseQueueOptions(arg(args, 1))
	start := e.now()
	var expire time.Time
	if n := atoi(arg(args, 4)); n > 0 {
		expire = start.Add(time.Duration(n) * time.Second)
	}
	for _, v := range timingVars {
		ch.SetVar(v, "")
	}
	prio := 0
	if v, ok := ch.Var("QUEUE_PRIO"); ok {
		prio = atoi(v)
	}
	ent, reason := e.join(ch, name, prio, start)
	if ent == nil {
		if reason == StatusUnknown {
			e.log.Warn("Unable to join queue '"+name+"'", "channel", ch.Name())
		}
		ch.SetVar("QUEUESTATUS", reason)
		return nil
	}
	c := &call{e: e, ch: ch, ent: ent, opts: opts, expire: expire}
	return c.run()
}

var errNoQueueName = errors.New("no queue name")

// join puts a caller in a queue (join_queue), by priority; it returns the
// entry, or nil and the QUEUESTATUS that says why not.
func (e *Engine) join(ch *pbx.Channel, name string, prio int, now time.Time) (*Entry, string) {
	e.ops.Lock()
	defer e.ops.Unlock()
	e.mu.Lock()
	q := e.findLocked(name)
	switch {
	case q == nil:
		e.mu.Unlock()
		return nil, StatusUnknown
	case q.MaxLen > 0 && len(q.callers) >= q.MaxLen:
		e.mu.Unlock()
		return nil, StatusFull
	case q.emptyLocked(q.JoinEmpty, now):
		e.mu.Unlock()
		return nil, StatusJoinEmpty
	}
	ent := &Entry{ch: ch, q: q, start: now, prio: prio}
	pos := len(q.callers)
	for i, c := range q.callers {
		if prio > c.prio {
			pos = i
			break
		}
	}
	q.callers = append(q.callers, nil)
	copy(q.callers[pos+1:], q.callers[pos:])
	q.callers[pos] = ent
	ent.origPos = pos + 1
	count := len(q.callers)
	qname := q.Name
	e.mu.Unlock()
	if count == 1 {
		e.core.SetDeviceState("Queue:"+qname, pbx.DeviceRinging)
	}
	e.rep.CallerJoin(ch, CallerInfo{Queue: qname, Position: pos + 1, Count: count})
	return ent, ""
}

// leave takes a caller out of its queue (leave_queue): Queue:<q>
// NOT_INUSE when it was the last, then QueueCallerLeave, then
// QUEUEPOSITION. abandoned announces QueueCallerAbandon first.
func (e *Engine) leave(ent *Entry, abandoned bool) {
	e.ops.Lock()
	defer e.ops.Unlock()
	now := e.now()
	e.mu.Lock()
	q := ent.q
	pos := -1
	for i, c := range q.callers {
		if c == ent {
			pos = i
		}
	}
	if pos < 0 {
		e.mu.Unlock()
		return
	}
	q.callers = append(q.callers[:pos:pos], q.callers[pos+1:]...)
	count := len(q.callers)
	hold := int(now.Sub(ent.start) / time.Second)
	if abandoned {
		q.abandoned++
		if q.ServiceLevel > 0 && hold <= q.ServiceLevel {
			q.abandInSL++
		}
	}
	qname := q.Name
	e.mu.Unlock()
	if abandoned {
		ent.ch.SetVar("ABANDONED", "TRUE")
		e.rep.CallerAbandon(ent.ch, CallerInfo{Queue: qname, Position: pos + 1, OriginalPosition: ent.origPos, HoldTime: hold})
	}
	if count == 0 {
		e.core.SetDeviceState("Queue:"+qname, pbx.DeviceNotInUse)
	}
	e.rep.CallerLeave(ent.ch, CallerInfo{Queue: qname, Position: pos + 1, Count: count})
	ent.ch.SetVar("QUEUEPOSITION", strconv.Itoa(pos+1))
	e.kick()
}

// call is one caller's time in a queue.
type call struct {
	e      *Engine
	ch     *pbx.Channel
	ent    *Entry
	opts   queueOptions
	expire time.Time

	gone     chan struct{} // closed when the caller hangs up or is redirected
	goneErr  error
	stopRead func()
	readDone chan struct{}
	stopMOH  func()

	ann announceState
}

// run is the caller's loop (queue_exec, wait_our_turn).
func (c *call) run() error {
	e := c.e
	c.startReader()
	c.startMusic()
	defer c.stopReader()
	c.ann.lastPeriodic = c.ent.start
	tries := 0
	// headTurn tells that the caller was already served as the head in
	// the previous pass: the first pass as the head announces the
	// position only with announce-to-first-user (queue_exec's
	// makeannouncement).
	headTurn := false
	for {
		select {
		case <-c.gone:
			c.finish(true)
			return c.goneErr
		default:
		}
		now := e.now()
		if !c.expire.IsZero() && !now.Before(c.expire) {
			c.finish(true)
			c.ch.SetVar("QUEUESTATUS", StatusTimeout)
			return nil
		}
		e.mu.Lock()
		empty := c.ent.q.emptyLocked(c.ent.q.LeaveWhenEmpty, now)
		turn := c.ourTurnLocked(now)
		wake := e.wake
		e.mu.Unlock()
		if empty {
			c.finish(true)
			c.ch.SetVar("QUEUESTATUS", StatusLeaveEmpty)
			return nil
		}
		if !turn {
			headTurn = false
			// wait_our_turn: announcements, then a second's wait.
			if !c.announce(true, false) {
				continue // the loop's top sees the caller gone
			}
			c.sleep(recheck, wake)
			continue
		}
		first := !headTurn
		headTurn = true
		if !c.announce(!first, true) {
			continue
		}
		if !c.expire.IsZero() && !e.now().Before(c.expire) {
			continue // an announcement took the caller past its timeout
		}
		done, err := c.tryCalling()
		if done {
			return err
		}
		tries++
		// Option n: one ring of every member, then out (as a timeout).
		e.mu.Lock()
		n := len(c.ent.q.members)
		e.mu.Unlock()
		if c.opts.oneCycle && tries >= n {
			c.finish(true)
			c.ch.SetVar("QUEUESTATUS", StatusTimeout)
			return nil
		}
		// wait_a_bit: the retry pause, cut short only by a hangup
		// (the loop's top then sees it).
		c.sleep(time.Duration(c.ent.q.Retry)*time.Second, nil)
	}
}

// announce makes the position announcement (when position is set, or
// firstUser and the queue has announce-to-first-user) and the periodic
// one, when the queue has them and they are due. False when the caller
// left.
func (c *call) announce(position, firstUser bool) bool {
	c.e.mu.Lock()
	p := c.ent.q.Params
	c.e.mu.Unlock()
	if firstUser && p.AnnounceToFirstUser {
		position = true
	}
	if position && p.AnnounceFreq > 0 && !c.sayPosition(&p) {
		return false
	}
	if p.PeriodicAnnounceFreq > 0 && !c.sayPeriodic(&p) {
		return false
	}
	return true
}

// sleep waits d, or until wake is closed or the caller leaves; false when
// the caller left.
func (c *call) sleep(d time.Duration, wake <-chan struct{}) bool {
	if !c.expire.IsZero() {
		if left := time.Until(c.expire); left < d {
			d = max(left, 0)
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-c.gone:
		return false
	}
	return true
}

// ourTurnLocked is is_our_turn: the first callers are served, as many as
// there are available members (one unless autofill, and one for ringall).
func (c *call) ourTurnLocked(now time.Time) bool {
	q := c.ent.q
	avl := 0
	for _, m := range q.members {
		if available(&q.Params, m, now) {
			avl++
		}
	}
	if (!q.Autofill || q.Strategy == RingAll) && avl > 1 {
		avl = 1
	}
	idx := 0
	for i, x := range q.callers {
		if x == c.ent {
			return idx < avl && (q.Autofill || i == 0)
		}
		if idx >= avl {
			break
		}
		if !x.pending {
			idx++
		}
	}
	return false
}

// finish ends the caller's wait without a member: the music stops, the
// timing variables are set, and the caller leaves (abandoned or not).
func (c *call) finish(abandoned bool) {
	c.stopMusic()
	wait := c.e.now().Sub(c.ent.start)
	c.setTiming(wait, 0)
	c.e.leave(c.ent, abandoned)
}

// setTiming sets QUEUEWAIT, DIALEDTIME and ANSWEREDTIME (and their _MS)
// in Asterisk 20's order. DIALEDTIME counts from the join: the core does
// not expose the channel's creation time.
func (c *call) setTiming(wait, answered time.Duration) {
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	s := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	c.ch.SetVar("QUEUEWAIT", s(wait))
	c.ch.SetVar("QUEUEWAIT_MS", strconv.FormatInt(int64(wait/time.Second)*1000, 10))
	c.ch.SetVar("DIALEDTIME", s(wait))
	c.ch.SetVar("DIALEDTIME_MS", ms(wait))
	c.ch.SetVar("ANSWEREDTIME", s(answered))
	c.ch.SetVar("ANSWEREDTIME_MS", ms(answered))
}

// startReader reads (and drops) the caller's frames, so that its hangup
// is seen at once.
func (c *call) startReader() {
	ctx, cancel := context.WithCancel(context.Background())
	c.gone = make(chan struct{})
	c.readDone = make(chan struct{})
	c.stopRead = cancel
	go func() {
		defer close(c.readDone)
		for {
			if _, err := c.ch.Read(ctx); err != nil {
				if ctx.Err() == nil {
					c.goneErr = err
					close(c.gone)
				}
				return
			}
		}
	}()
}

// stopReader stops reading the caller (before a bridge reads it).
func (c *call) stopReader() {
	if c.stopRead != nil {
		c.stopRead()
		<-c.readDone
		c.stopRead = nil
	}
}

// startMusic plays the queue's music on hold class to the caller (or,
// with option r, indicates ringing) until stopMusic.
func (c *call) startMusic() {
	if c.opts.ringing {
		_ = c.ch.Indicate(media.ControlRinging)
		c.stopMOH = func() {}
		return
	}
	class := c.opts.moh
	if class == "" {
		class = c.ent.q.MusicClass
	}
	m := c.e.core.MusicOnHold()
	cl, ok := m.Class(class)
	if !ok {
		cl, _ = m.Class(pbx.DefaultMOHClass)
	}
	shown := pbx.DefaultMOHClass
	if cl != nil {
		shown = cl.Name
	}
	c.e.rep.MusicOnHold(c.ch, true, shown)
	var files []string
	if cl != nil {
		files = cl.Files
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		playMusic(c.ch, files, quit)
	}()
	var once sync.Once
	c.stopMOH = func() {
		once.Do(func() {
			close(quit)
			<-done
			c.e.rep.MusicOnHold(c.ch, false, "")
		})
	}
}

func (c *call) stopMusic() {
	if c.stopMOH != nil {
		c.stopMOH()
	}
}

// mohTone is what plays when a class has no playable file (the core's
// fallback melody).
const mohTone = "523/300,0/100,659/300,0/100,784/300,0/1400"

// playMusic writes the files in turn, forever, one frame each 20 ms,
// falling back to a gentle melody when none plays.
func playMusic(ch *pbx.Channel, files []string, quit <-chan struct{}) {
	lib := sounds.NewDir("")
	var cur sounds.Stream
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	list, _ := media.ParseToneList(mohTone)
	tone := media.NewTonePlayer(list, 2000)
	next, barren := 0, 0
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	var f media.Frame
	for {
		ok := false
		for len(files) > 0 && barren <= len(files) && !ok {
			if cur == nil {
				st, err := lib.Open(filepath.ToSlash(files[next]), "")
				next = (next + 1) % len(files)
				if err != nil {
					barren++
					continue
				}
				cur = st
			}
			if err := cur.ReadFrame(&f); err == nil {
				ok, barren = true, 0
			} else {
				cur.Close()
				cur = nil
				barren++
			}
		}
		if !ok {
			tone.ReadFrame(&f)
		}
		if ch.Write(f) != nil {
			return
		}
		select {
		case <-tick.C:
		case <-quit:
			return
		}
	}
}
