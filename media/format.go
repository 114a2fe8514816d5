package media

import (
	"fmt"
	"strings"
	"time"
)

const (
	// SampleRate is the only sampling rate the package handles: narrowband
	// telephony at 8 kHz, as Asterisk's ulaw, alaw and slin formats.
	SampleRate = 8000

	// FrameSamples is the number of samples in a full voice frame: 20 ms at
	// 8 kHz, the packetisation every Asterism channel uses.
	FrameSamples = 160

	// FrameDuration is the audio time one full voice frame carries.
	FrameDuration = 20 * time.Millisecond
)

// Format is the encoding of a voice payload. The zero value is no format.
type Format uint8

// The formats, named as Asterisk names them in codecs and file extensions.
const (
	ULAW Format = iota + 1 // G.711 µ-law, one byte a sample ("ulaw")
	ALAW                   // G.711 A-law, one byte a sample ("alaw")
	SLIN                   // signed linear 16-bit, little-endian in payloads ("slin")
)

var formatNames = [...]string{ULAW: "ulaw", ALAW: "alaw", SLIN: "slin"}

// String returns Asterisk's name of the format ("ulaw", "alaw", "slin").
func (f Format) String() string {
	if f.Valid() {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// Valid reports whether f is one of the defined formats.
func (f Format) Valid() bool { return f >= ULAW && f <= SLIN }

// BytesPerSample returns the payload bytes one sample takes in f, or 0 when
// f is not valid.
func (f Format) BytesPerSample() int {
	switch f {
	case ULAW, ALAW:
		return 1
	case SLIN:
		return 2
	}
	return 0
}

// ParseFormat returns the format named name, ignoring case. Besides
// Asterisk's names it accepts the aliases seen in SDP and configuration
// ("pcmu", "mulaw", "g711u", "pcma", "g711a", "slin8").
func ParseFormat(name string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "ulaw", "mulaw", "pcmu", "g711u":
		return ULAW, nil
	case "alaw", "pcma", "g711a":
		return ALAW, nil
	case "slin", "slin8":
		return SLIN, nil
	}
	return 0, fmt.Errorf("media: unknown format %q", name)
}
