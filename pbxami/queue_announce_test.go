package pbxami_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/media"
)

const announceExtensions = `[ann]
exten => pa,1,Answer()
 same => n,Queue(qa)
 same => n,Hangup()
exten => pp,1,Answer()
 same => n,Queue(qp)
 same => n,Hangup()
exten => pf,1,Answer()
 same => n,Queue(qf)
 same => n,Hangup()
`

const announceSim = `[caller]
answer = 0
play = silence
[na]
answer = noanswer
`

// The announcements' files are tones the core's fallback music (523, 659
// and 784 Hz) does not have.
const (
	periodicHz = 1000.0
	nextHz     = 1400.0
	thanksHz   = 1800.0
)

// writeTone writes a signed-linear sound file of a sine of freq lasting d.
func writeTone(t *testing.T, path string, freq float64, d time.Duration) {
	t.Helper()
	n := int(d.Seconds() * media.SampleRate)
	buf := make([]byte, 2*n)
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/media.SampleRate))
		binary.LittleEndian.PutUint16(buf[2*i:], uint16(v))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// toneRuns returns, for each 20 ms block of s where freq stands well
// above the others, the index of the first block of each run of them.
func toneRuns(s []int16, freq float64, others ...float64) []int {
	const block = 160
	var starts []int
	prev := false
	for i := 0; i+block <= len(s); i += block {
		amp := func(f float64) float64 {
			g := media.NewGoertzel(f)
			g.Write(s[i : i+block])
			return g.Amplitude()
		}
		a := amp(freq)
		on := a > 2000
		for _, o := range others {
			if amp(o) > a/4 {
				on = false
			}
		}
		if on && !prev {
			starts = append(starts, i/block)
		}
		prev = on
	}
	return starts
}

// TestQueueAnnouncements checks what waiting callers hear: one caller of
// qa hears the periodic announcement every periodic-announce-frequency
// seconds between stretches of music, and one of qp, alone and with no
// member (so never served), hears "you are next" then "thank you" on
// joining and again each announce-frequency seconds; the other sounds of
// the announcement are missing from the library and skipped. A third, at
// the head of qf with announce-to-first-user, hears its announcements
// while its member rings.
func TestQueueAnnouncements(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	snd := filepath.Join(data, "sounds", "en")
	writeTone(t, filepath.Join(snd, "ann-periodic.sln"), periodicHz, 400*time.Millisecond)
	writeTone(t, filepath.Join(snd, "ann-next.sln"), nextHz, 300*time.Millisecond)
	writeTone(t, filepath.Join(snd, "ann-thanks.sln"), thanksHz, 300*time.Millisecond)
	qconf := `[qa]
periodic-announce = ann-periodic
periodic-announce-frequency = 2
[qp]
announce-frequency = 3
min-announce-frequency = 1
announce-holdtime = yes
queue-youarenext = ann-next
queue-thankyou = ann-thanks
queue-holdtime = nosuch-holdtime
[qf]
announce-to-first-user = yes
periodic-announce = ann-periodic
periodic-announce-frequency = 2
timeout = 60
member => Sim/na
`
	for name, text := range map[string]string{"manager.conf": amitest.DefaultManagerConf, "extensions.conf": announceExtensions,
		"sim.conf": announceSim, "queues.conf": qconf, "asterisk.conf": "[directories]\nastdatadir => " + data + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := start(t, amitest.ConfigDir(dir))
	const heard = 7 * media.SampleRate // samples of audio each caller hears
	srv.PBX.Sim.RecordSamples = heard
	c := dial(t, srv)
	var names []string
	for _, exten := range []string{"pa", "pp", "pf"} {
		r := c.do("Originate", "Channel", "Sim/caller", "Context", "ann", "Exten", exten, "Priority", "1", "Async", "true")
		if r.Get("Response") != "Success" {
			t.Fatalf("Originate: %v", r)
		}
		queue := map[string]string{"pa": "qa", "pp": "qp", "pf": "qf"}[exten]
		names = append(names, c.event("QueueCallerJoin", "Queue", queue).Get("Channel"))
	}
	// Wait for the audio, counted in frames heard rather than by the
	// clock.
	deadline := time.Now().Add(20 * time.Second)
	for _, name := range names {
		for {
			rec, ok := srv.PBX.Sim.Recording(name)
			if ok && rec.Frames()*160 >= heard {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s heard too little", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	music := []float64{523, 659, 784}
	ra, _ := srv.PBX.Sim.Recording(names[0])
	sa := ra.Samples()
	if runs := toneRuns(sa, 523, periodicHz); len(runs) == 0 {
		t.Errorf("qa's caller heard no music on hold")
	}
	per := toneRuns(sa, periodicHz, music...)
	// Announcements at about 2 s and 4 s (a waiting caller looks each
	// second), maybe 6 s: two or three, 2 to 3 s apart in the audio.
	if len(per) < 2 || len(per) > 3 {
		t.Fatalf("qa's caller heard the periodic announcement %d times (blocks %v), want 2 or 3 in 7 s", len(per), per)
	}
	for i := 1; i < len(per); i++ {
		if gap := per[i] - per[i-1]; gap < 80 || gap > 175 {
			t.Errorf("periodic announcements %d blocks apart (%v), want 2 s (100 blocks) plus at most a recheck", gap, per)
		}
	}
	if toneRuns(sa, nextHz, music...) != nil {
		t.Errorf("qa's caller heard a position announcement")
	}

	rp, _ := srv.PBX.Sim.Recording(names[1])
	sp := rp.Samples()
	next := toneRuns(sp, nextHz, music...)
	thanks := toneRuns(sp, thanksHz, music...)
	// On joining, then each 3 s: three in 7 s (maybe two when the
	// first one's start is just before the recording's window).
	if len(next) < 2 || len(next) > 3 || len(thanks) != len(next) {
		t.Fatalf("qp's caller heard next at %v and thanks at %v, want 2 or 3 of each", next, thanks)
	}
	t.Logf("periodic at blocks %v; next at %v, thanks at %v", per, next, thanks)
	for i := range next {
		// "Thank you" follows "you are next" at once: the missing
		// hold time file is skipped (and there is no estimate yet).
		if d := thanks[i] - next[i]; d < 14 || d > 17 {
			t.Errorf("announcement %d: thanks %d blocks after next, want 15", i, d)
		}
		if i > 0 {
			if gap := next[i] - next[i-1]; gap < 130 || gap > 230 {
				t.Errorf("position announcements %d blocks apart (%v), want 3 s (150 blocks) plus at most a recheck", gap, next)
			}
		}
	}
	if toneRuns(sp, periodicHz, music...) != nil {
		t.Errorf("qp's caller heard a periodic announcement")
	}
	// qf's caller is the head and its member rings all along: with
	// announce-to-first-user it hears the announcements while it rings.
	rf, _ := srv.PBX.Sim.Recording(names[2])
	if ring := toneRuns(rf.Samples(), periodicHz, music...); len(ring) < 2 {
		t.Errorf("qf's caller heard the periodic announcement at %v while its member rang, want 2 or more", ring)
	}
	c.event("AgentCalled", "Queue", "qf")
	if index(c.seen, isEv("AgentRingNoAnswer", "Queue", "qf")) >= 0 {
		t.Errorf("qf's member stopped ringing")
	}
	for _, name := range names {
		c.do("Hangup", "Channel", name)
	}
	waitIdle(t, srv)
}
