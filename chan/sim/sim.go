// Package sim is the simulated-phone channel technology: "Sim/100" calls
// the phone configured as [100] in sim.conf, which rings, answers (or is
// busy, congested, rejects, never answers) and then sends a tone, silence,
// DTMF, a sound file or an echo of what it hears, and may hang up after a
// while. It serves the demo, tests and load generation.
//
// A phone's call runs from timers (ringing, answer, hangup) and its audio
// from a clock shared by all the phones, which sends every talking phone's
// frames every 20 ms; the call ends when the channel hangs up. What the phone hears can be kept for tests
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

	clock frameClock // sends the audio of every talking phone

	mu    sync.Mutex
	calls map[string]*Recording     // by channel name, live calls
	tones map[float64][]media.Frame // pre-rendered tones by frequency (see toneLoop)
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
	ep := &endpoint{t: t, ch: ch, phone: p, rec: rec}
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
//
// A call has no goroutine of its own: its steps (ringing, the answer, the
// hangup after a while) run from timers and its audio from the Tech's
// shared clock, so that thousands of calls cost no more than their state.
type endpoint struct {
	t     *Tech
	ch    *pbx.Channel
	phone *Phone
	rec   *Recording

	// mu orders the call's steps with its hangup: a step runs with it
	// held and does nothing once ended is set.
	mu      sync.Mutex
	started bool
	ended   bool
	timer   *time.Timer // the next step (answer, then hangupafter)
	src     *source     // the audio, once answered (nil for echo)
	closer  io.Closer   // the sound file being played, if any
}

// Call starts the call: the phone rings (or is busy …) and answers later.
func (e *endpoint) Call(dest string, timeout time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return fmt.Errorf("sim: phone %s already called", e.phone.Name)
	}
	if e.ended {
		return pbx.ErrHangup
	}
	e.started = true
	// The first step runs after Call returns, as the caller expects the
	// outcome to arrive as frames.
	e.timer = time.AfterFunc(0, e.ring)
	return nil
}

// ring is the call's first step.
func (e *endpoint) ring() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return
	}
	p := e.phone
	switch p.Mode {
	case ModeReject:
		e.ch.QueueHangup(pbx.CauseCallRejected)
		return
	case ModeBusy:
		e.ch.Queue(media.ControlFrame(media.ControlBusy))
		return
	case ModeCongestion:
		e.ch.Queue(media.ControlFrame(media.ControlCongestion))
		return
	}
	e.ch.Queue(media.ControlFrame(media.ControlRinging))
	if p.Mode == ModeNoAnswer {
		return
	}
	e.timer = time.AfterFunc(p.AnswerAfter, e.answer)
}

// answer answers and starts the phone's audio.
func (e *endpoint) answer() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return
	}
	p := e.phone
	e.rec.mu.Lock()
	e.rec.answered = true
	e.rec.mu.Unlock()
	e.ch.Queue(media.ControlFrame(media.ControlAnswer))
	e.timer = nil
	if p.HangupAfter > 0 {
		e.timer = time.AfterFunc(p.HangupAfter, e.hangupAfter)
	}
	if next := e.source(); next != nil { // nil: echo, frames go back from Write
		e.src = newSource(e.ch, next, p.PTime)
		e.t.clock.add(e.src)
	}
}

// hangupAfter hangs the phone up once hangupafter has passed.
func (e *endpoint) hangupAfter() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.ended {
		e.ch.QueueHangup(pbx.CauseNormalClearing)
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
		if loop := e.t.toneLoop(p.ToneFreq); loop != nil {
			i := 0
			return func(f *media.Frame) {
				*f = loop[i]
				if i++; i == len(loop) {
					i = 0
				}
			}
		}
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

// Hangup ends the call's steps and audio and forgets the live call. Once
// it returns, the phone queues nothing more.
func (e *endpoint) Hangup(cause int) {
	e.mu.Lock()
	e.ended = true
	if e.timer != nil {
		// A step that already fired waits for mu, then sees ended.
		e.timer.Stop()
	}
	src, closer := e.src, e.closer
	e.mu.Unlock()
	if src != nil {
		e.t.clock.remove(src)
	}
	if closer != nil {
		closer.Close()
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
