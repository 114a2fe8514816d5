package pbx_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/chan/local"
	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/sounds"
)

// promptDialplan drives the prompt applications. Each extension is
// reached as Local/<exten>@prompt; the test holds ;1 and plays the caller:
// it listens to what ;2 plays and sends DTMF digits.
const promptDialplan = `
[prompt]
exten => bg,1,Background(beep&beep&beep&beep&beep&beep&beep&beep)
 same => n,Set(AFTER=fell-through)
exten => 1,1,Set(CHOSE=one)
exten => 23,1,Set(CHOSE=twenty-three)
exten => 555,1,Set(CHOSE=five-five-five)
exten => i,1,Set(BAD=${INVALID_EXTEN})
exten => t,1,Set(TIMEDOUT=yes)

exten => bgctx,1,Background(beep&beep&beep&beep&beep&beep&beep&beep,,,other)
exten => bgmatch,1,Background(beep&beep&beep&beep&beep&beep&beep&beep,m)
exten => bgskip,1,Background(beep,s)
 same => n,Set(STATE=${CHANNEL(state)})
exten => bgmissing,1,Background(no-such-prompt&beep)
exten => bgshort,1,Background(beep)
 same => n,Set(AFTER=yes)

exten => wait,1,Answer()
 same => n,Set(TIMEOUT(response)=0.2)
 same => n,Set(R=${TIMEOUT(response)})
 same => n,WaitExten()
exten => waitnext,1,Answer()
 same => n,WaitExten(0.1)
 same => n,Set(NEXT=yes)
exten => waitdigit,1,Answer()
 same => n,WaitExten(5)
exten => waitmoh,1,Answer()
 same => n,WaitExten(5,m)

exten => read,1,Read(PIN,beep,4)
exten => readmax,1,Read(PIN,,2)
exten => readtimeout,1,Read(PIN,,,,2,0.1)
exten => readskip,1,Read(PIN,,,s)
exten => readempty,1,Read()
exten => readhangup,1,Read(PIN)
exten => readgoto,1,Read(PIN)
exten => readterm,1,Read(PIN,,,t(*))
exten => readtone,1,Read(PIN,dial,3,i)
exten => readfunc,1,Read(CALLERID(num),,3)
 same => n,Set(PIN=${CALLERID(num)})

exten => saydigits,1,Answer()
 same => n,SayDigits(4#2)
exten => saynumber,1,Answer()
 same => n,SayNumber(7)
 same => n,SayNumber(3,x)
 same => n,Set(AFTER=yes)
exten => sayint,1,Answer()
 same => n,Set(SAY_DTMF_INTERRUPT=yes)
 same => n,SayDigits(999999)

exten => moh,1,Answer()
 same => n,MusicOnHold(,1)
 same => n,Set(AFTER=yes)
exten => mohclass,1,Answer()
 same => n,MusicOnHold(nosuchclass)

exten => ue,1,UserEvent(Ping,Status: ok ,bare,Who:me,Status:again, Spaced : x)
exten => ue2,1,UserEvent(Ping,eventname: Renamed)

exten => abs,1,Set(TIMEOUT(absolute)=30)
 same => n,Set(A=${TIMEOUT(absolute)})
 same => n,Set(TIMEOUT(absolute)=0)
 same => n,Set(B=${TIMEOUT(absolute)})
 same => n,Set(TIMEOUT(digit)=2.5)
 same => n,Set(D=${TIMEOUT(digit)})
 same => n,Set(R=${TIMEOUT(response)})
 same => n,Set(TIMEOUT(response)=junk)
 same => n,Set(J=${TIMEOUT(response)})
 same => n,Set(TIMEOUT(digit)=-3)
 same => n,Set(N=${TIMEOUT(d)})
 same => n,Set(X=${TIMEOUT(bogus)}-)
 same => n,Set(TIMEOUT(absolute)=0.1)
 same => n,Wait(30)
exten => T,1,Set(ABS=fired)

[other]
exten => 5,1,Set(CHOSE=five-in-other)
`

// promptSimConf are phones that dial digits in-band once they answer.
const promptSimConf = `
[dials23]
answer=0
play=dtmf:23
[dials9]
answer=0
play=dtmf:9
`

type promptEnv struct {
	core *pbx.Core
	rec  *recorder
	sim  *sim.Tech
}

// newPromptEnv starts a core with the prompt dialplan and lib as its
// sounds (the embedded ones when nil).
func newPromptEnv(t *testing.T, lib sounds.Library) *promptEnv {
	t.Helper()
	before := runtime.NumGoroutine()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dp := parseDialplan(t, promptDialplan, log)
	if lib == nil {
		lib = sounds.Embedded()
	}
	rec := &recorder{}
	core := pbx.New(pbx.Options{
		Sink:     rec,
		Dialplan: func() *dialplan.Dialplan { return dp },
		Sounds:   lib,
		Logger:   log,
	})
	sf, err := conf.Parse("sim.conf", strings.NewReader(promptSimConf))
	if err != nil {
		t.Fatal(err)
	}
	st := sim.New(sim.Parse(sf, log), lib)
	for _, tech := range []pbx.Technology{local.New(), st} {
		if err := core.Register(tech); err != nil {
			t.Fatal(err)
		}
	}
	shutdownAtEnd(t, core, before)
	return &promptEnv{core: core, rec: rec, sim: st}
}

// caller is the test's end of a Local channel: ;1, whose frames (what ;2
// plays) are read and kept by a goroutine of its own.
type caller struct {
	one, twoName string
	ch           *pbx.Channel

	mu      sync.Mutex
	samples []int16
	frames  int
	done    chan struct{}
}

// call dials Local/exten@prompt and starts listening. When answer is
// false the call is not waited for (;2 may never answer).
func (e *promptEnv) call(t *testing.T, exten string, answer bool) *caller {
	t.Helper()
	ch, err := e.core.RequestDial("Local/"+exten+"@prompt", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &caller{one: ch.Name(), twoName: strings.TrimSuffix(ch.Name(), ";1") + ";2", ch: ch, done: make(chan struct{})}
	if answer {
		if err := ch.Dial(context.Background(), waitLimit); err != nil {
			ch.Hangup(pbx.CauseOf(err))
			t.Fatalf("dial %s: %v", exten, err)
		}
	} else {
		// Call without waiting for the answer: ;2 starts its dialplan.
		go func() { _ = ch.Dial(context.Background(), waitLimit) }()
		e.rec.waitEvent(t, c.twoName, isKind(pbx.EventNewchannel))
	}
	go c.listen()
	t.Cleanup(func() {
		ch.Hangup(0)
		<-c.done
	})
	return c
}

func (c *caller) listen() {
	defer close(c.done)
	for {
		f, err := c.ch.Read(context.Background())
		if err != nil {
			return
		}
		if f.Type != media.FrameVoice {
			continue
		}
		c.mu.Lock()
		c.frames++
		if len(c.samples) < 8000*30 {
			c.samples = f.AppendSamples(c.samples)
		}
		c.mu.Unlock()
	}
}

// heard returns the samples heard so far.
func (c *caller) heard() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.samples...)
}

// press sends digits as DTMF to ;2.
func (c *caller) press(t *testing.T, digits string) {
	t.Helper()
	for _, d := range digits {
		if err := c.ch.SendDigit(d, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
}

// vars returns the last value each variable was set to on the channel,
// from its VarSet events.
func (e *promptEnv) vars(name string) map[string]string {
	out := map[string]string{}
	for _, ev := range e.rec.of(name) {
		if ev.Kind == pbx.EventVarSet {
			out[ev.Variable] = ev.Value
		}
	}
	return out
}

// waitApp waits until the channel runs app.
func (e *promptEnv) waitApp(t *testing.T, name, app string) {
	t.Helper()
	e.rec.waitEvent(t, name, func(ev pbx.Event) bool { return ev.Kind == pbx.EventNewexten && ev.App == app })
}

// hangupEvent waits for the channel's Hangup.
func (e *promptEnv) waitHangup(t *testing.T, name string) {
	t.Helper()
	e.rec.waitEvent(t, name, isKind(pbx.EventHangup))
}

// exts returns the extensions the channel ran applications in, in order.
func (e *promptEnv) exts(name string) []string {
	var out []string
	for _, ev := range e.rec.of(name) {
		if ev.Kind == pbx.EventNewexten {
			out = append(out, ev.Channel.Context+","+ev.Channel.Exten)
		}
	}
	return out
}

// heardTone waits until the caller has heard freq.
func (c *caller) waitTone(t *testing.T, freq float64) {
	t.Helper()
	waitFor(t, "the caller to hear the prompt", func() bool {
		s := c.heard()
		return len(s) >= 800 && amplitude(s[len(s)-800:], freq) > 1000
	})
}

func TestBackgroundDigitChoosesExtension(t *testing.T) {
	e := newPromptEnv(t, nil)
	for _, tc := range []struct {
		exten, digits string
		want          map[string]string
	}{
		{"bg", "1", map[string]string{"CHOSE": "one", "BACKGROUNDSTATUS": "SUCCESS"}},
		// 2 could begin 23: the rest is collected.
		{"bg", "23", map[string]string{"CHOSE": "twenty-three"}},
		{"bg", "555", map[string]string{"CHOSE": "five-five-five"}},
		// 9 begins no extension: i, with INVALID_EXTEN.
		{"bg", "9", map[string]string{"BAD": "9", "INVALID_EXTEN": "9"}},
		// The context argument: 5 is an extension of [other].
		{"bgctx", "5", map[string]string{"CHOSE": "five-in-other"}},
		// m: 9 is no one-digit extension, so it does not interrupt; 1 does.
		{"bgmatch", "91", map[string]string{"CHOSE": "one"}},
	} {
		t.Run(tc.exten+"/"+tc.digits, func(t *testing.T) {
			c := e.call(t, tc.exten, true)
			// The prompt is playing when the caller dials.
			c.waitTone(t, 1000)
			c.press(t, tc.digits)
			e.waitHangup(t, c.twoName)
			vars := e.vars(c.twoName)
			for k, v := range tc.want {
				if vars[k] != v {
					t.Errorf("%s=%q, want %q (events %s)", k, vars[k], v, kinds(e.rec.of(c.twoName)))
				}
			}
			if _, ok := vars["AFTER"]; ok {
				t.Errorf("the dialplan fell through after Background: %v", vars)
			}
		})
	}
}

// A Sim phone dials in-band: its DTMF tones, heard in its audio, choose
// the extension as DTMF frames would.
func TestBackgroundSimPhoneDialsInBand(t *testing.T) {
	e := newPromptEnv(t, nil)
	for phone, want := range map[string]map[string]string{
		"dials23": {"CHOSE": "twenty-three", "BACKGROUNDSTATUS": "SUCCESS"},
		"dials9":  {"BAD": "9"},
	} {
		ch, err := e.core.RequestDial("Sim/"+phone, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Dial(context.Background(), waitLimit); err != nil {
			ch.Hangup(pbx.CauseOf(err))
			t.Fatal(err)
		}
		rec, ok := e.sim.Recording(ch.Name())
		if !ok {
			t.Fatal("no recording")
		}
		if err := e.core.StartPBX(ch, "prompt", "bg", 1); err != nil {
			t.Fatal(err)
		}
		e.waitHangup(t, ch.Name())
		vars := e.vars(ch.Name())
		for k, v := range want {
			if vars[k] != v {
				t.Errorf("%s: %s=%q, want %q (events %s)", phone, k, vars[k], v, kinds(e.rec.of(ch.Name())))
			}
		}
		if rec.Frames() == 0 {
			t.Errorf("%s: the phone heard nothing of the prompt", phone)
		}
	}
}

func TestBackgroundWithoutDigits(t *testing.T) {
	e := newPromptEnv(t, nil)
	// No digit: the prompt plays whole and the dialplan goes on.
	c := e.call(t, "bgshort", true)
	e.waitHangup(t, c.twoName)
	if vars := e.vars(c.twoName); vars["AFTER"] != "yes" || vars["BACKGROUNDSTATUS"] != "SUCCESS" {
		t.Errorf("vars %v", vars)
	}
	waitFor(t, "the whole beep", func() bool {
		s := c.heard()
		return len(s) >= 2000 && amplitude(s[:2000], 1000) > 3000
	})

	c = e.call(t, "bgmissing", true)
	e.waitHangup(t, c.twoName)
	// The missing first file fails the application; nothing is played.
	if got := e.vars(c.twoName)["BACKGROUNDSTATUS"]; got != "FAILED" {
		t.Errorf("BACKGROUNDSTATUS=%q, want FAILED", got)
	}

	// s: a channel that is not up skips, and stays unanswered.
	c = e.call(t, "bgskip", false)
	e.waitHangup(t, c.twoName)
	vars := e.vars(c.twoName)
	if vars["BACKGROUNDSTATUS"] != "SUCCESS" || vars["STATE"] != "Ring" {
		t.Errorf("skip: %v", vars)
	}
}

func TestWaitExten(t *testing.T) {
	e := newPromptEnv(t, nil)

	// No digit within TIMEOUT(response): t.
	c := e.call(t, "wait", true)
	e.waitHangup(t, c.twoName)
	vars := e.vars(c.twoName)
	if vars["TIMEDOUT"] != "yes" || vars["R"] != "0.200" {
		t.Errorf("timeout: vars %v", vars)
	}
	if got := strings.Join(e.exts(c.twoName), " "); !strings.HasSuffix(got, "prompt,t") {
		t.Errorf("extensions %s, want t last", got)
	}

	// A timeout with a next priority goes on there.
	c = e.call(t, "waitnext", true)
	e.waitHangup(t, c.twoName)
	if vars := e.vars(c.twoName); vars["NEXT"] != "yes" || vars["TIMEDOUT"] != "" {
		t.Errorf("next priority: vars %v", vars)
	}

	// A digit chooses the extension.
	c = e.call(t, "waitdigit", true)
	e.waitApp(t, c.twoName, "WaitExten")
	c.press(t, "1")
	e.waitHangup(t, c.twoName)
	if vars := e.vars(c.twoName); vars["CHOSE"] != "one" {
		t.Errorf("digit: vars %v", vars)
	}
}

func TestWaitExtenMusicOnHold(t *testing.T) {
	// No data directory: the built-in tone (an arpeggio starting at 523 Hz).
	e := newPromptEnv(t, nil)
	c := e.call(t, "waitmoh", true)
	c.waitTone(t, 523)
	c.press(t, "23")
	e.waitHangup(t, c.twoName)
	if vars := e.vars(c.twoName); vars["CHOSE"] != "twenty-three" {
		t.Errorf("vars %v", vars)
	}
}

func TestRead(t *testing.T) {
	e := newPromptEnv(t, nil)
	for _, tc := range []struct {
		exten, digits  string
		pin, status    string
		answered, goTo bool
	}{
		{exten: "read", digits: "12#", pin: "12", status: "OK", answered: true},
		{exten: "readmax", digits: "987", pin: "98", status: "OK", answered: true},
		{exten: "readtimeout", pin: "", status: "TIMEOUT", answered: true},
		{exten: "readterm", digits: "1#2*", pin: "1#2", status: "OK", answered: true},
		{exten: "readtone", digits: "123", pin: "123", status: "OK", answered: true},
		{exten: "readfunc", digits: "321", pin: "321", status: "OK", answered: true},
		{exten: "readskip", pin: "", status: "SKIPPED"},
		{exten: "readempty", status: "ERROR"},
		{exten: "readgoto", status: "INTERRUPTED", answered: true, goTo: true},
	} {
		t.Run(tc.exten, func(t *testing.T) {
			c := e.call(t, tc.exten, tc.answered)
			if tc.answered {
				e.waitApp(t, c.twoName, "Read")
			}
			switch tc.exten {
			case "read":
				c.waitTone(t, 1000) // the prompt plays first
			case "readtone":
				c.waitTone(t, 440) // the dial tone, 350+440 Hz
			}
			c.press(t, tc.digits)
			if tc.goTo {
				two, ok := e.core.Channel(c.twoName)
				if !ok {
					t.Fatal("no ;2")
				}
				if err := two.AsyncGoto("prompt", "1", 1); err != nil {
					t.Fatal(err)
				}
			}
			e.waitHangup(t, c.twoName)
			vars := e.vars(c.twoName)
			if vars["READSTATUS"] != tc.status || vars["PIN"] != tc.pin {
				t.Errorf("READSTATUS=%q PIN=%q, want %q %q (events %s)", vars["READSTATUS"], vars["PIN"], tc.status, tc.pin, kinds(e.rec.of(c.twoName)))
			}
			if tc.goTo && vars["CHOSE"] != "one" {
				t.Errorf("the redirect did not go on: %v", vars)
			}
		})
	}
}

func TestReadHangup(t *testing.T) {
	e := newPromptEnv(t, nil)
	c := e.call(t, "readhangup", true)
	e.waitApp(t, c.twoName, "Read")
	c.press(t, "4")
	c.ch.Hangup(pbx.CauseNormalClearing)
	e.waitHangup(t, c.twoName)
	vars := e.vars(c.twoName)
	// The digit counts if Read took it before it saw the hangup.
	if vars["READSTATUS"] != "HANGUP" || (vars["PIN"] != "4" && vars["PIN"] != "") {
		t.Errorf("vars %v (events %s)", vars, kinds(e.rec.of(c.twoName)))
	}
}

func TestSayDigitsAndNumber(t *testing.T) {
	e := newPromptEnv(t, nil)
	// The embedded digits are DTMF tones: what the caller heard decodes
	// back to what was said.
	c := e.call(t, "saydigits", true)
	e.waitHangup(t, c.twoName)
	waitFor(t, "the digits", func() bool { return media.DetectDTMF(c.heard()) == "4#2" })

	c = e.call(t, "saynumber", true)
	e.waitHangup(t, c.twoName)
	waitFor(t, "the number", func() bool { return media.DetectDTMF(c.heard()) == "7" })
	// A bad gender ends the dialplan, as in Asterisk.
	if _, ok := e.vars(c.twoName)["AFTER"]; ok {
		t.Error("SayNumber with gender x did not fail")
	}

	// SAY_DTMF_INTERRUPT: a digit stops the saying and chooses an extension.
	c = e.call(t, "sayint", true)
	e.waitApp(t, c.twoName, "SayDigits")
	waitFor(t, "the saying to start", func() bool { return len(c.heard()) > 0 })
	c.press(t, "1")
	e.waitHangup(t, c.twoName)
	if got := e.vars(c.twoName)["CHOSE"]; got != "one" {
		t.Errorf("CHOSE=%q", got)
	}
	if got := media.DetectDTMF(c.heard()); len(got) >= 6 {
		t.Errorf("heard %q: the saying was not interrupted", got)
	}
}

// writeSLN writes a signed-linear file of a tone at freq.
func writeSLN(t *testing.T, path string, freq float64, d time.Duration) {
	t.Helper()
	samples := make([]int16, int(d*media.SampleRate/time.Second))
	g := media.NewToneGen(media.DefaultToneAmplitude, freq, 0)
	g.Read(samples)
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, samples); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMusicOnHoldFiles(t *testing.T) {
	data := t.TempDir()
	// Debian's layout: <astdatadir>/moh holds the default class's files.
	writeSLN(t, filepath.Join(data, "moh", "a-tune.sln"), 700, 300*time.Millisecond)
	writeSLN(t, filepath.Join(data, "moh", "b-tune.sln"), 1300, 300*time.Millisecond)
	e := newPromptEnv(t, sounds.Layers{sounds.NewDir(data), sounds.Embedded()})

	c := e.call(t, "moh", true)
	e.waitHangup(t, c.twoName)
	if e.vars(c.twoName)["AFTER"] != "yes" {
		t.Error("MusicOnHold with a duration did not return")
	}
	// Both files played, in turn, and the class looped: the tones of
	// the 100 ms blocks heard, repeats collapsed.
	var order []string
	s := c.heard()
	for i := 0; i+800 <= len(s); i += 800 {
		tone := ""
		switch {
		case amplitude(s[i:i+800], 700) > 3000:
			tone = "700"
		case amplitude(s[i:i+800], 1300) > 3000:
			tone = "1300"
		default:
			continue
		}
		if len(order) == 0 || order[len(order)-1] != tone {
			order = append(order, tone)
		}
	}
	if got := strings.Join(order, " "); !strings.HasPrefix(got, "700 1300 700") {
		t.Errorf("heard %q, want 700 1300 700 …", got)
	}

	// An unknown class plays the default one, until hangup.
	c = e.call(t, "mohclass", true)
	c.waitTone(t, 700)
	c.ch.Hangup(pbx.CauseNormalClearing)
	e.waitHangup(t, c.twoName)
}

func TestMusicOnHoldConfig(t *testing.T) {
	data := t.TempDir()
	writeSLN(t, filepath.Join(data, "jazz", "x.sln"), 900, 100*time.Millisecond)
	writeSLN(t, filepath.Join(data, "jazz", "x.ulaw"), 900, 100*time.Millisecond) // one sound, two formats
	writeSLN(t, filepath.Join(data, "jazz", "y.sln"), 900, 100*time.Millisecond)
	cfg := `
[general]
cachertclasses=yes
[default]
mode=files
directory=jazz
sort=alpha
bogus_option=1
[list]
mode=playlist
entry=/opt/moh/one.wav
entry=/opt/moh/two
[ext]
mode=custom
application=/usr/bin/mpg123
[missing]
directory=/nonexistent/moh
`
	f, err := conf.Parse("musiconhold.conf", strings.NewReader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	m := pbx.ParseMusicOnHold(f, data, slog.New(slog.NewTextHandler(&logs, nil)))
	def, ok := m.Class("DEFAULT")
	if !ok {
		t.Fatal("no default class")
	}
	want := []string{filepath.Join(data, "jazz", "x"), filepath.Join(data, "jazz", "y")}
	if strings.Join(def.Files, "|") != strings.Join(want, "|") || def.Directory != filepath.Join(data, "jazz") {
		t.Errorf("default: %+v", def)
	}
	if l, _ := m.Class("list"); l == nil || strings.Join(l.Files, "|") != "/opt/moh/one|/opt/moh/two" {
		t.Errorf("playlist: %+v", l)
	}
	if len(m.Classes()) != 4 {
		t.Errorf("%d classes", len(m.Classes()))
	}
	for _, w := range []string{"unknown option", "bogus_option", "mode not supported", "cannot read"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, logs.String())
		}
	}
	if _, err := pbx.LoadMusicOnHold(t.TempDir(), data, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("load of a missing file: %v", err)
	}
}

func TestUserEvent(t *testing.T) {
	e := newPromptEnv(t, nil)
	c := e.call(t, "ue", false)
	ev := e.rec.waitEvent(t, c.twoName, isKind(pbx.EventUserEvent))
	got := ev.UserEvent
	for _, h := range ev.UserHeaders {
		got += "|" + h[0] + "=" + h[1]
	}
	if want := "Ping|Status=again|Who=me| Spaced =x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if ev.Channel.Name != c.twoName || ev.Channel.Exten != "ue" {
		t.Errorf("snapshot %+v", ev.Channel)
	}
	c = e.call(t, "ue2", false)
	ev = e.rec.waitEvent(t, c.twoName, isKind(pbx.EventUserEvent))
	if ev.UserEvent != "Renamed" || len(ev.UserHeaders) != 0 {
		t.Errorf("renamed: %+v", ev)
	}
}

func TestTimeoutFunction(t *testing.T) {
	e := newPromptEnv(t, nil)
	c := e.call(t, "abs", false)
	e.waitHangup(t, c.twoName)
	vars := e.vars(c.twoName)
	if a, err := strconv.ParseFloat(vars["A"], 64); err != nil || a <= 25 || a > 30 || !strings.Contains(vars["A"], ".") {
		t.Errorf("TIMEOUT(absolute) read %q after setting 30", vars["A"])
	}
	if vars["B"] != "0" || vars["D"] != "2.500" || vars["R"] != "10.000" || vars["J"] != "0.000" ||
		vars["N"] != "0.000" || vars["X"] != "-" {
		t.Errorf("vars %v", vars)
	}
	// The last absolute timeout fired during Wait(30): T ran.
	if vars["ABS"] != "fired" {
		t.Errorf("T did not run: %s", kinds(e.rec.of(c.twoName)))
	}
}
