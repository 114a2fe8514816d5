package pbxami_test

import (
	"crypto/md5"
	"encoding/hex"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/chan/iax2"
	"github.com/asterism-pbx/asterism/internal/transcript"
	"github.com/asterism-pbx/asterism/media"
)

// TestGoldenIAXPeers replays iax-peers.txt on the reference
// configuration. The IAX1peers exchange is left out: Asterisk 20 no
// longer has the action, while Asterism keeps the seed's (empty) list
// (TestIAX1Peers).
func TestGoldenIAXPeers(t *testing.T) {
	tr, err := transcript.ParseFile(filepath.Join(refDir, "iax-peers.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dropExchange(t, tr, "ActionID: iax1p")
	srv := start(t, amitest.ConfigDir(filepath.Join(refDir, "etc")))
	transcript.Replay(t, tr, func() (net.Conn, error) { return net.Dial("tcp", srv.Addr) }, transcript.Options{
		Secrets: map[string]string{"admin": "adminpw"},
		Order:   transcript.EventsBetweenResponses,
		Skip:    transcript.SkipEvents("SuccessfulAuth"),
	})
}

func TestIAX1Peers(t *testing.T) {
	srv := start(t, amitest.ConfigDir(filepath.Join(refDir, "etc")))
	srv.Username, srv.Secret = "admin", "adminpw"
	c := dial(t, srv)
	resp, items := c.list("IAX1peers")
	if resp.Get("Response") != "Success" || !strings.Contains(resp.Get("Message"), "IAX2 only") {
		t.Fatalf("IAX1peers: %v", resp)
	}
	// The helper collects the closing event too: it must be the only one.
	if len(items) != 1 || items[0].Get("Event") != "PeerlistComplete" || items[0].Get("ListItems") != "0" {
		t.Fatalf("IAX1peers listed %v", items)
	}
}

// TestIAXPeerRegisters registers a Go IAX2 client as iaxpeer1 over UDP
// with the MD5 challenge and checks the PeerStatus event and IAXpeers.
func TestIAXPeerRegisters(t *testing.T) {
	srv, c, udp := startIAX(t)
	to := net.UDPAddrFromAddrPort(srv.PBX.IAX2.Addr())
	send := func(f *iax2.Frame) {
		if _, err := udp.WriteToUDP(f.Encode(nil), to); err != nil {
			t.Fatal(err)
		}
	}
	recv := func(sub uint32) *iax2.Frame {
		buf := make([]byte, 2048)
		for {
			_ = udp.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := udp.Read(buf)
			if err != nil {
				t.Fatalf("waiting for subclass %d: %v", sub, err)
			}
			f, err := iax2.Decode(append([]byte(nil), buf[:n]...))
			if err != nil {
				t.Fatal(err)
			}
			if f.Full && f.Type == iax2.TypeIAX && f.Subclass == sub {
				return f
			}
		}
	}
	send(&iax2.Frame{Full: true, SrcCall: 7, Type: iax2.TypeIAX, Subclass: iax2.IAXRegReq, IEs: []iax2.IE{iax2.StrIE(iax2.IEUsername, "iaxpeer1")}})
	auth := recv(iax2.IAXRegAuth)
	sum := md5.Sum([]byte(auth.IEString(iax2.IEChallenge) + "iaxsecret1"))
	send(&iax2.Frame{Full: true, SrcCall: 7, DstCall: auth.SrcCall, OSeq: 1, ISeq: 1, Type: iax2.TypeIAX, Subclass: iax2.IAXRegReq,
		IEs: []iax2.IE{iax2.StrIE(iax2.IEUsername, "iaxpeer1"), iax2.StrIE(iax2.IEMD5Result, hex.EncodeToString(sum[:]))}})
	recv(iax2.IAXRegAck)
	ev := c.event("PeerStatus", "PeerStatus", "Registered")
	if ev.Get("Peer") != "IAX2/iaxpeer1" || ev.Get("Address") != "127.0.0.1" || ev.Get("ChannelType") != "IAX2" {
		t.Fatalf("PeerStatus: %v", ev)
	}
	// As in peers/iax-iaxmodem.txt: the device turns UNKNOWN (reachable,
	// idle) before the PeerStatus.
	for i, m := range c.seen {
		if m == ev {
			t.Fatalf("no DeviceStateChange for IAX2/iaxpeer1 before the PeerStatus")
		}
		if m.Get("Event") == "DeviceStateChange" && m.Get("Device") == "IAX2/iaxpeer1" {
			if m.Get("State") != "UNKNOWN" {
				t.Errorf("DeviceStateChange %d: %v", i, m)
			}
			break
		}
	}
	_, items := c.list("IAXpeerlist")
	port := udp.LocalAddr().(*net.UDPAddr).Port
	found := false
	for _, it := range items {
		if it.Get("ObjectName") == "iaxpeer1" {
			found = true
			if it.Get("IPaddress") != "127.0.0.1" || it.Get("Port") != strconv.Itoa(port) || it.Get("Status") != "Unmonitored" {
				t.Fatalf("PeerEntry: %v", it)
			}
		}
	}
	if !found {
		t.Fatal("iaxpeer1 not listed")
	}
}

// iaxPhone is a Go IAX2 client for the call test: one dialog at a time,
// acknowledging every full frame it gets.
type iaxPhone struct {
	t           *testing.T
	udp         *net.UDPConn
	to          *net.UDPAddr
	local, peer uint16
	oseq, iseq  byte
}

func (p *iaxPhone) send(sub uint32, typ byte, data []byte, ies ...iax2.IE) {
	p.t.Helper()
	f := &iax2.Frame{Full: true, SrcCall: p.local, DstCall: p.peer, Timestamp: 10, OSeq: p.oseq, ISeq: p.iseq, Type: typ, Subclass: sub, IEs: ies, Data: data}
	if _, err := p.udp.WriteToUDP(f.Encode(nil), p.to); err != nil {
		p.t.Fatal(err)
	}
	p.oseq++
}

// recv returns the next frame that is not an ACK.
func (p *iaxPhone) recv() *iax2.Frame {
	p.t.Helper()
	buf := make([]byte, 2048)
	for {
		_ = p.udp.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := p.udp.Read(buf)
		if err != nil {
			p.t.Fatalf("iax phone: %v", err)
		}
		f, err := iax2.Decode(append([]byte(nil), buf[:n]...))
		if err != nil {
			p.t.Fatal(err)
		}
		if !f.Full {
			return f
		}
		if f.Type == iax2.TypeIAX && f.Subclass == iax2.IAXAck {
			continue
		}
		if f.OSeq == p.iseq {
			p.iseq++
		}
		ack := &iax2.Frame{Full: true, SrcCall: f.DstCall, DstCall: f.SrcCall, Timestamp: f.Timestamp, OSeq: p.oseq, ISeq: p.iseq, Type: iax2.TypeIAX, Subclass: iax2.IAXAck}
		if _, err := p.udp.WriteToUDP(ack.Encode(nil), p.to); err != nil {
			p.t.Fatal(err)
		}
		return f
	}
}

// TestIAXOriginateEcho originates IAX2/iaxpeer1 to 600 (Echo) on a
// registered Go client: NEW, ACCEPT, RINGING, ANSWER, µ-law that comes
// back echoed in mini frames, then the client hangs up.
func TestIAXOriginateEcho(t *testing.T) {
	srv, c, udp := startIAX(t)
	p := registerPhone(t, srv, udp)
	c.event("PeerStatus", "PeerStatus", "Registered")

	c.do("Originate", "Channel", "IAX2/iaxpeer1", "Context", "default", "Exten", "600", "Priority", "1", "CallerID", "ami <600>", "Async", "true")
	nw := p.recvNew()
	if nw.IEString(iax2.IECalledNumber) != "s" || nw.IEString(iax2.IECallingNumber) != "600" || nw.IEString(iax2.IECallingName) != "ami" {
		t.Fatalf("NEW: called %q calling %q %q", nw.IEString(iax2.IECalledNumber), nw.IEString(iax2.IECallingNumber), nw.IEString(iax2.IECallingName))
	}
	if f, _ := nw.IEUint(iax2.IEFormat); f != iax2.FormatULaw {
		t.Fatalf("NEW format %d", f)
	}
	p.local, p.peer, p.oseq, p.iseq = 21, nw.SrcCall, 0, 1
	p.send(iax2.IAXAccept, iax2.TypeIAX, nil, iax2.U32IE(iax2.IEFormat, iax2.FormatULaw))
	p.send(iax2.CtlRinging, iax2.TypeControl, nil)
	c.event("Newstate", "ChannelStateDesc", "Ringing")
	p.send(iax2.CtlAnswer, iax2.TypeControl, nil)
	c.event("Newstate", "ChannelStateDesc", "Up")

	p.checkEcho()
	p.send(iax2.IAXHangup, iax2.TypeIAX, nil, iax2.U8IE(iax2.IECauseCode, 16))
	h := c.event("Hangup", "Cause", "16")
	if !strings.HasPrefix(h.Get("Channel"), "IAX2/iaxpeer1-") {
		t.Fatalf("Hangup of %q", h.Get("Channel"))
	}
}

// startIAX starts the reference server and logs in as admin, with a
// loopback UDP socket (closed at the end of the test) for a Go IAX2
// client: the setup the IAX2 tests share.
func startIAX(t *testing.T) (*amitest.Server, *conn, *net.UDPConn) {
	t.Helper()
	srv := start(t, amitest.ConfigDir(filepath.Join(refDir, "etc")))
	srv.Username, srv.Secret = "admin", "adminpw"
	c := dial(t, srv)
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close() })
	return srv, c, udp
}

// recvNew skips frames until the server's NEW, the start of a call to
// the phone, and returns it.
func (p *iaxPhone) recvNew() *iax2.Frame {
	p.t.Helper()
	for {
		if f := p.recv(); f.Full && f.Type == iax2.TypeIAX && f.Subclass == iax2.IAXNew {
			return f
		}
	}
}

// checkEcho sends a 1 kHz tone on p's call, first in a full frame, then
// in mini frames, and fails the test unless Echo sends 5 of them back.
func (p *iaxPhone) checkEcho() {
	p.t.Helper()
	tone := make([]byte, 160)
	for i := range tone {
		tone[i] = media.LinearToULaw(int16(8000 * sin8(i)))
	}
	p.send(iax2.FormatULaw, iax2.TypeVoice, tone)
	echoed := 0
	for i := 0; i < 200 && echoed < 5; i++ {
		mini := &iax2.Frame{SrcCall: p.local, Timestamp: uint32(20 * (i + 1)), Data: tone}
		if _, err := p.udp.WriteToUDP(mini.Encode(nil), p.to); err != nil {
			p.t.Fatal(err)
		}
		if f := p.recv(); f.Type == iax2.TypeVoice && string(f.Data) == string(tone) {
			echoed++
		}
		time.Sleep(20 * time.Millisecond)
	}
	if echoed < 5 {
		p.t.Fatalf("%d echoed voice frames, want 5", echoed)
	}
}

// sin8 is sin(2π·1000·i/8000) for the 8 phases of a 1 kHz tone.
func sin8(i int) float64 {
	return [8]float64{0, 0.7071, 1, 0.7071, 0, -0.7071, -1, -0.7071}[i%8]
}

// registerPhone registers a Go client as iaxpeer1 with the MD5 challenge.
func registerPhone(t *testing.T, srv *amitest.Server, udp *net.UDPConn) *iaxPhone {
	t.Helper()
	p := &iaxPhone{t: t, udp: udp, to: net.UDPAddrFromAddrPort(srv.PBX.IAX2.Addr()), local: 20}
	p.send(iax2.IAXRegReq, iax2.TypeIAX, nil, iax2.StrIE(iax2.IEUsername, "iaxpeer1"))
	auth := p.recv()
	p.peer = auth.SrcCall
	sum := md5.Sum([]byte(auth.IEString(iax2.IEChallenge) + "iaxsecret1"))
	p.send(iax2.IAXRegReq, iax2.TypeIAX, nil, iax2.StrIE(iax2.IEUsername, "iaxpeer1"), iax2.StrIE(iax2.IEMD5Result, hex.EncodeToString(sum[:])))
	if f := p.recv(); f.Subclass != iax2.IAXRegAck {
		t.Fatalf("got %d, want REGACK", f.Subclass)
	}
	return p
}

// TestIAXDialFromDialplan runs extension 102, Dial(IAX2/iaxpeer1,20), on
// a registered Go client, which answers: DialEnd ANSWER; then it hangs up.
func TestIAXDialFromDialplan(t *testing.T) {
	srv, c, udp := startIAX(t)
	p := registerPhone(t, srv, udp)
	c.event("PeerStatus", "PeerStatus", "Registered")
	c.do("Originate", "Channel", "Local/102@default", "Application", "Wait", "Data", "10", "Async", "true")
	nw := p.recvNew()
	if nw.IEString(iax2.IECalledNumber) != "s" {
		t.Fatalf("NEW called number %q", nw.IEString(iax2.IECalledNumber))
	}
	p.local, p.peer, p.oseq, p.iseq = 21, nw.SrcCall, 0, 1
	p.send(iax2.IAXAccept, iax2.TypeIAX, nil, iax2.U32IE(iax2.IEFormat, iax2.FormatULaw))
	p.send(iax2.CtlAnswer, iax2.TypeControl, nil)
	end := c.event("DialEnd", "DialStatus", "ANSWER")
	if !strings.HasPrefix(end.Get("DestChannel"), "IAX2/iaxpeer1-") {
		t.Fatalf("DialEnd: %v", end)
	}
	p.send(iax2.IAXHangup, iax2.TypeIAX, nil, iax2.U8IE(iax2.IECauseCode, 16))
	c.event("Hangup", "Channel", end.Get("DestChannel"))
}

// TestIAXIncomingCall calls 600 (Answer, Echo) from a Go client as user
// iaxpeer1: AUTHREQ with an MD5 challenge, ACCEPT, ANSWER, the voice
// echoed; a wrong secret gets REJECT.
func TestIAXIncomingCall(t *testing.T) {
	srv, c, udp := startIAX(t)
	to := net.UDPAddrFromAddrPort(srv.PBX.IAX2.Addr())
	call := func(local uint16, secret string) (*iaxPhone, *iax2.Frame) {
		p := &iaxPhone{t: t, udp: udp, to: to, local: local}
		p.send(iax2.IAXNew, iax2.TypeIAX, nil, iax2.U16IE(iax2.IEVersion, 2), iax2.StrIE(iax2.IEUsername, "iaxpeer1"),
			iax2.StrIE(iax2.IECalledNumber, "600"), iax2.StrIE(iax2.IECallingNumber, "5551000"), iax2.StrIE(iax2.IECallingName, "go phone"),
			iax2.U32IE(iax2.IEFormat, iax2.FormatULaw), iax2.U32IE(iax2.IECapability, iax2.FormatULaw))
		req := p.recv()
		if req.Subclass != iax2.IAXAuthReq {
			t.Fatalf("NEW answered with %d, want AUTHREQ", req.Subclass)
		}
		p.peer = req.SrcCall
		sum := md5.Sum([]byte(req.IEString(iax2.IEChallenge) + secret))
		p.send(iax2.IAXAuthRep, iax2.TypeIAX, nil, iax2.StrIE(iax2.IEMD5Result, hex.EncodeToString(sum[:])))
		return p, p.recv()
	}
	if _, f := call(30, "wrong"); f.Subclass != iax2.IAXReject {
		t.Fatalf("wrong secret answered with %d, want REJECT", f.Subclass)
	}
	p, acc := call(31, "iaxsecret1")
	if acc.Subclass != iax2.IAXAccept {
		t.Fatalf("AUTHREP answered with %d, want ACCEPT", acc.Subclass)
	}
	for {
		f := p.recv()
		if f.Full && f.Type == iax2.TypeControl && f.Subclass == iax2.CtlAnswer {
			break
		}
	}
	nc := c.event("Newchannel", "Exten", "600")
	if !strings.HasPrefix(nc.Get("Channel"), "IAX2/iaxpeer1-") || nc.Get("CallerIDNum") != "5551000" || nc.Get("Context") != "default" {
		t.Fatalf("Newchannel: %v", nc)
	}
	p.checkEcho()
	p.send(iax2.IAXHangup, iax2.TypeIAX, nil, iax2.U8IE(iax2.IECauseCode, 16))
	c.event("Hangup", "Channel", nc.Get("Channel"))
}

// TestIAXShowPeersCLI checks "iax2 show peers" on the reference
// configuration against what Asterisk 20 printed for it (with qualify
// off for iaxpeer1, so its status is Unmonitored).
func TestIAXShowPeersCLI(t *testing.T) {
	srv := start(t, amitest.ConfigDir(filepath.Join(refDir, "etc")))
	var b strings.Builder
	if err := srv.Manager.CLI().Run(t.Context(), "iax2 show peers", &b); err != nil {
		t.Fatal(err)
	}
	want := "Name/Username    Host                                           Mask                                      Port           Status      Description                     \n" +
		"iaxpeer2         127.0.0.1                                (S)  255.255.255.255                           4570           Unmonitored                                 \n" +
		"iaxpeer1         (null)                                   (D)  (null)                                    (null)         Unmonitored                                 \n" +
		"2 iax2 peers [0 online, 0 offline, 2 unmonitored]\n"
	if b.String() != want {
		t.Fatalf("iax2 show peers:\n%q\nwant\n%q", b.String(), want)
	}
}
