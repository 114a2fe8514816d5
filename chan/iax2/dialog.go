package iax2

import (
	"net/netip"
	"time"
)

// dialog is one IAX2 call number pair: a registration, a poke or a call.
// Its fields are guarded by Tech.mu.
type dialog struct {
	t          *Tech
	local      uint16
	remote     uint16
	addr       netip.AddrPort
	start      time.Time
	oseq, iseq byte
	lastTs     uint32
	pending    []*pending
	challenge  string        // registration: the REGAUTH challenge sent
	peer       *peerState    // poke: the peer poked; call: the peer called
	call       *call         // calls only
	incoming   *incomingCall // a NEW waiting for its AUTHREP
	idle       time.Time     // non-call dialogs end after this, once acknowledged
}

// pending is a full frame waiting for its acknowledgement.
type pending struct {
	oseq  byte
	pkt   []byte
	next  time.Time
	tries int
}

// tsLocked is the dialog's clock in milliseconds, never going back and,
// for full frames, always moving on (chan_iax2's calc_timestamp).
func (d *dialog) tsLocked() uint32 {
	ts := uint32(time.Since(d.start) / time.Millisecond)
	if ts <= d.lastTs {
		ts = d.lastTs + 1
	}
	d.lastTs = ts
	return ts
}

// ackedLocked drops the frames that iseq acknowledges: all sent before
// the frame the peer expects next.
func (d *dialog) ackedLocked(iseq byte) {
	keep := d.pending[:0]
	for _, p := range d.pending {
		// p is acknowledged when iseq is past it, within a half window.
		if byte(iseq-p.oseq-1) < 128 {
			continue
		}
		keep = append(keep, p)
	}
	for i := len(keep); i < len(d.pending); i++ {
		d.pending[i] = nil
	}
	d.pending = keep
}

// ackLocked builds the ACK of f, carrying f's timestamp as RFC 5456 asks.
func (d *dialog) ackLocked(f *Frame) []byte {
	a := &Frame{Full: true, SrcCall: d.local, DstCall: d.remote, Timestamp: f.Timestamp,
		OSeq: d.oseq, ISeq: d.iseq, Type: TypeIAX, Subclass: IAXAck}
	return a.Encode(nil)
}

// send sends a full frame, kept for retransmission until acknowledged.
func (d *dialog) send(typ byte, sub uint32, ies []IE, data []byte) {
	d.t.mu.Lock()
	ts := d.tsLocked()
	d.t.mu.Unlock()
	d.sendTs(typ, sub, ies, data, ts)
}

// sendTs sends a full frame with timestamp ts.
func (d *dialog) sendTs(typ byte, sub uint32, ies []IE, data []byte, ts uint32) {
	t := d.t
	t.mu.Lock()
	f := &Frame{Full: true, SrcCall: d.local, DstCall: d.remote, Timestamp: ts,
		OSeq: d.oseq, ISeq: d.iseq, Type: typ, Subclass: sub, IEs: ies, Data: data}
	pkt := f.Encode(nil)
	if f.needsAck() {
		d.pending = append(d.pending, &pending{oseq: d.oseq, pkt: pkt, next: time.Now().Add(t.opts.Retrans)})
		d.oseq++
	}
	addr := d.addr
	t.mu.Unlock()
	t.log.Debug("iax2: tx", "to", addr, "type", typ, "subclass", sub, "scall", f.SrcCall, "dcall", f.DstCall, "oseq", f.OSeq, "iseq", f.ISeq)
	t.write(pkt, addr)
}
