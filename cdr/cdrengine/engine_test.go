package cdrengine

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/cdr"
	"github.com/asterism-pbx/asterism/pbx"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness feeds events to an engine and collects what it posts.
type harness struct {
	t     *testing.T
	e     *Engine
	clk   *clock
	posts []*cdr.Record
}

func newHarness(t *testing.T, g *cdr.General) *harness {
	h := &harness{t: t, clk: &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}}
	h.e = New(Options{General: g, Now: h.clk.now,
		Backends: []Backend{BackendFunc(func(r *cdr.Record) { h.posts = append(h.posts, r) })}})
	return h
}

// ch is a channel the harness drives.
type ch struct {
	h *harness
	s pbx.Snapshot
}

func (h *harness) newChannel(name, id string) *ch {
	c := &ch{h: h, s: pbx.Snapshot{Name: name, Uniqueid: id, Linkedid: id, Context: "default", Exten: "s", Priority: 1, Language: "en"}}
	h.e.HandleEvent(pbx.Event{Kind: pbx.EventNewchannel, Channel: c.s})
	return c
}

func (c *ch) exten(exten, app, data string) {
	c.s.Exten = exten
	c.h.e.HandleEvent(pbx.Event{Kind: pbx.EventNewexten, Channel: c.s, App: app, AppData: data})
}

func (c *ch) state(s pbx.State) {
	c.s.State = s
	c.h.e.HandleEvent(pbx.Event{Kind: pbx.EventNewstate, Channel: c.s})
}

func (c *ch) dial(dest *ch, status string) {
	d := dest.s
	if status == "" {
		c.h.e.HandleEvent(pbx.Event{Kind: pbx.EventDialBegin, Channel: c.s, Dest: &d, DialString: "x"})
		return
	}
	c.h.e.HandleEvent(pbx.Event{Kind: pbx.EventDialEnd, Channel: c.s, Dest: &d, DialStatus: status})
}

func (c *ch) bridgeLeave() {
	c.h.e.HandleEvent(pbx.Event{Kind: pbx.EventBridgeLeave, Channel: c.s, Bridge: &pbx.BridgeSnapshot{}})
}

func (c *ch) hangup(cause int) {
	c.h.e.HandleEvent(pbx.Event{Kind: pbx.EventHangup, Channel: c.s, Cause: cause})
}

func (h *harness) want(n int) []*cdr.Record {
	h.t.Helper()
	if len(h.posts) != n {
		for _, r := range h.posts {
			h.t.Logf("posted: %+v", *r)
		}
		h.t.Fatalf("%d records posted, want %d", len(h.posts), n)
	}
	p := h.posts
	h.posts = nil
	return p
}

func TestAnsweredCall(t *testing.T) {
	h := newHarness(t, nil)
	a := h.newChannel("Local/100@default-00000000;2", "u.1")
	a.s.CallerIDNum, a.s.CallerIDName = "5550", `Jo "J" \ Doe`
	a.s.AccountCode = "acct"
	h.e.HandleEvent(pbx.Event{Kind: pbx.EventNewCallerid, Channel: a.s})
	a.exten("100", "Answer", "")
	h.clk.advance(1500 * time.Millisecond)
	a.state(pbx.StateUp)
	a.exten("100", "Wait", "5")
	h.clk.advance(2700 * time.Millisecond)
	a.hangup(16)
	r := h.want(1)[0]
	if r.Start.IsZero() || r.Answer.Sub(r.Start) != 1500*time.Millisecond || r.End.Sub(r.Answer) != 2700*time.Millisecond {
		t.Errorf("times %v %v %v", r.Start, r.Answer, r.End)
	}
	if r.Duration != 4 || r.BillSec != 2 {
		t.Errorf("duration %d billsec %d, want 4 and 2 (cut down)", r.Duration, r.BillSec)
	}
	want := cdr.Record{AccountCode: "acct", Src: "5550", Dst: "100", DContext: "default",
		CLID: `"Jo \"J\" \\ Doe" <5550>`, Channel: a.s.Name, LastApp: "Wait", LastData: "5",
		Disposition: cdr.DispositionAnswered, UniqueID: "u.1", LinkedID: "u.1"}
	got := *r
	got.Start, got.Answer, got.End, got.Duration, got.BillSec, got.Sequence = time.Time{}, time.Time{}, time.Time{}, 0, 0, 0
	if got.CLID != want.CLID || got.Src != want.Src || got.Dst != want.Dst || got.LastApp != want.LastApp ||
		got.LastData != want.LastData || got.Disposition != want.Disposition || got.AccountCode != want.AccountCode ||
		got.UniqueID != want.UniqueID || got.LinkedID != want.LinkedID || got.Channel != want.Channel || got.DstChannel != "" {
		t.Errorf("record\n got %+v\nwant %+v", got, want)
	}
}

func TestUnansweredWithoutPartyBIsDropped(t *testing.T) {
	for _, unanswered := range []bool{false, true} {
		g := cdr.DefaultConfig().General
		g.Unanswered = unanswered
		h := newHarness(t, &g)
		a := h.newChannel("Sim/100-00000000", "u.1")
		a.exten("100", "Wait", "1")
		a.hangup(16)
		if unanswered {
			if r := h.want(1)[0]; r.Disposition != cdr.DispositionNoAnswer {
				t.Errorf("disposition %v, want NO ANSWER (cause 16)", r.Disposition)
			}
		} else {
			h.want(0)
		}
	}
}

// A Dial that is answered and bridged: the caller's record names the callee
// and ends with the bridge; the callee has no record; the caller's going on
// in the dialplan starts a second record, answered from its start.
func TestDialBridgeAndChain(t *testing.T) {
	h := newHarness(t, nil)
	a := h.newChannel("Local/300@default-00000000;2", "u.1")
	a.exten("300", "Dial", "Sim/100,20")
	b := h.newChannel("Sim/100-00000001", "u.2")
	b.exten("100", "AppDial", "(Outgoing Line)")
	a.dial(b, "")
	h.clk.advance(2 * time.Second)
	b.state(pbx.StateUp)
	a.dial(b, pbx.DialAnswer)
	a.state(pbx.StateUp)
	h.clk.advance(3 * time.Second)
	b.bridgeLeave()
	a.bridgeLeave()
	b.hangup(16)
	h.want(0)
	h.clk.advance(time.Second)
	a.exten("300", "Playback", "bye")
	h.clk.advance(time.Second)
	a.hangup(16)
	rs := h.want(2)
	first, second := rs[0], rs[1]
	if first.DstChannel != b.s.Name || first.LastApp != "Dial" || first.Disposition != cdr.DispositionAnswered ||
		first.Duration != 5 || first.BillSec != 3 {
		t.Errorf("first record %+v", *first)
	}
	if second.DstChannel != "" || second.LastApp != "Playback" || second.Disposition != cdr.DispositionAnswered ||
		!second.Answer.Equal(second.Start) || second.Duration != 1 || second.BillSec != 1 || second.Sequence <= first.Sequence {
		t.Errorf("second record %+v", *second)
	}
}

// A Dial to a busy phone: the record has the callee as party B and BUSY,
// and is closed; the Hangup application after it starts an unanswered
// record with no party B, which is not posted by default.
func TestDialBusy(t *testing.T) {
	h := newHarness(t, nil)
	a := h.newChannel("Local/300@default-00000000;2", "u.1")
	a.exten("300", "Dial", "Sim/102,20")
	b := h.newChannel("Sim/102-00000001", "u.2")
	a.dial(b, "")
	a.dial(b, "BUSY")
	b.hangup(17)
	a.exten("300", "Hangup", "")
	a.hangup(16)
	r := h.want(1)[0]
	if r.DstChannel != b.s.Name || r.Disposition != cdr.DispositionBusy || r.LastApp != "Dial" || !r.Answer.IsZero() {
		t.Errorf("record %+v", *r)
	}
}

// With endbeforehexten the record ends as the h extension starts and keeps
// the extension the call was in; without it the h extension is recorded.
func TestEndBeforeHExten(t *testing.T) {
	for _, before := range []bool{true, false} {
		g := cdr.DefaultConfig().General
		g.EndBeforeHExten = before
		h := newHarness(t, &g)
		a := h.newChannel("Local/100@default-00000000;2", "u.1")
		a.state(pbx.StateUp)
		a.exten("100", "Wait", "1")
		h.clk.advance(time.Second)
		a.exten("h", "NoOp", "in h")
		h.clk.advance(5 * time.Second)
		a.hangup(16)
		r := h.want(1)[0]
		if before && (r.Dst != "100" || r.LastApp != "Wait" || r.Duration != 1) {
			t.Errorf("endbeforehexten=yes: %+v", *r)
		}
		if !before && (r.Dst != "h" || r.LastApp != "NoOp" || r.Duration != 6) {
			t.Errorf("endbeforehexten=no: %+v", *r)
		}
	}
}

// The callee's hangup cause decides the caller's disposition when neither
// answered and the caller's own cause says nothing.
func TestPartyBCause(t *testing.T) {
	g := cdr.DefaultConfig().General
	g.Unanswered = true
	h := newHarness(t, &g)
	a := h.newChannel("Local/300@default-00000000;2", "u.1")
	a.exten("300", "Dial", "Sim/102,20")
	b := h.newChannel("Sim/102-00000001", "u.2")
	a.dial(b, "")
	b.hangup(17)
	a.hangup(0)
	if r := h.want(1)[0]; r.Disposition != cdr.DispositionBusy {
		t.Errorf("disposition %v, want BUSY from party B's cause 17", r.Disposition)
	}
}

func TestWithAndAMAFlags(t *testing.T) {
	h := newHarness(t, nil)
	a := h.newChannel("Local/100@default-00000000;2", "u.1")
	a.state(pbx.StateUp)
	if err := h.e.SetAMAFlags("u.1", cdr.AMABilling); err != nil {
		t.Fatal(err)
	}
	if err := h.e.With("u.1", func(r *cdr.Record) { r.UserField = "uf"; r.SetVar("x", "1") }); err != nil {
		t.Fatal(err)
	}
	if err := h.e.With("nope", func(*cdr.Record) {}); err != ErrNoRecord {
		t.Errorf("With on an unknown channel: %v", err)
	}
	a.hangup(16)
	r := h.want(1)[0]
	if r.AMAFlags != cdr.AMABilling || r.UserField != "uf" || r.Var("x") != "1" {
		t.Errorf("record %+v", *r)
	}
	if err := h.e.With("u.1", func(*cdr.Record) {}); err != ErrNoRecord {
		t.Errorf("With after the hangup: %v", err)
	}
}

// BenchmarkCall feeds the events of a Local pair's call (what the
// originate benchmark makes) through the engine, on all Ps.
func BenchmarkCall(b *testing.B) {
	var posted atomic.Int64
	e := New(Options{Backends: []Backend{BackendFunc(func(*cdr.Record) { posted.Add(1) })}})
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			one := pbx.Snapshot{Name: "Local/200@bench-" + strconv.FormatInt(i, 16) + ";1", Uniqueid: "b." + strconv.FormatInt(2*i, 10), Context: "bench", Exten: "200", Priority: 1}
			two := one
			two.Name, two.Uniqueid = one.Name[:len(one.Name)-1]+"2", "b."+strconv.FormatInt(2*i+1, 10)
			e.HandleEvent(pbx.Event{Kind: pbx.EventNewchannel, Channel: one})
			e.HandleEvent(pbx.Event{Kind: pbx.EventNewchannel, Channel: two})
			e.HandleEvent(pbx.Event{Kind: pbx.EventNewexten, Channel: one, App: "AppDial2", AppData: "(Outgoing Line)"})
			e.HandleEvent(pbx.Event{Kind: pbx.EventNewexten, Channel: two, App: "Answer"})
			two.State, one.State = pbx.StateUp, pbx.StateUp
			e.HandleEvent(pbx.Event{Kind: pbx.EventNewstate, Channel: two})
			e.HandleEvent(pbx.Event{Kind: pbx.EventNewstate, Channel: one})
			e.HandleEvent(pbx.Event{Kind: pbx.EventVarSet, Channel: two})
			two.Exten = "201"
			e.HandleEvent(pbx.Event{Kind: pbx.EventNewexten, Channel: two, App: "NoOp", AppData: "bench"})
			e.HandleEvent(pbx.Event{Kind: pbx.EventNewexten, Channel: two, App: "Hangup"})
			e.HandleEvent(pbx.Event{Kind: pbx.EventSoftHangupRequest, Channel: one})
			e.HandleEvent(pbx.Event{Kind: pbx.EventHangup, Channel: two, Cause: 16})
			e.HandleEvent(pbx.Event{Kind: pbx.EventHangup, Channel: one, Cause: 16})
		}
	})
	if posted.Load() != 2*int64(b.N) {
		b.Fatalf("%d records posted for %d calls", posted.Load(), b.N)
	}
}

// A Dial of two destinations forks the caller's record: one per callee,
// in the order they were called, each with its dial status.
func TestParallelDialForks(t *testing.T) {
	h := newHarness(t, nil)
	a := h.newChannel("Local/300@default-00000000;2", "u.1")
	a.exten("300", "Dial", "Sim/100&Sim/101,20")
	b1 := h.newChannel("Sim/100-00000001", "u.2")
	b2 := h.newChannel("Sim/101-00000002", "u.3")
	a.dial(b1, "")
	h.clk.advance(time.Second)
	a.dial(b2, "")
	h.clk.advance(time.Second)
	a.dial(b1, "CANCEL")
	a.dial(b2, pbx.DialAnswer)
	a.state(pbx.StateUp)
	b1.hangup(26)
	h.clk.advance(2 * time.Second)
	b2.bridgeLeave()
	a.bridgeLeave()
	b2.hangup(16)
	h.want(0) // the callees have no records of their own
	a.hangup(16)
	rs := h.want(2)
	first, second := rs[0], rs[1]
	if first.DstChannel != b1.s.Name || first.Disposition != cdr.DispositionNoAnswer || !first.Answer.IsZero() ||
		first.Duration != 2 || first.LastApp != "Dial" {
		t.Errorf("record of the cancelled callee: %+v", *first)
	}
	if second.DstChannel != b2.s.Name || second.Disposition != cdr.DispositionAnswered || second.Answer.IsZero() ||
		second.Duration != 3 || second.BillSec != 2 || second.LastApp != "Dial" || second.LastData != "Sim/100&Sim/101,20" {
		t.Errorf("record of the callee that answered: %+v", *second)
	}
}
