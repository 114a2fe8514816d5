package iax2

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// ErrNoPeer reports a dial string naming no callable peer.
var ErrNoPeer = errors.New("iax2: no such peer")

// Request creates an outgoing call to "peer[/exten]"; the peer must be
// known and have an address (registered or static).
func (t *Tech) Request(core *pbx.Core, ch *pbx.Channel, resource string) (pbx.Endpoint, error) {
	name, exten, _ := strings.Cut(resource, "/")
	t.mu.Lock()
	ps := t.peers[name]
	if ps == nil || !ps.addr.IsValid() || t.closed {
		t.mu.Unlock()
		return nil, &pbx.CauseError{Cause: pbx.CauseRequestedChanUnavail,
			Err: fmt.Errorf("%w: %w: %q (unknown or not registered)", pbx.ErrChanUnavail, ErrNoPeer, name)}
	}
	d := &dialog{t: t, local: t.allocLocked(), addr: ps.addr, start: time.Now(), peer: ps}
	c := &call{t: t, d: d, ch: ch, exten: exten}
	d.call = c
	t.dialogs[d.local] = d
	ps.calls++
	t.mu.Unlock()
	ch.SetName(fmt.Sprintf("IAX2/%s-%d", name, d.local))
	return c, nil
}

// call is the endpoint of one IAX2 call, outgoing or incoming.
type call struct {
	t        *Tech
	d        *dialog
	ch       *pbx.Channel
	exten    string
	incoming bool // the peer called: Answer and indications go to it

	mu       sync.Mutex
	ended    bool
	sentFull bool   // a full voice frame set the format, minis may follow
	voiceHi  uint32 // the high 16 bits of the last voice timestamp sent
}

// Call sends NEW as chan_iax2 does (ulaw offered, called number "s"
// without an extension).
func (c *call) Call(_ string, _ time.Duration) error {
	called := c.exten
	if called == "" {
		called = "s"
	}
	num, name := c.ch.CallerID()
	ies := []IE{
		U16IE(IEVersion, 2),
		StrIE(IECalledNumber, called),
		StrIE(IECallingNumber, num),
		U8IE(IECallingPres, 0),
		U8IE(IECallingTON, 0),
		StrIE(IECallingName, name),
		StrIE(IELanguage, "en"),
		U32IE(IEFormat, FormatULaw),
		U32IE(IECapability, FormatULaw|FormatALaw),
		DateTimeIE(time.Now()),
		{Type: IECallToken},
	}
	c.d.send(TypeIAX, IAXNew, ies, nil)
	return nil
}

// Answer tells the caller of an incoming call that it is answered.
func (c *call) Answer() error {
	if c.incoming {
		c.d.send(TypeControl, CtlAnswer, nil, nil)
	}
	return nil
}

// Hangup sends HANGUP with the cause and lets the dialog end once it is
// acknowledged.
func (c *call) Hangup(cause int) {
	if !c.end() {
		return
	}
	c.d.send(TypeIAX, IAXHangup, []IE{StrIE(IECause, "Normal Clearing"), U8IE(IECauseCode, byte(cause))}, nil)
	c.t.idle(c.d)
}

// end marks the call over; it reports whether it was still on.
func (c *call) end() bool {
	c.mu.Lock()
	was := !c.ended
	c.ended = true
	c.mu.Unlock()
	if was {
		c.t.mu.Lock()
		c.d.call = nil
		if c.d.peer != nil {
			c.d.peer.calls--
		}
		c.t.mu.Unlock()
	}
	return was
}

// remoteGone ends the call from the far end (HANGUP, REJECT, no ACK).
func (c *call) remoteGone(cause int) {
	if c.end() {
		c.ch.QueueHangup(cause)
	}
}

// Write sends voice: the first frame full, then mini frames, and a full
// one again whenever the upper 16 bits of the timestamp change.
func (c *call) Write(f media.Frame) error {
	if f.Type != media.FrameVoice {
		return nil
	}
	if f.Format != media.ULAW {
		if err := f.Convert(media.ULAW); err != nil {
			return fmt.Errorf("iax2: %w", err)
		}
	}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return nil
	}
	c.t.mu.Lock()
	ts := uint32(time.Since(c.d.start) / time.Millisecond)
	remote := c.d.remote
	addr := c.d.addr
	c.t.mu.Unlock()
	full := !c.sentFull || ts>>16 != c.voiceHi
	c.sentFull = true
	c.voiceHi = ts >> 16
	c.mu.Unlock()
	if remote == 0 {
		return nil // not accepted yet: nowhere to send minis
	}
	c.t.voiceOut.Add(1)
	if full {
		c.d.send(TypeVoice, FormatULaw, nil, f.Payload())
		return nil
	}
	mf := &Frame{SrcCall: c.d.local, Timestamp: ts, Data: f.Payload()}
	c.t.write(mf.Encode(nil), addr)
	return nil
}

// Indicate passes ringing, busy, congestion and progress to the caller
// of an incoming call.
func (c *call) Indicate(ctl media.Control) error {
	if !c.incoming {
		return nil
	}
	var sub uint32
	switch ctl {
	case media.ControlRinging:
		sub = CtlRinging
	case media.ControlBusy:
		sub = CtlBusy
	case media.ControlCongestion:
		sub = CtlCongestion
	case media.ControlProgress:
		sub = CtlProgress
	default:
		return nil
	}
	c.d.send(TypeControl, sub, nil, nil)
	return nil
}

// SendDigit sends the digit as a DTMF frame.
func (c *call) SendDigit(digit rune, _ time.Duration) error {
	if digit > 0x7f {
		return fmt.Errorf("iax2: bad digit %q", digit)
	}
	c.d.send(TypeDTMFEnd, uint32(digit), nil, nil)
	return nil
}

func (c *call) voice(data []byte) {
	var f media.Frame
	if err := f.SetVoice(media.ULAW, data); err != nil {
		return
	}
	c.t.voiceIn.Add(1)
	c.ch.Queue(f)
}

func (c *call) miniVoice(f *Frame) { c.voice(f.Data) }

// fullFrame handles voice, control and DTMF full frames.
func (c *call) fullFrame(f *Frame) {
	switch f.Type {
	case TypeVoice:
		if f.Subclass == FormatULaw {
			c.voice(f.Data)
		}
	case TypeControl:
		switch f.Subclass {
		case CtlRinging:
			c.ch.Queue(media.ControlFrame(media.ControlRinging))
		case CtlAnswer:
			c.ch.Queue(media.ControlFrame(media.ControlAnswer))
		case CtlBusy:
			c.ch.Queue(media.ControlFrame(media.ControlBusy))
		case CtlCongestion:
			c.ch.Queue(media.ControlFrame(media.ControlCongestion))
		case CtlProgress:
			c.ch.Queue(media.ControlFrame(media.ControlProgress))
		case CtlHangup:
			c.remoteGone(pbx.CauseNormalClearing)
		}
	case TypeDTMFEnd:
		if f.Subclass < 0x80 {
			c.ch.Queue(media.DTMFBegin(byte(f.Subclass)))
			c.ch.Queue(media.DTMFEnd(byte(f.Subclass), 100*time.Millisecond))
		}
	}
}

// iaxFrame handles the IAX frames of a call.
func (c *call) iaxFrame(f *Frame) {
	switch f.Subclass {
	case IAXAccept:
		if fm, ok := f.IEUint(IEFormat); ok && fm != FormatULaw {
			c.t.log.Warn("iax2: peer accepted a format other than ulaw", "format", fm)
		}
	case IAXHangup, IAXReject:
		cause := pbx.CauseNormalClearing
		if f.Subclass == IAXReject {
			cause = pbx.CauseCallRejected
		}
		if v, ok := f.IEUint(IECauseCode); ok {
			cause = int(v)
		}
		c.remoteGone(cause)
		c.t.idle(c.d)
	case IAXAuthReq:
		ch, _ := f.IE(IEChallenge)
		c.t.mu.Lock()
		secret := ""
		if c.d.peer != nil {
			secret = c.d.peer.cfg.Secret
		}
		c.t.mu.Unlock()
		sum := md5.Sum(append(ch, secret...))
		c.d.send(TypeIAX, IAXAuthRep, []IE{StrIE(IEMD5Result, hex.EncodeToString(sum[:]))}, nil)
	case IAXPing:
		c.d.send(TypeIAX, IAXPong, nil, nil)
	}
}
