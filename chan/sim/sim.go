// Package sim is the simulated-phone channel technology: "Sim/100" calls
// the phone configured as [100] in sim.conf, which rings, answers (or is
// busy, congested, rejects, never answers) and then sends a tone, silence,
// DTMF, a sound file or an echo of what it hears, and may hang up after a
// while. It serves the demo, tests and load generation.
//
// A phone's call runs in one goroutine, started by Call and ended when the
// channel hangs up. What the phone hears can be kept for tests
// ([Tech.RecordSamples], [Tech.Recording]).
package sim

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/sounds"
)

// Tech is the Sim technology.
type Tech struct {
	// RecordSamples is how many samples of what each call hears are kept
	// (the most recent ones), for tests; 0 keeps none, only counts.
	// Set it before calls are made.
	RecordSamples int

	cfg    *Config
	sounds sounds.Library

	mu    sync.Mutex
	calls map[string]*Recording // by channel name, live calls
}

// New returns the technology for the phones of cfg; lib (possibly nil)
// provides the sounds of play=file:.
func New(cfg *Config, lib sounds.Library) *Tech {
	if cfg == nil {
		cfg = &Config{}
	}
	return &Tech{cfg: cfg, sounds: lib, calls: make(map[string]*Recording)}
}

// Name returns "Sim".
func (*Tech) Name() string { return "Sim" }

// Phones returns the configured phones.
func (t *Tech) Phones() []*Phone { return t.cfg.Phones }

// Recording returns what the phone on the live channel called name has
// heard so far. The Recording stays valid after the call ends.
func (t *Tech) Recording(channel string) (*Recording, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.calls[channel]
	return r, ok
}

// Request makes a channel to the phone named resource; an unknown phone is
// CHANUNAVAIL.
func (t *Tech) Request(core *pbx.Core, ch *pbx.Channel, resource string) (pbx.Endpoint, error) {
	p, ok := t.cfg.Phone(resource)
	if !ok {
		return nil, &pbx.CauseError{Cause: pbx.CauseRequestedChanUnavail, Err: fmt.Errorf("%w: no phone %q in %s", pbx.ErrChanUnavail, resource, ConfigFile)}
	}
	rec := &Recording{limit: t.RecordSamples}
	ep := &endpoint{t: t, ch: ch, phone: p, rec: rec, quit: make(chan struct{}), done: make(chan struct{})}
	t.mu.Lock()
	t.calls[ch.Name()] = rec
	t.mu.Unlock()
	return ep, nil
}

// Recording is what one call's phone heard.
type Recording struct {
	limit int

	mu       sync.Mutex
	samples  []int16
	frames   int
	digits   []byte
	controls []media.Control
	answered bool
}

// Samples returns a copy of the kept samples (the most recent ones).
func (r *Recording) Samples() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int16(nil), r.samples...)
}

// Frames returns how many voice frames the phone heard.
func (r *Recording) Frames() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames
}

// Digits returns the DTMF digits the phone received as DTMF frames.
func (r *Recording) Digits() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.digits)
}

// Controls returns the indications the phone received, in order.
func (r *Recording) Controls() []media.Control {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]media.Control(nil), r.controls...)
}

// Answered reports whether the phone answered.
func (r *Recording) Answered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.answered
}

func (r *Recording) add(f *media.Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch f.Type {
	case media.FrameVoice:
		r.frames++
		if r.limit > 0 {
			r.samples = f.AppendSamples(r.samples)
			if over := len(r.samples) - r.limit; over > 0 {
				r.samples = append(r.samples[:0], r.samples[over:]...)
			}
		}
	case media.FrameDTMFEnd:
		if len(r.digits) < 1024 {
			r.digits = append(r.digits, f.Digit)
		}
	case media.FrameControl:
		if len(r.controls) < 1024 {
			r.controls = append(r.controls, f.Control)
		}
	}
}

// endpoint is one call to a phone.
type endpoint struct {
	t     *Tech
	ch    *pbx.Channel
	phone *Phone
	rec   *Recording

	mu      sync.Mutex
	started bool
	closer  io.Closer // the sound file being played, if any
	quit    chan struct{}
	done    chan struct{}
}

// Call starts the phone's goroutine: ringing, then the phone's answer.
func (e *endpoint) Call(dest string, timeout time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return fmt.Errorf("sim: phone %s already called", e.phone.Name)
	}
	select {
	case <-e.quit:
		return pbx.ErrHangup
	default:
	}
	e.started = true
	go e.run()
	return nil
}

// wait sleeps d, reporting false if the call ended meanwhile.
func (e *endpoint) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.quit:
		return false
	}
}

func (e *endpoint) run() {
	defer close(e.done)
	p := e.phone
	switch p.Mode {
	case ModeReject:
		e.ch.QueueHangup(pbx.CauseCallRejected)
		return
	case ModeBusy:
		e.ch.Queue(media.ControlFrame(media.ControlBusy))
		<-e.quit
		return
	case ModeCongestion:
		e.ch.Queue(media.ControlFrame(media.ControlCongestion))
		<-e.quit
		return
	}
	e.ch.Queue(media.ControlFrame(media.ControlRinging))
	if p.Mode == ModeNoAnswer {
		<-e.quit
		return
	}
	if !e.wait(p.AnswerAfter) {
		return
	}
	e.rec.mu.Lock()
	e.rec.answered = true
	e.rec.mu.Unlock()
	e.ch.Queue(media.ControlFrame(media.ControlAnswer))

	var hangup <-chan time.Time
	if p.HangupAfter > 0 {
		t := time.NewTimer(p.HangupAfter)
		defer t.Stop()
		hangup = t.C
	}
	next := e.source()
	if e.closer != nil {
		defer e.closer.Close()
	}
	if next == nil { // echo: frames go back from Write
		select {
		case <-hangup:
			e.ch.QueueHangup(pbx.CauseNormalClearing)
		case <-e.quit:
		}
		return
	}
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	var f media.Frame
	for {
		next(&f)
		e.ch.Queue(f)
		select {
		case <-tick.C:
		case <-hangup:
			e.ch.QueueHangup(pbx.CauseNormalClearing)
			return
		case <-e.quit:
			return
		}
	}
}

// source returns the generator of the phone's audio (nil for echo).
func (e *endpoint) source() func(*media.Frame) {
	p := e.phone
	silence := func(f *media.Frame) { *f = media.SilenceFrame(media.ULAW) }
	switch p.Play {
	case PlayEcho:
		return nil
	case PlayTone:
		g := media.NewToneGen(media.DefaultToneAmplitude, p.ToneFreq, 0)
		return func(f *media.Frame) { g.ReadFrame(f) }
	case PlayDTMF:
		player, err := media.NewDTMFPlayer(p.Digits, 100*time.Millisecond, 100*time.Millisecond, media.DefaultToneAmplitude)
		if err != nil {
			return silence
		}
		return func(f *media.Frame) {
			if !player.ReadFrame(f) {
				silence(f)
			}
		}
	case PlayFile:
		if e.t.sounds == nil {
			return silence
		}
		s, err := e.t.sounds.Open(p.File, "en")
		if err != nil {
			return silence
		}
		e.closer = s
		ended := false
		return func(f *media.Frame) {
			// A damaged file ends like a finished one.
			if !ended && s.ReadFrame(f) == nil {
				return
			}
			ended = true
			silence(f)
		}
	}
	return silence
}

// Answer: the phone is always the called party here; nothing to do.
func (e *endpoint) Answer() error { return nil }

// Hangup ends the phone's goroutine and forgets the live call.
func (e *endpoint) Hangup(cause int) {
	e.mu.Lock()
	started := e.started
	select {
	case <-e.quit:
	default:
		close(e.quit)
	}
	e.mu.Unlock()
	if started {
		<-e.done
	}
	e.t.mu.Lock()
	if e.t.calls[e.ch.Name()] == e.rec {
		delete(e.t.calls, e.ch.Name())
	}
	e.t.mu.Unlock()
}

// Write is what the phone hears: recorded, and sent back when it echoes.
func (e *endpoint) Write(f media.Frame) error {
	e.rec.add(&f)
	if e.phone.Play == PlayEcho && (f.Type == media.FrameVoice || f.Type == media.FrameDTMFBegin || f.Type == media.FrameDTMFEnd) {
		e.rec.mu.Lock()
		answered := e.rec.answered
		e.rec.mu.Unlock()
		if answered {
			e.ch.Queue(f)
		}
	}
	return nil
}

func (e *endpoint) Indicate(c media.Control) error {
	f := media.ControlFrame(c)
	e.rec.add(&f)
	return nil
}

func (e *endpoint) SendDigit(digit rune, d time.Duration) error {
	if digit > 0x7f {
		return fmt.Errorf("sim: bad digit %q", digit)
	}
	f := media.DTMFEnd(byte(digit), d)
	e.rec.add(&f)
	return nil
}
