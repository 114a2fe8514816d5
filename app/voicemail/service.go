package voicemail

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/pbx"
)

// MWI is a mailbox's message-waiting state, as app_voicemail publishes it
// (queue_mwi_event): New counts INBOX and Urgent together.
type MWI struct {
	Box     Box
	Waiting bool
	New     int
	Old     int
	// Channel is the channel whose call caused the change (a message left,
	// VoiceMailMain ended); nil for polls and refreshes.
	Channel *pbx.Channel
}

// Notifier is told of every MWI change (pbxami renders MessageWaiting).
// It is called with no lock of the package held.
type Notifier func(MWI)

// counts is what a mailbox held when last published or polled.
type counts struct {
	urgent, new, old int
	waiting          bool
}

// maxWatched bounds the mailboxes watched because a client asked about
// them, so that a client naming endless mailboxes cannot grow the poll.
const maxWatched = 10000

// Options configure a Service.
type Options struct {
	// ConfigDir holds voicemail.conf.
	ConfigDir string
	// SpoolDir is asterisk.conf's astspooldir; messages live under its
	// voicemail/ directory.
	SpoolDir string
	// Notify receives the MWI changes; may be nil.
	Notify Notifier
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Service is the voicemail module: configuration, spool, MWI state and
// the poller.
type Service struct {
	spool  *Spool
	dir    string
	log    *slog.Logger
	notify Notifier

	mu      sync.Mutex
	cfg     *Config
	last    map[Box]counts
	watched map[Box]bool // asked about over AMI (configured boxes are always polled)

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New loads voicemail.conf, sweeps what crashed recordings left in the
// configured boxes and starts the poller (pollmailboxes, every pollfreq).
func New(opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = "/var/spool/asterisk"
	}
	cfg, err := LoadConfig(opts.ConfigDir, opts.Logger)
	if err != nil {
		return nil, err
	}
	sp, err := NewSpool(filepath.Join(opts.SpoolDir, "voicemail"))
	if err != nil {
		return nil, err
	}
	s := &Service{
		spool: sp, dir: opts.ConfigDir, log: opts.Logger, notify: opts.Notify,
		cfg: cfg, last: make(map[Box]counts), watched: make(map[Box]bool),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	s.baseline()
	go s.pollLoop()
	return s, nil
}

// baseline records the counts of the configured boxes without publishing
// them (Asterisk publishes nothing at start either) and sweeps their tmp/.
func (s *Service) baseline() {
	for _, u := range s.Config().Users {
		b := Box{Mailbox: u.Mailbox, Context: u.Context}
		if d, err := s.spool.BoxDir(b); err == nil {
			if _, err := os.Stat(d); err == nil {
				if err := s.spool.Sweep(b, time.Hour); err != nil {
					s.log.Warn("voicemail: sweeping tmp", "mailbox", b.String(), "err", err)
				}
			}
		}
		c, err := s.count(b)
		if err != nil {
			continue
		}
		s.mu.Lock()
		if _, ok := s.last[b]; !ok {
			s.last[b] = c
		}
		s.mu.Unlock()
	}
}

// Close stops the poller.
func (s *Service) Close() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

// Spool returns the spool.
func (s *Service) Spool() *Spool { return s.spool }

// Config returns the configuration in force.
func (s *Service) Config() *Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Reload re-reads voicemail.conf ("voicemail reload"); on error the old
// configuration stays.
func (s *Service) Reload() error {
	cfg, err := LoadConfig(s.dir, s.log)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
	s.baseline()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// count reads b's counts.
func (s *Service) count(b Box) (counts, error) {
	u, n, o, w, err := s.spool.State(b)
	if err != nil {
		return counts{}, err
	}
	return counts{urgent: u, new: n, old: o, waiting: w}, nil
}

// Watch adds b to the mailboxes polled for changes, as an MWI
// subscription does in Asterisk: an AMI client asked about it. Boxes with
// no directory in the spool are not watched (they cannot change without
// one being made, and a client could name endless ones).
func (s *Service) Watch(b Box) {
	d, err := s.spool.BoxDir(b)
	if err != nil {
		return
	}
	s.mu.Lock()
	_, known := s.last[b]
	full := len(s.watched) >= maxWatched
	s.mu.Unlock()
	if known || full {
		return
	}
	if _, err := os.Stat(d); err != nil {
		return
	}
	c, err := s.count(b)
	if err != nil {
		return
	}
	s.mu.Lock()
	if _, ok := s.last[b]; !ok {
		s.last[b] = c
		s.watched[b] = true
	}
	s.mu.Unlock()
}

// Notify recounts b and publishes its state whatever it was before, as
// app_voicemail does after a message is left or VoiceMailMain ends; ch is
// the channel that caused it (or nil).
func (s *Service) Notify(b Box, ch *pbx.Channel) {
	c, err := s.count(b)
	if err != nil {
		s.log.Warn("voicemail: counting", "mailbox", b.String(), "err", err)
		return
	}
	s.mu.Lock()
	s.last[b] = c
	s.mu.Unlock()
	s.publish(b, c, ch)
}

func (s *Service) publish(b Box, c counts, ch *pbx.Channel) {
	if s.notify == nil {
		return
	}
	s.notify(MWI{Box: b, Waiting: c.waiting, New: c.new + c.urgent, Old: c.old, Channel: ch})
}

// boxes returns the polled mailboxes: the configured ones and the watched.
func (s *Service) boxes() []Box {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Box, 0, len(s.cfg.Users)+len(s.watched))
	seen := make(map[Box]bool, cap(out))
	for _, u := range s.cfg.Users {
		b := Box{Mailbox: u.Mailbox, Context: u.Context}
		seen[b] = true
		out = append(out, b)
	}
	for b := range s.last {
		if !seen[b] {
			out = append(out, b)
		}
	}
	return out
}

// Poll recounts the polled mailboxes that match (poll_subscribed_mailbox)
// and publishes those whose counts changed; it returns how many it
// published. Empty mailbox and context match everything.
func (s *Service) Poll(mailbox, context string) int {
	n := 0
	for _, b := range s.boxes() {
		if (mailbox != "" && b.Mailbox != mailbox) || (context != "" && b.Context != context) {
			continue
		}
		c, err := s.count(b)
		if err != nil {
			s.log.Warn("voicemail: polling", "mailbox", b.String(), "err", err)
			continue
		}
		s.mu.Lock()
		old, ok := s.last[b]
		s.last[b] = c
		s.mu.Unlock()
		if ok && old == c {
			continue
		}
		if !ok && c == (counts{}) {
			continue
		}
		s.publish(b, c, nil)
		n++
	}
	return n
}

// pollLoop polls every pollfreq while pollmailboxes is on.
func (s *Service) pollLoop() {
	defer close(s.done)
	for {
		g := s.Config().General
		var tick <-chan time.Time
		var t *time.Timer
		if g.PollMailboxes {
			t = time.NewTimer(g.PollFreq)
			tick = t.C
		}
		select {
		case <-s.stop:
			if t != nil {
				t.Stop()
			}
			return
		case <-s.kick:
			if t != nil {
				t.Stop()
			}
		case <-tick:
			s.Poll("", "")
		}
	}
}

// String describes the service for logs.
func (s *Service) String() string { return fmt.Sprintf("voicemail spool %s", s.spool.Root()) }

// maxListLen is the length of Asterisk's list buffers (char tmp[256]):
// longer lists are cut there, as Asterisk cuts them.
const maxListLen = 255

// Waiting answers MailboxStatus (ast_app_has_voicemail): list holds boxes
// separated by ',' or '&', each "box[@context]"; the answer is whether any
// has a message in INBOX or Urgent. Invalid names are logged and count as
// empty mailboxes; the filesystem is not touched for them.
func (s *Service) Waiting(list string) bool {
	if len(list) > maxListLen {
		list = list[:maxListLen]
	}
	for _, item := range SplitList(list, ",&") {
		b, err := ParseBox(item)
		if err != nil {
			s.log.Warn("voicemail: invalid mailbox asked about", "mailbox", item)
			continue
		}
		s.Watch(b)
		if w, err := s.spool.HasWaiting(b); err == nil && w {
			return true
		}
	}
	return false
}

// CountList answers MailboxCount (inboxcount2): a value holding ',' is a
// list separated by ',' or ' ' whose counts are summed; otherwise the
// whole value is one "box[@context]" ('&' is no separator here, so
// "a@c&b" names the context "c&b", which matches nothing). Invalid names
// count zero.
func (s *Service) CountList(list string) (urgent, new, old int) {
	if len(list) > maxListLen {
		list = list[:maxListLen]
	}
	items := []string{list}
	if containsByte(list, ',') {
		items = SplitList(list, ", ")
	}
	for _, item := range items {
		b, err := ParseBox(item)
		if err != nil {
			s.log.Warn("voicemail: invalid mailbox asked about", "mailbox", item)
			continue
		}
		s.Watch(b)
		u, n, o, err := s.spool.Counts(b)
		if err != nil {
			s.log.Warn("voicemail: counting", "mailbox", b.String(), "err", err)
			continue
		}
		urgent, new, old = urgent+u, new+n, old+o
	}
	return urgent, new, old
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
