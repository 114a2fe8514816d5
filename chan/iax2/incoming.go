package iax2

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"

	"github.com/asterism-pbx/asterism/pbx"
)

// incomingCall is what a NEW asked for, kept while its caller answers
// the AUTHREQ challenge.
type incomingCall struct {
	user            *Peer
	called          string
	cidNum, cidName string
}

// findUser returns the user or friend named name.
func (t *Tech) findUser(name string) *Peer {
	for _, p := range t.cfg.Peers {
		if p.Name == name && p.Type != "peer" {
			return p
		}
	}
	return nil
}

// incoming answers a NEW: the caller must name a user (or friend) of
// iax.conf; one with a secret is challenged (AUTHREQ, MD5) before the
// call is accepted into the user's context.
func (t *Tech) incoming(d *dialog, f *Frame) {
	if t.opts.Core == nil {
		t.reject(d, "Incoming IAX2 calls are not supported", pbx.CauseFacilityRejected)
		return
	}
	user := t.findUser(f.IEString(IEUsername))
	if user == nil {
		t.reject(d, "No authority found", pbx.CauseFacilityRejected)
		return
	}
	if fm, ok := f.IEUint(IECapability); ok && fm&FormatULaw == 0 {
		t.reject(d, "Unable to negotiate codec", pbx.CauseBearerCapabilityNotAvail)
		return
	}
	called := f.IEString(IECalledNumber)
	if called == "" {
		called = "s"
	}
	in := &incomingCall{user: user, called: called, cidNum: f.IEString(IECallingNumber), cidName: f.IEString(IECallingName)}
	if user.Secret == "" {
		t.accept(d, in)
		return
	}
	c := randomChallenge()
	t.mu.Lock()
	d.challenge = c
	d.incoming = in
	t.mu.Unlock()
	d.send(TypeIAX, IAXAuthReq, []IE{U16IE(IEAuthMethods, uint16(user.Auth&(AuthMD5|AuthPlaintext))), StrIE(IEChallenge, c), StrIE(IEUsername, user.Name)}, nil)
}

// authRep checks the answer to AUTHREQ.
func (t *Tech) authRep(d *dialog, f *Frame) {
	t.mu.Lock()
	in, challenge := d.incoming, d.challenge
	d.incoming = nil
	t.mu.Unlock()
	if in == nil {
		return
	}
	ok := false
	if res, has := f.IE(IEMD5Result); has && in.user.Auth&AuthMD5 != 0 {
		sum := md5.Sum([]byte(challenge + in.user.Secret))
		ok = hex.EncodeToString(sum[:]) == string(res)
	} else if pw, has := f.IE(IEPassword); has && in.user.Auth&AuthPlaintext != 0 {
		ok = string(pw) == in.user.Secret
	}
	if !ok {
		t.log.Warn("iax2: call refused: bad secret", "user", in.user.Name, "from", d.addr)
		t.reject(d, "No authority found", pbx.CauseFacilityRejected)
		return
	}
	t.accept(d, in)
}

func (t *Tech) reject(d *dialog, cause string, code int) {
	d.send(TypeIAX, IAXReject, []IE{StrIE(IECause, cause), U8IE(IECauseCode, byte(code))}, nil)
	t.idle(d)
}

// accept sends ACCEPT and runs the dialplan at the called number of the
// user's context, as chan_iax2 does; an extension that does not exist
// is rejected.
func (t *Tech) accept(d *dialog, in *incomingCall) {
	core := t.opts.Core
	if dp := core.Dialplan(); dp == nil || !dp.Exists(in.user.Context, in.called, in.cidNum, 1) {
		t.reject(d, "No such context/extension", pbx.CauseNoRouteDestination)
		return
	}
	c := &call{t: t, d: d, incoming: true}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	d.call = c
	if ps := t.peers[in.user.Name]; ps != nil {
		d.peer = ps
		ps.calls++
	}
	t.mu.Unlock()
	d.send(TypeIAX, IAXAccept, []IE{U32IE(IEFormat, FormatULaw)}, nil)
	c.ch = core.NewChannel(pbx.ChannelConfig{
		Name:         fmt.Sprintf("IAX2/%s-%d", in.user.Name, d.local),
		State:        pbx.StateRing,
		Context:      in.user.Context,
		Exten:        in.called,
		Priority:     1,
		CallerIDNum:  in.cidNum,
		CallerIDName: in.cidName,
		Endpoint:     c,
	})
	c.ch.Publish()
	if err := core.StartPBX(c.ch, in.user.Context, in.called, 1); err != nil {
		t.log.Warn("iax2: incoming call: dialplan", "err", err)
		c.ch.Hangup(pbx.CauseNormalTemporaryFailure)
	}
}
