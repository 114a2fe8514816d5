// Package manager is Asterism's AMI server: listeners, sessions, login and
// ACLs, the action table with its permission checks, and the event fan-out.
//
// It speaks to the rest of Asterism through two narrow doors. Features
// register actions ([Manager.Register]) and CLI commands, and publish events
// ([Manager.Publish]) as names, classes and header lists; the manager knows
// nothing of channels or dialplans. The wire format is the ami package's.
//
// # Event fan-out
//
// Publish renders an event once and appends the same bytes to the output
// buffer of every logged-in session whose read mask and filters let it
// through. A session's output is written by whichever goroutine finds it
// idle: its own reader after a batch of actions, or a short-lived flusher
// started by a publisher. Publishers never wait on a socket. A session whose
// pending output passes its bound, or whose socket accepts nothing for its
// writetimeout, is cut off, and the events it lost are counted and logged.
//
// # Locks
//
// Lock order: Manager.mu, then Session.mu. Session.mu is held only to
// append to or swap the output buffer, never across I/O.
package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/cli"
)

// Version strings reported to clients. AMIVersion is the AMI dialect
// Asterism speaks, that of Asterisk 20; clients parse the banner and
// CoreSettings for it.
const (
	AMIVersion      = "9.0.0"
	AsteriskVersion = "20.20.1"
	Banner          = "Asterisk Call Manager/" + AMIVersion + "\r\n"
)

// AsterismVersion is this program's own version.
var AsterismVersion = "0.1.0"

// Limits that are not in manager.conf.
const (
	// DefaultMaxPending bounds the bytes waiting to be written to one
	// session. A client that lets this much pile up is cut off (a "slow
	// consumer"), since the alternative is unbounded memory.
	DefaultMaxPending = 4 << 20

	// authFailureDelay is how long a failed login waits before its answer,
	// as Asterisk's sleep(1): it slows password guessing on a connection.
	authFailureDelay = time.Second
)

// Handler runs one action. It answers through s (s.Ack, s.Error, s.Send …).
// An error returned without an answer is sent as "Response: Error" with the
// error's text.
type Handler func(ctx context.Context, s *Session, req *ami.Message) error

// Action is one entry of the action table.
type Action struct {
	// Name is the action's name; lookups ignore case.
	Name string
	// Perm lists the write classes of which the user needs any one; zero
	// means any logged-in user.
	Perm Perm
	// Synopsis is the one-line summary shown by ListCommands, in
	// Asterisk's words where Asterisk has the action.
	Synopsis string
	// Description is the longer text of "manager show command".
	Description string
	Handler     Handler
	// Light marks a trivial action (Ping): it publishes nothing and runs
	// on a shallow stack. Events are not held around it, and after it the
	// session's reader need not move to a fresh goroutine (which it does
	// after heavier actions, to free the stack they grew).
	Light bool
	// Slow marks an action that may run long (a synchronous Originate,
	// WaitEvent). Events reach the session while it runs, so some may come
	// before its answer; for other actions they wait until the answer is
	// queued, as in Asterisk.
	Slow bool
}

// Options configure a Manager.
type Options struct {
	// Config is the parsed manager.conf.
	Config *Config
	// Reload, when set, returns a freshly read manager.conf for Reload
	// and "manager reload".
	Reload func() (*Config, error)
	// CLI is the command table shared with the console; a new one is made
	// when nil.
	CLI *cli.Registry
	// SystemName, when set, adds a SystemName header to broadcast events
	// (asterisk.conf [options] systemname).
	SystemName string
	// MaxPending overrides DefaultMaxPending.
	MaxPending int
	// Logger receives the manager's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil. Tests may freeze it.
	Now func() time.Time
}

// Stats are running counters of a Manager.
type Stats struct {
	Sessions        int64  // sessions open now, logged in or not
	Unauthenticated int64  // sessions not yet logged in
	Evicted         uint64 // sessions dropped before login to make room
	EventsPublished uint64 // events handed to Publish
	EventsQueued    uint64 // event copies queued to sessions
	SlowConsumers   uint64 // sessions cut off for not reading
	EventsLost      uint64 // event copies lost with cut-off sessions
	Logins          uint64
	LoginFailures   uint64
}

// Manager is the AMI server.
type Manager struct {
	log        *slog.Logger
	cli        *cli.Registry
	now        func() time.Time
	reloadFn   func() (*Config, error)
	systemName string
	maxPending int
	started    time.Time

	cfg        atomic.Pointer[Config]
	lastReload atomic.Int64 // unix nanoseconds
	calls      atomic.Pointer[Calls]

	actMu   sync.RWMutex
	actions map[string]*Action
	sorted  []*Action

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	all       map[*Session]struct{}
	unauth    map[*Session]struct{} // sessions waiting to log in
	reloaders map[string]ReloadFunc
	closing   bool
	// subs lists the logged-in sessions that events go to. Publish holds
	// subsMu for reading while it walks the list; logins and logoffs change
	// it in place (a logoff moves the last session into the hole, so each
	// change is O(1) however many sessions there are).
	subsMu sync.RWMutex
	subs   []*Session

	stop      chan struct{} // closed by Shutdown
	slotFreed chan struct{} // a place under authlimit came free
	stopOnce  sync.Once

	nextID     atomic.Uint64
	evicted    atomic.Uint64
	sessions   atomic.Int64
	published  atomic.Uint64
	queued     atomic.Uint64
	slow       atomic.Uint64
	lost       atomic.Uint64
	logins     atomic.Uint64
	loginFails atomic.Uint64

	wg sync.WaitGroup
}

// New returns a Manager with the core actions and CLI commands registered.
func New(opts Options) *Manager {
	m := &Manager{
		log:        opts.Logger,
		cli:        opts.CLI,
		now:        opts.Now,
		reloadFn:   opts.Reload,
		systemName: opts.SystemName,
		maxPending: opts.MaxPending,
		actions:    make(map[string]*Action),
		listeners:  make(map[net.Listener]struct{}),
		all:        make(map[*Session]struct{}),
		unauth:     make(map[*Session]struct{}),
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.cli == nil {
		m.cli = cli.NewRegistry()
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.maxPending <= 0 {
		m.maxPending = DefaultMaxPending
	}
	cfg := opts.Config
	if cfg == nil {
		cfg = &Config{}
	}
	m.cfg.Store(cfg)
	m.started = m.now()
	m.lastReload.Store(m.started.UnixNano())
	m.registerCore()
	m.registerCLI()
	m.stop = make(chan struct{})
	m.slotFreed = make(chan struct{}, 1)
	return m
}

// Config returns the configuration in force.
func (m *Manager) Config() *Config { return m.cfg.Load() }

// CLI returns the command table.
func (m *Manager) CLI() *cli.Registry { return m.cli }

// StartTime returns when the manager was created.
func (m *Manager) StartTime() time.Time { return m.started }

func (m *Manager) unauthCount() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.unauth))
}

// Stats returns a snapshot of the counters.
func (m *Manager) Stats() Stats {
	return Stats{
		Sessions:        m.sessions.Load(),
		Unauthenticated: m.unauthCount(),
		Evicted:         m.evicted.Load(),
		EventsPublished: m.published.Load(),
		EventsQueued:    m.queued.Load(),
		SlowConsumers:   m.slow.Load(),
		EventsLost:      m.lost.Load(),
		Logins:          m.logins.Load(),
		LoginFailures:   m.loginFails.Load(),
	}
}

// Register adds an action to the table. Names are unique regardless of case.
func (m *Manager) Register(a *Action) error {
	if a.Name == "" || a.Handler == nil {
		return errors.New("manager: action needs a name and a handler")
	}
	key := strings.ToLower(a.Name)
	m.actMu.Lock()
	defer m.actMu.Unlock()
	if _, dup := m.actions[key]; dup {
		return fmt.Errorf("manager: action %q registered twice", a.Name)
	}
	m.actions[key] = a
	m.actions[a.Name] = a // the usual spelling, found without lower-casing
	m.sorted = append(m.sorted, a)
	sort.Slice(m.sorted, func(i, j int) bool {
		return strings.ToLower(m.sorted[i].Name) < strings.ToLower(m.sorted[j].Name)
	})
	return nil
}

// MustRegister registers built-in actions, whose names are known good; it
// panics on a programming error.
func (m *Manager) MustRegister(as ...*Action) {
	for _, a := range as {
		if err := m.Register(a); err != nil {
			panic(err)
		}
	}
}

// Action returns the action named name (any case), or nil.
func (m *Manager) Action(name string) *Action {
	m.actMu.RLock()
	a := m.actions[strings.ToLower(name)]
	m.actMu.RUnlock()
	return a
}

// Actions returns the action table sorted by name, ignoring case, as
// Asterisk keeps it.
func (m *Manager) Actions() []*Action {
	m.actMu.RLock()
	defer m.actMu.RUnlock()
	return append([]*Action(nil), m.sorted...)
}

// lookupAction finds an action by name without allocating for the common
// case of a name already in lower case.
func (m *Manager) lookupAction(name string) *Action {
	m.actMu.RLock()
	a := m.actions[name]
	m.actMu.RUnlock()
	if a == nil {
		a = m.Action(name)
	}
	return a
}

// Serve accepts connections on ln until ln is closed or Shutdown is called.
// Temporary accept errors are retried with a growing pause, as net/http
// does.
func (m *Manager) Serve(ln net.Listener) error {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	m.listeners[ln] = struct{}{}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.listeners, ln)
		m.mu.Unlock()
	}()
	var pause time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			m.mu.Lock()
			closing := m.closing
			m.mu.Unlock()
			if closing || errors.Is(err, net.ErrClosed) {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				m.log.Warn("ami accept failed; retrying", "err", err, "pause", pause)
				time.Sleep(pause)
				continue
			}
			return fmt.Errorf("manager: accept: %w", err)
		}
		pause = 0
		m.accept(c)
	}
}

// isTemporary reports errors such as EMFILE that pass with time.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("manager: server closed")

// Limits of the wait to log in, beyond manager.conf's authlimit and
// authtimeout.
const (
	// silentGrace is how long a session that has not sent a byte may hold
	// one of the authlimit places while others wait for one.
	silentGrace = 50 * time.Millisecond
	// staleGrace is the same for a session that has sent something but
	// not logged in (a slow sender).
	staleGrace = 5 * time.Second
)

// accept starts a session on c. At most authlimit sessions may be waiting
// to log in. When that many are, the new connection gets no banner yet: it
// waits, and the connections behind it wait in the kernel's listen queue
// (which, unlike Asterisk's backlog of 10, is the system maximum), until a
// place frees up. A place is taken back from a session that has said
// nothing for silentGrace, or nothing useful for staleGrace, so that
// whoever holds authlimit idle connections cannot lock everyone out for
// authtimeout, as they can with Asterisk.
func (m *Manager) accept(c net.Conn) {
	s := newSession(m, c)
	for {
		limit := m.cfg.Load().AuthLimit
		if limit <= 0 {
			limit = DefaultAuthLimit
		}
		m.mu.Lock()
		if m.closing {
			m.mu.Unlock()
			c.Close()
			return
		}
		var evict *Session
		if len(m.unauth) >= limit {
			now := m.now()
			for o := range m.unauth {
				if o.loggingIn.Load() {
					continue
				}
				age := now.Sub(o.start)
				if (!o.heard.Load() && age >= silentGrace || age >= staleGrace) &&
					(evict == nil || o.start.Before(evict.start)) {
					evict = o
				}
			}
			if evict == nil {
				m.mu.Unlock()
				select {
				case <-m.slotFreed:
				case <-time.After(10 * time.Millisecond):
				case <-m.stop:
				}
				continue
			}
			delete(m.unauth, evict)
		}
		s.start = m.now()
		m.unauth[s] = struct{}{}
		m.all[s] = struct{}{}
		m.wg.Add(1)
		m.mu.Unlock()
		if evict != nil {
			m.evicted.Add(1)
			m.log.Warn("AMI session dropped before login to make room (authlimit reached)", "remote", evict.remote, "authlimit", limit)
			evict.conn.Close()
		}
		m.sessions.Add(1)
		go s.serve()
		return
	}
}

// freeSlot tells a waiting accept that a place to log in is free.
func (m *Manager) freeSlot() {
	select {
	case m.slotFreed <- struct{}{}:
	default:
	}
}

// loggedIn moves a session from the waiting-to-log-in set to the event list.
func (m *Manager) loggedIn(s *Session) {
	m.mu.Lock()
	delete(m.unauth, s)
	m.freeSlot()
	m.mu.Unlock()
	m.subsMu.Lock()
	s.subIdx = len(m.subs)
	m.subs = append(m.subs, s)
	m.subsMu.Unlock()
}

// removeSession forgets a closed session.
func (m *Manager) removeSession(s *Session) {
	m.mu.Lock()
	delete(m.all, s)
	if _, ok := m.unauth[s]; ok {
		delete(m.unauth, s)
		m.freeSlot()
	}
	m.mu.Unlock()
	if s.authed.Load() {
		m.subsMu.Lock()
		if i := s.subIdx; i < len(m.subs) && m.subs[i] == s {
			last := len(m.subs) - 1
			m.subs[i] = m.subs[last]
			m.subs[i].subIdx = i
			m.subs[last] = nil
			m.subs = m.subs[:last]
		}
		m.subsMu.Unlock()
	}
	m.sessions.Add(-1)
	m.wg.Done()
}

// Sessions returns the logged-in sessions.
func (m *Manager) Sessions() []*Session {
	m.subsMu.RLock()
	defer m.subsMu.RUnlock()
	return append([]*Session(nil), m.subs...)
}

// subscribers reports how many sessions are logged in.
func (m *Manager) subscribers() int {
	m.subsMu.RLock()
	defer m.subsMu.RUnlock()
	return len(m.subs)
}

// Publish renders ev once and queues it to every logged-in session that may
// receive it. It never blocks on a client.
func (m *Manager) Publish(ev *Event) {
	m.published.Add(1)
	m.subsMu.RLock()
	defer m.subsMu.RUnlock()
	n := 0
	var buf *[]byte
	for _, s := range m.subs {
		if !Perm(s.readMask.Load()).Receives(ev.Class) {
			continue
		}
		// Rendered for the first session whose mask lets it through (legacy
		// filters read the text), so that an event nobody may receive
		// costs no text at all.
		if ev.text == nil {
			buf = renderBufs.Get().(*[]byte)
			ev.text = m.appendEvent((*buf)[:0], ev)
		}
		if f := s.filters.Load(); f != nil && !f.Match(ev) {
			continue
		}
		if s.queueEvent(ev.text) {
			n++
		}
	}
	m.queued.Add(uint64(n))
	// The sessions copied the text: its buffer serves the next event.
	if buf != nil {
		if cap(ev.text) <= maxRenderBuf {
			*buf = ev.text[:0]
			renderBufs.Put(buf)
		}
		ev.text = nil
	}
}

// renderBufs recycles the buffers events are rendered into, which
// Publish needs only until the sessions have copied the text.
var renderBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxRenderBuf is the largest render buffer kept for reuse.
const maxRenderBuf = 64 << 10

// appendEvent appends the wire form of a broadcast event to b: Event,
// Privilege, then Timestamp and SystemName as configured, then the body.
func (m *Manager) appendEvent(b []byte, ev *Event) []byte {
	b = ami.AppendHeader(b, "Event", ev.Name)
	b = ami.AppendHeader(b, "Privilege", ev.Class.String())
	if m.cfg.Load().TimestampEvents {
		b = appendTimestamp(b, m.now())
	}
	if m.systemName != "" {
		b = ami.AppendHeader(b, "SystemName", m.systemName)
	}
	for _, h := range ev.Headers {
		b = ami.AppendHeader(b, h.Key, h.Value)
	}
	return append(b, '\r', '\n')
}

// appendTimestamp appends "Timestamp: <sec>.<usec>", Asterisk's %ld.%06lu.
func appendTimestamp(b []byte, t time.Time) []byte {
	b = append(b, "Timestamp: "...)
	b = appendInt(b, t.Unix())
	b = append(b, '.')
	us := t.Nanosecond() / 1000
	for d := 100000; d > 0; d /= 10 {
		b = append(b, byte('0'+us/d%10))
	}
	return append(b, '\r', '\n')
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// Reload re-reads manager.conf through Options.Reload and puts it in force
// for new logins; open sessions keep going. It announces itself with a
// Reload event, as Asterisk does.
func (m *Manager) Reload() error {
	if m.reloadFn == nil {
		return errors.New("manager: no configuration source to reload from")
	}
	cfg, err := m.reloadFn()
	if err != nil {
		m.log.Error("manager reload failed; keeping the old configuration", "err", err)
		return fmt.Errorf("manager: reload: %w", err)
	}
	m.cfg.Store(cfg)
	m.lastReload.Store(m.now().UnixNano())
	m.log.Info("manager.conf reloaded", "users", len(cfg.Users))
	status := "Enabled"
	if !cfg.Enabled {
		status = "Disabled"
	}
	m.Publish(&Event{Name: "Reload", Class: PermSystem, Headers: []ami.Header{
		{Key: "Module", Value: "Manager"},
		{Key: "Status", Value: status},
		{Key: "Message", Value: "Manager reload Requested"},
	}})
	return nil
}

// LastReload returns when the configuration was last (re)loaded.
func (m *Manager) LastReload() time.Time { return time.Unix(0, m.lastReload.Load()) }

// Shutdown announces a Shutdown event, stops the listeners, lets every
// session write what it has queued (until ctx ends), and closes them.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.Publish(&Event{Name: "Shutdown", Class: PermSystem, Headers: []ami.Header{
		{Key: "Shutdown", Value: "Cleanly"},
		{Key: "Restart", Value: "False"},
	}})
	m.stopOnce.Do(func() { close(m.stop) })
	m.mu.Lock()
	m.closing = true
	for ln := range m.listeners {
		ln.Close()
	}
	sessions := make([]*Session, 0, len(m.all))
	for s := range m.all {
		sessions = append(sessions, s)
	}
	m.mu.Unlock()
	for _, s := range sessions {
		s.shutdown()
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, s := range sessions {
			s.conn.Close()
		}
		<-done
		return ctx.Err()
	}
}
