package manager

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/asterism-pbx/asterism/ami"
)

// readBufferSize is a session's input buffer. It is only held while the
// session has input to work through (an idle one gives it back), so it can
// be large enough to take a pipelining client's requests in few reads.
const readBufferSize = 16 << 10

// flushThreshold is how much response output the reader lets pile up in one
// batch before a writer starts on it (a long list, say).
const flushThreshold = 16 << 10

// outBufSize is the size of a fresh output buffer: big enough for a burst
// of answers between two writes, so that it rarely grows.
const outBufSize = 16 << 10

// freeBufs holds output buffers between bursts, so that an idle session
// owns none and busy ones reuse them. It is a bounded free list rather than
// a sync.Pool: a pool is only emptied by garbage collections, which an idle
// server seldom runs, so after a burst of logins it would keep a buffer per
// session; and under load it is emptied often enough to make bursts
// allocate anew.
var freeBufs = make(chan *[]byte, 64)

// maxFreeBuf is the largest buffer kept on the free list.
const maxFreeBuf = 128 << 10

// bigFreeBufs keeps a few of the buffers that grew past maxFreeBuf: a
// session streaming many events (every call's events to a dialer) empties
// its output now and then and would otherwise regrow, copying, a megabyte
// buffer from 16 KiB each time. Few, so that they bound what idle
// sessions hold.
var bigFreeBufs = make(chan *[]byte, 4)

// Session is one AMI connection.
type Session struct {
	m      *Manager
	id     uint64
	conn   net.Conn
	start  time.Time
	remote string // host of the peer, for logs and events
	fd     int

	ctx    context.Context
	cancel context.CancelFunc

	// Login state. authed and user are written once by the reader
	// goroutine at login; publishers read them.
	authed       atomic.Bool
	user         atomic.Pointer[User]
	eventMask    atomic.Uint32 // as set by Login Events: or the Events action
	readMask     atomic.Uint32 // user.Read & eventMask: what events pass
	filters      atomic.Pointer[FilterSet]
	writeTimeout atomic.Int64
	// loggingIn is set while a Login that may still succeed runs: such a
	// session is not dropped to make room under authlimit.
	loggingIn atomic.Bool
	// backlog is set when answers pile up faster than they are written
	// while the reader is still busy with input.
	backlog atomic.Bool
	// heard is set once the client has sent a byte.
	heard atomic.Bool
	// processing is set while the reader goroutine works through a batch
	// of input; it will write the output itself when done.
	processing atomic.Bool

	// Reader goroutine only.
	in        *input          // nil while idle
	raw       syscall.RawConn // nil for TLS: then in is kept
	challenge string
	deep      bool // a batch ran an action that may have grown the stack
	subIdx    int  // place in Manager.subs; guarded by Manager.subsMu

	mu        sync.Mutex
	out       *[]byte // pending output; nil once trimmed
	spare     *[]byte // the other buffer, while the writer writes one
	outEvents int     // events in out, counted as lost if the session dies
	writing   bool    // a goroutine owns the socket's write side
	closed    bool
	drained   sync.Cond // signalled when the writer goes idle; L is &mu
	// While an action runs, events for the session wait in held and go out
	// after its answer, as Asterisk flushes events after each action.
	holding    bool
	held       *[]byte
	heldEvents int
	waiter     chan struct{} // WaitEvent's wake-up, when one is waiting
}

func newSession(m *Manager, c net.Conn) *Session {
	s := &Session{
		m:      m,
		id:     m.nextID.Add(1),
		conn:   c,
		start:  m.now(),
		remote: hostOf(c.RemoteAddr()),
		fd:     -1,
	}
	s.drained.L = &s.mu
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.eventMask.Store(uint32(PermAll))
	s.writeTimeout.Store(int64(100 * time.Millisecond))
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			s.raw = rc
			// The descriptor number is shown by "manager show connected".
			rc.Control(func(fd uintptr) { s.fd = int(fd) })
		}
	}
	return s
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}

// heardReader reads from the session's connection, noting the first byte.
type heardReader struct{ s *Session }

func (h heardReader) Read(p []byte) (int, error) {
	n, err := h.s.conn.Read(p)
	if n > 0 && !h.s.heard.Load() {
		h.s.heard.Store(true)
	}
	return n, err
}

// ID returns the session's number, unique within the process.
func (s *Session) ID() uint64 { return s.id }

// Username returns the logged-in user's name, or "".
func (s *Session) Username() string {
	if u := s.user.Load(); u != nil {
		return u.Name
	}
	return ""
}

// User returns the logged-in user, or nil.
func (s *Session) User() *User { return s.user.Load() }

// Authenticated reports whether the session has logged in.
func (s *Session) Authenticated() bool { return s.authed.Load() }

// RemoteAddr returns the peer's address.
func (s *Session) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// Context is cancelled when the session ends.
func (s *Session) Context() context.Context { return s.ctx }

// serve is the session's reader goroutine.
func (s *Session) serve() {
	cfg := s.m.cfg.Load()
	s.conn.SetWriteDeadline(s.start.Add(time.Second))
	if _, err := io.WriteString(s.conn, Banner); err != nil {
		s.finish()
		return
	}
	authTimeout := cfg.AuthTimeout
	if authTimeout <= 0 {
		authTimeout = DefaultAuthTimeout
	}
	s.conn.SetReadDeadline(s.start.Add(authTimeout))
	s.readLoop()
}

// input is a session's read side: a buffer and the codec over it. An idle
// session gives it back (see readLoop), so it costs nothing while a client
// sits logged in and silent.
type input struct {
	br *bufio.Reader
	rd *ami.Reader
}

var inputPool = sync.Pool{New: func() any {
	br := bufio.NewReaderSize(nil, readBufferSize)
	return &input{br: br, rd: ami.NewReader(br)}
}}

// waitReadable blocks until the connection has input (or an error or the
// end of stream to report) without reading it, so that no buffer is held
// while waiting. It peeks at one byte: MSG_PEEK|MSG_DONTWAIT.
func (s *Session) waitReadable() error {
	return s.raw.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		return errno != syscall.EAGAIN && errno != syscall.EINTR
	})
}

// readLoop reads and runs requests until the session ends. After a batch
// that ran anything heavier than a Ping it goes on in a fresh goroutine:
// the old one's stack, grown by the handler, is freed, and an idle session
// waits for input on a stack a few KiB smaller.
func (s *Session) readLoop() {
	for {
		if s.in == nil || s.in.br.Buffered() == 0 {
			s.processing.Store(false)
			if !s.flushOwn() {
				s.finish()
				return
			}
			if s.deep {
				s.deep = false
				go s.readLoop()
				return
			}
			if s.raw != nil {
				// Between messages, with nothing buffered: give the
				// input buffer back while waiting.
				if s.in != nil {
					inputPool.Put(s.in)
					s.in = nil
				}
				if err := s.waitReadable(); err != nil {
					s.readEnded(err)
					s.finish()
					return
				}
			}
			if s.in == nil {
				s.in = inputPool.Get().(*input)
				s.in.br.Reset(heardReader{s})
			}
		}
		if s.backlog.Load() {
			// A client pipelining without pause never lets the input
			// buffer drain: bound what its answers may pile up.
			s.backlog.Store(false)
			if !s.flushOwn() {
				s.finish()
				return
			}
		}
		req, err := s.in.rd.ReadMessage()
		s.processing.Store(true)
		switch {
		case err == nil:
			if !s.process(req) {
				s.processing.Store(false)
				s.finish()
				return
			}
		case errors.Is(err, ami.ErrTooManyHeaders):
			s.Error(req, "Too many lines in message or allocation failure")
		case errors.Is(err, ami.ErrLineTooLong):
			s.Error(req, "Failed to parse message: line too long")
		default:
			s.readEnded(err)
			s.finish()
			return
		}
	}
}

// readEnded logs why the client's side ended, when that is news.
func (s *Session) readEnded(err error) {
	var ne net.Error
	switch {
	case !s.authed.Load() && errors.As(err, &ne) && ne.Timeout() && s.ctx.Err() == nil:
		if s.m.cfg.Load().DisplayConnects {
			s.m.log.Info("AMI client failed to authenticate in time", "remote", s.remote)
		}
	case !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed):
		s.m.log.Debug("AMI session read ended", "remote", s.remote, "err", err)
	}
}

// process runs one request; false ends the session.
func (s *Session) process(req *ami.Message) (keep bool) {
	name := req.Action()
	if name == "" {
		s.securityEvent("RequestBadFormat", "Error", 2, ami.Header{Key: "RequestType", Value: "NONE"})
		s.Error(req, "Missing action in request")
		return true
	}
	if !s.authed.Load() && !equalFold(name, "Login") && !equalFold(name, "Logoff") && !equalFold(name, "Challenge") {
		s.securityEvent("RequestNotAllowed", "Error", 1, ami.Header{Key: "RequestType", Value: "Action: " + name})
		s.Error(req, "Permission denied")
		return true
	}
	a := s.m.lookupAction(name)
	if a == nil {
		s.securityEvent("RequestBadFormat", "Error", 2, ami.Header{Key: "RequestType", Value: name})
		s.Error(req, "Invalid/unknown command: "+name+". Use Action: ListCommands to show available commands.")
		return true
	}
	if a.Perm != 0 {
		u := s.user.Load()
		if u == nil || !u.Write.CanRun(a.Perm) {
			s.securityEvent("RequestNotAllowed", "Error", 1, ami.Header{Key: "RequestType", Value: "Action: " + name})
			s.Error(req, "Permission denied")
			return true
		}
	}
	if s.m.cfg.Load().Debug {
		s.m.log.Debug("AMI action", "user", s.Username(), "remote", s.remote, "action", a.Name, "headers", redacted(req))
	}
	return s.run(a, req)
}

// errEndSession is returned by handlers (Logoff, failed Login) that close
// the session once their answer is written.
var errEndSession = errors.New("manager: end of session")

// run calls a handler, turning a panic into an error answer: bad input must
// never take the server down.
func (s *Session) run(a *Action, req *ami.Message) (keep bool) {
	defer func() {
		if r := recover(); r != nil {
			s.m.log.Error("AMI action panicked", "action", a.Name, "panic", r, "stack", string(debug.Stack()))
			s.Error(req, "Internal error")
			keep = true
		}
	}()
	if !a.Light {
		s.deep = true
		if !a.Slow {
			s.hold()
			defer s.release()
		}
	}
	err := a.Handler(s.ctx, s, req)
	switch {
	case err == nil:
		return true
	case errors.Is(err, errEndSession):
		return false
	default:
		s.Error(req, err.Error())
		return true
	}
}

// redacted returns the request's headers with secrets replaced, for debug
// logs.
func redacted(req *ami.Message) []string {
	out := make([]string, 0, len(req.Headers))
	for _, h := range req.Headers {
		v := h.Value
		if equalFold(h.Key, "Secret") || equalFold(h.Key, "Key") {
			v = "<redacted>"
		}
		out = append(out, h.Key+": "+v)
	}
	return out
}

// finish tears the session down once its reader stops.
func (s *Session) finish() {
	if s.in != nil {
		inputPool.Put(s.in)
		s.in = nil
	}
	// Whatever is queued (a Goodbye, a Shutdown event) goes out before the
	// connection closes, even when another goroutine was writing.
	s.drain()
	s.mu.Lock()
	s.closed = true
	s.drained.Broadcast()
	s.mu.Unlock()
	s.cancel()
	s.conn.Close()
	if s.authed.Load() {
		if u := s.user.Load(); u != nil && u.DisplayConnects {
			s.m.log.Info("Manager logged off", "user", u.Name, "remote", s.remote)
		}
	}
	s.m.removeSession(s)
}

// shutdown asks the session to end: its reader stops, writes what is
// queued, and closes the connection.
func (s *Session) shutdown() {
	s.cancel()
	s.conn.SetReadDeadline(time.Unix(1, 0))
}

// drain waits for a writer that is busy, then writes what is left. Each
// write still has writetimeout to make progress, so a client that does not
// read cannot hold it up for long.
func (s *Session) drain() {
	s.mu.Lock()
	for s.writing && !s.closed {
		s.drained.Wait()
	}
	if s.closed || s.out == nil || len(*s.out) == 0 {
		s.mu.Unlock()
		return
	}
	s.writing = true
	s.mu.Unlock()
	s.writeLoop()
}

var errSlowConsumer = errors.New("pending output over the limit")

func getBuf() *[]byte {
	select {
	case b := <-bigFreeBufs:
		return b
	case b := <-freeBufs:
		return b
	default:
		b := make([]byte, 0, outBufSize)
		return &b
	}
}

func putBuf(b *[]byte) {
	if b == nil {
		return
	}
	*b = (*b)[:0]
	free := freeBufs
	if cap(*b) > maxFreeBuf {
		free = bigFreeBufs
	}
	select {
	case free <- b:
	default:
	}
}

// pending returns the bytes waiting to be written; s.mu is held.
func (s *Session) pending() int {
	n := 0
	if s.out != nil {
		n += len(*s.out)
	}
	if s.held != nil {
		n += len(*s.held)
	}
	return n
}

// queueEvent appends a rendered event to the output and makes sure a writer
// is running. It returns false when the session is gone or has just been
// cut off for falling behind. It never blocks on the socket.
func (s *Session) queueEvent(b []byte) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	if s.pending()+len(b) > s.m.maxPending {
		s.mu.Unlock()
		s.cutOff(errSlowConsumer, 1)
		return false
	}
	if s.holding {
		if s.held == nil {
			s.held = getBuf()
		}
		*s.held = append(*s.held, b...)
		s.heldEvents++
		s.mu.Unlock()
		return true
	}
	if s.out == nil {
		s.out = getBuf()
	}
	*s.out = append(*s.out, b...)
	s.outEvents++
	// Events always get a writer going, even while the reader is inside a
	// long action: a slow action must not hold back the session's events.
	start := !s.writing
	if start {
		s.writing = true
	}
	w := s.waiter
	s.mu.Unlock()
	if w != nil {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	if start {
		go s.writeLoop()
	}
	return true
}

// hold starts holding events back while an action runs.
func (s *Session) hold() {
	s.mu.Lock()
	s.holding = true
	s.mu.Unlock()
}

// release queues the events held during an action behind its answer.
func (s *Session) release() {
	s.mu.Lock()
	s.holding = false
	held, n := s.held, s.heldEvents
	s.held, s.heldEvents = nil, 0
	if held == nil || s.closed {
		putBuf(held)
		s.mu.Unlock()
		return
	}
	if s.out == nil {
		s.out = held
	} else {
		*s.out = append(*s.out, *held...)
		putBuf(held)
	}
	s.outEvents += n
	s.kickLocked(true)
}

// appendOut renders output (an answer, a list item) straight into the
// output buffer. The reader goroutine writes it when its batch of input is
// done; from any other goroutine, or past flushThreshold, a writer starts.
func (s *Session) appendOut(render func([]byte) []byte) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.out == nil {
		s.out = getBuf()
	}
	*s.out = render(*s.out)
	big := len(*s.out) > flushThreshold
	if big && s.processing.Load() {
		s.backlog.Store(true)
	}
	s.kickLocked(!s.processing.Load() || big)
}

// kickLocked starts a writer when want is set and none is running, and
// unlocks s.mu.
func (s *Session) kickLocked(want bool) {
	start := want && !s.writing
	if start {
		s.writing = true
	}
	s.mu.Unlock()
	if start {
		go s.writeLoop()
	}
}

// readerHighWater is how much output may wait while the reader goes on
// reading requests; past it the reader waits for the writer, so a client
// that pipelines without reading is slowed by TCP, not buffered without end.
const readerHighWater = 32 << 10

// flushOwn writes pending output from the reader goroutine, unless another
// goroutine is already writing it. It returns false when the session is
// dead.
func (s *Session) flushOwn() bool {
	s.mu.Lock()
	for s.writing && !s.closed && s.pending() > readerHighWater {
		s.drained.Wait()
	}
	if s.closed {
		s.mu.Unlock()
		return false
	}
	if s.writing || s.out == nil || len(*s.out) == 0 {
		s.mu.Unlock()
		return true
	}
	s.writing = true
	s.mu.Unlock()
	return s.writeLoop()
}

// writeLoop writes until the output is empty, then gives up the write side
// and the buffers. Only the goroutine that set s.writing runs it. It swaps
// two buffers, so that a busy session allocates nothing and an idle one
// holds nothing.
func (s *Session) writeLoop() bool {
	for {
		s.mu.Lock()
		if s.closed || s.out == nil || len(*s.out) == 0 {
			s.writing = false
			closed := s.closed
			if !closed {
				putBuf(s.out)
				putBuf(s.spare)
				s.out, s.spare = nil, nil
			}
			s.drained.Broadcast()
			s.mu.Unlock()
			return !closed
		}
		buf := s.out
		events := s.outEvents
		s.out, s.spare, s.outEvents = s.spare, nil, 0
		s.mu.Unlock()

		err := s.write(*buf)

		s.mu.Lock()
		// A busy session keeps its buffer however big it grew, so that a
		// steady stream of events does not regrow (and copy) a fresh one
		// on every write; it goes back, or to the garbage collector if
		// big, once the session is idle.
		if s.spare == nil {
			*buf = (*buf)[:0]
			s.spare = buf
		}
		if err != nil {
			s.writing = false
			s.drained.Broadcast()
			s.mu.Unlock()
			s.cutOff(err, events)
			return false
		}
		s.mu.Unlock()
	}
}

// write writes b, allowing each write call writetimeout to make progress,
// as Asterisk's writetimeout is an inactivity timeout.
func (s *Session) write(b []byte) error {
	wt := time.Duration(s.writeTimeout.Load())
	for len(b) > 0 {
		s.conn.SetWriteDeadline(time.Now().Add(wt))
		n, err := s.conn.Write(b)
		b = b[n:]
		if err != nil {
			var ne net.Error
			if n > 0 && errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
	}
	return nil
}

// cutOff ends a session whose client does not keep up (or whose socket
// failed) and counts the events it loses. It never blocks.
func (s *Session) cutOff(cause error, inFlight int) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	lost := inFlight + s.outEvents + s.heldEvents
	s.outEvents, s.heldEvents = 0, 0
	if !s.writing {
		putBuf(s.out)
		putBuf(s.spare)
		s.out, s.spare = nil, nil
	}
	putBuf(s.held)
	s.held = nil
	s.drained.Broadcast()
	s.mu.Unlock()
	var ne net.Error
	slow := errors.Is(cause, errSlowConsumer) || errors.As(cause, &ne) && ne.Timeout()
	if slow {
		s.m.slow.Add(1)
	}
	s.m.lost.Add(uint64(lost))
	if lost > 0 || slow {
		s.m.log.Warn("AMI session cut off: client not reading", "user", s.Username(), "remote", s.remote,
			"cause", cause.Error(), "events_lost", lost)
	}
	s.cancel()
	s.conn.Close()
}

// Send queues a message, rendered in wire form.
func (s *Session) Send(msg *ami.Message) {
	s.appendOut(func(b []byte) []byte { return ami.AppendMessage(b, msg) })
}

// appendResponse appends "Response: <resp>" and, when the request had one,
// its ActionID, verbatim.
func appendResponse(b []byte, resp string, req *ami.Message) []byte {
	b = ami.AppendHeader(b, "Response", resp)
	if id := req.ActionID(); id != "" {
		b = ami.AppendHeader(b, "ActionID", id)
	}
	return b
}

// Respond queues "Response: <resp>", the ActionID, then the given key/value
// pairs and the closing blank line.
func (s *Session) Respond(req *ami.Message, resp string, kv ...string) {
	s.appendOut(func(b []byte) []byte {
		b = appendResponse(b, resp, req)
		for i := 0; i+1 < len(kv); i += 2 {
			b = ami.AppendHeader(b, kv[i], kv[i+1])
		}
		return append(b, '\r', '\n')
	})
}

// Ack answers "Response: Success" with a Message.
func (s *Session) Ack(req *ami.Message, message string) {
	s.Respond(req, "Success", "Message", message)
}

// Error answers "Response: Error" with a Message.
func (s *Session) Error(req *ami.Message, message string) {
	if req == nil {
		req = &ami.Message{}
	}
	s.Respond(req, "Error", "Message", message)
}

// StartList answers a list action: Success, EventList: start, and the
// "… will follow" Message that clients look for.
func (s *Session) StartList(req *ami.Message, message string) {
	s.Respond(req, "Success", "EventList", "start", "Message", message)
}

// CompleteList closes a list with its XxxComplete event, as Asterisk's
// astman_send_list_complete: Event, ActionID, EventList: Complete,
// ListItems, then extra key/value pairs.
func (s *Session) CompleteList(req *ami.Message, event string, items int, kv ...string) {
	s.appendOut(func(b []byte) []byte {
		b = ami.AppendHeader(b, "Event", event)
		if id := req.ActionID(); id != "" {
			b = ami.AppendHeader(b, "ActionID", id)
		}
		b = ami.AppendHeader(b, "EventList", "Complete")
		b = ami.AppendHeader(b, "ListItems", strconv.Itoa(items))
		for i := 0; i+1 < len(kv); i += 2 {
			b = ami.AppendHeader(b, kv[i], kv[i+1])
		}
		return append(b, '\r', '\n')
	})
}

// sessionIDString renders the session's id the way Asterisk's security
// events show theirs (a pointer in hex).
func (s *Session) sessionIDString() string {
	return fmt.Sprintf("0x%x", s.id)
}
