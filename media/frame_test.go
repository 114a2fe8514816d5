package media

import (
	"errors"
	"slices"
	"testing"
	"time"
	"unsafe"
)

func TestFormatNames(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		name string
		bps  int
	}{{ULAW, "ulaw", 1}, {ALAW, "alaw", 1}, {SLIN, "slin", 2}} {
		if tc.f.String() != tc.name || tc.f.BytesPerSample() != tc.bps || !tc.f.Valid() {
			t.Errorf("%d: String %q BytesPerSample %d", tc.f, tc.f.String(), tc.f.BytesPerSample())
		}
		if got, err := ParseFormat(tc.name); err != nil || got != tc.f {
			t.Errorf("ParseFormat(%q) = %v, %v", tc.name, got, err)
		}
	}
	for name, want := range map[string]Format{"PCMU": ULAW, " g711a ": ALAW, "Slin8": SLIN, "mulaw": ULAW} {
		if got, err := ParseFormat(name); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, bad := range []string{"", "gsm", "slin16", "ulaw,alaw"} {
		if _, err := ParseFormat(bad); err == nil {
			t.Errorf("ParseFormat(%q) succeeded", bad)
		}
	}
	if Format(0).Valid() || Format(0).BytesPerSample() != 0 || Format(9).String() != "Format(9)" {
		t.Error("invalid formats misreported")
	}
}

// TestFrameIsSmallValue pins the design: a frame is one fixed-size value
// that fits a full slin payload, so it never needs a pool.
func TestFrameIsSmallValue(t *testing.T) {
	if size := unsafe.Sizeof(Frame{}); size > 352 {
		t.Errorf("Frame is %d bytes; keep it small, it is copied 500,000 times a second", size)
	}
}

func TestFrameVoice(t *testing.T) {
	samples := make([]int16, FrameSamples)
	for i := range samples {
		samples[i] = ULawToLinear(byte(i)) // exact levels, so every format round-trips
	}
	for _, format := range []Format{ULAW, SLIN} {
		var f Frame
		f.Seq, f.Timestamp = 7, 1120
		if err := f.SetSamples(format, samples); err != nil {
			t.Fatal(err)
		}
		if f.Type != FrameVoice || f.Format != format || f.Len() != FrameSamples || f.Seq != 7 || f.Timestamp != 1120 {
			t.Fatalf("SetSamples(%v): %v len %d seq %d ts %d", format, f, f.Len(), f.Seq, f.Timestamp)
		}
		if f.AudioDuration() != FrameDuration {
			t.Errorf("AudioDuration = %v", f.AudioDuration())
		}
		if len(f.Payload()) != FrameSamples*format.BytesPerSample() {
			t.Errorf("%v payload %d bytes", format, len(f.Payload()))
		}
		if got := f.AppendSamples(nil); !slices.Equal(got, samples) {
			t.Errorf("%v: samples do not round-trip", format)
		}
		// A copy is independent of the original.
		g := f
		g.Payload()[0] ^= 0xFF
		if f.Payload()[0] == g.Payload()[0] {
			t.Error("a copied frame shares its payload")
		}
	}

	var f Frame
	if err := f.SetVoice(ULAW, []byte{0xFF, 0x7F, 0x80}); err != nil || f.Len() != 3 {
		t.Fatalf("SetVoice: %v, len %d", err, f.Len())
	}
	if got := f.AppendSamples([]int16{1}); !slices.Equal(got, []int16{1, 0, 0, 32124}) {
		t.Errorf("AppendSamples = %v", got)
	}
	if err := f.SetVoice(SLIN, []byte{1, 2, 3}); err == nil {
		t.Error("odd slin payload accepted")
	}
	if err := f.SetVoice(ULAW, make([]byte, FrameSamples+1)); !errors.Is(err, ErrFrameTooLong) {
		t.Errorf("long payload: %v", err)
	}
	if err := f.SetSamples(SLIN, make([]int16, FrameSamples+1)); !errors.Is(err, ErrFrameTooLong) {
		t.Errorf("long samples: %v", err)
	}
	if err := f.SetVoice(0, nil); err == nil {
		t.Error("format 0 accepted")
	}
	if err := f.SetSamples(Format(4), nil); err == nil {
		t.Error("format 4 accepted")
	}
}

func TestFrameConvertInPlace(t *testing.T) {
	samples := make([]int16, FrameSamples)
	for i := range samples {
		samples[i] = int16(i*409 - 32768)
	}
	var f Frame
	_ = f.SetSamples(SLIN, samples)
	for _, to := range []Format{ULAW, ALAW, SLIN, ALAW, ULAW, SLIN} {
		want := f.AppendSamples(nil)
		// The reference: decode, then encode into a fresh frame.
		var ref Frame
		_ = ref.SetSamples(to, want)
		if err := f.Convert(to); err != nil {
			t.Fatal(err)
		}
		if f.Format != to || f.Len() != FrameSamples || !slices.Equal(f.Payload(), ref.Payload()) {
			t.Fatalf("Convert to %v differs from decode+encode", to)
		}
	}
	ctl := ControlFrame(ControlBusy)
	if err := ctl.Convert(ULAW); err != nil || ctl.Format != 0 {
		t.Error("Convert touched a control frame")
	}
	if err := f.Convert(Format(7)); err == nil {
		t.Error("Convert to an invalid format succeeded")
	}
}

func TestFrameOthers(t *testing.T) {
	for _, tc := range []struct {
		f    Frame
		want string
	}{
		{DTMFBegin('5'), "DTMF_BEGIN 5"},
		{DTMFEnd('#', 120*time.Millisecond), "DTMF_END # 120ms"},
		{ControlFrame(ControlRinging), "CONTROL ringing"},
		{ControlFrame(ControlUnhold), "CONTROL unhold"},
		{ControlFrame(Control(99)), "CONTROL Control(99)"},
		{SilenceFrame(ULAW), "VOICE ulaw 160"},
		{Frame{}, "NONE"},
		{Frame{Type: 42}, "FrameType(42)"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("String = %q, want %q", got, tc.want)
		}
		if tc.f.Type != FrameVoice && (tc.f.Len() != 0 || len(tc.f.Payload()) != 0) {
			t.Errorf("%v has a payload", tc.f)
		}
	}
	// Asterisk's AST_CONTROL numbers.
	if ControlHangup != 1 || ControlRinging != 3 || ControlAnswer != 4 || ControlBusy != 5 ||
		ControlCongestion != 8 || ControlProgress != 14 || ControlHold != 16 || ControlUnhold != 17 {
		t.Error("control values differ from Asterisk's")
	}
	for format, code := range map[Format]byte{ULAW: 0xFF, ALAW: 0xD5} {
		s := SilenceFrame(format)
		for _, b := range s.Payload() {
			if b != code {
				t.Fatalf("%v silence holds %#02x", format, b)
			}
		}
	}
	if s := SilenceFrame(SLIN); RMS(s.AppendSamples(nil)) != 0 {
		t.Error("slin silence is not zero")
	}
	if SilenceFrame(0).Type != FrameNone {
		t.Error("SilenceFrame(0) is not empty")
	}
	// Reusing a voice frame for voice clears what other types set.
	f := DTMFEnd('1', time.Second)
	_ = f.SetSamples(SLIN, []int16{1})
	if f.Digit != 0 || f.Duration != 0 {
		t.Errorf("SetSamples left DTMF fields: %+v", f)
	}
}

func TestFrameNoAllocs(t *testing.T) {
	var buf [FrameSamples]int16
	var f Frame
	ch := make(chan Frame, 1)
	allocs := testing.AllocsPerRun(100, func() {
		_ = f.SetSamples(ULAW, buf[:])
		_ = f.Convert(SLIN)
		_ = f.Convert(ALAW)
		_ = f.AppendSamples(buf[:0])
		ch <- f
		f = <-ch
	})
	if allocs != 0 {
		t.Errorf("frame round trip allocates %v times", allocs)
	}
}
