package iax2

import (
	"bytes"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	f := &Frame{Full: true, SrcCall: 6163, DstCall: 1246, Retrans: true, Timestamp: 15, OSeq: 1, ISeq: 2, Type: TypeIAX, Subclass: IAXRegAck,
		IEs: []IE{StrIE(IEUsername, "iaxpeer1"), U16IE(IERefresh, 60)}}
	b := f.Encode(nil)
	g, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Encode(nil), b) || g.SrcCall != 6163 || g.DstCall != 1246 || !g.Retrans || g.IEString(IEUsername) != "iaxpeer1" {
		t.Fatalf("%+v", g)
	}
	if r, _ := g.IEUint(IERefresh); r != 60 {
		t.Fatalf("refresh %d", r)
	}
	v := &Frame{Full: true, SrcCall: 1, DstCall: 2, Type: TypeVoice, Subclass: FormatULaw, Data: make([]byte, 160)}
	b = v.Encode(nil)
	if b[11] != 4 {
		t.Fatalf("subclass byte %#x", b[11])
	}
	big := &Frame{Full: true, Type: TypeVoice, Subclass: 1 << 20}
	if g, _ := Decode(big.Encode(nil)); g.Subclass != 1<<20 {
		t.Fatalf("C bit subclass %d", g.Subclass)
	}
	m := &Frame{SrcCall: 6165, Timestamp: 0x12345, Data: []byte{1, 2, 3}}
	g, err = Decode(m.Encode(nil))
	if err != nil || g.Full || g.SrcCall != 6165 || g.Timestamp != 0x2345 || !bytes.Equal(g.Data, []byte{1, 2, 3}) {
		t.Fatalf("mini %+v %v", g, err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, b := range [][]byte{nil, {0x80}, {0, 0, 0, 0}, {0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6}, {0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 13, 6, 9, 'a'}, {0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xff}} {
		if _, err := Decode(b); err == nil {
			t.Errorf("Decode(%x) accepted", b)
		}
	}
}

// FuzzDecode checks that no datagram crashes the decoder and that what
// it decodes encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	reg := &Frame{Full: true, SrcCall: 6163, Timestamp: 3, Type: TypeIAX, Subclass: IAXRegReq, IEs: []IE{StrIE(IEUsername, "iaxpeer1"), U16IE(IERefresh, 60)}}
	f.Add(reg.Encode(nil))
	f.Add((&Frame{SrcCall: 5, Timestamp: 9, Data: []byte{0xff, 0x7f}}).Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := Decode(b)
		if err != nil {
			return
		}
		out := fr.Encode(nil)
		if fr.Full && b[11]&0x80 == 0 && !bytes.Equal(out, b) {
			t.Fatalf("re-encoded %x as %x", b, out)
		}
		if !fr.Full && !bytes.Equal(out, b) {
			t.Fatalf("mini %x re-encoded as %x", b, out)
		}
	})
}

// BenchmarkDecodeMini is the per-frame cost of reading a µ-law mini
// frame, 50 of which arrive per second per call.
func BenchmarkDecodeMini(b *testing.B) {
	pkt := (&Frame{SrcCall: 6165, Timestamp: 40, Data: make([]byte, 160)}).Encode(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFull decodes a REGREQ with its elements.
func BenchmarkDecodeFull(b *testing.B) {
	pkt := (&Frame{Full: true, SrcCall: 6163, Type: TypeIAX, Subclass: IAXRegReq, IEs: []IE{StrIE(IEUsername, "iaxpeer1"), StrIE(IEMD5Result, "7a5ea2ca9adaf9405289530d75a8f6f7"), U16IE(IERefresh, 60)}}).Encode(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(pkt); err != nil {
			b.Fatal(err)
		}
	}
}
