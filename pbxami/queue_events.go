package pbxami

import (
	"strconv"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/app/queue"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// queueReporter renders what the queues do as app_queue's AMI events
// (class agent), and the dial and music-on-hold events of the queue's
// channels as the core's would be rendered.
type queueReporter struct {
	a *Adapter
	m *manager.Manager
}

func (r *queueReporter) chanHeaders(h []ami.Header, ch *pbx.Channel) []ami.Header {
	s := ch.Snapshot()
	return r.a.snapshotHeaders(h, &s, ch)
}

func (r *queueReporter) callerEvent(name string, ch *pbx.Channel, in queue.CallerInfo, abandon bool) {
	h := r.chanHeaders(make([]ami.Header, 0, 20), ch)
	h = append(h, ami.Header{Key: "Queue", Value: in.Queue}, ami.Header{Key: "Position", Value: strconv.Itoa(in.Position)})
	if abandon {
		h = append(h, ami.Header{Key: "OriginalPosition", Value: strconv.Itoa(in.OriginalPosition)},
			ami.Header{Key: "HoldTime", Value: strconv.Itoa(in.HoldTime)})
	} else {
		h = append(h, ami.Header{Key: "Count", Value: strconv.Itoa(in.Count)})
	}
	r.m.Publish(&manager.Event{Name: name, Class: manager.PermAgent, Headers: h})
}

// CallerJoin is QueueCallerJoin: the caller, Queue, Position, Count.
func (r *queueReporter) CallerJoin(ch *pbx.Channel, in queue.CallerInfo) {
	r.callerEvent("QueueCallerJoin", ch, in, false)
}

// CallerLeave is QueueCallerLeave: the caller, Queue, Position, Count.
func (r *queueReporter) CallerLeave(ch *pbx.Channel, in queue.CallerInfo) {
	r.callerEvent("QueueCallerLeave", ch, in, false)
}

// CallerAbandon is QueueCallerAbandon: the caller, Queue, Position,
// OriginalPosition, HoldTime.
func (r *queueReporter) CallerAbandon(ch *pbx.Channel, in queue.CallerInfo) {
	r.callerEvent("QueueCallerAbandon", ch, in, true)
}

// Agent renders AgentCalled, AgentConnect, AgentComplete and
// AgentRingNoAnswer: the caller, the member's channel prefixed Dest, then
// the blob's fields in app_queue's order.
func (r *queueReporter) Agent(kind queue.AgentEvent, caller, member *pbx.Channel, in queue.AgentInfo) {
	h := r.chanHeaders(make([]ami.Header, 0, 40), caller)
	d := member.Snapshot()
	h = r.a.prefixedHeaders(h, "Dest", &d, member)
	h = append(h, ami.Header{Key: "Queue", Value: in.Queue}, ami.Header{Key: "Interface", Value: in.Interface},
		ami.Header{Key: "MemberName", Value: in.MemberName})
	it := func(k string, n int) { h = append(h, ami.Header{Key: k, Value: strconv.Itoa(n)}) }
	switch kind {
	case queue.AgentRingNoAnswer:
		it("RingTime", in.RingTime)
	case queue.AgentConnect:
		it("HoldTime", in.HoldTime)
		it("RingTime", in.RingTime)
	case queue.AgentComplete:
		it("HoldTime", in.HoldTime)
		it("TalkTime", in.TalkTime)
		h = append(h, ami.Header{Key: "Reason", Value: in.Reason})
	}
	r.m.Publish(&manager.Event{Name: string(kind), Class: manager.PermAgent, Headers: h})
}

// Member renders QueueMemberAdded/Removed/Pause/Penalty/Status
// (queue_member_blob_create's order).
func (r *queueReporter) Member(kind queue.MemberEvent, in queue.MemberStatusInfo) {
	h := make([]ami.Header, 0, 16)
	h = append(h, ami.Header{Key: "Queue", Value: in.Queue}, ami.Header{Key: "MemberName", Value: in.Name},
		ami.Header{Key: "Interface", Value: in.Interface}, ami.Header{Key: "StateInterface", Value: in.StateInterface},
		ami.Header{Key: "Membership", Value: membership(&in.Member)})
	h = appendMemberNumbers(h, &in.Member)
	h = append(h, ami.Header{Key: "Ringinuse", Value: boolNum(in.RingInUse)},
		ami.Header{Key: "Wrapuptime", Value: strconv.Itoa(in.Wrapup)})
	r.m.Publish(&manager.Event{Name: string(kind), Class: manager.PermAgent, Headers: h})
}

// MusicOnHold renders MusicOnHoldStart (with Class) and MusicOnHoldStop.
func (r *queueReporter) MusicOnHold(ch *pbx.Channel, start bool, class string) {
	h := r.chanHeaders(make([]ami.Header, 0, 16), ch)
	name := "MusicOnHoldStop"
	if start {
		name = "MusicOnHoldStart"
		h = append(h, ami.Header{Key: "Class", Value: class})
	}
	r.m.Publish(&manager.Event{Name: name, Class: manager.PermCall, Headers: h})
}

func membership(m *queue.Member) string {
	if m.Dynamic {
		return "dynamic"
	}
	return "static"
}

func boolNum(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// unixOrZero is a time as app_queue's members keep them: unix seconds,
// 0 for never.
func unixOrZero(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// appendMemberNumbers appends Penalty … PausedReason, the part the
// member events and QueueStatus's QueueMember share.
func appendMemberNumbers(h []ami.Header, m *queue.Member) []ami.Header {
	return append(h,
		ami.Header{Key: "Penalty", Value: strconv.Itoa(m.Penalty)},
		ami.Header{Key: "CallsTaken", Value: strconv.Itoa(m.Calls)},
		ami.Header{Key: "LastCall", Value: unixOrZero(m.LastCall)},
		ami.Header{Key: "LastPause", Value: unixOrZero(m.LastPause)},
		ami.Header{Key: "LoginTime", Value: unixOrZero(m.LoginTime)},
		ami.Header{Key: "InCall", Value: boolNum(m.InCall)},
		ami.Header{Key: "Status", Value: strconv.Itoa(int(m.Status))},
		ami.Header{Key: "Paused", Value: boolNum(m.Paused)},
		ami.Header{Key: "PausedReason", Value: m.PausedReason},
	)
}
