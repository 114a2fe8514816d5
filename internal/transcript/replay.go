package transcript

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults for the zero fields of [Options].
const (
	DefaultGapScale = 0.05                 // recorded gaps are slept for 5 % of their length
	DefaultMinGap   = 2 * time.Millisecond // but at least this long, or the recorded gap if shorter
	DefaultTimeout  = 3 * time.Second      // extra wait for server output beyond the recorded gap
	readChunk       = 4096                 // read buffer of a replayed connection
	writeTimeout    = 10 * time.Second     // a server that does not read a request for this long is stuck
	maxTimeouts     = 5                    // receive waits that may time out before the replay stops
)

// Options tune [Run] and [Replay]. The zero value is ready to use.
type Options struct {
	// GapScale multiplies the recorded gap before each client action
	// (connect, send, close). Zero means [DefaultGapScale]; 1 replays in
	// real time; a negative value does not sleep at all.
	GapScale float64
	// MinGap is the shortest sleep before a client action (recorded gaps
	// shorter than MinGap are kept as they are). Zero means [DefaultMinGap].
	MinGap time.Duration
	// Timeout bounds each wait for server output or for the server to
	// close, on top of the recorded gap of that step (so the 1 s delay after
	// a failed login and the 30 s auth timeout are waited for in full).
	// Zero means [DefaultTimeout].
	Timeout time.Duration
	// Rules relax the comparison of values; nil means [DefaultRules]. Use
	// an empty non-nil slice to compare every value exactly.
	Rules []Rule
	// Order says how strictly the order of events is compared.
	Order EventOrder
	// Skip, if set, drops the messages for which it returns true from both
	// sides before they are counted or compared, to leave out events the
	// server under test does not send yet. See [SkipEvents].
	Skip func(conn string, m Message) bool
	// Floating, if set, marks responses that are compared as events are
	// under the Order: with EventsBetweenResponses such a response may
	// come anywhere among the events around it. For a server that answers
	// a slow action (a synchronous Originate) while it goes on sending
	// that session's events, where Asterisk held them back.
	Floating func(conn string, m Message) bool
	// Secrets maps user names to their secrets. When set, the Key of an
	// "AuthType: MD5" Login is recomputed from the Challenge the server
	// under test sent, provided the recorded Key was md5(recorded
	// challenge + secret); other keys, deliberately wrong ones, are sent
	// as recorded.
	Secrets map[string]string
}

// SkipEvents returns a [Options].Skip function that drops the events with
// the given names on every connection.
func SkipEvents(names ...string) func(conn string, m Message) bool {
	return func(_ string, m Message) bool {
		ev := m.Event()
		for _, n := range names {
			if m.IsEvent() && strings.EqualFold(ev, n) {
				return true
			}
		}
		return false
	}
}

// Result is the outcome of a replay.
type Result struct {
	// Problems holds one self-contained description per difference
	// between the server's behaviour and the transcript; it is empty when
	// the server behaved as recorded.
	Problems []string
	// Got holds everything the server sent, per connection.
	Got map[string][]byte
}

// Err returns nil when there were no problems, else an error listing them.
func (r *Result) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(r.Problems, "\n"))
}

// Replay runs tr against the server that dial connects to, as [Run] does,
// and reports each problem with t.Errorf.
func Replay(t testing.TB, tr *Transcript, dial func() (net.Conn, error), opts Options) *Result {
	t.Helper()
	r := Run(tr, dial, opts)
	for _, p := range r.Problems {
		t.Errorf("transcript %s: %s", tr.Name, p)
	}
	return r
}

// Run plays the client side of tr against the server that dial connects to
// (one call per Connect step, in transcript order) and compares what the
// server sends with what the transcript recorded.
//
// Steps run one at a time in transcript order, across connections. Before a
// connect, send or close the recorded gap is slept, scaled by
// opts.GapScale. At a Recv step, Run waits until the connection has received
// at least as many complete messages as the transcript had by then, so the
// order of cause and effect is kept without relying on timing. A RemoteClosed
// step waits for the server to close; at a ClientClosed step the server must
// not have closed. When all steps are done, the messages of each connection
// are compared with the recorded ones under opts.Rules and opts.Order.
func Run(tr *Transcript, dial func() (net.Conn, error), opts Options) *Result {
	rp := newReplayer(tr, opts)
	rp.run(dial)
	return rp.result()
}

type replayer struct {
	tr      *Transcript
	opts    Options
	conns   map[string]*liveConn
	closed  map[string]bool // the transcript has shown the server closing
	noted   map[string]bool // an unexpected close was already reported
	deficit map[string]int  // messages that never came, per connection
	want    []int           // per step: messages the transcript had received by its end
	res     Result
}

func newReplayer(tr *Transcript, opts Options) *replayer {
	if opts.GapScale == 0 {
		opts.GapScale = DefaultGapScale
	}
	if opts.MinGap == 0 {
		opts.MinGap = DefaultMinGap
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Rules == nil {
		opts.Rules = DefaultRules()
	}
	rp := &replayer{
		tr: tr, opts: opts,
		conns:   map[string]*liveConn{},
		closed:  map[string]bool{},
		noted:   map[string]bool{},
		deficit: map[string]int{},
		want:    make([]int, len(tr.Steps)),
		res:     Result{Got: map[string][]byte{}},
	}
	recv := map[string][]byte{}
	for i, st := range tr.Steps {
		if st.Kind == Recv {
			recv[st.Conn] = append(recv[st.Conn], st.Bytes...)
			msgs, _ := SplitMessages(recv[st.Conn])
			rp.want[i] = len(rp.keep(st.Conn, msgs))
		}
	}
	return rp
}

// keep returns msgs without the ones opts.Skip drops.
func (rp *replayer) keep(conn string, msgs []Message) []Message {
	if rp.opts.Skip == nil {
		return msgs
	}
	var out []Message
	for _, m := range msgs {
		if !rp.opts.Skip(conn, m) {
			out = append(out, m)
		}
	}
	return out
}

func (rp *replayer) problem(format string, args ...any) {
	rp.res.Problems = append(rp.res.Problems, fmt.Sprintf(format, args...))
}

func (rp *replayer) sleep(gap time.Duration) {
	if rp.opts.GapScale < 0 {
		return
	}
	d := time.Duration(float64(gap) * rp.opts.GapScale)
	if d < rp.opts.MinGap {
		d = min(gap, rp.opts.MinGap)
	}
	time.Sleep(d)
}

// checkOpen reports, once per connection, a server close the transcript
// does not show.
func (rp *replayer) checkOpen(lc *liveConn, st Step) {
	if rp.closed[st.Conn] || rp.noted[st.Conn] || !lc.closedByServer() {
		return
	}
	rp.noted[st.Conn] = true
	rp.problem("conn %s: the server closed the connection%s; the transcript has it open at line %d (%s)",
		st.Conn, lc.errText(), st.Line, st.Kind)
}

func (rp *replayer) run(dial func() (net.Conn, error)) {
	defer func() {
		for _, lc := range rp.conns {
			lc.close()
		}
	}()
	timeouts := 0
	for i, st := range rp.tr.Steps {
		lc := rp.conns[st.Conn]
		if st.Kind != Connect && st.Kind != Note && lc == nil {
			continue // the dial failed, and was reported
		}
		switch st.Kind {
		case Connect:
			rp.sleep(st.Gap)
			c, err := dial()
			if err != nil {
				rp.problem("conn %s: dial (transcript line %d): %v", st.Conn, st.Line, err)
				continue
			}
			rp.conns[st.Conn] = startConn(st.Conn, c, rp.opts.Skip)
		case Send:
			rp.sleep(st.Gap)
			rp.checkOpen(lc, st)
			b := st.Bytes
			if rp.opts.Secrets != nil {
				b = rewriteKeys(b, rp.recordedChallenge(i), lc.challenge(), rp.opts.Secrets)
			}
			lc.c.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := lc.c.Write(b); err != nil && !rp.closed[st.Conn] && !rp.noted[st.Conn] {
				rp.noted[st.Conn] = true
				rp.problem("conn %s: write at transcript line %d: %v", st.Conn, st.Line, err)
			}
		case Recv:
			target := rp.want[i] - rp.deficit[st.Conn]
			ok := lc.wait(rp.opts.Timeout+st.Gap, func() bool { return lc.count >= target || lc.done })
			got := lc.received()
			switch {
			case !ok:
				rp.problem("conn %s: timed out waiting for the chunk at transcript line %d: want %d messages by then, got %d",
					st.Conn, st.Line, target, got)
				rp.deficit[st.Conn] += target - got
				if timeouts++; timeouts >= maxTimeouts {
					rp.problem("replay stopped after %d timeouts", timeouts)
					return
				}
			case got < target:
				rp.checkOpen(lc, st)
			}
		case RemoteClosed:
			if !lc.wait(rp.opts.Timeout+st.Gap, func() bool { return lc.done }) {
				rp.problem("conn %s: the server did not close the connection (transcript line %d: %s)",
					st.Conn, st.Line, st.Text)
			}
			rp.closed[st.Conn] = true
		case ClientClosed:
			rp.sleep(st.Gap)
			rp.checkOpen(lc, st)
			lc.close()
		case Note:
			rp.sleep(st.Gap)
		}
	}
}

// recordedChallenge returns the last Challenge the transcript's server sent
// on the connection of step i before that step.
func (rp *replayer) recordedChallenge(i int) string {
	conn := rp.tr.Steps[i].Conn
	var b []byte
	for _, st := range rp.tr.Steps[:i] {
		if st.Kind == Recv && st.Conn == conn {
			b = append(b, st.Bytes...)
		}
	}
	msgs, _ := SplitMessages(b)
	return lastChallenge(msgs)
}

func lastChallenge(msgs []Message) string {
	for k := len(msgs) - 1; k >= 0; k-- {
		if !msgs[k].IsEvent() {
			if c := msgs[k].Get("Challenge"); c != "" {
				return c
			}
		}
	}
	return ""
}

func (rp *replayer) result() *Result {
	for _, conn := range rp.tr.Conns() {
		want, wantRest := SplitMessages(rp.tr.Received(conn))
		var gotRaw []byte
		if lc := rp.conns[conn]; lc != nil {
			gotRaw = lc.buf
		}
		rp.res.Got[conn] = gotRaw
		got, gotRest := SplitMessages(gotRaw)
		rp.res.Problems = append(rp.res.Problems,
			compareConn(conn, rp.keep(conn, want), rp.keep(conn, got), rp.opts.Rules, rp.opts.Order, rp.floating(conn))...)
		if !bytes.Equal(wantRest, gotRest) {
			rp.problem("conn %s: incomplete message at the end: want %q, got %q", conn, wantRest, gotRest)
		}
	}
	return &rp.res
}

// liveConn is a connection of the replay and what it has received so far.
type liveConn struct {
	name string
	c    net.Conn
	skip func(conn string, m Message) bool
	quit chan struct{} // closed when the reader has stopped

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	buf     []byte
	msgs    []Message // the complete messages in buf
	off     int       // bytes of buf that msgs cover
	count   int       // messages in msgs that skip keeps
	done    bool      // the reader has stopped
	ours    bool      // we closed the connection
	err     error     // the read error that stopped the reader, if not ours
}

func startConn(name string, c net.Conn, skip func(string, Message) bool) *liveConn {
	lc := &liveConn{name: name, c: c, skip: skip, quit: make(chan struct{}), changed: make(chan struct{})}
	go lc.read()
	return lc
}

func (lc *liveConn) read() {
	defer close(lc.quit)
	tmp := make([]byte, readChunk)
	for {
		n, err := lc.c.Read(tmp)
		lc.mu.Lock()
		if n > 0 {
			lc.buf = append(lc.buf, tmp[:n]...)
			msgs, rest := splitFrom(lc.buf[lc.off:], lc.off == 0, len(lc.msgs))
			for _, m := range msgs {
				if lc.skip == nil || !lc.skip(lc.name, m) {
					lc.count++
				}
			}
			lc.msgs = append(lc.msgs, msgs...)
			lc.off = len(lc.buf) - len(rest)
		}
		if err != nil {
			lc.done = true
			if !lc.ours {
				lc.err = err
			}
		}
		close(lc.changed)
		lc.changed = make(chan struct{})
		lc.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// wait waits until cond, called with lc.mu held, is true, for at most d.
func (lc *liveConn) wait(d time.Duration, cond func() bool) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		lc.mu.Lock()
		ok, ch := cond(), lc.changed
		lc.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			lc.mu.Lock()
			defer lc.mu.Unlock()
			return cond()
		}
	}
}

func (lc *liveConn) received() int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.count
}

func (lc *liveConn) closedByServer() bool {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.done && lc.err != nil
}

func (lc *liveConn) errText() string {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.err == nil || lc.err == io.EOF {
		return ""
	}
	return " (" + lc.err.Error() + ")"
}

func (lc *liveConn) challenge() string {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lastChallenge(lc.msgs)
}

// close closes the connection, unless the reader already stopped, and waits
// for the reader.
func (lc *liveConn) close() {
	lc.mu.Lock()
	lc.ours = lc.ours || !lc.done
	lc.mu.Unlock()
	lc.c.Close()
	<-lc.quit
}

// rewriteKeys returns b with the Key of every MD5 Login block that was
// computed from the recorded challenge recomputed from the live one.
func rewriteKeys(b []byte, recorded, live string, secrets map[string]string) []byte {
	if recorded == "" || live == "" || recorded == live {
		return b
	}
	var out []byte
	for len(b) > 0 {
		// One block: up to and including the first empty line.
		end := len(b)
		for pos := 0; pos < len(b); {
			i := bytes.IndexByte(b[pos:], '\n')
			if i < 0 {
				break
			}
			l := b[pos : pos+i+1]
			pos += i + 1
			if len(bytes.TrimRight(l, "\r\n")) == 0 {
				end = pos
				break
			}
		}
		out = append(out, rewriteBlock(b[:end], recorded, live, secrets)...)
		b = b[end:]
	}
	return out
}

func rewriteBlock(block []byte, recorded, live string, secrets map[string]string) []byte {
	m := Message{Raw: block}
	secret, ok := secrets[strings.TrimSpace(m.Get("Username"))]
	key := strings.TrimSpace(m.Get("Key"))
	if !ok || !strings.EqualFold(strings.TrimSpace(m.Get("Action")), "Login") ||
		!strings.EqualFold(strings.TrimSpace(m.Get("AuthType")), "MD5") ||
		!strings.EqualFold(key, md5hex(recorded+secret)) {
		return block
	}
	i := bytes.Index(block, []byte(key))
	out := append([]byte{}, block[:i]...)
	out = append(out, md5hex(live+secret)...)
	return append(out, block[i+len(key):]...)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// floating returns Options.Floating bound to conn, or nil.
func (rp *replayer) floating(conn string) func(Message) bool {
	if rp.opts.Floating == nil {
		return nil
	}
	return func(m Message) bool { return rp.opts.Floating(conn, m) }
}
