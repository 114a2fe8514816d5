// Package client is a Go client for the Asterisk Manager Interface that
// works against Asterisk (1.x to 22) and Asterism alike.
//
// [Dial] connects, checks the "Asterisk Call Manager/…" banner and logs in,
// with the secret in clear or through an MD5 challenge. [Client.Do] sends an
// action and waits for its reply. It is safe for concurrent use: every
// action gets an ActionID, and replies are matched to callers by it, however
// they interleave with events and with each other. A list action (the reply
// says "EventList: start", or "… will follow") collects its item events until
// the closing "…Complete" event. Events reach subscribers ([Client.Events],
// [Client.Subscribe]) without ever blocking the connection: a subscriber that
// falls behind loses events, and every loss is counted and logged.
//
// Options.Keepalive pings an idle server to find dead connections;
// Options.Reconnect dials again with exponential backoff and logs in again.
// Actions in flight when a connection drops fail with [ErrDisconnected].
//
// Lock order: Client.mu before conn.mu; Client.subMu before
// Subscription.mu. The two chains never nest: events are published after
// conn.mu is released. conn.wmu is held around one write and nests in
// nothing.
package client

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asterism-pbx/asterism/ami"
)

// Defaults for zero Options fields.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultReconnectMin = 500 * time.Millisecond
	DefaultReconnectMax = 30 * time.Second
)

// maxStale bounds the abandoned actions (caller gave up, reply still
// expected) remembered per connection; past it they are forgotten, so a
// server that never answers some action cannot grow the table forever.
const maxStale = 1024

// Options configure a [Client]. The zero value is usable but logs in with
// an empty user name.
type Options struct {
	Username string
	Secret   string

	// MD5 logs in through "Action: Challenge" and a Key of
	// md5hex(challenge+secret), so the secret never crosses the wire.
	MD5 bool

	// Events is the Events header of the Login: "on", "off", or event
	// classes such as "call,system". Empty sends no header, and the server
	// then sends every event the user may read, as with "on". Replies to
	// list actions arrive even with "off": they are not broadcast events.
	Events string

	// TLSConfig, when set, makes the client speak TLS (Asterisk's
	// tlsbindport, 5039 by default). The server name comes from the
	// address when the config does not set one.
	TLSConfig *tls.Config

	// Timeout bounds each connection's connect, banner and login, each
	// write, the keepalive's wait for a Pong, and the Logoff sent by Close.
	// Default DefaultTimeout.
	Timeout time.Duration

	// Keepalive is the interval between Pings; 0 turns them off. A Ping
	// that gets no reply within Timeout drops the connection. Asterisk
	// runs a session's actions one at a time, so a synchronous action that
	// blocks the session for longer than Timeout (a sync Originate) also
	// drops it: prefer Async: true.
	Keepalive time.Duration

	// Reconnect dials again after a lost connection, waiting ReconnectMin
	// (default DefaultReconnectMin), doubled after each failure up to
	// ReconnectMax (default DefaultReconnectMax), with jitter. Without it
	// the client stops when the connection is lost.
	Reconnect    bool
	ReconnectMin time.Duration
	ReconnectMax time.Duration

	// EventBuffer is the capacity of the [Client.Events] channel
	// (DefaultEventBuffer when 0); a negative value opens no such channel.
	EventBuffer int

	// MaxLineLength and MaxMessageSize bound what the client reads from
	// the server (DefaultMaxLineLength, DefaultMaxMessageSize when 0).
	MaxLineLength  int
	MaxMessageSize int

	// Logger receives connection events and event-loss reports; default
	// slog.Default().
	Logger *slog.Logger
}

// Response is the reply to an action. It embeds the reply message, so
// resp.Get("Ping") reads a header of it. For a list action, Events holds the
// item events in the order received and Complete the closing event (its
// ListItems header gives the count the server announced).
type Response struct {
	*ami.Message
	Events   []*ami.Message
	Complete *ami.Message
}

// Client is a connection to an AMI server, re-established if
// Options.Reconnect is set. Its methods are safe for concurrent use.
type Client struct {
	addr     string
	opts     Options
	log      *slog.Logger
	idPrefix string
	ids      atomic.Uint64

	ctx    context.Context // cancelled by Close; bounds reconnect attempts
	cancel context.CancelFunc
	done   chan struct{} // closed when the client has stopped for good

	mu     sync.Mutex
	cur    *conn // nil while disconnected
	closed bool
	banner string
	err    error // why the client stopped

	subMu    sync.Mutex
	subs     []*Subscription // copied on write
	subsDone bool
	def      *Subscription // the Events() subscription, or nil
	dropped  atomic.Uint64
}

// Dial connects to the AMI server at addr ("host:port"), reads its banner
// and logs in. ctx bounds the connect and login only; Options.Timeout bounds
// them too. A wrong secret gives an error wrapping [ErrAuthFailed]; a peer
// that does not greet like an AMI server gives [ErrBadBanner].
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	c := newClient(addr, opts)
	cn, err := c.connect(ctx)
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.mu.Lock()
	c.cur, c.banner = cn, cn.banner
	c.mu.Unlock()
	go c.supervise(cn)
	return c, nil
}

func newClient(addr string, opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ReconnectMin <= 0 {
		opts.ReconnectMin = DefaultReconnectMin
	}
	if opts.ReconnectMax <= 0 {
		opts.ReconnectMax = DefaultReconnectMax
	}
	opts.ReconnectMax = max(opts.ReconnectMax, opts.ReconnectMin)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Client{
		addr: addr,
		opts: opts,
		log:  opts.Logger.With("ami_addr", addr),
		// The prefix keeps our ActionIDs apart from other sessions': Asterisk
		// sends an OriginateResponse carrying the originator's ActionID to
		// every session that reads "call" events.
		idPrefix: strconv.FormatUint(uint64(rand.Uint32()), 36),
		done:     make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if opts.EventBuffer >= 0 {
		c.def = c.Subscribe(opts.EventBuffer, nil)
	}
	return c
}

// Banner returns the greeting line of the current (or last) connection,
// such as "Asterisk Call Manager/9.0.0".
func (c *Client) Banner() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.banner
}

// Version returns the AMI version from the banner, such as "9.0.0"
// (Asterisk 20). It is the manager protocol's version, not Asterisk's.
func (c *Client) Version() string {
	b := c.Banner()
	return strings.TrimSpace(b[strings.LastIndexByte(b, '/')+1:])
}

// Done returns a channel that is closed when the client has stopped for
// good: after Close, or after losing its connection without
// Options.Reconnect. Event subscriptions are closed by then.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err reports why the client stopped: an error wrapping [ErrClosed] or
// [ErrDisconnected]. It is nil while the client runs.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Do sends the action m and waits for its reply, until ctx is done.
//
// m is not modified. Its ActionID is kept if it has one, which must not be
// in flight already ([ErrDuplicateActionID]); otherwise one unique to the
// client is added. A reply of "Response: Error" gives an *[ActionError].
// A lost connection gives an error wrapping [ErrDisconnected]: the server
// may or may not have carried the action out. Sending is bounded by
// Options.Timeout rather than ctx, because a half-written action would put
// the stream out of step; a send that times out drops the connection.
//
// Actions whose replies carry no ActionID (IAXnetstats answers with an
// empty block) can only end by ctx. Use Close rather than sending Logoff:
// the server hangs up after Logoff, which counts as a lost connection.
func (c *Client) Do(ctx context.Context, m *ami.Message) (*Response, error) {
	c.mu.Lock()
	cn, closed := c.cur, c.closed
	c.mu.Unlock()
	switch {
	case closed:
		return nil, fmt.Errorf("ami client: %s: %w", m.Action(), ErrClosed)
	case cn == nil:
		return nil, fmt.Errorf("ami client: %s: %w (reconnecting)", m.Action(), ErrDisconnected)
	}
	return cn.do(ctx, m)
}

// Close logs off (waiting at most a second for the server to agree), closes
// the connection, fails the actions in flight with [ErrClosed], closes the
// event subscriptions and waits for the client's goroutines to end.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return nil
	}
	c.closed = true
	cn := c.cur
	c.mu.Unlock()
	c.cancel()
	if cn != nil {
		// Logging off lets the server record a logoff rather than a
		// dropped connection; it is a courtesy, so its errors are moot.
		ctx, cancel := context.WithTimeout(context.Background(), min(c.opts.Timeout, time.Second))
		_, _ = cn.do(ctx, ami.NewMessage("Action", "Logoff"))
		cancel()
		cn.close(ErrClosed)
	}
	<-c.done
	return nil
}

func (c *Client) nextID() string {
	return c.idPrefix + "-" + strconv.FormatUint(c.ids.Add(1), 10)
}

// connect dials, reads the banner and logs in, all bounded by ctx and
// Options.Timeout. On success the connection's reader is running.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var (
		nc  net.Conn
		err error
	)
	if c.opts.TLSConfig != nil {
		d := &tls.Dialer{Config: c.opts.TLSConfig}
		nc, err = d.DialContext(ctx, "tcp", c.addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", c.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("ami client: connect to %s: %w", c.addr, err)
	}
	// Until login is over, ctx ending interrupts any read or write.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })

	rd := newReader(nc, c.opts.MaxLineLength, c.opts.MaxMessageSize)
	line, err := rd.readLine()
	if err != nil {
		nc.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("ami client: read banner from %s: %w", c.addr, err)
	}
	banner := string(line)
	if !validBanner(banner) {
		nc.Close()
		if len(banner) > 80 {
			banner = banner[:80] + "…"
		}
		return nil, fmt.Errorf("ami client: %s greeted with %q: %w", c.addr, banner, ErrBadBanner)
	}

	cn := &conn{c: c, nc: nc, rd: rd, banner: banner, pending: make(map[string]*call), done: make(chan struct{})}
	go cn.readLoop()
	err = c.login(ctx, cn)
	if err == nil && !stop() {
		err = fmt.Errorf("ami client: log in to %s: %w", c.addr, ctx.Err())
	}
	if err != nil {
		cn.close(err)
		<-cn.done
		return nil, err
	}
	return cn, nil
}

// validBanner accepts Asterisk's greeting and those of the proxies that
// clients have long accepted (astmanproxy).
func validBanner(b string) bool {
	for _, p := range []string{"Asterisk Call Manager/", "Asterisk Call Manager Proxy/", "Asterisk Manager Proxy/"} {
		if strings.HasPrefix(b, p) {
			return true
		}
	}
	return false
}

func (c *Client) login(ctx context.Context, cn *conn) error {
	m := ami.NewMessage("Action", "Login", "Username", c.opts.Username)
	if c.opts.MD5 {
		r, err := cn.do(ctx, ami.NewMessage("Action", "Challenge", "AuthType", "MD5"))
		if err != nil {
			return fmt.Errorf("ami client: MD5 challenge from %s: %w", c.addr, err)
		}
		challenge := r.Get("Challenge")
		if challenge == "" {
			return fmt.Errorf("ami client: MD5 challenge from %s: reply has no Challenge header", c.addr)
		}
		sum := md5.Sum([]byte(challenge + c.opts.Secret))
		m.Add("AuthType", "MD5")
		m.Add("Key", hex.EncodeToString(sum[:]))
	} else {
		m.Add("Secret", c.opts.Secret)
	}
	if c.opts.Events != "" {
		m.Add("Events", c.opts.Events)
	}
	_, err := cn.do(ctx, m)
	var ae *ActionError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && strings.EqualFold(ae.Message, "Authentication failed"):
		return fmt.Errorf("ami client: log in to %s as %q: %w", c.addr, c.opts.Username, ErrAuthFailed)
	default:
		return fmt.Errorf("ami client: log in to %s as %q: %w", c.addr, c.opts.Username, err)
	}
}

// supervise waits for each connection to end and, with Options.Reconnect,
// replaces it. It ends the client when no connection will follow.
func (c *Client) supervise(cn *conn) {
	defer close(c.done)
	defer c.endSubscriptions()
	for {
		var wg sync.WaitGroup
		if c.opts.Keepalive > 0 {
			wg.Go(func() { c.keepalive(cn) })
		}
		<-cn.done
		wg.Wait()
		cause := cn.reason()

		c.mu.Lock()
		c.cur = nil
		closed := c.closed
		if closed {
			c.err = ErrClosed
		} else if !c.opts.Reconnect {
			c.err = cause
		}
		c.mu.Unlock()
		switch {
		case closed:
			return
		case !c.opts.Reconnect:
			c.log.Warn("ami client: connection lost", "err", cause)
			return
		}
		c.log.Warn("ami client: connection lost; reconnecting", "err", cause)
		if cn = c.reconnect(); cn == nil {
			c.mu.Lock()
			c.err = ErrClosed
			c.mu.Unlock()
			return
		}
	}
}

// reconnect dials until it succeeds or the client is closed (nil).
func (c *Client) reconnect() *conn {
	delay := c.opts.ReconnectMin
	for attempt := 1; ; attempt++ {
		// Jitter keeps many clients of one restarted server from
		// reconnecting in lockstep.
		wait := delay/2 + rand.N(delay/2+1)
		t := time.NewTimer(wait)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		cn, err := c.connect(c.ctx)
		if err == nil {
			c.mu.Lock()
			if c.closed {
				c.mu.Unlock()
				cn.close(ErrClosed)
				<-cn.done
				return nil
			}
			c.cur, c.banner = cn, cn.banner
			c.mu.Unlock()
			c.log.Info("ami client: reconnected", "attempt", attempt)
			return cn
		}
		if c.ctx.Err() != nil {
			return nil
		}
		delay = min(delay*2, c.opts.ReconnectMax)
		c.log.Warn("ami client: reconnect failed", "attempt", attempt, "err", err)
	}
}

// keepalive pings cn every Options.Keepalive until it ends, and drops it
// when a Ping gets no reply.
func (c *Client) keepalive(cn *conn) {
	t := time.NewTicker(c.opts.Keepalive)
	defer t.Stop()
	for {
		select {
		case <-cn.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
		_, err := cn.do(ctx, ami.NewMessage("Action", "Ping"))
		cancel()
		var ae *ActionError
		if err == nil || errors.As(err, &ae) {
			continue // any reply proves the connection alive
		}
		select {
		case <-cn.done:
			return // the connection ended on its own; supervise reports it
		default:
		}
		c.log.Warn("ami client: keepalive failed; dropping the connection", "err", err)
		cn.close(fmt.Errorf("keepalive: %w", err))
		return
	}
}
