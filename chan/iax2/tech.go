// Package iax2 is the IAX2 channel technology (RFC 5456) over UDP: the
// peers and users of iax.conf, registration of dynamic peers with an MD5
// challenge (REGREQ, REGAUTH, REGACK, REGREJ, REGREL), qualify with
// POKE/PONG, and calls both ways (NEW, AUTHREQ/AUTHREP, ACCEPT, RINGING,
// ANSWER, HANGUP) carrying µ-law in mini frames, so that Dial(IAX2/peer)
// reaches a real IAX2 endpoint and a user's calls run its context, as
// Asterisk's chan_iax2 does. Full frames are acknowledged and
// retransmitted until acknowledged.
//
// What Asterisk's chan_iax2 has and this package lacks: trunking,
// encryption, RSA keys, call tokens (never required: iaxmodem's libiax2
// has none), A-law and other codecs, jitter buffers and network
// statistics, transfers, host names (addresses only) and outbound
// registrations (register =>).
package iax2

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asterism-pbx/asterism/pbx"
)

// PeerStatusEvent is a change of a peer's registration or reachability,
// worded as chan_iax2's PeerStatus: Registered, Unregistered,
// Reachable, Unreachable, Lagged.
type PeerStatusEvent struct {
	Peer    string // the peer's name
	Status  string
	Address string // Registered: the IP address (no port, as Asterisk)
	Cause   string // Unregistered by expiry: "Expired"
}

// Options tune a Tech.
type Options struct {
	// Addr overrides iax.conf's bindaddr:bindport ("127.0.0.1:0" in
	// tests).
	Addr   string
	Logger *slog.Logger
	// Events receives PeerStatus changes; it must not block for long.
	Events func(PeerStatusEvent)
	// FreqOK and FreqNotOK are how often a reachable and an unreachable
	// peer are poked (chan_iax2's 60 s and 10 s by default).
	FreqOK, FreqNotOK time.Duration
	// PokeTimeout bounds the wait for a PONG; 0 means the peer's qualify
	// limit.
	PokeTimeout time.Duration
	// Core takes the incoming calls into its dialplan; nil rejects them.
	Core *pbx.Core
	// Retrans is the first retransmission delay of an unacknowledged full
	// frame (doubled on each try up to a second); 0 means 500 ms.
	Retrans time.Duration
}

// MaxRetries is how often a full frame is sent again before the dialog is
// given up (a call then ends with cause 27, destination out of order).
const MaxRetries = 4

// PeerInfo is a snapshot of a peer for the AMI and CLI listings.
type PeerInfo struct {
	Peer
	Addr       netip.AddrPort // zero when not registered (dynamic)
	Status     string         // "OK (1 ms)", "UNREACHABLE", "UNKNOWN", "Unmonitored" …
	LastMs     int            // 0 unknown, -1 unreachable
	Expire     int            // seconds to registration expiry, -1 none
	Registered bool
}

// Tech is the IAX2 technology. Register it with pbx.Core.Register.
type Tech struct {
	cfg  *Config
	opts Options
	log  *slog.Logger
	conn *net.UDPConn
	done chan struct{}
	wg   sync.WaitGroup

	// voiceIn and voiceOut count the voice frames received and sent on
	// all calls (Stats).
	voiceIn, voiceOut atomic.Uint64

	mu       sync.Mutex
	peers    map[string]*peerState
	dialogs  map[uint16]*dialog
	byRemote map[remoteKey]*dialog
	nextCall uint16
	closed   bool
}

type remoteKey struct {
	addr netip.AddrPort
	call uint16
}

type peerState struct {
	cfg        *Peer
	addr       netip.AddrPort
	registered bool
	expireAt   time.Time
	expTimer   *time.Timer
	lastMs     int
	pokeTimer  *time.Timer
	poke       *dialog
	calls      int
}

// New reads nothing and binds the UDP socket of cfg (or opts.Addr); Close
// releases it.
func New(cfg *Config, opts Options) (*Tech, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.FreqOK == 0 {
		opts.FreqOK = 60 * time.Second
	}
	if opts.FreqNotOK == 0 {
		opts.FreqNotOK = 10 * time.Second
	}
	if opts.Retrans == 0 {
		opts.Retrans = 500 * time.Millisecond
	}
	addr := opts.Addr
	if addr == "" {
		host := ""
		if cfg.BindAddr.IsValid() {
			host = cfg.BindAddr.String()
		}
		addr = net.JoinHostPort(host, fmt.Sprint(cfg.BindPort))
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("iax2: bind address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("iax2: listen: %w", err)
	}
	t := &Tech{cfg: cfg, opts: opts, log: opts.Logger, conn: conn, done: make(chan struct{}),
		peers: make(map[string]*peerState), dialogs: make(map[uint16]*dialog),
		byRemote: make(map[remoteKey]*dialog), nextCall: 1}
	for _, p := range cfg.Peers {
		if !p.IsPeer() {
			continue
		}
		ps := &peerState{cfg: p}
		if !p.Dynamic {
			ps.addr = netip.AddrPortFrom(p.Host, p.Port)
		}
		t.peers[p.Name] = ps
	}
	t.mu.Lock()
	for _, ps := range t.peers {
		if !ps.cfg.Dynamic && ps.cfg.QualifyMax > 0 {
			t.schedulePokeLocked(ps, 0)
		}
	}
	t.mu.Unlock()
	t.wg.Add(2)
	go t.readLoop()
	go t.tickLoop()
	return t, nil
}

// Addr returns the bound UDP address.
func (t *Tech) Addr() netip.AddrPort { return t.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Name returns "IAX2".
func (*Tech) Name() string { return "IAX2" }

// Close stops the endpoint: timers, the socket and its goroutines.
func (t *Tech) Close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	for _, ps := range t.peers {
		stopTimer(ps.pokeTimer)
		stopTimer(ps.expTimer)
	}
	calls := make([]*call, 0)
	for _, d := range t.dialogs {
		if d.call != nil {
			calls = append(calls, d.call)
		}
	}
	t.mu.Unlock()
	for _, c := range calls {
		c.ch.QueueHangup(pbx.CauseNormalClearing)
	}
	close(t.done)
	_ = t.conn.Close()
	t.wg.Wait()
}

func stopTimer(tm *time.Timer) {
	if tm != nil {
		tm.Stop()
	}
}

// Peers returns a snapshot of the peers, in iax.conf order.
func (t *Tech) Peers() []PeerInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]PeerInfo, 0, len(t.peers))
	for _, p := range t.cfg.Peers {
		if ps := t.peers[p.Name]; ps != nil {
			out = append(out, t.infoLocked(ps))
		}
	}
	return out
}

// Peer returns a snapshot of one peer.
func (t *Tech) Peer(name string) (PeerInfo, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := t.peers[name]
	if ps == nil {
		return PeerInfo{}, false
	}
	return t.infoLocked(ps), true
}

func (t *Tech) infoLocked(ps *peerState) PeerInfo {
	pi := PeerInfo{Peer: *ps.cfg, Addr: ps.addr, LastMs: ps.lastMs, Expire: -1, Registered: ps.registered}
	if ps.registered {
		pi.Expire = int(time.Until(ps.expireAt).Seconds())
	}
	pi.Status = statusText(ps.cfg.QualifyMax, ps.lastMs)
	return pi
}

// statusText is chan_iax2's peer_status.
func statusText(limit time.Duration, lastMs int) string {
	switch {
	case limit == 0:
		return "Unmonitored"
	case lastMs < 0:
		return "UNREACHABLE"
	case lastMs > int(limit/time.Millisecond):
		return fmt.Sprintf("LAGGED (%d ms)", lastMs)
	case lastMs > 0:
		return fmt.Sprintf("OK (%d ms)", lastMs)
	}
	return "UNKNOWN"
}

// DeviceState implements pbx.DeviceStateProvider: an IAX2 device is
// unavailable while it has no address (a dynamic peer not registered)
// or qualify finds it unreachable, in use during a call, else not in use.
func (t *Tech) DeviceState(_ *pbx.Core, resource string) (pbx.DeviceState, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := t.peers[resource]
	if ps == nil {
		return pbx.DeviceInvalid, true
	}
	if !ps.addr.IsValid() || (ps.cfg.QualifyMax > 0 && ps.lastMs < 0) {
		return pbx.DeviceUnavailable, true
	}
	// Reachable: chan_iax2 says UNKNOWN and lets the core ask the
	// device's channels (RINGING, INUSE), so an idle peer reads UNKNOWN,
	// as in Asterisk's DeviceStateChange events.
	return pbx.DeviceUnknown, true
}

func (t *Tech) emit(ev PeerStatusEvent) {
	// Registration and reachability change the device's state, which
	// hints on IAX2/<peer> follow; Asterisk announces it first.
	if t.opts.Core != nil {
		t.opts.Core.DeviceStateChanged("IAX2/" + ev.Peer)
	}
	if t.opts.Events != nil {
		t.opts.Events(ev)
	}
}

// allocLocked returns a free local call number.
func (t *Tech) allocLocked() uint16 {
	for {
		n := t.nextCall
		t.nextCall++
		if t.nextCall >= 0x7fff {
			t.nextCall = 1
		}
		if _, used := t.dialogs[n]; !used {
			return n
		}
	}
}

func (t *Tech) readLoop() {
	defer t.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, from, err := t.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-t.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			t.log.Warn("iax2: read", "err", err)
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		f, err := Decode(buf[:n])
		if err != nil {
			t.log.Debug("iax2: bad packet", "from", from, "err", err)
			continue
		}
		t.handle(f, from)
	}
}

func (t *Tech) tickLoop() {
	defer t.wg.Done()
	tk := time.NewTicker(50 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-t.done:
			return
		case now := <-tk.C:
			t.tick(now)
		}
	}
}

// tick retransmits what is due and ends dialogs that gave up or idled.
func (t *Tech) tick(now time.Time) {
	var failed []*dialog
	var sends [][]byte
	var dst []netip.AddrPort
	t.mu.Lock()
	for _, d := range t.dialogs {
		for _, p := range d.pending {
			if now.Before(p.next) {
				continue
			}
			if p.tries >= MaxRetries {
				failed = append(failed, d)
				break
			}
			p.tries++
			p.pkt[2] |= 0x80 // the R bit
			sends = append(sends, p.pkt)
			dst = append(dst, d.addr)
			p.next = now.Add(min(t.opts.Retrans<<p.tries, time.Second))
		}
		if d.call == nil && len(d.pending) == 0 && !d.idle.IsZero() && now.After(d.idle) {
			t.removeLocked(d)
		}
	}
	for _, d := range failed {
		t.removeLocked(d)
	}
	t.mu.Unlock()
	for i, b := range sends {
		t.write(b, dst[i])
	}
	for _, d := range failed {
		if d.call != nil {
			d.call.remoteGone(pbx.CauseDestinationOutOfOrder)
		}
	}
}

func (t *Tech) write(b []byte, to netip.AddrPort) {
	if _, err := t.conn.WriteToUDPAddrPort(b, to); err != nil {
		t.log.Debug("iax2: write", "to", to, "err", err)
	}
}

func (t *Tech) removeLocked(d *dialog) {
	delete(t.dialogs, d.local)
	if d.remote != 0 {
		if t.byRemote[remoteKey{d.addr, d.remote}] == d {
			delete(t.byRemote, remoteKey{d.addr, d.remote})
		}
	}
	if d.peer != nil && d.peer.poke == d {
		d.peer.poke = nil
	}
}

// handle dispatches one decoded frame.
func (t *Tech) handle(f *Frame, from netip.AddrPort) {
	if f.Full {
		t.log.Debug("iax2: rx", "from", from, "type", f.Type, "subclass", f.Subclass, "scall", f.SrcCall, "dcall", f.DstCall, "oseq", f.OSeq, "iseq", f.ISeq)
	}
	t.mu.Lock()
	if !f.Full {
		d := t.byRemote[remoteKey{from, f.SrcCall}]
		t.mu.Unlock()
		if d != nil && d.call != nil {
			d.call.miniVoice(f)
		}
		return
	}
	var d *dialog
	if f.DstCall != 0 {
		d = t.dialogs[f.DstCall]
		if d != nil && d.addr != from {
			d = nil
		}
		if d != nil && d.remote == 0 {
			d.remote = f.SrcCall
			t.byRemote[remoteKey{from, f.SrcCall}] = d
		}
	} else {
		d = t.byRemote[remoteKey{from, f.SrcCall}]
	}
	if d == nil {
		if f.DstCall != 0 || f.Type != TypeIAX {
			t.mu.Unlock()
			return
		}
		switch f.Subclass {
		case IAXRegReq, IAXRegRel, IAXPoke, IAXNew:
		default:
			t.mu.Unlock()
			return
		}
		d = &dialog{t: t, local: t.allocLocked(), remote: f.SrcCall, addr: from, start: time.Now()}
		t.dialogs[d.local] = d
		t.byRemote[remoteKey{from, f.SrcCall}] = d
	}
	d.ackedLocked(f.ISeq)
	if !f.needsAck() {
		t.mu.Unlock()
		return
	}
	if f.OSeq != d.iseq {
		// A retransmission of what was processed (or out of order):
		// acknowledge it again and do nothing more.
		ack := d.ackLocked(f)
		t.mu.Unlock()
		t.write(ack, from)
		return
	}
	d.iseq++
	if answered(f) {
		// The answer (REGAUTH, REGACK, PONG …) acknowledges it through
		// its iseq. chan_iax2 sends no ACK first, and libiax2 gives up
		// its REGREL when an ACK comes before the REGAUTH.
		t.mu.Unlock()
		t.process(d, f)
		return
	}
	ack := d.ackLocked(f)
	t.mu.Unlock()
	t.write(ack, from)
	t.process(d, f)
}

// answered says whether f gets an immediate answer in its dialog, which
// acknowledges it.
func answered(f *Frame) bool {
	if f.Type != TypeIAX {
		return false
	}
	switch f.Subclass {
	case IAXRegReq, IAXRegRel, IAXPoke, IAXPing, IAXLagRq:
		return true
	}
	return false
}

func (t *Tech) process(d *dialog, f *Frame) {
	switch f.Type {
	case TypeIAX:
		switch f.Subclass {
		case IAXRegReq:
			t.register(d, f, false)
		case IAXRegRel:
			t.register(d, f, true)
		case IAXPoke, IAXPing:
			d.send(TypeIAX, IAXPong, nil, nil)
			t.idle(d)
		case IAXPong:
			t.pong(d)
		case IAXLagRq:
			d.sendTs(TypeIAX, IAXLagRp, nil, nil, f.Timestamp)
		case IAXNew:
			if d.call == nil {
				t.incoming(d, f)
			}
		case IAXAuthRep:
			t.authRep(d, f)
		default:
			if d.call != nil {
				d.call.iaxFrame(f)
			}
		}
	default:
		if d.call != nil {
			d.call.fullFrame(f)
		}
	}
}

// idle lets a dialog go once its frames are acknowledged.
func (t *Tech) idle(d *dialog) {
	t.mu.Lock()
	d.idle = time.Now().Add(2 * time.Second)
	t.mu.Unlock()
}

// register answers REGREQ and REGREL: an MD5 (or plaintext) challenge
// first, then REGACK or REGREJ.
func (t *Tech) register(d *dialog, f *Frame, release bool) {
	name := f.IEString(IEUsername)
	t.mu.Lock()
	ps := t.peers[name]
	if ps == nil || !ps.cfg.Dynamic {
		t.mu.Unlock()
		t.log.Info("iax2: registration refused: no such dynamic peer", "peer", name, "from", d.addr)
		d.send(TypeIAX, IAXRegRej, []IE{StrIE(IECause, "Registration Refused"), U8IE(IECauseCode, pbx.CauseFacilityRejected)}, nil)
		t.idle(d)
		return
	}
	cfg := ps.cfg
	challenge := d.challenge
	t.mu.Unlock()
	md5res, hasMD5 := f.IE(IEMD5Result)
	pass, hasPass := f.IE(IEPassword)
	ok := false
	switch {
	case cfg.Secret == "":
		ok = true
	case hasMD5 && challenge != "" && cfg.Auth&AuthMD5 != 0:
		sum := md5.Sum([]byte(challenge + cfg.Secret))
		ok = hex.EncodeToString(sum[:]) == string(md5res)
	case hasPass && cfg.Auth&AuthPlaintext != 0:
		ok = string(pass) == cfg.Secret
	case challenge == "":
		c := randomChallenge()
		t.mu.Lock()
		d.challenge = c
		t.mu.Unlock()
		methods := uint16(cfg.Auth & (AuthMD5 | AuthPlaintext))
		d.send(TypeIAX, IAXRegAuth, []IE{U16IE(IEAuthMethods, methods), StrIE(IEChallenge, c), StrIE(IEUsername, name)}, nil)
		return
	}
	if !ok {
		t.log.Warn("iax2: registration failed: bad secret", "peer", name, "from", d.addr)
		d.send(TypeIAX, IAXRegRej, []IE{StrIE(IECause, "Registration Refused"), U8IE(IECauseCode, pbx.CauseFacilityRejected)}, nil)
		t.idle(d)
		return
	}
	now := time.Now()
	if release {
		t.mu.Lock()
		was := ps.registered
		t.unregisterLocked(ps)
		t.mu.Unlock()
		d.send(TypeIAX, IAXRegAck, []IE{StrIE(IEUsername, name), DateTimeIE(now)}, nil)
		t.idle(d)
		if was {
			t.emit(PeerStatusEvent{Peer: name, Status: "Unregistered"})
		}
		return
	}
	refresh := 60
	if r, ok := f.IEUint(IERefresh); ok {
		refresh = min(max(int(r), 60), 3600)
	}
	t.mu.Lock()
	changed := !ps.registered || ps.addr != d.addr
	ps.addr = d.addr
	ps.registered = true
	ps.expireAt = now.Add(time.Duration(refresh+10) * time.Second)
	stopTimer(ps.expTimer)
	ps.expTimer = time.AfterFunc(time.Duration(refresh+10)*time.Second, func() { t.expire(ps) })
	t.mu.Unlock()
	d.send(TypeIAX, IAXRegAck, []IE{StrIE(IEUsername, name), DateTimeIE(now), U16IE(IERefresh, uint16(refresh)), ApparentAddrIE(d.addr)}, nil)
	t.idle(d)
	if changed {
		t.log.Info("iax2: peer registered", "peer", name, "addr", d.addr)
		t.emit(PeerStatusEvent{Peer: name, Status: "Registered", Address: d.addr.Addr().String()})
		if cfg.QualifyMax > 0 {
			t.mu.Lock()
			t.schedulePokeLocked(ps, 0)
			t.mu.Unlock()
		}
	}
}

func randomChallenge() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	if err != nil {
		return fmt.Sprint(time.Now().UnixNano() % 1_000_000_000)
	}
	return n.String()
}

// unregisterLocked forgets the peer's address; its status goes back to
// UNKNOWN, as after chan_iax2's REGREL.
func (t *Tech) unregisterLocked(ps *peerState) {
	ps.registered = false
	ps.addr = netip.AddrPort{}
	ps.lastMs = 0
	stopTimer(ps.expTimer)
	stopTimer(ps.pokeTimer)
	if ps.poke != nil {
		t.removeLocked(ps.poke)
	}
}

func (t *Tech) expire(ps *peerState) {
	t.mu.Lock()
	if !ps.registered || time.Now().Before(ps.expireAt) || t.closed {
		t.mu.Unlock()
		return
	}
	t.unregisterLocked(ps)
	t.mu.Unlock()
	t.emit(PeerStatusEvent{Peer: ps.cfg.Name, Status: "Unregistered", Cause: "Expired"})
}

// schedulePokeLocked pokes the peer after wait.
func (t *Tech) schedulePokeLocked(ps *peerState, wait time.Duration) {
	stopTimer(ps.pokeTimer)
	if t.closed {
		return
	}
	ps.pokeTimer = time.AfterFunc(wait, func() { t.poke(ps) })
}

// poke sends POKE in a dialog of its own and waits for the PONG.
func (t *Tech) poke(ps *peerState) {
	t.mu.Lock()
	if t.closed || !ps.addr.IsValid() || ps.cfg.QualifyMax == 0 {
		t.mu.Unlock()
		return
	}
	if ps.poke != nil {
		t.removeLocked(ps.poke)
	}
	d := &dialog{t: t, local: t.allocLocked(), addr: ps.addr, start: time.Now(), peer: ps}
	t.dialogs[d.local] = d
	ps.poke = d
	timeout := t.opts.PokeTimeout
	if timeout == 0 {
		timeout = ps.cfg.QualifyMax
	}
	ps.pokeTimer = time.AfterFunc(timeout, func() { t.pokeTimeout(ps, d) })
	t.mu.Unlock()
	d.send(TypeIAX, IAXPoke, []IE{{Type: IECallToken}}, nil)
}

func (t *Tech) pokeTimeout(ps *peerState, d *dialog) {
	t.mu.Lock()
	if t.closed || ps.poke != d {
		t.mu.Unlock()
		return
	}
	t.removeLocked(d)
	was := ps.lastMs
	ps.lastMs = -1
	t.schedulePokeLocked(ps, t.freq(ps, false))
	t.mu.Unlock()
	if was > -1 {
		t.log.Info("iax2: peer unreachable", "peer", ps.cfg.Name)
		t.emit(PeerStatusEvent{Peer: ps.cfg.Name, Status: "Unreachable"})
	}
}

func (t *Tech) pong(d *dialog) {
	t.mu.Lock()
	ps := d.peer
	if ps == nil || ps.poke != d || t.closed {
		t.mu.Unlock()
		return
	}
	rtt := int((time.Since(d.start) + time.Millisecond - 1) / time.Millisecond)
	rtt = max(rtt, 1)
	maxMs := int(ps.cfg.QualifyMax / time.Millisecond)
	was := ps.lastMs
	ps.lastMs = rtt
	ps.poke = nil
	d.idle = time.Now().Add(2 * time.Second)
	next := t.freq(ps, rtt <= maxMs)
	t.schedulePokeLocked(ps, next)
	t.mu.Unlock()
	switch {
	case (was < 0 || was > maxMs) && rtt <= maxMs:
		t.emit(PeerStatusEvent{Peer: ps.cfg.Name, Status: "Reachable"})
	case was > -1 && was <= maxMs && rtt > maxMs:
		t.emit(PeerStatusEvent{Peer: ps.cfg.Name, Status: "Lagged"})
	}
}

// freq is how long to wait before the next poke of ps.
func (t *Tech) freq(ps *peerState, ok bool) time.Duration {
	if ok {
		if ps.cfg.FreqOK > 0 {
			return ps.cfg.FreqOK
		}
		return t.opts.FreqOK
	}
	if ps.cfg.FreqNotOK > 0 {
		return ps.cfg.FreqNotOK
	}
	return t.opts.FreqNotOK
}

// Stats returns how many voice frames the calls received and sent.
func (t *Tech) Stats() (voiceIn, voiceOut uint64) { return t.voiceIn.Load(), t.voiceOut.Load() }

// PeerNames returns the names of the callable peers, sorted.
func (t *Tech) PeerNames() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.peers))
	for n := range t.peers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
