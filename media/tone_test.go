package media

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestToneGenMatchesSine(t *testing.T) {
	g := NewToneGen(10000, 1000, 0)
	got := make([]int16, 8000)
	for i := 0; i < len(got); i += FrameSamples { // frame by frame
		var f Frame
		g.ReadFrame(&f)
		f.AppendSamples(got[i:i])
	}
	for n, x := range got {
		want := 10000 * math.Sin(2*math.Pi*1000*float64(n)/SampleRate)
		if math.Abs(float64(x)-want) > 1 {
			t.Fatalf("sample %d = %d, want %.1f: phase lost across frames?", n, x, want)
		}
	}
}

func TestToneGenContinuousAcrossReads(t *testing.T) {
	// Reading in odd-sized pieces gives the same waveform as one read.
	a, b := NewToneGen(7000, 440, 480), NewToneGen(7000, 440, 480)
	whole := make([]int16, 4000)
	a.Read(whole)
	pieces := make([]int16, 0, len(whole))
	for _, n := range []int{1, 159, 160, 7, 1000, 2673} {
		buf := make([]int16, n)
		b.Read(buf)
		pieces = append(pieces, buf...)
	}
	if !slices.Equal(whole, pieces) {
		t.Fatal("pieces differ from one read")
	}
	var zero ToneGen
	buf := []int16{5, 5}
	zero.Read(buf)
	if buf[0] != 0 || buf[1] != 0 {
		t.Error("zero ToneGen is not silent")
	}
	// Silly frequencies do not panic and give silence or aliases.
	for _, f := range []float64{-5, math.NaN(), math.Inf(1), 1e12} {
		g := NewToneGen(1000, f, 0)
		g.Read(buf)
	}
}

func TestToneGenClips(t *testing.T) {
	g := NewToneGen(30000, 1000, 1000) // in phase: peaks at 60000
	buf := make([]int16, 80)
	g.Read(buf)
	if slices.Max(buf) != math.MaxInt16 || slices.Min(buf) != math.MinInt16 {
		t.Errorf("sum not clipped: max %d min %d", slices.Max(buf), slices.Min(buf))
	}
}

func TestDominantFrequency(t *testing.T) {
	for _, freq := range []float64{300, 1000, 1004, 2600, 3400} {
		g := NewToneGen(8000, freq, 0)
		buf := make([]int16, FrameSamples)
		g.Read(buf)
		tone, ok := DominantFrequency(buf)
		if !ok || math.Abs(tone.Freq-freq) > 1 {
			t.Errorf("%v Hz tone reported at %v Hz", freq, tone.Freq)
		}
		if math.Abs(tone.Amplitude-8000) > 80 {
			t.Errorf("%v Hz tone of amplitude 8000 reported at %.0f", freq, tone.Amplitude)
		}
		if a := Amplitude(buf, freq); math.Abs(a-8000) > 400 {
			t.Errorf("Amplitude at %v Hz = %.0f, want about 8000", freq, a)
		}
	}
	// The 1 kHz fixture written by Python's wave module.
	samples, err := ReadWAVFile("testdata/tone1k-python.wav", 8000)
	if err != nil {
		t.Fatal(err)
	}
	if tone, ok := DominantFrequency(samples[:FrameSamples]); !ok || math.Round(tone.Freq) != 1000 {
		t.Errorf("fixture: %v", tone)
	}
	if _, ok := DominantFrequency(make([]int16, FrameSamples)); ok {
		t.Error("silence has a dominant frequency")
	}
	if Tones(make([]int16, 10)) != nil {
		t.Error("10 samples gave tones")
	}
}

func TestTonesMix(t *testing.T) {
	for _, tc := range []struct {
		f1, f2 float64
		n      int
	}{
		{697, 1209, FrameSamples}, // DTMF 1 in one frame
		{350, 440, 800},           // US dial tone in 100 ms
		{440, 480, 1600},          // US ring-back in 200 ms
		{1000, 2000, 400},
	} {
		g := NewToneGen(5000, tc.f1, tc.f2)
		buf := make([]int16, tc.n)
		g.Read(buf)
		// Through µ-law, as a phone would send it.
		codes := make([]byte, len(buf))
		EncodeULaw(codes, buf)
		DecodeULaw(buf, codes)
		tones := Tones(buf)
		if len(tones) != 2 {
			t.Errorf("%v+%v over %d samples: %v", tc.f1, tc.f2, tc.n, tones)
			continue
		}
		freqs := []float64{tones[0].Freq, tones[1].Freq}
		slices.Sort(freqs)
		if math.Abs(freqs[0]-tc.f1) > 2 || math.Abs(freqs[1]-tc.f2) > 2 {
			t.Errorf("%v+%v reported as %v", tc.f1, tc.f2, freqs)
		}
	}
}

func TestRMS(t *testing.T) {
	g := NewToneGen(10000, 1000, 0)
	buf := make([]int16, 800)
	g.Read(buf)
	if r := RMS(buf); math.Abs(r-10000/math.Sqrt2) > 10 {
		t.Errorf("RMS = %v", r)
	}
	if RMS(nil) != 0 {
		t.Error("RMS(nil) != 0")
	}
}

func TestDTMFFrequencies(t *testing.T) {
	low, high, ok := DTMFFrequencies('5')
	if !ok || low != 770 || high != 1336 {
		t.Errorf("5 = %v+%v", low, high)
	}
	if low, high, _ := DTMFFrequencies('d'); low != 941 || high != 1633 {
		t.Errorf("d = %v+%v", low, high)
	}
	if _, _, ok := DTMFFrequencies('E'); ok {
		t.Error("E is a digit")
	}
	if _, err := DTMFTone('x', 1000); err == nil {
		t.Error("DTMFTone(x) succeeded")
	}
}

const allDigits = "0123456789*#ABCD"

// TestDTMFEachDigit generates each digit as a phone would (100 ms of tone,
// then silence) and detects it, in slin and after µ-law and A-law.
func TestDTMFEachDigit(t *testing.T) {
	for i := 0; i < len(allDigits); i++ {
		digit := allDigits[i]
		for _, format := range []Format{SLIN, ULAW, ALAW} {
			g, err := DTMFTone(digit, DefaultToneAmplitude)
			if err != nil {
				t.Fatal(err)
			}
			var d DTMFDetector
			var events []DTMFEvent
			for n := range 15 { // 5 frames of tone, 10 of silence
				var f Frame
				if n < 5 {
					g.ReadFrame(&f)
				} else {
					f = SilenceFrame(SLIN)
				}
				_ = f.Convert(format)
				events = d.FeedFrame(&f, events)
			}
			if len(events) != 2 || events[0] != (DTMFEvent{Digit: digit}) || events[1].Digit != digit || !events[1].End {
				t.Errorf("%c in %v: events %+v", digit, format, events)
				continue
			}
			if d := events[1].Duration; d < 75*time.Millisecond || d > 115*time.Millisecond {
				t.Errorf("%c in %v: duration %v, want about 100ms", digit, format, d)
			}
		}
	}
}

func TestDTMFPlayerToDetector(t *testing.T) {
	for _, timing := range []struct{ on, off time.Duration }{
		{100 * time.Millisecond, 100 * time.Millisecond},
		{50 * time.Millisecond, 50 * time.Millisecond},
		{80 * time.Millisecond, 60 * time.Millisecond},
	} {
		p, err := NewDTMFPlayer(allDigits+"1111", timing.on, timing.off, 0)
		if err != nil {
			t.Fatal(err)
		}
		var d DTMFDetector
		var events []DTMFEvent
		var f Frame
		for p.ReadFrame(&f) {
			_ = f.Convert(ULAW)
			events = d.FeedFrame(&f, events)
		}
		if !p.Done() {
			t.Error("player not done")
		}
		var begins, ends []byte
		for _, ev := range events {
			if ev.End {
				ends = append(ends, ev.Digit)
			} else {
				begins = append(begins, ev.Digit)
			}
		}
		if string(begins) != allDigits+"1111" || string(ends) != allDigits+"1111" {
			t.Errorf("%v/%v: began %q ended %q", timing.on, timing.off, begins, ends)
		}
	}
	if _, err := NewDTMFPlayer("12x", time.Second, 0, 0); err == nil {
		t.Error("x accepted")
	}
	if _, err := NewDTMFPlayer("1", 0, 0, 0); err == nil {
		t.Error("0 on-time accepted")
	}
}

func TestDTMFRejects(t *testing.T) {
	samples := func(amp int, f1, f2 float64) []int16 {
		g := NewToneGen(amp, f1, f2)
		buf := make([]int16, 1600)
		g.Read(buf)
		return buf
	}
	for name, s := range map[string][]int16{
		"silence":            make([]int16, 1600),
		"single 697 Hz":      samples(7000, 697, 0),
		"dial tone":          samples(7000, 350, 440),
		"too quiet":          samples(100, 697, 1209),
		"1 kHz":              samples(7000, 1000, 0),
		"off-frequency pair": samples(7000, 600, 1100),
	} {
		if got := DetectDTMF(s); got != "" {
			t.Errorf("%s detected as %q", name, got)
		}
	}
	// Twist: the high tone 12 dB under the low one is not a digit.
	lo, hi := NewToneGen(8000, 697, 0), NewToneGen(2000, 1209, 0)
	a, b := make([]int16, 1600), make([]int16, 1600)
	lo.Read(a)
	hi.Read(b)
	AddSat(a, b)
	if got := DetectDTMF(a); got != "" {
		t.Errorf("12 dB twist detected as %q", got)
	}
	// Speech-like noise under the digit: still found while it is 10 dB
	// under the tones.
	g, _ := DTMFTone('7', 7000)
	buf := make([]int16, 1600)
	g.Read(buf)
	noise := NewToneGen(1200, 2900, 3300)
	nb := make([]int16, 1600)
	noise.Read(nb)
	AddSat(buf, nb)
	if got := DetectDTMF(buf); got != "7" {
		t.Errorf("7 with noise detected as %q", got)
	}
}

func TestParseToneList(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		in     string
		parts  []TonePart
		repeat int
	}{
		{"350+440", []TonePart{{Freq1: 350, Freq2: 440}}, 0},
		{"440+480/2000,0/4000", []TonePart{{Freq1: 440, Freq2: 480, Duration: 2000 * ms}, {Duration: 4000 * ms}}, 0},
		{"!480+620/500,!0/500", []TonePart{{Freq1: 480, Freq2: 620, Duration: 500 * ms}, {Duration: 500 * ms}}, -1},
		{"!950/330,!1400/330,!1800/330,0", []TonePart{
			{Freq1: 950, Duration: 330 * ms}, {Freq1: 1400, Duration: 330 * ms},
			{Freq1: 1800, Duration: 330 * ms}, {}}, 3},
		{" 425 / 1000 | 0/4000 ", nil, -2}, // "/" with blanks is not Asterisk syntax
		{"425/1000|0/4000", []TonePart{{Freq1: 425, Duration: 1000 * ms}, {Duration: 4000 * ms}}, 0},
		{" 425/1000 , 0/4000 ", []TonePart{{Freq1: 425, Duration: 1000 * ms}, {Duration: 4000 * ms}}, 0},
		{"425*25", []TonePart{{Freq1: 425, Freq2: 25, Modulate: true}}, 0},
		{"!425*25/1000,0/4000", []TonePart{{Freq1: 425, Freq2: 25, Modulate: true, Duration: 1000 * ms}, {Duration: 4000 * ms}}, 1},
		{"M69/100,M60+M64", []TonePart{{Freq1: 440, Duration: 100 * ms}, {Freq1: 261, Freq2: 329}}, 0},
		{"M200", []TonePart{{}}, 0},               // notes above 127 are silence, as in Asterisk
		{"440,,480", []TonePart{{Freq1: 440}}, 0}, // an empty part ends the list
	} {
		list, err := ParseToneList(tc.in)
		if tc.repeat == -2 {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !slices.Equal(list.Parts, tc.parts) || list.Repeat != tc.repeat {
			t.Errorf("%q = %+v, want %+v repeat %d", tc.in, list, tc.parts, tc.repeat)
		}
	}
	for _, bad := range []string{"", "x", "440+", "440/", "440+480/10s", "M", "M60+61", "1234567890", "-440", "!"} {
		if list, err := ParseToneList(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, list)
		}
	}
	// A bad part is skipped, as Asterisk does, and named in the error.
	list, err := ParseToneList("440/100,bogus,480/100")
	if err == nil || !strings.Contains(err.Error(), "bogus") || len(list.Parts) != 2 {
		t.Errorf("partly bad list: %+v, %v", list, err)
	}
	// A bad part after the "!" ones: the repeat starts at the next good one.
	list, _ = ParseToneList("!440/100,bogus,!480/100")
	if list.Repeat != 1 {
		t.Errorf("repeat %d, want 1 as in Asterisk", list.Repeat)
	}
	list, _ = ParseToneList("!440/100,bogus")
	if list.Repeat != -1 {
		t.Errorf("repeat %d past the end", list.Repeat)
	}
}

func TestTonePlayer(t *testing.T) {
	// Once: 50 ms of 1 kHz, 25 ms of silence, then done.
	list, err := ParseToneList("!1000/50,!0/25")
	if err != nil {
		t.Fatal(err)
	}
	p := NewTonePlayer(list, 5000)
	out := make([]int16, 1000)
	n := p.Read(out)
	if n != 600 || !p.Done() {
		t.Fatalf("played %d samples, done %v; want 600", n, p.Done())
	}
	if tone, _ := DominantFrequency(out[:400]); math.Abs(tone.Freq-1000) > 1 {
		t.Errorf("first part at %v Hz", tone.Freq)
	}
	if RMS(out[400:600]) != 0 {
		t.Error("second part not silent")
	}
	if p.Read(out) != 0 || p.ReadFrame(&Frame{}) {
		t.Error("a done player still plays")
	}

	// Repeating ring-back: 2 s tone, 4 s silence, tone again.
	list, _ = ParseToneList("440+480/2000,0/4000")
	p = NewTonePlayer(list, 0)
	buf := make([]int16, 7*SampleRate)
	if p.Read(buf) != len(buf) || p.Done() {
		t.Fatal("repeating list stopped")
	}
	if RMS(buf[:16000]) < 5000 || RMS(buf[16000:48000]) != 0 || RMS(buf[48000:]) < 5000 {
		t.Error("cadence wrong")
	}
	// Each sine at Asterisk's default amplitude: the peak is their sum.
	if peak := slices.Max(buf[:16000]); peak < 2*DefaultToneAmplitude-300 || peak > 2*DefaultToneAmplitude {
		t.Errorf("peak %d, want about %d", peak, 2*DefaultToneAmplitude)
	}

	// Intro once, then the repeated part.
	list, _ = ParseToneList("!1000/10,2000/10")
	p = NewTonePlayer(list, 4000)
	buf = make([]int16, 400)
	p.Read(buf)
	for i, want := range []float64{1000, 2000, 2000, 2000, 2000} {
		if tone, _ := DominantFrequency(buf[i*80 : i*80+80]); math.Abs(tone.Freq-want) > 5 {
			t.Errorf("segment %d at %v Hz, want %v", i, tone.Freq, want)
		}
	}

	// Modulated tones play (Asterisk's shallow AM) without clipping.
	list, _ = ParseToneList("425*25/100")
	p = NewTonePlayer(list, 0)
	var f Frame
	if !p.ReadFrame(&f) || f.Len() != FrameSamples {
		t.Error("modulated tone did not play")
	}
	if s := f.AppendSamples(nil); slices.Max(s) > DefaultToneAmplitude || RMS(s) < 1000 {
		t.Errorf("modulated tone level: max %d rms %.0f", slices.Max(s), RMS(s))
	}

	if p := NewTonePlayer(ToneList{}, 0); !p.Done() || p.Read(buf) != 0 {
		t.Error("empty list plays")
	}
	// A hand-built list with a repeat past its end plays once; a tiny
	// duration still advances.
	p = NewTonePlayer(ToneList{Parts: []TonePart{{Freq1: 1000, Duration: time.Nanosecond}}, Repeat: 5}, 0)
	if n := p.Read(buf); n != 1 || !p.Done() {
		t.Errorf("tiny part: %d samples", n)
	}
}
