package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/asterism-pbx/asterism/ami"
)

func readAll(t *testing.T, r io.Reader) []*ami.Message {
	t.Helper()
	rd := newReader(r, 0, 0)
	if _, err := rd.readLine(); err != nil { // banner
		t.Fatal(err)
	}
	var ms []*ami.Message
	for {
		m, err := rd.readMessage()
		if err == io.EOF {
			return ms
		}
		if err != nil {
			t.Fatalf("message %d: %v", len(ms), err)
		}
		ms = append(ms, m)
	}
}

// Whole reads, one-byte reads and half reads of real server output give
// the same messages.
func TestReaderChunking(t *testing.T) {
	for _, name := range []string{"coreshowchannels.txt", "listcommands.txt", "command.txt", "iax-peers.txt"} {
		raw := parseTranscript(t, name).Received("a")
		whole := readAll(t, bytes.NewReader(raw))
		if len(whole) < 2 {
			t.Fatalf("%s: %d messages", name, len(whole))
		}
		for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(raw)), iotest.HalfReader(bytes.NewReader(raw))} {
			got := readAll(t, r)
			if fmt.Sprint(got) != fmt.Sprint(whole) {
				t.Errorf("%s: chunked read differs", name)
			}
		}
	}
}

func TestReaderBareLF(t *testing.T) {
	rd := newReader(strings.NewReader("Response: Success\nActionID: 1\nPing:Pong\n\n"), 0, 0)
	m, err := rd.readMessage()
	if err != nil || m.Get("Ping") != "Pong" || m.ActionID() != "1" {
		t.Fatalf("%q, %v", m, err)
	}
}

func TestReaderLimits(t *testing.T) {
	long := strings.Repeat("x", 200)
	in := "Event: Big\r\nActionID: 7\r\nData: " + long + "\r\n\r\n" +
		"Response: Success\r\nActionID: 8\r\n\r\n"
	rd := newReader(strings.NewReader(in), 100, 0)
	m, err := rd.readMessage()
	if !errors.Is(err, ErrMessageTooLarge) || m.ActionID() != "7" || m.Get("Data") != "" {
		t.Fatalf("long line: %q, %v", m, err)
	}
	if m, err = rd.readMessage(); err != nil || m.ActionID() != "8" {
		t.Fatalf("after the long line, out of step: %q, %v", m, err)
	}

	var big strings.Builder
	big.WriteString("Response: Success\r\nActionID: 9\r\n")
	for range 1000 {
		big.WriteString("Output: " + long + "\r\n")
	}
	big.WriteString("\r\nResponse: Success\r\nActionID: 10\r\n\r\n")
	rd = newReader(strings.NewReader(big.String()), 0, 10_000)
	if m, err = rd.readMessage(); !errors.Is(err, ErrMessageTooLarge) || m.ActionID() != "9" {
		t.Fatalf("big message: %d headers, %v", m.Len(), err)
	}
	if m, err = rd.readMessage(); err != nil || m.ActionID() != "10" {
		t.Fatalf("after the big message, out of step: %q, %v", m, err)
	}
}

// Far more headers than Asterisk accepts from clients (128) are fine from
// a server: "core show help" answers with hundreds of Output lines.
func TestReaderManyHeaders(t *testing.T) {
	var b strings.Builder
	b.WriteString("Response: Success\r\nActionID: 1\r\nMessage: Command output follows\r\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "Output: line %d\r\n", i)
	}
	b.WriteString("\r\n")
	m, err := newReader(strings.NewReader(b.String()), 0, 0).readMessage()
	if err != nil || len(m.Values("Output")) != 5000 {
		t.Fatalf("%d Output headers, %v", len(m.Values("Output")), err)
	}
}

func TestReaderTruncated(t *testing.T) {
	rd := newReader(strings.NewReader("Response: Success\r\nActionID: 1\r\n"), 0, 0)
	if _, err := rd.readMessage(); err != io.ErrUnexpectedEOF {
		t.Fatalf("err %v, want io.ErrUnexpectedEOF", err)
	}
	rd = newReader(strings.NewReader("Response: Follows\r\nActionID: 1\r\nsome output\n"), 0, 0)
	if _, err := rd.readMessage(); err != io.ErrUnexpectedEOF {
		t.Fatalf("Follows: err %v, want io.ErrUnexpectedEOF", err)
	}
}

// A reply over the limits fails its action, not the connection.
func TestOversizedReplyFailsAction(t *testing.T) {
	s := serveFirstAction(t, func(fc *fakeConn, m *ami.Message) {
		fc.sendf("Response: Success\r\nActionID: %s\r\nData: %s\r\n\r\n", m.ActionID(), strings.Repeat("y", 300))
	})
	c := dial(t, s.addr(), Options{MaxLineLength: 256, EventBuffer: -1})
	if _, err := c.Do(testCtx(t), ami.NewMessage("Action", "Getvar")); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("Do: %v, want ErrMessageTooLarge", err)
	}
	if _, err := c.Do(testCtx(t), ami.NewMessage("Action", "Ping")); err != nil {
		t.Fatalf("Ping after an oversized reply: %v", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("Response: Success\r\nActionID: 1\r\n\r\n"))
	f.Add([]byte("Response: Follows\r\nPrivilege: Command\r\nx\n\n--END COMMAND--\r\n\r\n"))
	f.Add([]byte("\r\n\r\nEvent: A\nChanVariable(SIP/1-0001): x=y\n\n"))
	f.Add([]byte("Response: Follows\r\n" + strings.Repeat("z", 300) + "--END COMMAND--\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rd := newReader(bytes.NewReader(in), 64, 256)
		for range len(in) + 1 {
			m, err := rd.readMessage()
			if m == nil {
				if err == nil {
					t.Fatal("nil message without error")
				}
				return
			}
			size := 0
			for _, h := range m.Headers {
				size += len(h.Key) + len(h.Value)
			}
			if size > 256 {
				t.Fatalf("kept %d bytes past the limit", size)
			}
		}
		t.Fatal("reader made no progress")
	})
}
