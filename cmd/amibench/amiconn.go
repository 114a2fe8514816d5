package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Buffer sizes of the client side. Bulk connections (pipeline, publisher,
// originate) get large buffers so that one read or write system call moves
// thousands of messages; the many connections of sessions get small ones.
const (
	bulkReadBuf   = 256 << 10
	bulkWriteBuf  = 64 << 10
	smallReadBuf  = 4 << 10
	smallWriteBuf = 1 << 10
	// maxMessage is the largest message the reader buffers before giving up.
	maxMessage = 1 << 20
	// seqHeader is the custom UserEvent header that carries the sequence
	// number of a fanout event.
	seqHeader = "BenchSeq"
	// bannerPrefix starts the greeting line of every AMI server.
	bannerPrefix = "Asterisk Call Manager/"
)

// errMessageTooLarge is returned by [msgReader.next] for a message longer
// than maxMessage.
var errMessageTooLarge = errors.New("ami message longer than 1 MiB")

// message holds the few headers the tool looks at. Values point into the
// reader's buffer and are valid until the next call of [msgReader.next];
// a header that was absent is nil. When a header is repeated the first
// one wins, as in Asterisk.
type message struct {
	Response  []byte
	Event     []byte
	ActionID  []byte
	EventList []byte
	Message   []byte
	UserEvent []byte
	Seq       []byte // the BenchSeq header
	Channel   []byte
	ListItems []byte
}

// header records one "Key: value" line into m if Key is one of the fields
// of message. Leading blanks of the value are skipped, trailing ones kept.
func (m *message) header(line []byte) {
	c := bytes.IndexByte(line, ':')
	if c <= 0 {
		return
	}
	key := line[:c]
	v := line[c+1:]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	var dst *[]byte
	switch len(key) {
	case 5:
		if equalFold(key, "Event") {
			dst = &m.Event
		}
	case 7:
		if equalFold(key, "Message") {
			dst = &m.Message
		} else if equalFold(key, "Channel") {
			dst = &m.Channel
		}
	case 8:
		if equalFold(key, "ActionID") {
			dst = &m.ActionID
		} else if equalFold(key, "Response") {
			dst = &m.Response
		} else if equalFold(key, seqHeader) {
			dst = &m.Seq
		}
	case 9:
		if equalFold(key, "EventList") {
			dst = &m.EventList
		} else if equalFold(key, "UserEvent") {
			dst = &m.UserEvent
		} else if equalFold(key, "ListItems") {
			dst = &m.ListItems
		}
	}
	if dst != nil && *dst == nil {
		*dst = v
	}
}

// equalFold reports whether b equals the ASCII string s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || (x|0x20) < 'a' || (x|0x20) > 'z' {
			return false
		}
	}
	return true
}

// msgReader reads AMI messages from a stream without allocating per message:
// it scans its own buffer in place and hands out slices into it.
//
// Every line ends in "\n" (a preceding "\r" is dropped); an empty line ends a
// message, so a lone "\r\n" is an empty message, as in Asterisk.
type msgReader struct {
	rd   io.Reader
	buf  []byte
	r, w int // unread bytes are buf[r:w]
}

// newMsgReader returns a reader on rd with a buffer of size bytes; the
// buffer grows up to maxMessage for longer messages.
func newMsgReader(rd io.Reader, size int) *msgReader {
	return &msgReader{rd: rd, buf: make([]byte, size)}
}

// fill reads more bytes from the stream, first moving unread bytes to the
// front of the buffer. It reports how far they moved.
func (r *msgReader) fill() (shift int, err error) {
	if r.r > 0 {
		copy(r.buf, r.buf[r.r:r.w])
		shift = r.r
		r.w -= r.r
		r.r = 0
	}
	if r.w == len(r.buf) {
		if len(r.buf) >= maxMessage {
			return shift, errMessageTooLarge
		}
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for range 100 {
		// Bytes read come first; an error that came with them is returned
		// again by the next Read.
		n, err := r.rd.Read(r.buf[r.w:])
		r.w += n
		if n > 0 {
			return shift, nil
		}
		if err != nil {
			return shift, err
		}
	}
	return shift, io.ErrNoProgress
}

// line returns the next line without its line ending. The slice is valid
// until the next call of line or next.
func (r *msgReader) line() ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.r:r.w], '\n'); i >= 0 {
			l := r.buf[r.r : r.r+i]
			r.r += i + 1
			return bytes.TrimSuffix(l, []byte{'\r'}), nil
		}
		if _, err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// next reads the next message into m. The values in m are valid until the
// next call of next or line.
func (r *msgReader) next(m *message) error {
	*m = message{}
	pos := r.r
	for {
		i := bytes.IndexByte(r.buf[pos:r.w], '\n')
		if i < 0 {
			// The message goes on past the buffered bytes. Read more and
			// parse it again from its start, as fill may move the bytes.
			if _, err := r.fill(); err != nil {
				return err
			}
			*m = message{}
			pos = r.r
			continue
		}
		l := r.buf[pos : pos+i]
		pos += i + 1
		if n := len(l); n > 0 && l[n-1] == '\r' {
			l = l[:n-1]
		}
		if len(l) == 0 {
			r.r = pos
			return nil
		}
		m.header(l)
	}
}

// parseUint parses a non-empty run of ASCII digits.
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// amiConn is one client connection: a socket, the lean reader and a
// buffered writer. It is used by one goroutine at a time, except that a
// writer goroutine may own w while another goroutine owns rd.
type amiConn struct {
	c      net.Conn
	rd     *msgReader
	w      *bufio.Writer
	buf    []byte // scratch for building actions
	m      message
	banner string
	stop   func() bool // unregisters the context watcher

	mu       sync.Mutex // guards cancel and the socket's deadlines
	cancel   bool       // the run's context is done: all I/O must stop
	deadline time.Time  // the run's deadline, the latest any I/O may last
}

// setDeadline sets the read and write deadline of the socket to t, or to the
// run's deadline if that is earlier. Once the run is cancelled it is now.
func (a *amiConn) setDeadline(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.c.SetDeadline(a.bound(t))
}

// setReadDeadline is setDeadline for reads only.
func (a *amiConn) setReadDeadline(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.c.SetReadDeadline(a.bound(t))
}

// bound returns t limited by the run's deadline and cancellation. a.mu must
// be held.
func (a *amiConn) bound(t time.Time) time.Time {
	if a.cancel {
		return time.Now()
	}
	if t.IsZero() || (!a.deadline.IsZero() && a.deadline.Before(t)) {
		return a.deadline
	}
	return t
}

// Failure kinds of opening a session, used as keys in reports.
const (
	kindConnRefused       = "connect: refused"
	kindConnTimeout       = "connect: timeout"
	kindConnOther         = "connect: error"
	kindResetBeforeBanner = "banner: reset before banner"
	kindEOFBeforeBanner   = "banner: closed before banner"
	kindBannerTimeout     = "banner: timeout"
	kindBadBanner         = "banner: not an AMI banner"
	kindBannerOther       = "banner: error"
	kindAuthFailed        = "login: auth failed"
	kindLoginTimeout      = "login: timeout"
	kindLoginClosed       = "login: connection closed"
	kindLoginOther        = "login: error"
)

// openError is an error while opening a session, with its failure kind.
type openError struct {
	kind string
	err  error
}

func (e *openError) Error() string { return e.kind + ": " + e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// kindOf returns the failure kind of an error returned by dial or login.
func kindOf(err error) string {
	var oe *openError
	if errors.As(err, &oe) {
		return oe.kind
	}
	return "other"
}

// isTimeout reports whether err is an I/O deadline or dial timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isClosed reports whether err means that the peer closed or reset the
// connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err)
}

// isReset reports whether err is a connection reset by the peer.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// dial connects to the server, reads its banner and returns the connection.
// All I/O on it ends when ctx is done.
func (b *bench) dial(ctx context.Context, readBuf, writeBuf int) (*amiConn, error) {
	dl, _ := ctx.Deadline()
	d := net.Dialer{Timeout: b.g.opTimeout, Deadline: dl}
	c, err := d.DialContext(ctx, "tcp", b.dialAddr)
	if err != nil {
		switch {
		case isTimeout(err):
			return nil, &openError{kindConnTimeout, err}
		case errors.Is(err, syscall.ECONNREFUSED):
			return nil, &openError{kindConnRefused, err}
		}
		return nil, &openError{kindConnOther, err}
	}
	a := &amiConn{
		c:        c,
		rd:       newMsgReader(c, readBuf),
		w:        bufio.NewWriterSize(c, writeBuf),
		buf:      make([]byte, 0, 512),
		deadline: dl,
	}
	a.stop = context.AfterFunc(ctx, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.cancel = true
		c.SetDeadline(time.Now())
	})
	a.setDeadline(time.Now().Add(b.g.opTimeout))
	line, err := a.rd.line()
	if err != nil {
		a.close()
		switch {
		case isTimeout(err):
			return nil, &openError{kindBannerTimeout, err}
		case isReset(err):
			return nil, &openError{kindResetBeforeBanner, err}
		case isClosed(err):
			return nil, &openError{kindEOFBeforeBanner, err}
		}
		return nil, &openError{kindBannerOther, err}
	}
	if !bytes.HasPrefix(line, []byte(bannerPrefix)) {
		a.close()
		return nil, &openError{kindBadBanner, fmt.Errorf("got %.60q", line)}
	}
	a.banner = string(line)
	a.setDeadline(time.Time{})
	return a, nil
}

// close closes the connection.
func (a *amiConn) close() {
	if a.stop != nil {
		a.stop()
	}
	a.c.Close()
}

// login sends Login with the given Events value and waits for its response.
func (b *bench) login(a *amiConn, events string) error {
	a.setDeadline(time.Now().Add(b.g.opTimeout))
	defer a.setDeadline(time.Time{})
	buf := append(a.buf[:0], "Action: Login\r\nActionID: "...)
	buf = append(buf, b.tag...)
	buf = append(buf, "L\r\nUsername: "...)
	buf = append(buf, b.g.user...)
	buf = append(buf, "\r\nSecret: "...)
	buf = append(buf, b.g.secret...)
	buf = append(buf, "\r\nEvents: "...)
	buf = append(buf, events...)
	buf = append(buf, "\r\n\r\n"...)
	a.buf = buf
	if err := a.send(buf); err != nil {
		return loginErr(err)
	}
	for {
		if err := a.rd.next(&a.m); err != nil {
			return loginErr(err)
		}
		if a.m.Response == nil || !b.isLoginID(a.m.ActionID) {
			continue
		}
		if equalFold(a.m.Response, "Success") {
			return nil
		}
		return &openError{kindAuthFailed, fmt.Errorf("%s: %s", a.m.Response, a.m.Message)}
	}
}

// loginErr classifies an I/O error during login.
func loginErr(err error) error {
	switch {
	case isTimeout(err):
		return &openError{kindLoginTimeout, err}
	case isClosed(err):
		return &openError{kindLoginClosed, err}
	}
	return &openError{kindLoginOther, err}
}

// isLoginID reports whether id is the ActionID of this run's Login.
func (b *bench) isLoginID(id []byte) bool {
	return len(id) == len(b.tag)+1 && string(id[:len(b.tag)]) == b.tag && id[len(b.tag)] == 'L'
}

// parseID returns the number n of an ActionID of the form tag+n.
func (b *bench) parseID(id []byte) (int64, bool) {
	if len(id) <= len(b.tag) || string(id[:len(b.tag)]) != b.tag {
		return 0, false
	}
	return parseUint(id[len(b.tag):])
}

// replyID returns the number n of a reply to this run's action tag+n: a
// message with a Response header and that ActionID.
func (b *bench) replyID(m *message) (int64, bool) {
	if m.Response == nil {
		return 0, false
	}
	return b.parseID(m.ActionID)
}

// appendAction appends the first two lines of an action, "Action: name" and
// "ActionID: tag+n", to buf; [bench.parseID] reads that ActionID back.
func (b *bench) appendAction(buf []byte, name string, n int64) []byte {
	buf = append(buf, "Action: "...)
	buf = append(buf, name...)
	buf = append(buf, "\r\nActionID: "...)
	buf = append(buf, b.tag...)
	return strconv.AppendInt(buf, n, 10)
}

// appendPing appends a Ping action with ActionID tag+n to buf.
func (b *bench) appendPing(buf []byte, n int64) []byte {
	return append(b.appendAction(buf, "Ping", n), "\r\n\r\n"...)
}

// send writes buf and flushes the writer.
func (a *amiConn) send(buf []byte) error {
	if _, err := a.w.Write(buf); err != nil {
		return err
	}
	return a.w.Flush()
}

// ping sends one Ping with ActionID tag+n and waits for its response,
// skipping events. It reports whether the response was Success.
func (b *bench) ping(a *amiConn, n int64) (bool, error) {
	a.buf = b.appendPing(a.buf[:0], n)
	if err := a.send(a.buf); err != nil {
		return false, err
	}
	for {
		if err := a.rd.next(&a.m); err != nil {
			return false, err
		}
		if id, ok := b.replyID(&a.m); ok && id == n {
			return equalFold(a.m.Response, "Success"), nil
		}
	}
}
