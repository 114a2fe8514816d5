package sim

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/media"
)

// ConfigFile is the name of the simulated phones' configuration file.
const ConfigFile = "sim.conf"

// Mode is how a phone takes a call.
type Mode int

// The modes.
const (
	ModeAnswer     Mode = iota // ring, then answer after Phone.AnswerAfter
	ModeNoAnswer               // ring until the caller gives up
	ModeBusy                   // answer busy
	ModeCongestion             // answer congestion
	ModeReject                 // hang up at once, CALL_REJECTED
)

// PlayKind is what a phone sends once it has answered.
type PlayKind int

// The kinds of audio.
const (
	PlaySilence PlayKind = iota // silence frames
	PlayTone                    // a continuous sine at Phone.ToneFreq
	PlayEcho                    // what it hears, sent back
	PlayDTMF                    // Phone.Digits as in-band DTMF, then silence
	PlayFile                    // Phone.File from the sound library, then silence
)

// Phone is one [section] of sim.conf.
type Phone struct {
	Name        string
	Mode        Mode
	AnswerAfter time.Duration // ModeAnswer: ringing time ("answer=500ms")
	Play        PlayKind
	ToneFreq    float64       // PlayTone
	Digits      string        // PlayDTMF
	File        string        // PlayFile
	HangupAfter time.Duration // 0: never; counted from the answer
	// PTime is how much audio the phone sends at once, as an RTP phone's
	// packetisation time: a multiple of 20 ms (the default) up to
	// maxPTime. With 60 ms it sends three 20 ms frames every 60 ms, which
	// costs the PBX a third of the wakeups for the same audio.
	PTime time.Duration
}

// maxPTime bounds ptime, as RTP's a=maxptime usually does.
const maxPTime = 200 * time.Millisecond

// Config is the parsed sim.conf.
type Config struct {
	Phones []*Phone
}

// Phone returns the phone called name.
func (c *Config) Phone(name string) (*Phone, bool) {
	for _, p := range c.Phones {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// maxDuration bounds the durations of sim.conf (a day).
const maxDuration = 24 * time.Hour

// Load reads sim.conf from the configuration directory dir.
func Load(dir string, log *slog.Logger) (*Config, error) {
	f, err := conf.Load(dir, ConfigFile)
	if err != nil {
		return nil, err
	}
	return Parse(f, log), nil
}

// Parse builds the configuration from a parsed sim.conf: one phone per
// section ([general] is reserved). Unknown keys and bad values are logged
// with their file:line and skipped.
func Parse(f *conf.File, log *slog.Logger) *Config {
	if log == nil {
		log = slog.Default()
	}
	cfg := &Config{}
	for _, sec := range f.Sections {
		if sec.Name == "general" {
			continue
		}
		p := &Phone{Name: sec.Name, AnswerAfter: 0, PTime: media.FrameDuration}
		for _, e := range sec.Entries {
			if err := p.set(strings.ToLower(strings.TrimSpace(e.Key)), strings.TrimSpace(e.Value)); err != nil {
				log.Warn("sim.conf: "+err.Error(), "file", e.File, "line", e.Line, "phone", sec.Name)
			}
		}
		if old, ok := cfg.Phone(p.Name); ok {
			*old = *p
			continue
		}
		cfg.Phones = append(cfg.Phones, p)
	}
	return cfg
}

func (p *Phone) set(key, value string) error {
	switch key {
	case "answer":
		switch strings.ToLower(value) {
		case "noanswer":
			p.Mode = ModeNoAnswer
		case "busy":
			p.Mode = ModeBusy
		case "congestion":
			p.Mode = ModeCongestion
		case "reject":
			p.Mode = ModeReject
		default:
			d, err := parseDuration(value)
			if err != nil {
				return fmt.Errorf("answer: %v", err)
			}
			p.Mode, p.AnswerAfter = ModeAnswer, d
		}
	case "noanswer", "busy", "congestion", "reject":
		// Also accepted as bare keys ("busy = yes").
		return p.set("answer", key)
	case "play":
		kind, arg, _ := strings.Cut(value, ":")
		switch strings.ToLower(kind) {
		case "silence":
			p.Play = PlaySilence
		case "echo":
			p.Play = PlayEcho
		case "tone":
			f, err := strconv.ParseFloat(arg, 64)
			if err != nil || f <= 0 || f >= 4000 {
				return fmt.Errorf("play: bad tone frequency %q", arg)
			}
			p.Play, p.ToneFreq = PlayTone, f
		case "dtmf":
			if arg == "" || strings.Trim(strings.ToUpper(arg), "0123456789*#ABCD") != "" {
				return fmt.Errorf("play: bad DTMF digits %q", arg)
			}
			p.Play, p.Digits = PlayDTMF, arg
		case "file":
			if arg == "" {
				return fmt.Errorf("play: file needs a name")
			}
			p.Play, p.File = PlayFile, arg
		default:
			return fmt.Errorf("play: unknown source %q", value)
		}
	case "ptime":
		d, err := parseDuration(value)
		if err != nil || d < media.FrameDuration || d > maxPTime || d%media.FrameDuration != 0 {
			return fmt.Errorf("ptime: %q is not a multiple of %v up to %v", value, media.FrameDuration, maxPTime)
		}
		p.PTime = d
	case "hangupafter":
		d, err := parseDuration(value)
		if err != nil {
			return fmt.Errorf("hangupafter: %v", err)
		}
		p.HangupAfter = d
	default:
		return fmt.Errorf("unknown option %q", key)
	}
	return nil
}

// parseDuration reads "500ms", "2s", "1.5s" or a bare number of
// milliseconds.
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		s = strconv.Itoa(n) + "ms"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 || d > maxDuration {
		return 0, fmt.Errorf("duration %v out of range", d)
	}
	return d, nil
}
