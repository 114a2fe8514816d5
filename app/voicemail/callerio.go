package voicemail

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/sounds"
)

// caller plays prompts to a channel and collects its digits, both sent as
// DTMF frames and heard in-band (a simulated or analogue phone's tones),
// keeping digits pressed during a prompt for the next question, as
// Asterisk's type-ahead does.
type caller struct {
	ch     *pbx.Channel
	lib    sounds.Library
	log    *slog.Logger
	det    media.DTMFDetector
	events []media.DTMFEvent
	digits []byte
}

// cancelled is an expired context: a Read with it takes what is queued
// without waiting.
var cancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func newCaller(ch *pbx.Channel, log *slog.Logger) *caller {
	return &caller{ch: ch, lib: ch.Core().Sounds(), log: log}
}

// handle takes the digits out of a frame read from the caller.
func (c *caller) handle(f *media.Frame) {
	switch f.Type {
	case media.FrameDTMFEnd:
		c.digits = append(c.digits, f.Digit)
	case media.FrameVoice:
		c.events = c.det.FeedFrame(f, c.events[:0])
		for _, ev := range c.events {
			if !ev.End {
				c.digits = append(c.digits, ev.Digit)
			}
		}
	}
}

// poll reads what the caller sent without waiting; it returns the
// channel's hangup or redirect.
func (c *caller) poll() error {
	for {
		f, err := c.ch.Read(cancelled)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		c.handle(&f)
	}
}

// take removes the type-ahead up to the first digit in stop and returns
// that digit; digits not in stop are dropped, as a prompt that they do
// not interrupt ignores them.
func (c *caller) take(stop string) (byte, bool) {
	for len(c.digits) > 0 {
		d := c.digits[0]
		c.digits = c.digits[1:]
		if strings.IndexByte(stop, d) >= 0 {
			return d, true
		}
	}
	return 0, false
}

// frameSource is a sound being played.
type frameSource interface {
	ReadFrame(f *media.Frame) error
}

// play plays a prompt from the sound library (skipped, with a debug log,
// when the library lacks it). A digit in stop ends it and is returned.
func (c *caller) play(name, stop string) (byte, error) {
	if len(c.digits) > 0 && stop != "" {
		if d, ok := c.take(stop); ok {
			return d, nil
		}
	}
	if c.lib == nil {
		return 0, c.poll()
	}
	s, err := c.lib.Open(name, c.ch.Language())
	if err != nil {
		if !errors.Is(err, sounds.ErrNotFound) {
			c.log.Warn("voicemail: prompt", "file", name, "err", err)
		} else {
			c.log.Debug("voicemail: prompt not found", "file", name)
		}
		return 0, c.poll()
	}
	defer s.Close()
	return c.stream(s, stop)
}

// playFile plays a WAV file of the spool (a message, a greeting).
func (c *caller) playFile(path, stop string) (byte, error) {
	f, err := os.Open(path)
	if err != nil {
		c.log.Warn("voicemail: opening audio", "file", path, "err", err)
		return 0, c.poll()
	}
	defer f.Close()
	r, err := media.NewWAVReader(f)
	if err != nil {
		c.log.Warn("voicemail: reading audio", "file", path, "err", err)
		return 0, c.poll()
	}
	return c.stream(r, stop)
}

// stream sends src at real-time pace, polling the caller between frames.
func (c *caller) stream(src frameSource, stop string) (byte, error) {
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	var f media.Frame
	for {
		if err := c.poll(); err != nil {
			return 0, err
		}
		if stop != "" {
			if d, ok := c.take(stop); ok {
				return d, nil
			}
		}
		if err := src.ReadFrame(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, nil
			}
			c.log.Warn("voicemail: audio damaged", "err", err)
			return 0, nil
		}
		if err := c.ch.Write(f); err != nil {
			return 0, err
		}
		select {
		case <-tick.C:
		case <-c.ch.Done():
			return 0, pbx.ErrHangup
		case <-c.ch.Ctx().Done():
			return 0, pbx.ErrHangup
		}
	}
}

// waitDigit returns the next digit, waiting up to timeout; 0 on timeout.
func (c *caller) waitDigit(timeout time.Duration) (byte, error) {
	if len(c.digits) > 0 {
		d := c.digits[0]
		c.digits = c.digits[1:]
		return d, nil
	}
	ctx, cancel := context.WithTimeout(c.ch.Ctx(), timeout)
	defer cancel()
	for {
		f, err := c.ch.Read(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && c.ch.Ctx().Err() == nil {
				return 0, nil
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return 0, pbx.ErrHangup
			}
			return 0, err
		}
		c.handle(&f)
		if len(c.digits) > 0 {
			d := c.digits[0]
			c.digits = c.digits[1:]
			return d, nil
		}
	}
}

// readDigits collects up to max digits ending at '#' (not included), or
// when no digit comes for timeout.
func (c *caller) readDigits(max int, timeout time.Duration) (string, error) {
	var b strings.Builder
	for b.Len() < max {
		d, err := c.waitDigit(timeout)
		if err != nil {
			return b.String(), err
		}
		if d == 0 || d == '#' {
			break
		}
		b.WriteByte(d)
	}
	return b.String(), nil
}

// recording is how a recording ended.
type recording int

const (
	endHangup recording = iota
	endDTMF
	endSilence
	endMaxTime
)

// record writes the caller's audio to w until '#' (or '*'), maxTime (0:
// none), maxSilence of audio under threshold (0: never), or hangup.
// Silence is held back while it lasts, so that a recording ended by it
// does not keep it (ast_play_and_record trims it too).
func (c *caller) record(w *media.WAVWriter, maxTime, maxSilence time.Duration, threshold int) (recording, error) {
	ctx := c.ch.Ctx()
	if maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxTime)
		defer cancel()
	}
	var (
		held    []int16 // silence not yet written
		samples [media.FrameSamples]int16
	)
	flush := func() error {
		err := w.WriteSamples(held)
		held = held[:0]
		return err
	}
	silenceSamples := int(maxSilence.Seconds() * media.SampleRate)
	for {
		f, err := c.ch.Read(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && c.ch.Ctx().Err() == nil {
				return endMaxTime, flush()
			}
			if ferr := flush(); ferr != nil {
				return endHangup, ferr
			}
			if errors.Is(err, pbx.ErrHangup) || errors.Is(err, context.Canceled) {
				return endHangup, nil
			}
			return endHangup, err
		}
		c.handle(&f)
		if d, ok := c.take("#*"); ok {
			_ = d
			return endDTMF, flush()
		}
		if f.Type != media.FrameVoice {
			continue
		}
		s := f.AppendSamples(samples[:0])
		if silenceSamples > 0 && avgAbs(s) < threshold {
			held = append(held, s...)
			if len(held) >= silenceSamples {
				held = held[:0]
				return endSilence, nil
			}
			continue
		}
		if len(held) > 0 {
			if err := flush(); err != nil {
				return endHangup, err
			}
		}
		if err := w.WriteSamples(s); err != nil {
			return endHangup, err
		}
	}
}

// avgAbs is the mean absolute amplitude, what Asterisk's silence detector
// compares with silencethreshold.
func avgAbs(s []int16) int {
	if len(s) == 0 {
		return 0
	}
	sum := 0
	for _, x := range s {
		if x < 0 {
			sum -= int(x)
		} else {
			sum += int(x)
		}
	}
	return sum / len(s)
}
