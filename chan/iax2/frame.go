package iax2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Frame types (RFC 5456 section 8.2).
const (
	TypeDTMFEnd   = 1
	TypeVoice     = 2
	TypeVideo     = 3
	TypeControl   = 4
	TypeNull      = 5
	TypeIAX       = 6
	TypeText      = 7
	TypeDTMFBegin = 12
)

// IAX frame subclasses (RFC 5456 section 8.4).
const (
	IAXNew     = 1
	IAXPing    = 2
	IAXPong    = 3
	IAXAck     = 4
	IAXHangup  = 5
	IAXReject  = 6
	IAXAccept  = 7
	IAXAuthReq = 8
	IAXAuthRep = 9
	IAXInval   = 10
	IAXLagRq   = 11
	IAXLagRp   = 12
	IAXRegReq  = 13
	IAXRegAuth = 14
	IAXRegAck  = 15
	IAXRegRej  = 16
	IAXRegRel  = 17
	IAXVNAK    = 18
	IAXTxCnt   = 23
	IAXTxAcc   = 24
	IAXPoke    = 30
	IAXUnsupp  = 33
)

// Control subclasses (RFC 5456 section 8.3).
const (
	CtlHangup     = 1
	CtlRinging    = 3
	CtlAnswer     = 4
	CtlBusy       = 5
	CtlCongestion = 8
	CtlProgress   = 14
	CtlHold       = 16
	CtlUnhold     = 17
)

// Information element numbers (RFC 5456 section 8.6).
const (
	IECalledNumber  = 1
	IECallingNumber = 2
	IECallingName   = 4
	IECalledContext = 5
	IEUsername      = 6
	IEPassword      = 7
	IECapability    = 8
	IEFormat        = 9
	IELanguage      = 10
	IEVersion       = 11
	IEAuthMethods   = 14
	IEChallenge     = 15
	IEMD5Result     = 16
	IEApparentAddr  = 18
	IERefresh       = 19
	IECause         = 22
	IEDateTime      = 31
	IECallingPres   = 38
	IECallingTON    = 39
	IECauseCode     = 42
	IECodecPrefs    = 45
	IECallToken     = 54
)

// Authentication methods of IEAuthMethods.
const (
	AuthPlaintext = 1
	AuthMD5       = 2
	AuthRSA       = 4
)

// FormatULaw is the µ-law bit of the IAX2 format bitmask.
const FormatULaw = 1 << 2

// FormatALaw is the A-law bit.
const FormatALaw = 1 << 3

// IE is one information element; the payload is kept as it came.
type IE struct {
	Type byte
	Data []byte
}

// Frame is a decoded IAX2 frame, full or mini.
type Frame struct {
	Full      bool
	SrcCall   uint16 // 15 bits
	DstCall   uint16 // 15 bits; full frames only
	Retrans   bool   // the R bit
	Timestamp uint32 // full: 32 bits; mini: the low 16 bits
	OSeq      byte
	ISeq      byte
	Type      byte
	Subclass  uint32 // decoded from the C bit form
	IEs       []IE   // IAX frames
	Data      []byte // voice, control payload …
}

// Errors of the decoder.
var (
	ErrShort   = errors.New("iax2: packet too short")
	ErrMeta    = errors.New("iax2: meta frames are not supported")
	ErrBadIE   = errors.New("iax2: truncated information element")
	ErrBadSubc = errors.New("iax2: bad subclass")
)

// Decode parses one UDP datagram. The frame's slices alias b.
func Decode(b []byte) (*Frame, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	w0 := binary.BigEndian.Uint16(b)
	if w0&0x8000 == 0 {
		if w0 == 0 {
			// A meta frame (trunk, video mini frame): never negotiated.
			return nil, ErrMeta
		}
		return &Frame{SrcCall: w0, Timestamp: uint32(binary.BigEndian.Uint16(b[2:])), Type: TypeVoice, Data: b[4:]}, nil
	}
	if len(b) < 12 {
		return nil, fmt.Errorf("%w: full frame of %d bytes", ErrShort, len(b))
	}
	w1 := binary.BigEndian.Uint16(b[2:])
	f := &Frame{
		Full:      true,
		SrcCall:   w0 & 0x7fff,
		DstCall:   w1 & 0x7fff,
		Retrans:   w1&0x8000 != 0,
		Timestamp: binary.BigEndian.Uint32(b[4:]),
		OSeq:      b[8],
		ISeq:      b[9],
		Type:      b[10],
	}
	sc := b[11]
	if sc&0x80 != 0 {
		if sc&0x7f > 31 {
			return nil, fmt.Errorf("%w: 2^%d", ErrBadSubc, sc&0x7f)
		}
		f.Subclass = 1 << (sc & 0x7f)
	} else {
		f.Subclass = uint32(sc)
	}
	rest := b[12:]
	if f.Type != TypeIAX {
		f.Data = rest
		return f, nil
	}
	for len(rest) > 0 {
		if len(rest) < 2 || len(rest) < 2+int(rest[1]) {
			return nil, fmt.Errorf("%w: %d bytes left", ErrBadIE, len(rest))
		}
		n := int(rest[1])
		f.IEs = append(f.IEs, IE{Type: rest[0], Data: rest[2 : 2+n]})
		rest = rest[2+n:]
	}
	return f, nil
}

// Encode appends the wire form of f to b.
func (f *Frame) Encode(b []byte) []byte {
	if !f.Full {
		b = binary.BigEndian.AppendUint16(b, f.SrcCall&0x7fff)
		b = binary.BigEndian.AppendUint16(b, uint16(f.Timestamp))
		return append(b, f.Data...)
	}
	b = binary.BigEndian.AppendUint16(b, 0x8000|f.SrcCall&0x7fff)
	d := f.DstCall & 0x7fff
	if f.Retrans {
		d |= 0x8000
	}
	b = binary.BigEndian.AppendUint16(b, d)
	b = binary.BigEndian.AppendUint32(b, f.Timestamp)
	b = append(b, f.OSeq, f.ISeq, f.Type, encodeSubclass(f.Subclass))
	for _, ie := range f.IEs {
		n := min(len(ie.Data), 255)
		b = append(b, ie.Type, byte(n))
		b = append(b, ie.Data[:n]...)
	}
	return append(b, f.Data...)
}

// encodeSubclass uses the C bit form for values that do not fit 7 bits,
// which are powers of two in IAX2 (format bits).
func encodeSubclass(v uint32) byte {
	if v < 0x80 {
		return byte(v)
	}
	for i := 0; i < 32; i++ {
		if v == 1<<i {
			return 0x80 | byte(i)
		}
	}
	return 0
}

// IE returns the first element of type t.
func (f *Frame) IE(t byte) ([]byte, bool) {
	for _, ie := range f.IEs {
		if ie.Type == t {
			return ie.Data, true
		}
	}
	return nil, false
}

// IEString returns element t as a string ("" when absent).
func (f *Frame) IEString(t byte) string {
	d, _ := f.IE(t)
	return string(d)
}

// IEUint returns element t as a big-endian unsigned number of 1, 2 or 4
// bytes.
func (f *Frame) IEUint(t byte) (uint32, bool) {
	d, ok := f.IE(t)
	if !ok {
		return 0, false
	}
	switch len(d) {
	case 1:
		return uint32(d[0]), true
	case 2:
		return uint32(binary.BigEndian.Uint16(d)), true
	case 4:
		return binary.BigEndian.Uint32(d), true
	}
	return 0, false
}

// StrIE builds a string element.
func StrIE(t byte, s string) IE { return IE{Type: t, Data: []byte(s)} }

// U8IE builds a one-byte element.
func U8IE(t byte, v byte) IE { return IE{Type: t, Data: []byte{v}} }

// U16IE builds a two-byte element.
func U16IE(t byte, v uint16) IE { return IE{Type: t, Data: binary.BigEndian.AppendUint16(nil, v)} }

// U32IE builds a four-byte element.
func U32IE(t byte, v uint32) IE { return IE{Type: t, Data: binary.BigEndian.AppendUint32(nil, v)} }

// DateTimeIE packs t as IAX2's DATETIME (RFC 5456 8.6.28).
func DateTimeIE(t time.Time) IE {
	v := uint32(t.Second()/2) | uint32(t.Minute())<<5 | uint32(t.Hour())<<11 |
		uint32(t.Day())<<16 | uint32(t.Month())<<21 | uint32(t.Year()-2000)<<25
	return U32IE(IEDateTime, v)
}

// ApparentAddrIE is the peer's address as Asterisk sends it: a raw struct
// sockaddr_in (family in little-endian host order, as on x86).
func ApparentAddrIE(ap netip.AddrPort) IE {
	d := make([]byte, 16)
	d[0] = 2
	binary.BigEndian.PutUint16(d[2:], ap.Port())
	a4 := ap.Addr().Unmap().As4()
	copy(d[4:8], a4[:])
	return IE{Type: IEApparentAddr, Data: d}
}

// needsAck says whether a full frame must be acknowledged: all but the
// frames that acknowledge themselves (RFC 5456 section 7).
func (f *Frame) needsAck() bool {
	if !f.Full {
		return false
	}
	if f.Type == TypeIAX {
		switch f.Subclass {
		case IAXAck, IAXInval, IAXTxCnt, IAXTxAcc, IAXVNAK:
			return false
		}
	}
	return true
}
