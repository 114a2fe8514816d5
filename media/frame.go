package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// FrameType says what a [Frame] carries. The zero value is an empty frame.
type FrameType uint8

// The frame types.
const (
	FrameNone      FrameType = iota // nothing: the zero Frame
	FrameVoice                      // audio samples in a Format
	FrameDTMFBegin                  // a DTMF digit started
	FrameDTMFEnd                    // a DTMF digit ended; Duration says how long it lasted
	FrameControl                    // a Control indication
)

var frameTypeNames = [...]string{
	FrameNone:      "NONE",
	FrameVoice:     "VOICE",
	FrameDTMFBegin: "DTMF_BEGIN",
	FrameDTMFEnd:   "DTMF_END",
	FrameControl:   "CONTROL",
}

// String returns the type's name in Asterisk's upper-case style ("VOICE",
// "DTMF_END" …).
func (t FrameType) String() string {
	if int(t) < len(frameTypeNames) {
		return frameTypeNames[t]
	}
	return fmt.Sprintf("FrameType(%d)", uint8(t))
}

// Control is the indication a control frame carries. The values are
// Asterisk's AST_CONTROL_* numbers, so logs and debugging output line up
// with Asterisk's.
type Control uint8

// The control indications.
const (
	ControlHangup     Control = 1  // the other side hung up
	ControlRinging    Control = 3  // the far end is ringing
	ControlAnswer     Control = 4  // the far end answered
	ControlBusy       Control = 5  // the far end is busy
	ControlCongestion Control = 8  // no route or no circuit
	ControlProgress   Control = 14 // in-band progress (early media) follows
	ControlHold       Control = 16 // the other side put the call on hold
	ControlUnhold     Control = 17 // the other side took the call off hold
)

// String returns the indication's lower-case name as Asterisk's
// "core show channel" and debug output spell it ("ringing", "hold" …).
func (c Control) String() string {
	switch c {
	case ControlHangup:
		return "hangup"
	case ControlRinging:
		return "ringing"
	case ControlAnswer:
		return "answer"
	case ControlBusy:
		return "busy"
	case ControlCongestion:
		return "congestion"
	case ControlProgress:
		return "progress"
	case ControlHold:
		return "hold"
	case ControlUnhold:
		return "unhold"
	}
	return fmt.Sprintf("Control(%d)", uint8(c))
}

// maxPayload is the payload capacity of a frame: a full frame of signed
// linear samples, the widest format.
const maxPayload = FrameSamples * 2

// ErrFrameTooLong reports a payload of more than [FrameSamples] samples.
var ErrFrameTooLong = errors.New("media: voice payload longer than one frame")

// Frame is one unit moved between channels: up to 20 ms of voice, a DTMF
// begin or end, or a control indication.
//
// A Frame is a value of fixed size (under 350 bytes) whose payload lives in
// the struct itself, so sending it on a Go channel, storing it in a slice
// or reusing one in a loop never allocates, and a copy never shares audio
// with the original. Build voice frames with [Frame.SetVoice] or
// [Frame.SetSamples] (which keep the sample count and payload consistent)
// and the others with [DTMFBegin], [DTMFEnd] and [ControlFrame].
type Frame struct {
	Type    FrameType
	Format  Format  // voice: the payload's encoding
	Control Control // control frames: the indication
	Digit   byte    // DTMF frames: '0'-'9', '*', '#' or 'A'-'D'

	// Duration is how long a DTMF digit lasted, on FrameDTMFEnd.
	Duration time.Duration

	// Seq and Timestamp are optional: a sequence number and the position
	// of the first sample in 8 kHz units, for technologies (RTP, IAX2) and
	// recorders that want them. The package only carries them.
	Seq       uint32
	Timestamp uint32

	n       uint16 // voice: samples in payload
	payload [maxPayload]byte
}

// DTMFBegin returns a frame saying that digit started.
func DTMFBegin(digit byte) Frame {
	return Frame{Type: FrameDTMFBegin, Digit: digit}
}

// DTMFEnd returns a frame saying that digit ended after lasting d.
func DTMFEnd(digit byte, d time.Duration) Frame {
	return Frame{Type: FrameDTMFEnd, Digit: digit, Duration: d}
}

// ControlFrame returns a frame carrying the indication c.
func ControlFrame(c Control) Frame {
	return Frame{Type: FrameControl, Control: c}
}

// SetVoice makes f a voice frame in format holding a copy of payload, as
// received from the network or read from a file. The payload must be whole
// samples and at most [FrameSamples] of them. Seq and Timestamp are kept.
func (f *Frame) SetVoice(format Format, payload []byte) error {
	bps := format.BytesPerSample()
	if bps == 0 {
		return fmt.Errorf("media: voice frame: invalid format %v", format)
	}
	if len(payload)%bps != 0 {
		return fmt.Errorf("media: voice frame: %d bytes is not whole %v samples", len(payload), format)
	}
	if len(payload)/bps > FrameSamples {
		return fmt.Errorf("%w: %d %v samples", ErrFrameTooLong, len(payload)/bps, format)
	}
	f.setVoiceHeader(format, len(payload)/bps)
	copy(f.payload[:], payload)
	return nil
}

// SetSamples makes f a voice frame in format holding samples, encoded into
// format. At most [FrameSamples] samples fit. Seq and Timestamp are kept.
func (f *Frame) SetSamples(format Format, samples []int16) error {
	if !format.Valid() {
		return fmt.Errorf("media: voice frame: invalid format %v", format)
	}
	if len(samples) > FrameSamples {
		return fmt.Errorf("%w: %d samples", ErrFrameTooLong, len(samples))
	}
	f.setVoiceHeader(format, len(samples))
	switch format {
	case ULAW:
		EncodeULaw(f.payload[:], samples)
	case ALAW:
		EncodeALaw(f.payload[:], samples)
	case SLIN:
		for i, x := range samples {
			binary.LittleEndian.PutUint16(f.payload[2*i:], uint16(x))
		}
	}
	return nil
}

func (f *Frame) setVoiceHeader(format Format, n int) {
	f.Type = FrameVoice
	f.Format = format
	f.Control = 0
	f.Digit = 0
	f.Duration = 0
	f.n = uint16(n)
}

// Len returns the number of samples in a voice frame, 0 for other frames.
func (f *Frame) Len() int {
	if f.Type != FrameVoice {
		return 0
	}
	return int(f.n)
}

// AudioDuration returns the audio time a voice frame carries.
func (f *Frame) AudioDuration() time.Duration {
	return time.Duration(f.Len()) * time.Second / SampleRate
}

// Payload returns the encoded voice payload. It aliases the frame: it is
// valid while f is and changes when f does. Other frames have none.
func (f *Frame) Payload() []byte {
	return f.payload[:f.Len()*f.Format.BytesPerSample()]
}

// AppendSamples appends the voice samples, decoded to signed linear, to dst
// and returns the extended slice. With room for [FrameSamples] in dst it
// does not allocate.
func (f *Frame) AppendSamples(dst []int16) []int16 {
	n := f.Len()
	start := len(dst)
	dst = growInt16(dst, n)
	out := dst[start:]
	switch f.Format {
	case ULAW:
		DecodeULaw(out, f.payload[:n])
	case ALAW:
		DecodeALaw(out, f.payload[:n])
	case SLIN:
		for i := range out {
			out[i] = int16(binary.LittleEndian.Uint16(f.payload[2*i:]))
		}
	}
	return dst
}

func growInt16(s []int16, n int) []int16 {
	if cap(s)-len(s) >= n {
		return s[:len(s)+n]
	}
	t := make([]int16, len(s)+n, max(len(s)+n, 2*cap(s)))
	copy(t, s)
	return t
}

// Convert translates a voice frame's payload into format to, in place. It
// is a no-op for other frames and when the frame is already in to.
func (f *Frame) Convert(to Format) error {
	if f.Type != FrameVoice || f.Format == to {
		return nil
	}
	if !to.Valid() || !f.Format.Valid() {
		return fmt.Errorf("media: convert %v to %v: invalid format", f.Format, to)
	}
	n := int(f.n)
	if to == SLIN {
		// Widening in place: walk backwards so that each code is read
		// before the bytes it is decoded into are written.
		t := &ulawToLin
		if f.Format == ALAW {
			t = &alawToLin
		}
		for i := n - 1; i >= 0; i-- {
			binary.LittleEndian.PutUint16(f.payload[2*i:], uint16(t[f.payload[i]]))
		}
	} else if _, err := Transcode(f.payload[:], to, f.payload[:n*f.Format.BytesPerSample()], f.Format); err != nil {
		return err
	}
	f.Format = to
	return nil
}

// String describes the frame for logs and test failures, for example
// "VOICE ulaw 160", "DTMF_END 5 100ms" or "CONTROL ringing".
func (f Frame) String() string {
	switch f.Type {
	case FrameVoice:
		return fmt.Sprintf("VOICE %v %d", f.Format, f.n)
	case FrameDTMFBegin:
		return fmt.Sprintf("DTMF_BEGIN %c", f.Digit)
	case FrameDTMFEnd:
		return fmt.Sprintf("DTMF_END %c %v", f.Digit, f.Duration)
	case FrameControl:
		return "CONTROL " + f.Control.String()
	}
	return f.Type.String()
}
