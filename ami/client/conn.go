package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/ami"
)

// conn is one logged-in connection: a reader goroutine that matches replies
// to the actions waiting for them, and writes serialized by wmu.
type conn struct {
	c      *Client
	nc     net.Conn
	rd     *reader // used by readLoop only
	banner string

	wmu sync.Mutex // serializes writes to nc

	mu      sync.Mutex
	pending map[string]*call // by ActionID
	lists   int              // pending calls collecting list items
	stale   int              // pending calls whose caller gave up
	why     error            // why the connection was closed, if on purpose
	err     error            // set when the connection has ended
	done    chan struct{}    // closed when readLoop has returned
}

// call is one action waiting for its reply.
type call struct {
	action    string
	resp      *Response
	err       error
	listing   bool // a list reply arrived; collecting items
	abandoned bool // the caller gave up; the reply is read and dropped
	done      chan struct{}
}

func (cl *call) result() (*Response, error) {
	if cl.err != nil {
		return nil, cl.err
	}
	return cl.resp, nil
}

func (cn *conn) do(ctx context.Context, m *ami.Message) (*Response, error) {
	action := m.Action()
	if action == "" {
		return nil, errors.New("ami client: message has no Action header")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ami client: %s: %w", action, err)
	}
	req := m.Clone()
	id := req.ActionID()
	if id == "" {
		id = cn.c.nextID()
		req.Set("ActionID", id)
	}
	cl := &call{action: action, done: make(chan struct{})}

	cn.mu.Lock()
	if cn.err != nil {
		err := cn.err
		cn.mu.Unlock()
		return nil, fmt.Errorf("ami client: %s: %w", action, err)
	}
	if _, dup := cn.pending[id]; dup {
		cn.mu.Unlock()
		return nil, fmt.Errorf("ami client: %s: %w: %q", action, ErrDuplicateActionID, id)
	}
	cn.pending[id] = cl
	cn.mu.Unlock()

	if err := cn.write(req); err != nil {
		// A half-written action leaves the stream out of step: the
		// connection cannot be used any more.
		cn.close(fmt.Errorf("send %s: %w", action, err))
		<-cl.done // failed by readLoop's shutdown
		return cl.result()
	}

	select {
	case <-cl.done:
		return cl.result()
	case <-ctx.Done():
	}
	if cn.abandon(id, cl) {
		return nil, fmt.Errorf("ami client: %s: %w", action, ctx.Err())
	}
	return cl.result() // the reply won the race
}

// write sends m, bounded by Options.Timeout.
func (cn *conn) write(m *ami.Message) error {
	buf := ami.AppendMessage(nil, m)
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	if err := cn.nc.SetWriteDeadline(time.Now().Add(cn.c.opts.Timeout)); err != nil {
		return err
	}
	_, err := cn.nc.Write(buf)
	return err
}

// abandon marks cl as given up by its caller and reports true, or reports
// false when cl has already finished.
func (cn *conn) abandon(id string, cl *call) bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.pending[id] != cl {
		return false
	}
	// The entry stays so that a late reply, or late list items, are
	// recognized and dropped instead of reaching event subscribers.
	cl.abandoned = true
	cl.resp = nil
	cn.stale++
	if cn.stale > maxStale {
		for pid, p := range cn.pending {
			if p.abandoned {
				cn.finish(pid, p)
			}
		}
		cn.c.log.Warn("ami client: forgot actions whose replies never came", "count", maxStale)
	}
	return true
}

// finish removes cl from the pending table and wakes its caller. cn.mu is
// held.
func (cn *conn) finish(id string, cl *call) {
	delete(cn.pending, id)
	if cl.listing {
		cn.lists--
	}
	if cl.abandoned {
		cn.stale--
	}
	close(cl.done)
}

// close shuts the connection down; readLoop then fails the pending calls
// with why.
func (cn *conn) close(why error) {
	cn.mu.Lock()
	if cn.why == nil {
		cn.why = why
	}
	cn.mu.Unlock()
	cn.nc.Close()
}

// reason returns why the connection ended, once it has.
func (cn *conn) reason() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

func (cn *conn) readLoop() {
	var err error
	for {
		m, rerr := cn.rd.readMessage()
		if m == nil {
			err = rerr
			break
		}
		if rerr != nil {
			cn.c.log.Warn("ami client: message over the size limit", "err", rerr)
		}
		cn.dispatch(m, rerr)
	}
	cn.shutdown(err)
}

// shutdown fails every pending call; the connection is over.
func (cn *conn) shutdown(readErr error) {
	cn.nc.Close()
	cn.c.mu.Lock()
	closed := cn.c.closed
	cn.c.mu.Unlock()
	cn.mu.Lock()
	reason := cn.why
	switch {
	case closed:
		// The server may hang up after Close's Logoff before Close
		// closes the socket itself: callers still see ErrClosed.
		reason = ErrClosed
	case reason == nil:
		reason = readErr
	}
	if !errors.Is(reason, ErrClosed) {
		reason = fmt.Errorf("%w: %w", ErrDisconnected, reason)
	}
	cn.err = reason
	for id, cl := range cn.pending {
		cl.err = fmt.Errorf("ami client: %s: %w", cl.action, reason)
		cn.finish(id, cl)
	}
	cn.mu.Unlock()
	close(cn.done)
}

// dispatch routes one message from the server: a reply to the call waiting
// for it, a list item to its list, anything else to event subscribers.
// rerr is non-nil when the message broke the size limits.
func (cn *conn) dispatch(m *ami.Message, rerr error) {
	if len(m.Headers) == 0 {
		// Asterisk answers IAXnetstats with a bare blank line, and a lone
		// blank line is an empty message: nothing to match it to.
		cn.c.log.Debug("ami client: empty message ignored")
		return
	}
	if isEvent(m) {
		if !cn.listItem(m, rerr) {
			cn.c.publish(m)
		}
		return
	}
	if _, ok := m.Lookup("Response"); !ok {
		cn.c.log.Warn("ami client: message is neither a response nor an event; ignored",
			"first_header", m.Headers[0].Key)
		return
	}
	cn.reply(m, rerr)
}

// isEvent tells events from responses. Some events carry a Response header
// of their own (OriginateResponse), so Event first decides.
func isEvent(m *ami.Message) bool {
	if strings.EqualFold(m.Headers[0].Key, "Event") {
		return true
	}
	_, resp := m.Lookup("Response")
	_, ev := m.Lookup("Event")
	return ev && !resp
}

func (cn *conn) reply(m *ami.Message, rerr error) {
	id := m.ActionID()
	cn.mu.Lock()
	defer cn.mu.Unlock()
	cl := cn.pending[id]
	if cl == nil {
		cn.c.log.Debug("ami client: reply to no pending action; ignored", "action_id", id)
		return
	}
	isErr := strings.EqualFold(m.Get("Response"), "Error")
	if cl.listing && !isErr {
		cn.c.log.Debug("ami client: second reply to a list action; ignored", "action_id", id)
		return
	}
	switch {
	case rerr != nil:
		cl.err = fmt.Errorf("ami client: %s: %w", cl.action, rerr)
	case isErr:
		cl.err = &ActionError{Action: cl.action, Message: m.Get("Message"), Response: m}
	case !cl.abandoned && isListStart(m):
		cl.listing = true
		cl.resp = &Response{Message: m}
		cn.lists++
		return
	case cl.abandoned && isListStart(m):
		cl.listing = true
		cn.lists++
		return
	default:
		cl.resp = &Response{Message: m}
	}
	cn.finish(id, cl)
}

// isListStart recognizes the first reply of a list action: "EventList:
// start" since Asterisk 1.6, and before that only the wording "… will
// follow" ("Channel status will follow"). "Command output follows" is not a
// list.
func isListStart(m *ami.Message) bool {
	if v, ok := m.Lookup("EventList"); ok {
		return strings.EqualFold(v, "start")
	}
	return strings.Contains(strings.ToLower(m.Get("Message")), "will follow")
}

// isListEnd recognizes the closing event of a list: "EventList: Complete",
// or in old servers an event named "…Complete".
func isListEnd(m *ami.Message) bool {
	if v, ok := m.Lookup("EventList"); ok {
		return strings.EqualFold(v, "Complete")
	}
	return strings.HasSuffix(strings.ToLower(m.Get("Event")), "complete")
}

// listItem adds m to the list it belongs to and reports true, or reports
// false when m belongs to no list being collected.
func (cn *conn) listItem(m *ami.Message, rerr error) bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	var (
		id string
		cl *call
	)
	if aid, ok := m.Lookup("ActionID"); ok {
		id, cl = aid, cn.pending[aid]
	} else if _, priv := m.Lookup("Privilege"); !priv && cn.lists == 1 {
		// Asterisk 20's IAXpeers sends its PeerEntry items without an
		// ActionID. Broadcast events always carry Privilege; items written
		// to one session do not, so while exactly one list is open they
		// can only be its items.
		id, cl = cn.openList()
	}
	if cl == nil || !cl.listing {
		// Not a list item: a broadcast event, or one that an action
		// caused and tagged with its ActionID (UserEvent,
		// OriginateResponse).
		return false
	}
	if rerr != nil && cl.err == nil {
		cl.err = fmt.Errorf("ami client: %s: list item: %w", cl.action, rerr)
	}
	if isListEnd(m) {
		if !cl.abandoned {
			cl.resp.Complete = m
		}
		cn.finish(id, cl)
		return true
	}
	if !cl.abandoned {
		cl.resp.Events = append(cl.resp.Events, m)
	}
	return true
}

// openList returns the one call collecting a list. cn.mu is held.
func (cn *conn) openList() (string, *call) {
	for id, cl := range cn.pending {
		if cl.listing {
			return id, cl
		}
	}
	return "", nil
}
