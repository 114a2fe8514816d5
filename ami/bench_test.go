package ami

import (
	"bufio"
	"testing"
)

// Blocks as Asterisk 20.20.1 sent and received them in the transcripts
// originate-async-exten.txt and ping.txt.
const (
	originateResponse = "Event: OriginateResponse\r\n" +
		"Privilege: call,all\r\n" +
		"SystemName: refast\r\n" +
		"ActionID: orig-async\r\n" +
		"Response: Success\r\n" +
		"Channel: Local/1234@default-00000007;1\r\n" +
		"Context: default\r\n" +
		"Exten: 600\r\n" +
		"Reason: 4\r\n" +
		"Uniqueid: refast-1795775074.15\r\n" +
		"CallerIDNum: 5553\r\n" +
		"CallerIDName: Async Test\r\n" +
		"\r\n"
	newchannel = "Event: Newchannel\r\n" +
		"Privilege: call,all\r\n" +
		"SystemName: refast\r\n" +
		"Channel: Local/1234@default-00000007;1\r\n" +
		"ChannelState: 0\r\n" +
		"ChannelStateDesc: Down\r\n" +
		"CallerIDNum: <unknown>\r\n" +
		"CallerIDName: <unknown>\r\n" +
		"ConnectedLineNum: <unknown>\r\n" +
		"ConnectedLineName: <unknown>\r\n" +
		"Language: en\r\n" +
		"AccountCode: \r\n" +
		"Context: default\r\n" +
		"Exten: 1234\r\n" +
		"Priority: 1\r\n" +
		"Uniqueid: refast-1795775074.15\r\n" +
		"Linkedid: refast-1795775074.15\r\n" +
		"\r\n"
	pingAction = "Action: Ping\r\nActionID: ping-1\r\n\r\n"
)

// loop is an endless stream repeating one block.
type loop struct {
	data []byte
	off  int
}

func (l *loop) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

func benchmarkReadMessage(b *testing.B, block string, headers int) {
	r := NewReader(bufio.NewReader(&loop{data: []byte(block)}))
	b.SetBytes(int64(len(block)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := r.ReadMessage()
		if err != nil || m.Len() != headers {
			b.Fatalf("ReadMessage = %v, %v", m, err)
		}
	}
}

func BenchmarkReadMessage(b *testing.B) {
	b.Run("OriginateResponse", func(b *testing.B) { benchmarkReadMessage(b, originateResponse, 12) })
	b.Run("Newchannel", func(b *testing.B) { benchmarkReadMessage(b, newchannel, 17) })
	b.Run("Ping", func(b *testing.B) { benchmarkReadMessage(b, pingAction, 2) })
}

func BenchmarkAppendMessage(b *testing.B) {
	for _, bm := range []struct{ name, block string }{
		{"OriginateResponse", originateResponse},
		{"Newchannel", newchannel},
		{"Ping", pingAction},
	} {
		b.Run(bm.name, func(b *testing.B) {
			m := mustRead(b, bm.block)
			buf := AppendMessage(nil, m)
			if string(buf) != bm.block {
				b.Fatalf("AppendMessage = %q, want %q", buf, bm.block)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendMessage(buf[:0], m)
			}
		})
	}
}

func mustRead(b *testing.B, block string) *Message {
	m, err := NewReader(bufio.NewReader(&loop{data: []byte(block)})).ReadMessage()
	if err != nil {
		b.Fatal(err)
	}
	return m
}
