package pbx

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
)

func registerApps(c *Core) {
	for name, app := range map[string]App{
		"Answer":   appAnswer,
		"Hangup":   appHangup,
		"Wait":     appWait,
		"NoOp":     func(*Channel, string) error { return nil },
		"Verbose":  appVerbose,
		"Set":      appSet,
		"Goto":     appGoto,
		"GotoIf":   appGotoIf,
		"Gosub":    appGosub,
		"Return":   appReturn,
		"Ringing":  func(ch *Channel, _ string) error { return ch.Indicate(media.ControlRinging) },
		"Progress": func(ch *Channel, _ string) error { return ch.Indicate(media.ControlProgress) },
		"Busy":     func(ch *Channel, data string) error { return appBusy(ch, data, media.ControlBusy, CauseUserBusy) },
		"Congestion": func(ch *Channel, data string) error {
			return appBusy(ch, data, media.ControlCongestion, CauseNormalCircuitCongestion)
		},
		"Dial":           appDial,
		"Echo":           appEcho,
		"Playback":       appPlayback,
		"Playtones":      appPlaytones,
		"StopPlaytones":  func(ch *Channel, _ string) error { ch.setGenerator(nil); return nil },
		"RaiseException": appRaiseException,
		// Prompts and music on hold: apps_prompt.go, moh.go, apps_userevent.go.
		"Background":  appBackground,
		"WaitExten":   appWaitExten,
		"Read":        appRead,
		"SayDigits":   appSayDigits,
		"SayNumber":   appSayNumber,
		"MusicOnHold": appMusicOnHold,
		"UserEvent":   appUserEvent,
	} {
		c.RegisterApp(name, app)
	}
}

func appAnswer(ch *Channel, _ string) error { return ch.Answer() }

// appHangup is Hangup([cause]): the cause by name or number, then the end
// of the dialplan.
func appHangup(ch *Channel, data string) error {
	if data = strings.TrimSpace(data); data != "" {
		if cause, ok := ParseCause(data); ok {
			ch.mu.Lock()
			ch.cause = cause
			ch.mu.Unlock()
		} else {
			ch.core.log.Warn("pbx: Hangup: invalid cause", "cause", data, "channel", ch.Name())
		}
	}
	return errEndDialplan
}

// parseSeconds reads a duration in seconds with a fraction ("1.5").
func parseSeconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || f > 1e6 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

func appWait(ch *Channel, data string) error {
	d, ok := parseSeconds(data)
	if !ok || d == 0 {
		return nil
	}
	return ch.Sleep(d)
}

func appVerbose(ch *Channel, data string) error {
	args := dialplan.SplitArgs(data, ',', 2)
	msg := data
	if len(args) == 2 {
		if _, err := strconv.Atoi(strings.TrimSpace(args[0])); err == nil {
			msg = args[1]
		}
	}
	ch.core.log.Info(msg, "channel", ch.Name())
	return nil
}

// appSet is Set(name=value): a variable, or a function when the name has
// parentheses (Set(CALLERID(num)=100)).
func appSet(ch *Channel, data string) error {
	name, value, ok := strings.Cut(data, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		ch.core.log.Warn("pbx: Set requires an argument (0=value)", "channel", ch.Name())
		return nil
	}
	if strings.HasSuffix(name, ")") && strings.Contains(name, "(") {
		if err := ch.core.funcs.Write(ch, name, value); err != nil {
			ch.core.log.Warn("pbx: Set: function write failed", "function", name, "err", err)
		}
		return nil
	}
	ch.SetVar(name, value)
	return nil
}

// goTo moves the running channel to [[context,]exten,]priority, the
// priority a number or a label, as Goto and Gosub resolve it.
func (ch *Channel) goTo(target string) error {
	args := dialplan.AppArgs(target)
	dpCtx, exten, _ := ch.Location()
	var prio string
	switch len(args) {
	case 1:
		prio = args[0]
	case 2:
		exten, prio = args[0], args[1]
	case 3:
		dpCtx, exten, prio = args[0], args[1], args[2]
	default:
		return fmt.Errorf("goto: bad target %q", target)
	}
	dpCtx, exten, prio = strings.TrimSpace(dpCtx), strings.TrimSpace(exten), strings.TrimSpace(prio)
	n, err := strconv.Atoi(prio)
	if err != nil {
		dp := ch.core.Dialplan()
		num, _ := ch.CallerID()
		var p *dialplan.Priority
		ok := false
		if dp != nil {
			p, ok = dp.FindLabel(dpCtx, exten, num, prio)
		}
		if !ok {
			return fmt.Errorf("goto: priority '%s' must be a number > 0, or valid label", prio)
		}
		n = p.Number
	}
	if n < 1 {
		return fmt.Errorf("goto: priority '%s' must be a number > 0", prio)
	}
	ch.mu.Lock()
	ch.context, ch.exten, ch.priority = dpCtx, exten, n
	ch.jumped = true
	ch.mu.Unlock()
	return nil
}

func appGoto(ch *Channel, data string) error {
	return ch.goTo(data)
}

// appGotoIf is GotoIf(condition?[labeliftrue]:[labeliffalse]).
func appGotoIf(ch *Channel, data string) error {
	cond, branches, ok := strings.Cut(data, "?")
	if !ok {
		return errors.New("GotoIf requires an argument (condition?label1:label2)")
	}
	yes, no, _ := strings.Cut(branches, ":")
	target := no
	if dialplan.CheckCondition(cond) {
		target = yes
	}
	if strings.TrimSpace(target) == "" {
		return nil
	}
	return ch.goTo(target)
}

// appGosub is Gosub([[context,]exten,]priority[(arg1[,...])]): the
// arguments become ARG1 … (as plain channel variables in this slice, not
// Asterisk's LOCAL scope).
func appGosub(ch *Channel, data string) error {
	target, argStr := data, ""
	if i := strings.IndexByte(data, '('); i >= 0 && strings.HasSuffix(data, ")") {
		target, argStr = data[:i], data[i+1:len(data)-1]
	}
	dpCtx, exten, prio := ch.Location()
	if err := ch.goTo(target); err != nil {
		return err
	}
	ch.mu.Lock()
	if len(ch.stack) >= maxGosubDepth {
		ch.mu.Unlock()
		return errors.New("gosub: stack too deep")
	}
	ch.stack = append(ch.stack, location{dpCtx, exten, prio + 1})
	ch.mu.Unlock()
	if argStr != "" {
		for i, a := range dialplan.AppArgs(argStr) {
			ch.SetVar("ARG"+strconv.Itoa(i+1), a)
		}
	}
	return nil
}

// maxGosubDepth bounds the Gosub stack, so that a recursive dialplan
// cannot grow it without end.
const maxGosubDepth = 1000

func appReturn(ch *Channel, data string) error {
	ch.mu.Lock()
	if len(ch.stack) == 0 {
		ch.mu.Unlock()
		return errors.New("return without gosub: the stack is empty")
	}
	ret := ch.stack[len(ch.stack)-1]
	ch.stack = ch.stack[:len(ch.stack)-1]
	ch.context, ch.exten, ch.priority = ret.context, ret.exten, ret.priority
	ch.jumped = true
	ch.mu.Unlock()
	ch.SetVar("GOSUB_RETVAL", data)
	return nil
}

// appBusy is Busy([timeout]) and Congestion([timeout]): indicate, make a
// channel that is not up Busy with the cause, and wait for the hangup.
func appBusy(ch *Channel, data string, c media.Control, cause int) error {
	_ = ch.Indicate(c)
	if ch.State() != StateUp {
		ch.mu.Lock()
		ch.cause = cause
		ch.mu.Unlock()
		ch.SetState(StateBusy)
	}
	if d, ok := parseSeconds(data); ok && d > 0 {
		if err := ch.Sleep(d); err != nil {
			return err
		}
		return errEndDialplan
	}
	for {
		if _, err := ch.Read(ch.Ctx()); err != nil {
			return err
		}
	}
}

// appEcho sends back every voice and DTMF frame until hangup.
func appEcho(ch *Channel, _ string) error {
	ch.setGenerator(nil)
	for {
		f, err := ch.Read(ch.Ctx())
		if err != nil {
			return err
		}
		switch f.Type {
		case media.FrameVoice, media.FrameDTMFBegin, media.FrameDTMFEnd:
			if err := ch.Write(f); err != nil {
				return err
			}
		}
	}
}

// appPlayback is Playback(file[&file2…][,options]) with the options
// noanswer and skip; it sets PLAYBACKSTATUS to SUCCESS or FAILED.
func appPlayback(ch *Channel, data string) error {
	args := dialplan.AppArgs(data)
	if len(args) == 0 || strings.TrimSpace(args[0]) == "" {
		ch.core.log.Warn("pbx: Playback requires an argument (filename)", "channel", ch.Name())
		return nil
	}
	var noAnswer, skip bool
	if len(args) > 1 {
		for _, o := range strings.Split(args[1], "&") {
			switch strings.TrimSpace(o) {
			case "noanswer":
				noAnswer = true
			case "skip":
				skip = true
			}
		}
	}
	if ch.State() != StateUp {
		if skip {
			ch.SetVar("PLAYBACKSTATUS", "SUCCESS")
			return nil
		}
		if !noAnswer {
			if err := ch.Answer(); err != nil {
				return err
			}
		}
	}
	ch.setGenerator(nil)
	status := "SUCCESS"
	for _, name := range strings.Split(args[0], "&") {
		if err := ch.playFile(name); err != nil {
			if errors.Is(err, ErrHangup) || errors.Is(err, ErrAsyncGoto) {
				// Cut short, not failed: Asterisk's playback_exec
				// still says SUCCESS.
				ch.SetVar("PLAYBACKSTATUS", status)
				return err
			}
			ch.core.log.Warn("pbx: Playback failed", "file", name, "channel", ch.Name(), "err", err)
			status = "FAILED"
			break
		}
	}
	ch.SetVar("PLAYBACKSTATUS", status)
	return nil
}

// playFile streams one sound at real-time pace.
func (ch *Channel) playFile(name string) error {
	lib := ch.core.opts.Sounds
	if lib == nil {
		return fmt.Errorf("no sound library for %q", name)
	}
	s, err := lib.Open(name, ch.Language())
	if err != nil {
		return err
	}
	defer s.Close()
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	ctx := ch.Ctx()
	var f media.Frame
	for {
		if err := ch.poll(); err != nil {
			return err
		}
		if err := s.ReadFrame(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := ch.Write(f); err != nil {
			return err
		}
		select {
		case <-tick.C:
		case <-ch.done:
			return ErrHangup
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// poll consumes the frames waiting from the far end (acting on control
// frames) without blocking, and reports a hangup or redirect.
func (ch *Channel) poll() error {
	for {
		ch.mu.Lock()
		if ch.gotoNext != nil {
			ch.mu.Unlock()
			return ErrAsyncGoto
		}
		if ch.softHup || ch.hungUp {
			ch.mu.Unlock()
			return ErrHangup
		}
		if ch.qLen == 0 {
			ch.mu.Unlock()
			return nil
		}
		f := ch.q[ch.qHead]
		ch.qHead = (ch.qHead + 1) % len(ch.q)
		ch.qLen--
		ch.mu.Unlock()
		ch.handleControl(f)
	}
}

// appPlaytones is Playtones(tonelist): the tones play in the background
// while the dialplan goes on, until StopPlaytones, another Playtones,
// Playback or Echo, or hangup. Only explicit tone lists are understood
// (no indications.conf names such as "ring" in this slice).
func appPlaytones(ch *Channel, data string) error {
	list, err := media.ParseToneList(strings.TrimSpace(data))
	if err != nil && len(list.Parts) == 0 {
		ch.core.log.Warn("pbx: Playtones: unable to parse tone list", "data", data, "err", err)
		return nil
	}
	player := media.NewTonePlayer(list, 0)
	ch.setGenerator(newGenerator(ch, func(f *media.Frame) bool { return player.ReadFrame(f) }))
	return nil
}

// generator writes frames to a channel at real-time pace from a goroutine
// of its own, as Asterisk's channel generators do.
type generator struct {
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func newGenerator(ch *Channel, next func(*media.Frame) bool) *generator {
	g := &generator{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		var f media.Frame
		for next(&f) {
			if ch.Write(f) != nil {
				return
			}
			select {
			case <-tick.C:
			case <-g.quit:
				return
			}
		}
	}()
	return g
}

// stop ends the generator and waits for its goroutine.
func (g *generator) stop() {
	g.once.Do(func() { close(g.quit) })
	<-g.done
}

// setGenerator replaces the channel's generator (nil stops it).
func (ch *Channel) setGenerator(g *generator) {
	ch.mu.Lock()
	if ch.hungUp {
		ch.mu.Unlock()
		if g != nil {
			g.stop()
		}
		return
	}
	old := ch.gen
	ch.gen = g
	ch.mu.Unlock()
	if old != nil {
		old.stop()
	}
}
