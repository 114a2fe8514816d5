package iax2

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/pbx"
)

// testPeer is a minimal IAX2 client over a real UDP socket.
type testPeer struct {
	t     *testing.T
	conn  *net.UDPConn
	to    *net.UDPAddr
	oseq  byte
	iseq  byte
	call  uint16
	rcall uint16
}

func newTestPeer(t *testing.T, to string) *testPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ua, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		t.Fatal(err)
	}
	return &testPeer{t: t, conn: c, to: ua, call: 100}
}

func (p *testPeer) send(f *Frame) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDP(f.Encode(nil), p.to); err != nil {
		p.t.Fatal(err)
	}
}

// sendFull sends a full frame in the peer's current dialog.
func (p *testPeer) sendFull(sub uint32, ies ...IE) {
	p.send(&Frame{Full: true, SrcCall: p.call, DstCall: p.rcall, Timestamp: 3, OSeq: p.oseq, ISeq: p.iseq, Type: TypeIAX, Subclass: sub, IEs: ies})
	p.oseq++
}

// recv returns the next frame other than an ACK addressed to the peer's
// current dialog (or a new one), acknowledging full ones.
func (p *testPeer) recv() *Frame {
	p.t.Helper()
	buf := make([]byte, 2048)
	for {
		_ = p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := p.conn.Read(buf)
		if err != nil {
			p.t.Fatalf("no frame: %v", err)
		}
		f, err := Decode(append([]byte(nil), buf[:n]...))
		if err != nil {
			p.t.Fatalf("bad frame from the server: %v", err)
		}
		if f.Full && f.Type == TypeIAX && f.Subclass == IAXAck {
			continue
		}
		if f.Full && f.needsAck() {
			p.iseq = f.OSeq + 1
			p.send(&Frame{Full: true, SrcCall: f.DstCall, DstCall: f.SrcCall, Timestamp: f.Timestamp, OSeq: p.oseq, ISeq: p.iseq, Type: TypeIAX, Subclass: IAXAck})
		}
		if f.Full && f.DstCall != 0 && f.DstCall != p.call {
			continue // an answer to another dialog (the junk of TestMalformedPackets)
		}
		return f
	}
}

func start(t *testing.T, iaxConf string, opts Options) (*Tech, chan PeerStatusEvent) {
	t.Helper()
	f, err := conf.Parse("iax.conf", strings.NewReader(iaxConf))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := Parse(f, log)
	evs := make(chan PeerStatusEvent, 16)
	opts.Addr = "127.0.0.1:0"
	opts.Logger = log
	opts.Events = func(e PeerStatusEvent) { evs <- e }
	tech, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tech.Close)
	return tech, evs
}

func wantEvent(t *testing.T, evs chan PeerStatusEvent, status string) PeerStatusEvent {
	t.Helper()
	select {
	case e := <-evs:
		if e.Status != status {
			t.Fatalf("PeerStatus %+v, want %s", e, status)
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatalf("no PeerStatus %s", status)
	}
	return PeerStatusEvent{}
}

const peerConf = `[general]
bindport = 4569
[p1]
type = friend
host = dynamic
secret = s3cret
qualify = yes
context = default
`

// register runs REGREQ, REGAUTH, REGREQ+MD5 and returns the answer.
func (p *testPeer) register(name, secret string, sub uint32) *Frame {
	p.t.Helper()
	p.call++
	p.rcall, p.oseq, p.iseq = 0, 0, 0
	p.sendFull(sub, StrIE(IEUsername, name), U16IE(IERefresh, 60))
	auth := p.recv()
	if auth.Subclass != IAXRegAuth {
		return auth
	}
	if m, _ := auth.IEUint(IEAuthMethods); m&AuthMD5 == 0 {
		p.t.Fatalf("REGAUTH methods %d without MD5", m)
	}
	p.rcall = auth.SrcCall
	sum := md5.Sum([]byte(auth.IEString(IEChallenge) + secret))
	p.sendFull(sub, StrIE(IEUsername, name), StrIE(IEMD5Result, hex.EncodeToString(sum[:])), U16IE(IERefresh, 60))
	return p.recv()
}

func TestRegisterQualifyRelease(t *testing.T) {
	tech, evs := start(t, peerConf, Options{FreqOK: time.Hour, FreqNotOK: time.Hour})
	p := newTestPeer(t, tech.Addr().String())
	if pi, _ := tech.Peer("p1"); pi.Status != "UNKNOWN" || pi.Registered {
		t.Fatalf("before registration: %+v", pi)
	}
	ack := p.register("p1", "s3cret", IAXRegReq)
	if ack.Subclass != IAXRegAck || ack.IEString(IEUsername) != "p1" {
		t.Fatalf("want REGACK, got %d", ack.Subclass)
	}
	if r, _ := ack.IEUint(IERefresh); r != 60 {
		t.Fatalf("refresh %d", r)
	}
	e := wantEvent(t, evs, "Registered")
	if e.Address != "127.0.0.1" {
		t.Fatalf("address %q", e.Address)
	}
	poke := p.recv()
	if poke.Subclass != IAXPoke || poke.DstCall != 0 {
		t.Fatalf("want POKE, got %+v", poke)
	}
	p.call++
	p.rcall, p.oseq = poke.SrcCall, 0
	p.sendFull(IAXPong)
	deadline := time.Now().Add(5 * time.Second)
	for {
		pi, _ := tech.Peer("p1")
		if strings.HasPrefix(pi.Status, "OK (") && strings.HasSuffix(pi.Status, " ms)") {
			if pi.Addr.Port() != uint16(p.conn.LocalAddr().(*net.UDPAddr).Port) {
				t.Fatalf("addr %v", pi.Addr)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %q after PONG", pi.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ack = p.register("p1", "s3cret", IAXRegRel)
	if ack.Subclass != IAXRegAck {
		t.Fatalf("REGREL answered with %d", ack.Subclass)
	}
	if e := wantEvent(t, evs, "Unregistered"); e.Cause != "" {
		t.Fatalf("cause %q", e.Cause)
	}
	if pi, _ := tech.Peer("p1"); pi.Registered || pi.Status != "UNKNOWN" {
		t.Fatalf("after REGREL: %+v", pi)
	}
}

func TestRegisterWrongSecret(t *testing.T) {
	tech, evs := start(t, peerConf, Options{})
	p := newTestPeer(t, tech.Addr().String())
	if f := p.register("p1", "wrong", IAXRegReq); f.Subclass != IAXRegRej {
		t.Fatalf("wrong secret answered with %d", f.Subclass)
	}
	if f := p.register("nobody", "x", IAXRegReq); f.Subclass != IAXRegRej {
		t.Fatalf("unknown peer answered with %d", f.Subclass)
	}
	select {
	case e := <-evs:
		t.Fatalf("event %+v after a refused registration", e)
	default:
	}
	if pi, _ := tech.Peer("p1"); pi.Registered {
		t.Fatal("registered with a wrong secret")
	}
}

func TestQualifyUnreachableThenReachable(t *testing.T) {
	tech, evs := start(t, peerConf, Options{FreqOK: 50 * time.Millisecond, FreqNotOK: 50 * time.Millisecond, PokeTimeout: 200 * time.Millisecond})
	p := newTestPeer(t, tech.Addr().String())
	if f := p.register("p1", "s3cret", IAXRegReq); f.Subclass != IAXRegAck {
		t.Fatalf("got %d", f.Subclass)
	}
	wantEvent(t, evs, "Registered")
	// Answer the first poke, then go silent: one Unreachable.
	poke := p.recv()
	p.call++
	p.rcall, p.oseq = poke.SrcCall, 0
	p.sendFull(IAXPong)
	wantEvent(t, evs, "Unreachable")
	if pi, _ := tech.Peer("p1"); pi.Status != "UNREACHABLE" {
		t.Fatalf("status %q", pi.Status)
	}
	// Answer pokes again (the stale ones queued meanwhile included):
	// Reachable.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		f := p.recv()
		if f.Subclass == IAXPoke && f.DstCall == 0 {
			p.call++
			p.rcall, p.oseq = f.SrcCall, 0
			p.sendFull(IAXPong)
		}
		select {
		case e := <-evs:
			if e.Status != "Reachable" {
				t.Fatalf("PeerStatus %+v, want Reachable", e)
			}
			return
		default:
		}
	}
	t.Fatal("no PeerStatus Reachable")
}

func TestUnmonitoredAndStatic(t *testing.T) {
	tech, _ := start(t, `[a]
type=peer
host=127.0.0.1
port=4570
secret=x
[u]
type=user
secret=y
[d]
host=dynamic
bogus=1
`, Options{})
	ps := tech.Peers()
	if len(ps) != 2 {
		t.Fatalf("%d peers, want 2 (users are not peers)", len(ps))
	}
	if ps[0].Name != "a" || ps[0].Status != "Unmonitored" || ps[0].Addr.String() != "127.0.0.1:4570" || ps[0].Dynamic {
		t.Fatalf("%+v", ps[0])
	}
	if ps[1].Name != "d" || !ps[1].Dynamic || ps[1].Addr.IsValid() {
		t.Fatalf("%+v", ps[1])
	}
}

// TestMalformedPackets sends garbage and odd frames to a live endpoint;
// it must drop them and still register a peer afterwards.
func TestMalformedPackets(t *testing.T) {
	tech, evs := start(t, peerConf, Options{FreqOK: time.Hour})
	p := newTestPeer(t, tech.Addr().String())
	good := (&Frame{Full: true, SrcCall: 9, Type: TypeIAX, Subclass: IAXRegReq, IEs: []IE{StrIE(IEUsername, "p1")}}).Encode(nil)
	var junk [][]byte
	for i := range good {
		junk = append(junk, good[:i])
	}
	seed := uint32(1)
	for range 200 {
		b := make([]byte, int(seed%64))
		for i := range b {
			seed = seed*1664525 + 1013904223
			b[i] = byte(seed >> 24)
		}
		junk = append(junk, b)
	}
	junk = append(junk,
		(&Frame{Full: true, SrcCall: 9, DstCall: 4000, Type: TypeIAX, Subclass: IAXPong}).Encode(nil),
		(&Frame{Full: true, SrcCall: 9, Type: TypeIAX, Subclass: IAXRegReq}).Encode(nil),
		(&Frame{Full: true, SrcCall: 9, Type: TypeVoice, Subclass: FormatULaw, Data: make([]byte, 3000)}).Encode(nil),
		(&Frame{SrcCall: 77, Data: []byte{1}}).Encode(nil),
	)
	for _, b := range junk {
		if _, err := p.conn.WriteToUDP(b, p.to); err != nil {
			t.Fatal(err)
		}
	}
	p.call = 500
	if f := p.register("p1", "s3cret", IAXRegReq); f.Subclass != IAXRegAck {
		t.Fatalf("after malformed packets: answer %d, want REGACK", f.Subclass)
	}
	wantEvent(t, evs, "Registered")
}

func TestDeviceState(t *testing.T) {
	tech, evs := start(t, peerConf+`[s]
type=peer
host=127.0.0.1
`, Options{FreqOK: time.Hour})
	for res, want := range map[string]pbx.DeviceState{"p1": pbx.DeviceUnavailable, "s": pbx.DeviceUnknown, "nobody": pbx.DeviceInvalid} {
		if got, _ := tech.DeviceState(nil, res); got != want {
			t.Errorf("IAX2/%s: %v, want %v", res, got, want)
		}
	}
	p := newTestPeer(t, tech.Addr().String())
	if f := p.register("p1", "s3cret", IAXRegReq); f.Subclass != IAXRegAck {
		t.Fatalf("got %d", f.Subclass)
	}
	wantEvent(t, evs, "Registered")
	// Reachable and idle: UNKNOWN, as chan_iax2 says, and the core asks
	// the device's channels.
	if got, _ := tech.DeviceState(nil, "p1"); got != pbx.DeviceUnknown {
		t.Errorf("registered IAX2/p1: %v", got)
	}
}

// TestRetransmission leaves a REGAUTH unacknowledged: it comes again
// with the R bit, the same sequence number and challenge.
func TestRetransmission(t *testing.T) {
	tech, _ := start(t, peerConf, Options{Retrans: 20 * time.Millisecond})
	p := newTestPeer(t, tech.Addr().String())
	p.send(&Frame{Full: true, SrcCall: 42, Type: TypeIAX, Subclass: IAXRegReq, IEs: []IE{StrIE(IEUsername, "p1")}})
	buf := make([]byte, 2048)
	var first *Frame
	for range 3 {
		_ = p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := p.conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Decode(append([]byte(nil), buf[:n]...))
		if err != nil || f.Subclass != IAXRegAuth {
			t.Fatalf("%+v %v", f, err)
		}
		if first == nil {
			if f.Retrans {
				t.Fatal("first REGAUTH has the R bit")
			}
			first = f
			continue
		}
		if !f.Retrans || f.OSeq != first.OSeq || f.IEString(IEChallenge) != first.IEString(IEChallenge) {
			t.Fatalf("retransmission %+v of %+v", f, first)
		}
	}
}
