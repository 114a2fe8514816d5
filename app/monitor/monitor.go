// Package monitor records calls as Asterisk 20's res_monitor (Monitor,
// StopMonitor, ChangeMonitor, PauseMonitor, UnpauseMonitor) and
// app_mixmonitor (MixMonitor, StopMixMonitor) do.
//
// A recording taps its channel's audio with [pbx.Channel.AddAudioHook]:
// the frame path hands each voice frame to the recording's goroutine
// through a bounded [pbx.AudioTap], so a slow disk drops frames (counted)
// rather than delaying the call. Monitor writes what the far end says to
// "<monitor dir>/<name>-in.wav" and what it hears to "-out.wav", and with
// Mix joins them into "<name>.wav" when it stops (Asterisk's soxmix step);
// MixMonitor mixes both ways live into one file. Files are written with
// [media.WAVWriter]: they appear under their names complete, fsynced, when
// the recording stops, the channel hangs up or the service closes.
//
// File names from the network never leave the monitor directory: empty
// names, NUL bytes, absolute paths and ".." are refused, and so is a
// directory that a symbolic link takes elsewhere.
package monitor

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/asterism-pbx/asterism/pbx"
)

// Errors of the service; they are wrapped with detail, test with errors.Is.
var (
	// ErrBadFileName: a file name that is empty, holds a NUL, is absolute
	// or leaves the monitor directory.
	ErrBadFileName = errors.New("monitor: bad file name")
	// ErrNotMonitored: the channel has no recording of that kind.
	ErrNotMonitored = errors.New("monitor: channel not monitored")
	// ErrAlreadyMonitored: Monitor on a channel that has a Monitor.
	ErrAlreadyMonitored = errors.New("monitor: channel already monitored")
	// ErrFormat: a format other than wav.
	ErrFormat = errors.New("monitor: unsupported format")
	// ErrClosed: the service is shutting down.
	ErrClosed = errors.New("monitor: service closed")
)

// Reporter is told of recordings starting and stopping, so that they can
// be announced (MonitorStart, MonitorStop, MixMonitorStart,
// MixMonitorStop). It is called on the goroutine of the request, after
// the channel variables of the change are set.
type Reporter interface {
	MonitorStart(ch *pbx.Channel)
	MonitorStop(ch *pbx.Channel)
	MixMonitorStart(ch *pbx.Channel)
	MixMonitorStop(ch *pbx.Channel)
}

// Options configure a [Service].
type Options struct {
	// SpoolDir is asterisk.conf's astspooldir; recordings go to its
	// monitor/ (created if missing). Empty: /var/spool/asterisk.
	SpoolDir string
	// Reporter is told of starts and stops; nil: nobody.
	Reporter Reporter
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// TapFrames bounds the frames a recording buffers between the call
	// and its writer; 0: 64, some 640 ms of both directions, six times
	// what a writer takes at each of its rounds (every 100 ms). A frame
	// takes some 360 bytes, and the buffer is allocated whole: 64 frames
	// keep a recording at 23 kB.
	TapFrames int
}

// Service runs the recordings of a core.
type Service struct {
	dir       string
	rep       Reporter
	log       *slog.Logger
	tapFrames int

	mu     sync.Mutex
	mons   map[*pbx.Channel]*recording
	mixes  map[*pbx.Channel][]*recording
	seq    uint64
	closed bool
	wg     sync.WaitGroup
}

// New returns a service recording under opts.SpoolDir's monitor/.
func New(opts Options) *Service {
	spool := opts.SpoolDir
	if spool == "" {
		spool = "/var/spool/asterisk"
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	n := opts.TapFrames
	if n <= 0 {
		n = 64
	}
	return &Service{
		dir:       filepath.Join(spool, "monitor"),
		rep:       opts.Reporter,
		log:       log,
		tapFrames: n,
		mons:      make(map[*pbx.Channel]*recording),
		mixes:     make(map[*pbx.Channel][]*recording),
	}
}

// Dir returns the monitor directory.
func (s *Service) Dir() string { return s.dir }

// Path resolves a file name given by a user (an AMI client, the dialplan)
// to a path inside the monitor directory, creating the directories on the
// way. It refuses names that are empty, hold a NUL, are absolute or climb
// out with "..", and a directory a symbolic link takes out of the monitor
// directory.
func (s *Service) Path(name string) (string, error) {
	if name == "" || strings.IndexByte(name, 0) >= 0 || filepath.IsAbs(name) || !filepath.IsLocal(name) {
		return "", fmt.Errorf("%w: %q", ErrBadFileName, name)
	}
	full := filepath.Join(s.dir, name)
	parent := filepath.Dir(full)
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return "", fmt.Errorf("monitor: creating %s: %w", s.dir, err)
	}
	root, err := filepath.EvalSymlinks(s.dir)
	if err != nil {
		return "", fmt.Errorf("monitor: resolving %s: %w", s.dir, err)
	}
	// The part of the path that exists is checked before any directory is
	// made, so that a link out cannot get directories created through it;
	// then the whole, once made.
	existing := parent
	for {
		if _, err := os.Lstat(existing); err == nil || existing == s.dir {
			break
		}
		existing = filepath.Dir(existing)
	}
	for _, d := range []string{existing, parent} {
		if d == parent {
			if err := os.MkdirAll(parent, 0o750); err != nil {
				return "", fmt.Errorf("monitor: directory for %q: %w", name, err)
			}
		}
		real, err := filepath.EvalSymlinks(d)
		if err != nil {
			return "", fmt.Errorf("monitor: resolving directory of %q: %w", name, err)
		}
		if rel, err := filepath.Rel(root, real); err != nil || rel != "." && !filepath.IsLocal(rel) {
			return "", fmt.Errorf("%w: %q leaves the monitor directory", ErrBadFileName, name)
		}
	}
	return full, nil
}

// Close stops every recording and waits until their files are complete.
// Later starts fail with [ErrClosed].
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	var all []*recording
	for _, r := range s.mons {
		all = append(all, r)
	}
	for _, rs := range s.mixes {
		all = append(all, rs...)
	}
	s.mu.Unlock()
	for _, r := range all {
		r.requestStop()
	}
	s.wg.Wait()
}

// Recording says what a channel's Monitor does, for tests and status.
type Recording struct {
	Base    string // the path without -in.wav/-out.wav, the name it ends with
	Mix     bool
	Paused  bool
	Dropped uint64 // frames the tap dropped
}

// Monitoring returns the channel's Monitor, if it has one.
func (s *Service) Monitoring(ch *pbx.Channel) (Recording, bool) {
	s.mu.Lock()
	r, ok := s.mons[ch]
	s.mu.Unlock()
	if !ok {
		return Recording{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return Recording{Base: r.base, Mix: r.join, Paused: r.paused.Load(), Dropped: r.tap.Dropped()}, true
}
