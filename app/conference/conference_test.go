package conference

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// recorder keeps the reports, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.events = append(r.events, s)
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *recorder) Start(c ConfInfo) { r.add("start " + c.Name) }
func (r *recorder) Join(c ConfInfo, m MemberInfo) {
	r.add(fmt.Sprintf("join %s %d", c.Name, m.User))
}
func (r *recorder) Leave(c ConfInfo, m MemberInfo) {
	r.add(fmt.Sprintf("leave %s %d", c.Name, m.User))
}
func (r *recorder) End(c ConfInfo) { r.add("end " + c.Name) }
func (r *recorder) Mute(c ConfInfo, m MemberInfo) {
	r.add(fmt.Sprintf("mute %s %d %v", c.Name, m.User, m.Muted))
}
func (r *recorder) Talking(c ConfInfo, m MemberInfo) {
	r.add(fmt.Sprintf("talking %s %d %v", c.Name, m.User, m.Talking))
}

// testPBX is a core with simulated phones p<Hz> (play a tone of Hz) and
// the conference applications.
type testPBX struct {
	core *pbx.Core
	sim  *sim.Tech
	eng  *Engine
	rep  *recorder
}

func newTestPBX(tb testing.TB, freqs []int, keep int) *testPBX {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var b strings.Builder
	for _, f := range freqs {
		fmt.Fprintf(&b, "[p%d]\nanswer=0\nplay=tone:%d\n", f, f)
	}
	b.WriteString("[quiet]\nanswer=0\nplay=silence\n")
	f, err := conf.Parse("sim.conf", strings.NewReader(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	st := sim.New(sim.Parse(f, log), nil)
	st.RecordSamples = keep
	core := pbx.New(pbx.Options{Logger: log})
	if err := core.Register(st); err != nil {
		tb.Fatal(err)
	}
	rep := &recorder{}
	mf, err := conf.Parse("meetme.conf", strings.NewReader("[rooms]\nconf => 680\n"))
	if err != nil {
		tb.Fatal(err)
	}
	eng := New(core, rep, ParseMeetMe(mf, log), nil, Options{Logger: log})
	eng.RegisterApps()
	tb.Cleanup(func() {
		eng.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := core.Shutdown(ctx); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
	})
	return &testPBX{core: core, sim: st, eng: eng, rep: rep}
}

// join dials the phone dev and runs app(data) on it.
func (p *testPBX) join(tb testing.TB, dev, app, data string) *pbx.Channel {
	tb.Helper()
	ch, err := p.core.RequestDial(dev, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := ch.Dial(context.Background(), 10*time.Second); err != nil {
		tb.Fatal(err)
	}
	if err := p.core.RunApp(ch, app, data); err != nil {
		tb.Fatal(err)
	}
	return ch
}

func (p *testPBX) waitMembers(tb testing.TB, kind Kind, name string, n int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, ms, _ := p.eng.Members(kind, name)
		if len(ms) == n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: %d members, want %d", name, len(ms), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func amp(s []int16, f float64) float64 {
	g := media.NewGoertzel(f)
	g.Write(s)
	return g.Amplitude()
}

// heard waits until the last 200 ms ch heard satisfy ok.
func (p *testPBX) heard(tb testing.TB, ch *pbx.Channel, what string, ok func(s []int16) bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if rec, found := p.sim.Recording(ch.Name()); found {
			if s := rec.Samples(); len(s) >= 1600 && ok(s[len(s)-1600:]) {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s never heard %s", ch.Name(), what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Three phones in one MeetMe: each hears the two others' tones and not
// its own.
func TestMixEachHearsTheOthers(t *testing.T) {
	freqs := []int{700, 1300, 2100}
	p := newTestPBX(t, freqs, 4000)
	var chans []*pbx.Channel
	for _, f := range freqs {
		chans = append(chans, p.join(t, fmt.Sprintf("Sim/p%d", f), "MeetMe", "680"))
	}
	p.waitMembers(t, MeetMe, "680", 3)
	for i, ch := range chans {
		own := float64(freqs[i])
		var others []float64
		for j, f := range freqs {
			if j != i {
				others = append(others, float64(f))
			}
		}
		p.heard(t, ch, fmt.Sprintf("%v and not %v", others, own), func(s []int16) bool {
			a, b, o := amp(s, others[0]), amp(s, others[1]), amp(s, own)
			return a > 1000 && b > 1000 && o*10 < a && o*10 < b
		})
	}
	for _, ch := range chans {
		ch.Hangup(pbx.CauseNormalClearing)
	}
	p.waitMembers(t, MeetMe, "680", 0)
	ev := p.rep.list()
	if ev[0] != "start 680" || ev[1] != "join 680 1" || ev[len(ev)-1] != "end 680" {
		t.Errorf("events: %v", ev)
	}
}

// A member muted by the admin adds nothing; listen-only members (m) add
// nothing either, and both still hear.
func TestMuteAndListenOnly(t *testing.T) {
	p := newTestPBX(t, []int{700, 1300}, 4000)
	a := p.join(t, "Sim/p700", "MeetMe", "680")
	b := p.join(t, "Sim/p1300", "MeetMe", "680,m")
	p.waitMembers(t, MeetMe, "680", 2)
	p.heard(t, b, "700 Hz", func(s []int16) bool { return amp(s, 700) > 1000 })
	p.heard(t, a, "silence", func(s []int16) bool { return amp(s, 1300) < 100 })
	if err := p.eng.Mute(MeetMe, "680", "1", true); err != nil {
		t.Fatal(err)
	}
	p.heard(t, b, "silence", func(s []int16) bool { return amp(s, 700) < 100 })
	if err := p.eng.Mute(MeetMe, "680", "9", true); err == nil {
		t.Error("muting user 9: no error")
	}
	if err := p.eng.Mute(MeetMe, "681", "1", true); err == nil {
		t.Error("muting in 681: no error")
	}
	a.Hangup(pbx.CauseNormalClearing)
	b.Hangup(pbx.CauseNormalClearing)
	p.waitMembers(t, MeetMe, "680", 0)
	found := false
	for _, e := range p.rep.list() {
		found = found || e == "mute 680 1 true"
	}
	if !found {
		t.Errorf("no mute event: %v", p.rep.list())
	}
}

// MeetMe x: when the last marked user leaves, the others are put out
// and their dialplan goes on; ConfBridge end_marked does the same.
func TestMarkedLeaves(t *testing.T) {
	p := newTestPBX(t, []int{700, 1300}, 0)
	marked := p.join(t, "Sim/p700", "MeetMe", "680,Ax")
	other := p.join(t, "Sim/p1300", "MeetMe", "680,x")
	p.waitMembers(t, MeetMe, "680", 2)
	marked.Hangup(pbx.CauseNormalClearing)
	select {
	case <-other.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the other member stayed")
	}
	p.waitMembers(t, MeetMe, "680", 0)
}

// Talker detection (T) reports talking when a member's tone starts.
func TestTalking(t *testing.T) {
	p := newTestPBX(t, []int{700}, 0)
	a := p.join(t, "Sim/p700", "MeetMe", "680,T")
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev := p.rep.list()
		if len(ev) > 1 && ev[len(ev)-1] == "talking 680 1 true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events: %v", ev)
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.Hangup(pbx.CauseNormalClearing)
	p.waitMembers(t, MeetMe, "680", 0)
}

// A locked ConfBridge admits no one but admins.
func TestLocked(t *testing.T) {
	p := newTestPBX(t, []int{700, 1300}, 0)
	a := p.join(t, "Sim/p700", "ConfBridge", "x")
	p.waitMembers(t, ConfBridge, "x", 1)
	if err := p.eng.Lock(ConfBridge, "x", true); err != nil {
		t.Fatal(err)
	}
	b := p.join(t, "Sim/p1300", "ConfBridge", "x")
	select {
	case <-b.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the locked conference let a member in")
	}
	if _, ms, _ := p.eng.Members(ConfBridge, "x"); len(ms) != 1 {
		t.Errorf("members: %d", len(ms))
	}
	if err := p.eng.Lock(ConfBridge, "nosuch", true); err == nil {
		t.Error("locking nosuch: no error")
	}
	a.Hangup(pbx.CauseNormalClearing)
	p.waitMembers(t, ConfBridge, "x", 0)
}

// MeetMe's options: letters, arguments in parentheses skipped, an
// unclosed parenthesis ending the list.
func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"aAmq", "Aamq"},
		{"w(10)q", "qw"},
		{"qw(10", "qw"},
		{"x)(", ")x"},
		{"", ""},
	} {
		var got []string
		for c := range parseOptions(tc.in) {
			got = append(got, string(c))
		}
		sort.Strings(got)
		if strings.Join(got, "") != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, strings.Join(got, ""), tc.want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, err := conf.Parse("meetme.conf", strings.NewReader("[rooms]\nconf => 680\nconf => 681,1234,4321\nconf => ,9\n"))
	if err != nil {
		t.Fatal(err)
	}
	mc := ParseMeetMe(f, log)
	if r, ok := mc.Room("681"); !ok || r.PIN != "1234" || r.AdminPIN != "4321" || len(mc.Rooms) != 2 {
		t.Errorf("rooms: %+v", mc.Rooms)
	}
	f, err = conf.Parse("confbridge.conf", strings.NewReader("[boss]\ntype=user\nadmin=yes\nmarked=yes\nend_marked=yes\n[big]\ntype=bridge\nmax_members=3\n[odd]\ntype=nonsense\n"))
	if err != nil {
		t.Fatal(err)
	}
	cc := ParseConfBridge(f, log)
	if u := cc.Users["boss"]; !u.Admin || !u.Marked || !u.EndMarked || u.StartMuted {
		t.Errorf("boss: %+v", u)
	}
	if cc.Bridges["big"].MaxMembers != 3 || cc.Users["default_user"].Name != "default_user" {
		t.Errorf("profiles: %+v", cc)
	}
	if _, ok := cc.Users["odd"]; ok {
		t.Error("a section of unknown type became a profile")
	}
}

// BenchmarkMixTick measures the mixing engine's cost per member and tick:
// one op is one 20 ms tick of a conference of n talking members (take
// each member's frame, sum, total-minus-own, encode to µ-law, write to
// the channel).
func BenchmarkMixTick(b *testing.B) {
	for _, n := range []int{3, 10, 100} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			p := newTestPBX(b, nil, 0)
			c := &Conference{eng: p.eng, kind: MeetMe, name: "bench"}
			var f media.Frame
			g := media.NewToneGen(media.DefaultToneAmplitude, 440, 0)
			g.ReadFrame(&f)
			if err := f.Convert(media.ULAW); err != nil {
				b.Fatal(err)
			}
			for range n {
				ch, err := p.core.RequestDial("Sim/quiet", nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := ch.Dial(context.Background(), 10*time.Second); err != nil {
					b.Fatal(err)
				}
				c.members = append(c.members, &member{ch: ch, conf: c, format: media.ULAW, kick: make(chan struct{})})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for _, m := range c.members {
					m.push(&f)
				}
				c.tick()
			}
			b.StopTimer()
			perMember := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n) / 1000
			b.ReportMetric(perMember, "µs/member/tick")
			for _, m := range c.members {
				m.ch.Hangup(pbx.CauseNormalClearing)
			}
		})
	}
}

// cpuTime returns the CPU time (user+system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConference100 runs a real 100-member MeetMe of simulated
// phones, each sending a tone in real time, for b.N seconds, and reports
// the process's CPU use as a percentage of one core (run with -cpu 2 for
// two cores: 200 % is both cores busy), phones included.
func BenchmarkConference100(b *testing.B) {
	const n = 100
	freqs := []int{500}
	p := newTestPBX(b, freqs, 0)
	var chans []*pbx.Channel
	for range n {
		chans = append(chans, p.join(b, "Sim/p500", "MeetMe", "680"))
	}
	p.waitMembers(b, MeetMe, "680", n)
	time.Sleep(200 * time.Millisecond)
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	time.Sleep(time.Duration(b.N) * time.Second)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	b.StopTimer()
	b.ReportMetric(100*float64(cpu)/float64(wall), "CPU%")
	b.ReportMetric(float64(cpu.Microseconds())/wall.Seconds()/50/n, "CPUµs/member/tick")
	for _, ch := range chans {
		ch.Hangup(pbx.CauseNormalClearing)
	}
	p.waitMembers(b, MeetMe, "680", 0)
}

// ConfBridge profiles: a wait_marked member is not mixed until the
// marked leader joins, and an end_marked member is put out when the
// leader leaves, its dialplan going on with CONFBRIDGE_RESULT=ENDMARKED.
func TestConfBridgeMarked(t *testing.T) {
	p := newTestPBX(t, []int{700, 1300}, 4000)
	f, err := conf.Parse("confbridge.conf", strings.NewReader(
		"[leader]\ntype=user\nmarked=yes\nadmin=yes\n[member]\ntype=user\nwait_marked=yes\nend_marked=yes\n"))
	if err != nil {
		t.Fatal(err)
	}
	p.eng.SetConfig(nil, ParseConfBridge(f, nil))
	m := p.join(t, "Sim/p1300", "ConfBridge", "m,,member")
	p.waitMembers(t, ConfBridge, "m", 1)
	if _, ms, _ := p.eng.Members(ConfBridge, "m"); !ms[0].Waiting || !ms[0].WaitMark || !ms[0].EndMark {
		t.Errorf("member: %+v", ms[0])
	}
	leader := p.join(t, "Sim/p700", "ConfBridge", "m,,leader")
	p.waitMembers(t, ConfBridge, "m", 2)
	p.heard(t, leader, "1300 Hz", func(s []int16) bool { return amp(s, 1300) > 1000 && amp(s, 700) < 100 })
	p.heard(t, m, "700 Hz", func(s []int16) bool { return amp(s, 700) > 1000 && amp(s, 1300) < 100 })
	leader.Hangup(pbx.CauseNormalClearing)
	select {
	case <-m.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the end_marked member stayed")
	}
	if v, _ := m.Var("CONFBRIDGE_RESULT"); v != "ENDMARKED" {
		t.Errorf("CONFBRIDGE_RESULT %q", v)
	}
	p.waitMembers(t, ConfBridge, "m", 0)
}

// sendDigits queues digits on ch as if its caller pressed them.
func sendDigits(ch *pbx.Channel, digits string) {
	for i := 0; i < len(digits); i++ {
		ch.Queue(media.DTMFBegin(digits[i]))
		ch.Queue(media.DTMFEnd(digits[i], 100*time.Millisecond))
	}
}

// A room with a PIN asks for it: the right PIN (typed, ended by #)
// enters; three wrong ones return to the dialplan with
// MEETME_RESULT=INVALIDPIN; the admin PIN makes an admin.
func TestMeetMePIN(t *testing.T) {
	p := newTestPBX(t, nil, 0)
	mf, err := conf.Parse("meetme.conf", strings.NewReader("[rooms]\nconf => 681,1234,4321\n"))
	if err != nil {
		t.Fatal(err)
	}
	p.eng.SetConfig(ParseMeetMe(mf, nil), nil)
	bad := p.join(t, "Sim/quiet", "MeetMe", "681")
	sendDigits(bad, "9#8#1#")
	select {
	case <-bad.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("three wrong PINs: still asking")
	}
	if v, _ := bad.Var("MEETME_RESULT"); v != "INVALIDPIN" {
		t.Errorf("MEETME_RESULT %q", v)
	}
	good := p.join(t, "Sim/quiet", "MeetMe", "681")
	sendDigits(good, "1234#")
	admin := p.join(t, "Sim/quiet", "MeetMe", "681")
	sendDigits(admin, "4321#")
	p.waitMembers(t, MeetMe, "681", 2)
	_, ms, _ := p.eng.Members(MeetMe, "681")
	admins := 0
	for _, m := range ms {
		if m.Admin {
			admins++
		}
	}
	if admins != 1 {
		t.Errorf("admins: %d of %+v", admins, ms)
	}
	good.Hangup(pbx.CauseNormalClearing)
	admin.Hangup(pbx.CauseNormalClearing)
	p.waitMembers(t, MeetMe, "681", 0)
}
