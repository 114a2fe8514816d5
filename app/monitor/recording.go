package monitor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// recording is one Monitor or MixMonitor of a channel: a tap on its audio
// and a goroutine writing what the tap delivers.
type recording struct {
	svc *Service
	ch  *pbx.Channel
	mix bool   // a MixMonitor
	id  string // MixMonitorID

	tap    *pbx.AudioTap
	remove func()
	stop   chan struct{}
	once   sync.Once
	done   chan struct{}
	paused atomic.Bool

	bridgedOnly bool
	volIn       int // MixMonitor v(): -4..4, a power of two (see adjust)
	volOut      int // MixMonitor V()

	mu   sync.Mutex // guards base and join (ChangeMonitor, Mix)
	base string     // Monitor: the name the files end with, without -in.wav
	join bool       // Monitor: mix the two files into base.wav at the end
	orig string     // Monitor: the base the files are written under

	in, out, mixed *media.WAVWriter // owned by the goroutine
	pendIn         []int16          // MixMonitor: audio waiting for its other half
	pendOut        []int16
	buf            []int16
}

func (r *recording) requestStop() { r.once.Do(func() { close(r.stop) }) }

// launch installs the tap and starts the writer goroutine.
func (s *Service) launch(r *recording) {
	r.tap = pbx.NewAudioTap(s.tapFrames)
	r.stop = make(chan struct{})
	r.done = make(chan struct{})
	r.remove = r.ch.AddAudioHook(r.tap.Hook)
	s.wg.Add(1)
	go r.run()
}

func (r *recording) run() {
	defer r.svc.wg.Done()
	defer close(r.done)
	// The tap is drained every drainEvery rather than woken for each
	// frame: thousands of recordings woken 100 times a second each cost
	// more in scheduling than in writing.
	tick := time.NewTicker(drainEvery)
	defer tick.Stop()
loop:
	for {
		select {
		case <-tick.C:
			r.drain()
		case <-r.stop:
			break loop
		case <-r.ch.Done():
			break loop
		}
	}
	r.remove()
	r.drain()
	// However it ended (stopped, hung up, shut down), the recording is
	// gone from the channel: Asterisk stops a channel's recordings when it
	// hangs up, as if StopMonitor had been called.
	r.svc.forget(r)
	r.finish()
	if d := r.tap.Dropped(); d > 0 {
		r.svc.log.Warn("monitor: recording dropped frames", "channel", r.ch.Name(), "dropped", d)
	}
}

// drainEvery is how often a recording writes what its tap holds; the
// tap must hold more than that (see Options.TapFrames).
const drainEvery = 100 * time.Millisecond

// drain writes the frames the tap holds.
func (r *recording) drain() {
	for {
		select {
		case tf := <-r.tap.C():
			r.frame(&tf)
		default:
			return
		}
	}
}

// forget removes r from the service's tables.
func (s *Service) forget(r *recording) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.mix {
		rs := s.mixes[r.ch]
		for i, x := range rs {
			if x == r {
				rs = append(rs[:i:i], rs[i+1:]...)
				break
			}
		}
		if len(rs) == 0 {
			delete(s.mixes, r.ch)
		} else {
			s.mixes[r.ch] = rs
		}
		return
	}
	if s.mons[r.ch] == r {
		delete(s.mons, r.ch)
	}
}

// frame writes one tapped frame.
func (r *recording) frame(tf *pbx.TappedFrame) {
	if r.paused.Load() || r.bridgedOnly && r.ch.BridgeID() == "" {
		return
	}
	r.buf = tf.Frame.AppendSamples(r.buf[:0])
	vol := r.volIn
	if tf.Dir == pbx.AudioOut {
		vol = r.volOut
	}
	if vol != 0 {
		adjust(r.buf, vol)
	}
	w := r.in
	if tf.Dir == pbx.AudioOut {
		w = r.out
	}
	if w != nil {
		if err := w.WriteSamples(r.buf); err != nil {
			r.svc.log.Warn("monitor: write failed", "channel", r.ch.Name(), "err", err)
		}
	}
	if r.mixed == nil {
		return
	}
	if tf.Dir == pbx.AudioIn {
		r.pendIn = append(r.pendIn, r.buf...)
	} else {
		r.pendOut = append(r.pendOut, r.buf...)
	}
	r.flushMix(false)
}

// mixLag is how much of one direction waits for the other before it is
// written alone: a side that sends nothing (a one-way call, a phone on
// mute that stops sending) must not hold the recording back.
const mixLag = 5 * media.FrameSamples

// flushMix writes the audio both directions have, mixed; a direction that
// has run mixLag ahead of a silent other is written alone, and at the end
// (final) everything left is.
func (r *recording) flushMix(final bool) {
	for {
		n := min(len(r.pendIn), len(r.pendOut))
		switch {
		case n > 0:
		case len(r.pendIn) > mixLag || final && len(r.pendIn) > 0:
			n = len(r.pendIn) - mixLag
			if final {
				n = len(r.pendIn)
			}
		case len(r.pendOut) > mixLag || final && len(r.pendOut) > 0:
			n = len(r.pendOut) - mixLag
			if final {
				n = len(r.pendOut)
			}
		default:
			return
		}
		out := make([]int16, n)
		copy(out, r.pendIn[:min(n, len(r.pendIn))])
		media.AddSat(out, r.pendOut[:min(n, len(r.pendOut))])
		if err := r.mixed.WriteSamples(out); err != nil {
			r.svc.log.Warn("monitor: write failed", "channel", r.ch.Name(), "err", err)
		}
		r.pendIn = r.pendIn[min(n, len(r.pendIn)):]
		r.pendOut = r.pendOut[min(n, len(r.pendOut)):]
		if len(r.pendIn) == 0 {
			r.pendIn = r.pendIn[:0:0]
		}
		if len(r.pendOut) == 0 {
			r.pendOut = r.pendOut[:0:0]
		}
	}
}

// adjust scales samples as Asterisk's get_volfactor does: x in -4..4,
// positive multiplies by 2^x, negative divides by 2^-x.
func adjust(samples []int16, x int) {
	for i, v := range samples {
		var y int32
		if x > 0 {
			y = int32(v) << x
		} else {
			y = int32(v) >> -x
		}
		samples[i] = int16(max(-32768, min(32767, y)))
	}
}

// finish completes the files: closed (fsynced and in place), renamed to
// the name ChangeMonitor gave, joined when Mix asked for it.
func (r *recording) finish() {
	log := r.svc.log.With("channel", r.ch.Name())
	closeW := func(w *media.WAVWriter) {
		if w == nil {
			return
		}
		if err := w.Close(); err != nil {
			log.Error("monitor: closing recording", "err", err)
		}
	}
	if r.mixed != nil {
		r.flushMix(true)
	}
	closeW(r.in)
	closeW(r.out)
	closeW(r.mixed)
	if r.mix {
		return
	}
	r.mu.Lock()
	base, join, orig := r.base, r.join, r.orig
	r.mu.Unlock()
	if base != orig {
		for _, suf := range []string{"-in.wav", "-out.wav"} {
			if _, err := os.Stat(orig + suf); err != nil {
				continue // a direction Monitor's i or o skipped
			}
			if err := os.Rename(orig+suf, base+suf); err != nil {
				log.Error("monitor: renaming recording", "err", err)
			}
		}
		// The renames, like the files, must survive a crash.
		for _, d := range []string{filepath.Dir(orig), filepath.Dir(base)} {
			if err := media.SyncDir(d); err != nil {
				log.Error("monitor: syncing directory", "dir", d, "err", err)
			}
		}
	}
	if join {
		if err := joinFiles(base+"-in.wav", base+"-out.wav", base+".wav"); err != nil {
			log.Error("monitor: mixing recording", "err", err)
		}
	}
}

// maxJoinSamples bounds a Monitor leg read back for mixing: 4 hours.
const maxJoinSamples = 4 * 3600 * media.SampleRate

// joinFiles mixes two recordings into one, as Asterisk's soxmix step
// does, and removes them once the mix is in place. A leg Monitor's i or o
// skipped is taken as silence.
func joinFiles(in, out, dst string) error {
	read := func(p string) ([]int16, bool, error) {
		s, err := media.ReadWAVFile(p, maxJoinSamples)
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("monitor: reading %s: %w", p, err)
		}
		return s, true, nil
	}
	a, haveA, err := read(in)
	if err != nil {
		return err
	}
	b, haveB, err := read(out)
	if err != nil {
		return err
	}
	if len(b) > len(a) {
		a, b = b, a
	}
	media.AddSat(a[:len(b)], b)
	w, err := media.CreateWAV(dst, 0o640)
	if err != nil {
		return fmt.Errorf("monitor: mixing into %s: %w", dst, err)
	}
	defer func() { _ = w.Abort() }()
	if err := w.WriteSamples(a); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	var errs []error
	if haveA {
		errs = append(errs, os.Remove(in))
	}
	if haveB {
		errs = append(errs, os.Remove(out))
	}
	return errors.Join(errs...)
}

// checkFormat accepts the formats written: wav (and an empty one).
func checkFormat(format string) error {
	if format != "" && !strings.EqualFold(format, "wav") {
		return fmt.Errorf("%w: %q (only wav)", ErrFormat, format)
	}
	return nil
}

// MonitorOptions are the choices of Monitor beyond the file name.
type MonitorOptions struct {
	Format      string // "wav" or empty
	Mix         bool   // join -in and -out into one file at the end
	BridgedOnly bool   // Monitor's b: record only while bridged
	NoIn, NoOut bool   // Monitor's i and o: skip a direction
	// Ack, if set, is called once the recording runs, before its
	// variable is set and it is announced: an AMI action answers there,
	// so that its response comes before the events, as Asterisk's does.
	Ack func()
}

// Monitor starts recording ch into name-in.wav and name-out.wav (an empty
// name: the channel's name with '/' as '-'). It sets __MONITORED=true
// and reports MonitorStart. A channel that has a Monitor gets
// [ErrAlreadyMonitored]; the AMI action then changes its name instead, as
// Asterisk's does.
func (s *Service) Monitor(ch *pbx.Channel, name string, o MonitorOptions) error {
	if err := checkFormat(o.Format); err != nil {
		return err
	}
	if name == "" {
		name = strings.ReplaceAll(ch.Name(), "/", "-")
	}
	base, err := s.Path(name)
	if err != nil {
		return err
	}
	r := &recording{svc: s, ch: ch, base: base, orig: base, join: o.Mix, bridgedOnly: o.BridgedOnly}
	if !o.NoIn {
		if r.in, err = media.CreateWAV(base+"-in.wav", 0o640); err != nil {
			return fmt.Errorf("monitor: %w", err)
		}
	}
	if !o.NoOut {
		if r.out, err = media.CreateWAV(base+"-out.wav", 0o640); err != nil {
			r.abort()
			return fmt.Errorf("monitor: %w", err)
		}
	}
	s.mu.Lock()
	switch {
	case s.closed:
		err = ErrClosed
	case s.mons[ch] != nil:
		err = fmt.Errorf("%w: %s", ErrAlreadyMonitored, ch.Name())
	default:
		s.mons[ch] = r
		s.launch(r)
	}
	s.mu.Unlock()
	if err != nil {
		r.abort()
		return err
	}
	if o.Ack != nil {
		o.Ack()
	}
	ch.SetVar("__MONITORED", "true")
	if s.rep != nil {
		s.rep.MonitorStart(ch)
	}
	return nil
}

func (r *recording) abort() {
	for _, w := range []*media.WAVWriter{r.in, r.out, r.mixed} {
		if w != nil {
			_ = w.Abort()
		}
	}
}

// StopMonitor stops ch's Monitor and waits until its files are complete.
// ack, if not nil, is called then (see [MonitorOptions.Ack]); then
// MonitorStop is reported and MONITORED cleared. A channel without a
// Monitor gets [ErrNotMonitored] (and ack is not called).
func (s *Service) StopMonitor(ch *pbx.Channel, ack func()) error {
	s.mu.Lock()
	r := s.mons[ch]
	delete(s.mons, ch)
	s.mu.Unlock()
	if r == nil {
		return fmt.Errorf("%w: %s", ErrNotMonitored, ch.Name())
	}
	r.requestStop()
	<-r.done
	if ack != nil {
		ack()
	}
	if s.rep != nil {
		s.rep.MonitorStop(ch)
	}
	ch.SetVar("MONITORED", "")
	return nil
}

// ChangeMonitor renames ch's Monitor files to name-in.wav and
// name-out.wav; the files move when the recording stops, as Asterisk's
// do. A channel without a Monitor gets [ErrNotMonitored].
func (s *Service) ChangeMonitor(ch *pbx.Channel, name string) error {
	base, err := s.Path(name)
	if err != nil {
		return err
	}
	r, err := s.monitorOf(ch)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.base = base
	r.mu.Unlock()
	return nil
}

// monitorOf is ch's running Monitor, or [ErrNotMonitored]: the lookup
// that every action on an existing Monitor starts with.
func (s *Service) monitorOf(ch *pbx.Channel) (*recording, error) {
	s.mu.Lock()
	r := s.mons[ch]
	s.mu.Unlock()
	if r == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotMonitored, ch.Name())
	}
	return r, nil
}

// SetMix turns the joining of ch's Monitor files at the end on or off.
func (s *Service) SetMix(ch *pbx.Channel, mix bool) error {
	r, err := s.monitorOf(ch)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.join = mix
	r.mu.Unlock()
	return nil
}

// PauseMonitor pauses (pause true) or resumes ch's Monitor; while paused
// nothing is written.
func (s *Service) PauseMonitor(ch *pbx.Channel, pause bool) error {
	r, err := s.monitorOf(ch)
	if err != nil {
		return err
	}
	r.paused.Store(pause)
	return nil
}

// MixOptions are MixMonitor's options.
type MixOptions struct {
	Append      bool            // a: append to an existing file
	BridgedOnly bool            // b: record only while bridged
	VolIn       int             // v(x): -4..4, the heard volume
	VolOut      int             // V(x): -4..4, the spoken volume
	RecvFile    string          // r(file): also record the received audio alone
	SendFile    string          // t(file): also record the transmitted audio alone
	IDVar       string          // i(var): the channel variable to store the MixMonitorID in
	Ack         func(id string) // as MonitorOptions.Ack, told the MixMonitorID
}

// ParseMixOptions parses MixMonitor's option letters ("ab(v(2)r(x.wav)").
// Unknown letters are ignored as Asterisk's app_parse_options does.
func ParseMixOptions(s string) (MixOptions, error) {
	var o MixOptions
	for i := 0; i < len(s); i++ {
		c := s[i]
		arg := ""
		if i+1 < len(s) && s[i+1] == '(' {
			end := strings.IndexByte(s[i+1:], ')')
			if end < 0 {
				return o, fmt.Errorf("monitor: option %c: unclosed parenthesis", c)
			}
			arg = s[i+2 : i+1+end]
			i += 1 + end
		}
		vol := func() (int, error) {
			x, err := strconv.Atoi(arg)
			if err != nil || x < -4 || x > 4 {
				return 0, fmt.Errorf("monitor: option %c: volume must be a number between -4 and 4", c)
			}
			return x, nil
		}
		var err error
		switch c {
		case 'a':
			o.Append = true
		case 'b':
			o.BridgedOnly = true
		case 'v':
			o.VolIn, err = vol()
		case 'V':
			o.VolOut, err = vol()
		case 'W':
			o.VolIn, err = vol()
			o.VolOut = o.VolIn
		case 'r':
			o.RecvFile = arg
		case 't':
			o.SendFile = arg
		case 'i':
			o.IDVar = arg
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

// wavName checks a MixMonitor file name's extension: wav, or none (then
// .wav is added).
func wavName(name string) (string, error) {
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.ContainsRune(name[i:], '/') {
		ext = name[i+1:]
	}
	switch {
	case ext == "":
		return name + ".wav", nil
	case strings.EqualFold(ext, "wav"):
		return name, nil
	}
	return "", fmt.Errorf("%w: %q (only .wav)", ErrFormat, name)
}

// MixMonitor starts recording both directions of ch mixed into name (in
// the monitor directory; .wav, or no extension), and optionally each
// direction alone (r(), t()). It sets MIXMONITOR_FILENAME to the path and
// reports MixMonitorStart, and returns the recording's MixMonitorID.
func (s *Service) MixMonitor(ch *pbx.Channel, name string, o MixOptions) (id string, err error) {
	r := &recording{svc: s, ch: ch, mix: true, bridgedOnly: o.BridgedOnly}
	r.volIn, r.volOut = o.VolIn, o.VolOut
	open := func(name string) (*media.WAVWriter, string, error) {
		n, err := wavName(name)
		if err != nil {
			return nil, "", err
		}
		p, err := s.Path(n)
		if err != nil {
			return nil, "", err
		}
		w, err := media.CreateWAV(p, 0o640)
		if err != nil {
			return nil, "", fmt.Errorf("monitor: %w", err)
		}
		if o.Append {
			if err := appendExisting(w, p); err != nil {
				_ = w.Abort()
				return nil, "", err
			}
		}
		return w, p, nil
	}
	if name == "" && o.RecvFile == "" && o.SendFile == "" {
		return "", fmt.Errorf("%w: MixMonitor needs a file name or r()/t()", ErrBadFileName)
	}
	var path string
	if name != "" {
		if r.mixed, path, err = open(name); err != nil {
			return "", err
		}
	}
	if o.RecvFile != "" {
		if r.in, _, err = open(o.RecvFile); err != nil {
			r.abort()
			return "", err
		}
	}
	if o.SendFile != "" {
		if r.out, _, err = open(o.SendFile); err != nil {
			r.abort()
			return "", err
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		r.abort()
		return "", ErrClosed
	}
	s.seq++
	r.id = "0x" + strconv.FormatUint(0x7f0000000000+s.seq*0x40, 16)
	s.mixes[ch] = append(s.mixes[ch], r)
	s.launch(r)
	s.mu.Unlock()
	if o.Ack != nil {
		o.Ack(r.id)
	}
	if o.IDVar != "" {
		ch.SetVar(o.IDVar, r.id)
	}
	if path != "" {
		ch.SetVar("MIXMONITOR_FILENAME", path)
	}
	if s.rep != nil {
		s.rep.MixMonitorStart(ch)
	}
	return r.id, nil
}

// appendExisting copies the audio of the existing file p, if any, into w,
// so that the recording continues it (MixMonitor's a).
func appendExisting(w *media.WAVWriter, p string) error {
	old, err := media.ReadWAVFile(p, maxJoinSamples)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("monitor: appending to %s: %w", p, err)
	}
	return w.WriteSamples(old)
}

// StopMixMonitor stops ch's MixMonitor with the given id (empty: the
// first started still running), waits until its files are complete, calls
// ack if not nil and reports MixMonitorStop. A channel without one gets
// [ErrNotMonitored].
func (s *Service) StopMixMonitor(ch *pbx.Channel, id string, ack func()) error {
	s.mu.Lock()
	var r *recording
	for _, x := range s.mixes[ch] {
		if id == "" || x.id == id {
			r = x
			break
		}
	}
	s.mu.Unlock()
	if r == nil {
		return fmt.Errorf("%w: %s has no MixMonitor %s", ErrNotMonitored, ch.Name(), id)
	}
	s.forget(r)
	r.requestStop()
	<-r.done
	if ack != nil {
		ack()
	}
	if s.rep != nil {
		s.rep.MixMonitorStop(ch)
	}
	return nil
}
