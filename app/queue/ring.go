package queue

import (
	"context"
	"errors"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// attempt is one member considered for a caller in one round
// (app_queue's struct callattempt).
type attempt struct {
	m          *Member
	cand       Candidate
	stillgoing bool
	ch         *pbx.Channel
	ringStart  time.Time
	cancel     context.CancelFunc
	ringing    bool
}

type ringResult struct {
	a   *attempt
	err error
}

// tryCalling is try_calling: one round of attempts for the caller at the
// head. done is true when the caller's time in the queue is over (it was
// connected, or hung up during the call); err is then what Queue returns.
func (c *call) tryCalling() (done bool, err error) {
	e := c.e
	now := e.now()
	q := c.ent.q
	to := time.Duration(q.Timeout) * time.Second
	if !c.expire.IsZero() && (to == 0 || c.expire.Sub(now) <= to) {
		to = c.expire.Sub(now)
		if to <= 0 {
			return false, nil // the caller's time is up: run's loop ends it
		}
	}
	e.mu.Lock()
	atts := make([]*attempt, 0, len(q.members))
	cands := make([]Candidate, 0, len(q.members))
	rnd := func(n int) int { return e.rnd.IntN(n) }
	for i, m := range q.members {
		cd := Candidate{Index: i, Metric: metric(q.Strategy, m, i, &q.rr, &c.ent.lin, now, rnd)}
		cands = append(cands, cd)
		atts = append(atts, &attempt{m: m, cand: cd, stillgoing: true})
	}
	c.ent.pending = true
	strategy := q.Strategy
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		c.ent.pending = false
		e.mu.Unlock()
	}()

	results := make(chan ringResult, len(atts))
	left := func(i int) bool { return atts[i].stillgoing && atts[i].ch == nil }
	ringing := 0
	ringOne := func() {
		for {
			b := best(cands, left)
			if b < 0 {
				return
			}
			tier := []int{b}
			if strategy == RingAll {
				tier = tier[:0]
				for i := range atts {
					if left(i) && cands[i].Metric <= cands[b].Metric {
						tier = append(tier, i)
					}
				}
			}
			for _, i := range tier {
				if c.ring(atts[i], results) {
					ringing++
				}
			}
			if ringing > 0 {
				return
			}
		}
	}
	ringOne()
	e.mu.Lock()
	switch strategy {
	case RRMemory, RROrdered:
		storeNext(&q.rr, cands, left)
	case Linear:
		storeNext(&c.ent.lin, cands, left)
	}
	e.mu.Unlock()
	if ringing == 0 {
		return false, nil
	}

	start := time.Now()
	var timeout <-chan time.Time
	if to > 0 {
		t := time.NewTimer(to)
		defer t.Stop()
		timeout = t.C
	}
	// announce-to-first-user: the head caller's announcements go on
	// while the members ring (wait_for_answer).
	var annTick <-chan time.Time
	e.mu.Lock()
	if q.AnnounceToFirstUser && (q.AnnounceFreq > 0 || q.PeriodicAnnounceFreq > 0) {
		t := time.NewTicker(recheck)
		defer t.Stop()
		annTick = t.C
	}
	e.mu.Unlock()
	var winner *attempt
wait:
	for ringing > 0 {
		select {
		case <-annTick:
			c.announce(true, true)
		case r := <-results:
			ringing--
			r.a.ringing = false
			if r.err == nil {
				winner = r.a
				break wait
			}
			c.noAnswer(r.a, dialStatus(r.err))
			if strategy != RingAll {
				if to == 0 || to-time.Since(start) > 500*time.Millisecond {
					ringOne()
				}
			} else if ringing == 0 {
				ringOne()
			}
		case <-timeout:
			for _, a := range atts {
				if a.ringing {
					e.rep.Agent(AgentRingNoAnswer, c.ch, a.ch, c.agentInfo(a, int(time.Since(a.ringStart).Milliseconds())))
				}
			}
			c.hangupAll(atts, results, &ringing, pbx.DialNoAnswer, pbx.CauseNormalClearing, false)
			return false, nil
		case <-c.gone:
			c.hangupAll(atts, results, &ringing, pbx.DialCancel, pbx.CauseNormalClearing, false)
			return false, nil
		}
	}
	if winner == nil {
		return false, nil
	}
	c.announceDial(pbx.EventDialEnd, winner, pbx.DialAnswer)
	c.hangupAll(atts, results, &ringing, pbx.DialCancel, pbx.CauseAnsweredElsewhere, true)
	return true, c.connect(winner)
}

// announceDial tells the core of a member's dial event, so that AMI and
// the CDR engine see it as the Dial application's.
func (c *call) announceDial(kind pbx.EventKind, a *attempt, status string) {
	if err := c.ch.AnnounceDial(kind, a.ch, dialString(a.m.Interface), status); err != nil {
		c.e.log.Debug("queue: dial event not announced", "err", err)
	}
}

// dialString is the resource part of an interface, as DialBegin shows it.
func dialString(iface string) string {
	if _, res, ok := cutSlash(iface); ok {
		return res
	}
	return iface
}

func cutSlash(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// ring is ring_entry: it checks that the member may be rung
// (can_ring_entry), creates its channel and calls it. False when it could
// not be rung; the attempt is then out of this round.
func (c *call) ring(a *attempt, results chan<- ringResult) bool {
	e := c.e
	now := e.now()
	e.mu.Lock()
	q := c.ent.q
	ok := !a.m.Paused && !inWrapup(&q.Params, a.m, now)
	if ok && !a.m.RingInUse && a.m.Status != pbx.DeviceNotInUse && a.m.Status != pbx.DeviceUnknown {
		ok = false
	}
	if ok && e.outweighedLocked(q, a.m, now) {
		ok = false
	}
	iface := a.m.Interface
	e.mu.Unlock()
	if !ok {
		a.stillgoing = false
		return false
	}
	ch, err := e.core.RequestDial(iface, c.ch)
	if err != nil {
		e.log.Debug("queue: member request failed", "queue", q.Name, "interface", iface, "err", err)
		a.stillgoing = false
		return false
	}
	// The member's channel gets the caller's parties and shows AppDial,
	// as app_queue's channels do.
	exten := ""
	if _, x, _ := c.ch.Location(); x != "" {
		exten = x
	}
	num, name := c.ch.CallerID()
	ch.Apply(pbx.Update{
		CallerID:      &pbx.Party{Num: exten, Name: name},
		ConnectedLine: &pbx.Party{Num: num, Name: name},
	})
	ch.SetOutgoing(pbx.AppDialOutgoing)
	a.ch = ch
	a.ringStart = time.Now()
	a.ringing = true
	e.rep.Agent(AgentCalled, c.ch, ch, c.agentInfo(a, 0))
	c.announceDial(pbx.EventDialBegin, a, "")
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() {
		// app_queue tells of the member's ringing and progress
		// (DialState), as app_dial does.
		err := ch.DialProgress(ctx, 0, func(ctl media.Control) {
			st := "RINGING"
			if ctl == media.ControlProgress {
				st = "PROGRESS"
			}
			c.announceDial(pbx.EventDialState, a, st)
		})
		results <- ringResult{a: a, err: err}
	}()
	return true
}

func (c *call) agentInfo(a *attempt, ring int) AgentInfo {
	return AgentInfo{Queue: c.ent.q.Name, Interface: a.m.Interface, MemberName: a.m.Name, RingTime: ring}
}

// noAnswer ends a failed attempt: AgentRingNoAnswer, DialEnd, hangup.
func (c *call) noAnswer(a *attempt, status string) {
	c.e.rep.Agent(AgentRingNoAnswer, c.ch, a.ch, c.agentInfo(a, int(time.Since(a.ringStart).Milliseconds())))
	c.announceDial(pbx.EventDialEnd, a, status)
	a.cancel()
	cause := a.ch.Cause()
	if cause == 0 {
		cause = pbx.CauseNormalClearing
	}
	a.ch.Hangup(cause)
	a.stillgoing = false
}

// hangupAll stops every attempt still ringing: DialEnd status and a
// hangup with cause. Ones that answered at the same moment are hung up
// too.
func (c *call) hangupAll(atts []*attempt, results <-chan ringResult, ringing *int, status string, cause int, answered bool) {
	for _, a := range atts {
		if a.ringing {
			a.cancel()
		}
	}
	for *ringing > 0 {
		r := <-results
		*ringing--
		r.a.ringing = false
		st := status
		if r.err != nil && !errors.Is(r.err, context.Canceled) && !answered {
			st = dialStatus(r.err)
		}
		c.announceDial(pbx.EventDialEnd, r.a, st)
		r.a.ch.Hangup(cause)
	}
}

// dialStatus maps a Dial error to a DIALSTATUS.
func dialStatus(err error) string {
	switch {
	case err == nil:
		return pbx.DialAnswer
	case errors.Is(err, context.Canceled):
		return pbx.DialCancel
	case errors.Is(err, pbx.ErrBusy):
		return pbx.DialBusy
	case errors.Is(err, pbx.ErrCongestion):
		return pbx.DialCongestion
	case errors.Is(err, pbx.ErrNoAnswer):
		return pbx.DialNoAnswer
	}
	switch pbx.CauseOf(err) {
	case pbx.CauseUserBusy:
		return pbx.DialBusy
	case pbx.CauseNormalCircuitCongestion:
		return pbx.DialCongestion
	}
	return pbx.DialNoAnswer
}

// connect bridges the caller with the member who answered: the caller
// leaves the queue (QueueCallerLeave), AgentConnect, the bridge, then
// AgentComplete and the statistics (update_queue).
func (c *call) connect(a *attempt) error {
	e := c.e
	c.stopMusic()
	c.stopReader()
	callerGone := false
	select {
	case <-c.gone:
		callerGone = true
	default:
	}
	member := a.ch
	if callerGone || c.ch.Answer() != nil {
		member.Hangup(pbx.CauseNormalClearing)
		c.finish(true)
		return pbx.ErrHangup
	}
	now := e.now()
	hold := now.Sub(c.ent.start)
	ringSecs := int(time.Since(a.ringStart) / time.Second)
	c.setTiming(hold, 0)
	c.e.leave(c.ent, false)
	e.mu.Lock()
	q := c.ent.q
	a.m.InCall = true
	h := int(hold / time.Second)
	// recalc_holdtime: an exponential average, from the first call on.
	q.holdtime = (3*q.holdtime + h) >> 2
	e.mu.Unlock()
	info := c.agentInfo(a, ringSecs)
	info.HoldTime = h
	e.rep.Agent(AgentConnect, c.ch, member, info)

	bridged := time.Now()
	var talk int
	// The call's end is reported (AgentComplete) as soon as a party
	// leaves, before the bridge's BridgeLeave events, as in Asterisk.
	left, err := e.core.BridgeNotify(c.ch.Ctx(), member, c.ch, func(left *pbx.Channel, _ error) {
		talk = int(time.Since(bridged) / time.Second)
		reason := "agent"
		if left == c.ch {
			reason = "caller"
		}
		end := e.now()
		e.mu.Lock()
		a.m.InCall = false
		a.m.Calls++
		a.m.LastCall = end
		// update_queue: the first completed call sets the talk time,
		// later ones move its exponential average.
		if q.completed == 0 {
			q.talktime = talk
		} else {
			q.talktime = (3*q.talktime + talk) >> 2
		}
		q.completed++
		if q.ServiceLevel > 0 && h <= q.ServiceLevel {
			q.inSL++
		}
		e.mu.Unlock()
		info.TalkTime = talk
		info.Reason = reason
		info.RingTime = 0
		e.rep.Agent(AgentComplete, c.ch, member, info)
	})
	member.Hangup(pbx.CauseNormalClearing)
	e.kick()
	c.ch.SetVar("ANSWEREDTIME", itoa(talk))
	c.ch.SetVar("ANSWEREDTIME_MS", itoa(int(time.Since(bridged).Milliseconds())))
	switch {
	case errors.Is(err, pbx.ErrAsyncGoto) && left == c.ch:
		return pbx.ErrAsyncGoto
	case c.ch.HangupRequested():
		return pbx.ErrHangup
	case left == c.ch:
		return err
	case c.opts.goOn:
		c.ch.SetVar("QUEUESTATUS", StatusContinue)
		return nil
	}
	return pbx.ErrEndDialplan
}

// outweighedLocked is compare_weight: a member that is also in a queue of
// higher weight, whose callers are at least as many as its available
// members, is kept for that queue.
func (e *Engine) outweighedLocked(q *Queue, m *Member, now time.Time) bool {
	for _, o := range e.queues {
		if o == q || o.Weight <= q.Weight || len(o.callers) == 0 || o.memberLocked(m.Interface) == nil {
			continue
		}
		avl := 0
		for _, om := range o.members {
			if available(&o.Params, om, now) {
				avl++
			}
		}
		if len(o.callers) >= avl {
			return true
		}
	}
	return false
}
