package pbx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/sounds"
)

// The prompt applications: Background, WaitExten, Read, SayDigits and
// SayNumber, with what Asterisk's pbx loop does with the digits they
// return (collect the rest of an extension, go there or to i) and with
// the response and digit timeouts of TIMEOUT().

// Asterisk's defaults for a channel's struct ast_pbx (__ast_pbx_run).
const (
	defaultResponseTimeout = 10 * time.Second
	defaultDigitTimeout    = 5 * time.Second
)

// maxExtenDigits bounds the digits collected for one extension, as
// Asterisk's 256-byte buffer does.
const maxExtenDigits = 255

// promptTimeouts returns the channel's response and digit timeouts.
func (ch *Channel) promptTimeouts() (response, digit time.Duration) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	response, digit = ch.respTimeout, ch.digitTimeout
	if response == 0 {
		response = defaultResponseTimeout
	}
	if digit == 0 {
		digit = defaultDigitTimeout
	}
	return response, digit
}

// setPromptTimeout sets the response (or else the digit) timeout. Zero
// is kept as a tiny positive duration, since zero means "the default".
func (ch *Channel) setPromptTimeout(response bool, d time.Duration) {
	if d <= 0 {
		d = time.Nanosecond
	}
	ch.mu.Lock()
	if response {
		ch.respTimeout = d
	} else {
		ch.digitTimeout = d
	}
	ch.mu.Unlock()
}

// expiredCtx is a context that is already done: Read with it returns a
// queued frame or, when none waits, at once.
var expiredCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// digitListener turns what the far end sends into the caller's digits:
// DTMF frames, and DTMF tones in its audio, as a channel driver's in-band
// detector (Asterisk's dtmfmode=inband DSP) would turn them into frames.
// Sim phones send their digits in-band. One listener serves one
// application run, so that a tone split across two waits is still heard.
type digitListener struct {
	det     media.DTMFDetector
	events  []media.DTMFEvent
	pending []byte
}

// frame takes note of the digits f carries or completes.
func (l *digitListener) frame(f *media.Frame) {
	switch f.Type {
	case media.FrameDTMFEnd:
		if f.Digit != 0 {
			l.pending = append(l.pending, f.Digit)
		}
	case media.FrameVoice:
		l.events = l.det.FeedFrame(f, l.events[:0])
		for _, ev := range l.events {
			if ev.End {
				l.pending = append(l.pending, ev.Digit)
			}
		}
	}
}

// next returns the oldest digit not yet taken, or 0.
func (l *digitListener) next() byte {
	if len(l.pending) == 0 {
		return 0
	}
	d := l.pending[0]
	l.pending = l.pending[1:]
	return d
}

// waitDigit waits up to d for a digit from the far end, as
// ast_waitfordigit: the digit, or 0 when d passes first. Other frames are
// read and dropped (control frames acted on).
func (ch *Channel) waitDigit(l *digitListener, d time.Duration) (byte, error) {
	if digit := l.next(); digit != 0 {
		return digit, nil
	}
	parent := ch.Ctx()
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	for {
		f, err := ch.Read(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil {
				return 0, nil
			}
			return 0, err
		}
		l.frame(&f)
		if digit := l.next(); digit != 0 {
			return digit, nil
		}
	}
}

// takeDigit reads the frames waiting from the far end without blocking
// and returns the first digit stop accepts (0 if none; nil stop accepts
// none). Digits stop refuses are dropped, as a prompt ignores them.
func (ch *Channel) takeDigit(l *digitListener, stop func(byte) bool) (byte, error) {
	for {
		for d := l.next(); d != 0; d = l.next() {
			if stop != nil && stop(d) {
				return d, nil
			}
		}
		f, err := ch.Read(expiredCtx)
		if errors.Is(err, context.Canceled) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		l.frame(&f)
	}
}

// anyDigit interrupts on every digit (AST_DIGIT_ANY).
func anyDigit(byte) bool { return true }

// playPrompt plays the sound name at real-time pace while listening to the
// far end, as ast_streamfile with ast_waitstream: it returns the first
// digit stop accepts, or 0 once the sound has played. An error opening the
// sound is returned as it is (matching sounds.ErrNotFound when missing).
func (ch *Channel) playPrompt(l *digitListener, name, lang string, stop func(byte) bool) (byte, error) {
	lib := ch.core.opts.Sounds
	if lib == nil {
		return 0, fmt.Errorf("no sound library for %q: %w", name, sounds.ErrNotFound)
	}
	s, err := lib.Open(name, lang)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	return ch.playStream(l, s, stop)
}

// playStream is playPrompt on an open stream.
func (ch *Channel) playStream(l *digitListener, s sounds.Stream, stop func(byte) bool) (byte, error) {
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	ctx := ch.Ctx()
	var f media.Frame
	for {
		if d, err := ch.takeDigit(l, stop); d != 0 || err != nil {
			return d, err
		}
		if err := s.ReadFrame(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, nil
			}
			return 0, fmt.Errorf("playing: %w", err)
		}
		if err := ch.Write(f); err != nil {
			return 0, err
		}
		select {
		case <-tick.C:
		case <-ch.done:
			return 0, ErrHangup
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// isHangupOrGoto reports the errors that end an application normally.
func isHangupOrGoto(err error) bool {
	return errors.Is(err, ErrHangup) || errors.Is(err, ErrAsyncGoto) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// jumpTo moves the running channel to context, exten, priority as an
// application does (the dialplan goes on there, not at the next priority).
func (ch *Channel) jumpTo(dpCtx, exten string, priority int) {
	ch.mu.Lock()
	ch.context, ch.exten, ch.priority = dpCtx, exten, priority
	ch.jumped = true
	ch.mu.Unlock()
}

// collectExten does what Asterisk's pbx loop does with a digit an
// application returns: it reads more digits, each within the digit
// timeout, while an extension of the current context could still need
// them (collect_digits), then goes to that extension, or to i with
// INVALID_EXTEN set when there is none. With no i the dialplan ends.
func (ch *Channel) collectExten(l *digitListener, first byte) error {
	dp := ch.core.Dialplan()
	dpCtx, _, _ := ch.Location()
	cid, _ := ch.CallerID()
	buf := []byte{first}
	_, digitTimeout := ch.promptTimeouts()
	for dp != nil && len(buf) < maxExtenDigits && dp.MatchMore(dpCtx, string(buf), cid) {
		d, err := ch.waitDigit(l, digitTimeout)
		if err != nil {
			return err
		}
		if d == 0 {
			break
		}
		buf = append(buf, d)
	}
	exten := string(buf)
	switch {
	case dp != nil && dp.Exists(dpCtx, exten, cid, 1):
		ch.jumpTo(dpCtx, exten, 1)
		return nil
	case dp != nil && dp.Exists(dpCtx, "i", cid, 1):
		ch.SetVar("INVALID_EXTEN", exten)
		ch.jumpTo(dpCtx, "i", 1)
		return nil
	}
	if eCtx, ok := ch.exceptionTarget("INVALID"); ok {
		ch.jumpTo(eCtx, "e", 1)
		return nil
	}
	ch.core.log.Warn("pbx: invalid extension, but no rule 'i' in context",
		"exten", exten, "context", dpCtx, "channel", ch.Name())
	return errEndDialplan
}

// AppOptions parses an application's option letters as
// ast_app_parse_options: each letter may carry an argument in
// parentheses ("m(jazz)"). A letter without one maps to "". It is
// exported so that applications registered from other packages
// (VoiceMail) parse their options the same way.
func AppOptions(s string) map[byte]string {
	out := make(map[byte]string)
	for i := 0; i < len(s); i++ {
		c := s[i]
		arg := ""
		if i+1 < len(s) && s[i+1] == '(' {
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				arg, i = s[i+2:], len(s)
			} else {
				arg, i = s[i+2:i+2+end], i+2+end
			}
		}
		out[c] = arg
	}
	return out
}

// appArg returns the i-th argument, or "".
func appArg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// appBackground is Background(filename[&filename2…][,options[,langoverride][,context]]):
// the files play while the caller may dial; a digit that is a one-digit
// extension of context goes there, other digits start an extension of the
// current context (the rest collected within TIMEOUT(digit)). Options:
// s (skip if not up), n (do not answer), m (only digits that are
// one-digit extensions of context interrupt), p (no interruption); the
// words "skip" and "noanswer" too. BACKGROUNDSTATUS is SUCCESS or FAILED.
func appBackground(ch *Channel, data string) error {
	args := dialplan.AppArgs(data)
	if len(args) == 0 || strings.TrimSpace(args[0]) == "" {
		return errors.New("background requires an argument (filename)")
	}
	var skip, noAnswer, matchExten, noInterrupt bool
	switch o := appArg(args, 1); strings.ToLower(o) {
	case "skip":
		skip = true
	case "noanswer":
		noAnswer = true
	default:
		opts := AppOptions(o)
		_, skip = opts['s']
		_, noAnswer = opts['n']
		_, matchExten = opts['m']
		_, noInterrupt = opts['p']
	}
	lang := appArg(args, 2)
	if lang == "" {
		lang = ch.Language()
	}
	dpCtx := appArg(args, 3)
	if dpCtx == "" {
		dpCtx, _, _ = ch.Location()
	}
	if ch.State() != StateUp {
		if skip {
			ch.SetVar("BACKGROUNDSTATUS", "SUCCESS")
			return nil
		}
		if !noAnswer {
			if err := ch.Answer(); err != nil {
				return err
			}
		}
	}
	dp := ch.core.Dialplan()
	cid, _ := ch.CallerID()
	stop := anyDigit
	switch {
	case noInterrupt:
		stop = nil
	case matchExten:
		stop = func(d byte) bool { return dp != nil && dp.Exists(dpCtx, string(d), cid, 1) }
	}
	ch.setGenerator(nil)
	status := "SUCCESS"
	var digit byte
	l := new(digitListener)
	for _, name := range strings.Split(strings.TrimSpace(args[0]), "&") {
		d, err := ch.playPrompt(l, name, lang, stop)
		if isHangupOrGoto(err) {
			ch.SetVar("BACKGROUNDSTATUS", status)
			return err
		}
		if err != nil {
			ch.core.log.Warn("pbx: Background: streaming failed", "file", name, "channel", ch.Name(), "err", err)
			status = "FAILED"
			break
		}
		if d != 0 {
			digit = d
			break
		}
	}
	if digit == 0 {
		ch.SetVar("BACKGROUNDSTATUS", status)
		return nil
	}
	// A digit that is a whole extension of the given context goes there
	// at once; any other starts an extension of the current context.
	if exten := string(digit); dp != nil && dp.CanMatch(dpCtx, exten, cid) && !dp.MatchMore(dpCtx, exten, cid) {
		ch.jumpTo(dpCtx, exten, 1)
		ch.SetVar("BACKGROUNDSTATUS", status)
		return nil
	}
	ch.SetVar("BACKGROUNDSTATUS", status)
	return ch.collectExten(l, digit)
}

// dialTone is the fallback dial tone of WaitExten's d option (Asterisk's
// ast_tonepair_start(350, 440) when the zone has none).
const dialTone = "350+440"

// appWaitExten is WaitExten([seconds][,options]): wait for the caller to
// dial an extension of the current context (TIMEOUT(response) when
// seconds is not given). On timeout the dialplan goes on at the next
// priority if there is one, else at t. Options: m[(class)] plays music
// on hold while waiting, d dial tone.
func appWaitExten(ch *Channel, data string) error {
	args := dialplan.AppArgs(data)
	opts := AppOptions(appArg(args, 1))
	timeout, ok := parseSeconds(appArg(args, 0))
	if !ok || timeout <= 0 {
		timeout, _ = ch.promptTimeouts()
	}
	sound := false
	if class, moh := opts['m']; moh {
		ch.startMOH(class)
		sound = true
	} else if _, ok := opts['d']; ok {
		list, _ := media.ParseToneList(dialTone)
		player := media.NewTonePlayer(list, 0)
		ch.setGenerator(newGenerator(ch, player.ReadFrame))
		sound = true
	}
	l := new(digitListener)
	digit, err := ch.waitDigit(l, timeout)
	if sound {
		// Before the rest of the extension is collected, as Asterisk
		// stops it when WaitExten returns.
		ch.setGenerator(nil)
	}
	if err != nil {
		return err
	}
	if digit != 0 {
		return ch.collectExten(l, digit)
	}
	if ch.HangupRequested() {
		return ErrHangup
	}
	dp := ch.core.Dialplan()
	dpCtx, exten, prio := ch.Location()
	cid, _ := ch.CallerID()
	switch {
	case dp != nil && dp.Exists(dpCtx, exten, cid, prio+1):
		return nil
	case dp != nil && dp.Exists(dpCtx, "t", cid, 1):
		ch.jumpTo(dpCtx, "t", 1)
		return nil
	}
	if eCtx, ok := ch.exceptionTarget("RESPONSETIMEOUT"); ok {
		ch.jumpTo(eCtx, "e", 1)
		return nil
	}
	ch.core.log.Warn("pbx: WaitExten: timeout but no rule 't' in context", "context", dpCtx, "channel", ch.Name())
	return errEndDialplan
}

// The results of getData (Asterisk's AST_GETDATA_*).
type getDataResult int

const (
	getDataComplete getDataResult = iota
	getDataTimeout
	getDataInterrupted
	getDataEmptyTerminated
	getDataFailed
)

// digitWaitEnd is whether waiting for digit d, which returned err, ends
// the collection of digits, and with what result: interrupted by an
// AsyncGoto, failed on another error, timed out when no digit came. The
// digit-collecting loops (getData, Read's tone variant) share it; they
// return err as it is (nil on a timeout).
func digitWaitEnd(d byte, err error) (getDataResult, bool) {
	switch {
	case errors.Is(err, ErrAsyncGoto):
		return getDataInterrupted, true
	case err != nil:
		return getDataFailed, true
	case d == 0:
		return getDataTimeout, true
	}
	return getDataComplete, false
}

// interPromptTimeout is how long Read waits for a digit between two of
// its prompts (ast_app_getdata's 50 ms).
const interPromptTimeout = 50 * time.Millisecond

// getData plays the prompts in turn and reads up to maxDigits digits
// ending with one of enders, as ast_app_getdata_terminator: a digit
// during a prompt stops it; after the last prompt the first digit is
// awaited for timeout (TIMEOUT(response) when 0), the next ones for
// timeout (TIMEOUT(digit) when 0). A prompt that cannot be opened is
// skipped.
func (ch *Channel) getData(l *digitListener, prompts []string, maxDigits int, timeout time.Duration, enders string) (string, getDataResult, error) {
	response, digit := ch.promptTimeouts()
	res := getDataFailed
	var err error
	for i, name := range prompts {
		first, next := interPromptTimeout, digit
		if i == len(prompts)-1 {
			first = response
			if timeout > 0 {
				first, next = timeout, timeout
			}
		}
		var s sounds.Stream
		if name != "" {
			lib := ch.core.opts.Sounds
			if lib == nil {
				ch.core.log.Warn("pbx: Read: no sound library", "file", name, "channel", ch.Name())
				res = getDataFailed
				continue
			}
			s, err = lib.Open(name, ch.Language())
			if err != nil {
				ch.core.log.Warn("pbx: Read: streaming failed", "file", name, "channel", ch.Name(), "err", err)
				res = getDataFailed
				continue
			}
		}
		var got string
		got, res, err = ch.readString(l, s, maxDigits, first, next, enders)
		if s != nil {
			s.Close()
		}
		if err != nil || res == getDataEmptyTerminated || got != "" {
			return got, res, err
		}
	}
	return "", res, nil
}

// readString is ast_readstring_full: the prompt s (possibly nil) plays
// until a digit; digits are then read, the first within first, the others
// within next each, until maxDigits or an ender.
func (ch *Channel) readString(l *digitListener, s sounds.Stream, maxDigits int, first, next time.Duration, enders string) (string, getDataResult, error) {
	var buf []byte
	wait := first
	for {
		var d byte
		var err error
		if s != nil {
			d, err = ch.playStream(l, s, anyDigit)
			s = nil
			if err == nil && d == 0 {
				d, err = ch.waitDigit(l, wait)
			}
		} else {
			d, err = ch.waitDigit(l, wait)
		}
		if res, end := digitWaitEnd(d, err); end {
			return string(buf), res, err
		}
		isEnd := strings.IndexByte(enders, d) >= 0
		if isEnd && len(buf) == 0 {
			return "", getDataEmptyTerminated, nil
		}
		if !isEnd {
			buf = append(buf, d)
		}
		if isEnd || len(buf) >= maxDigits {
			return string(buf), getDataComplete, nil
		}
		wait = next
	}
}

// maxReadDigits is Read's limit (its 256-byte buffer).
const maxReadDigits = 255

// readTones are the indications.conf tones Read's i option knows by name
// (the us zone of the sample indications.conf); other names are read as a
// tone list.
var readTones = map[string]string{
	"dial":        "350+440",
	"busy":        "480+620/500,0/500",
	"ring":        "440+480/2000,0/4000",
	"congestion":  "480+620/250,0/250",
	"callwaiting": "440/300,0/10000",
	"dialrecall":  "!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440",
	"record":      "1400/500,0/15000",
	"info":        "!950/330,!1400/330,!1800/330,0",
}

// appRead is Read(variable[,filename[&filename2…]][,maxdigits][,options][,attempts][,timeout]):
// the caller's digits, ended by # or maxdigits (1…255; otherwise 255), go
// into variable; READSTATUS says OK, ERROR, HANGUP, INTERRUPTED, SKIPPED or
// TIMEOUT. Options: s (skip if not up), n (read without answering), i
// (filename is an indication tone), t[(chars)] (the terminators instead of
// #; none when empty). attempts repeats the read while nothing is entered.
func appRead(ch *Channel, data string) error {
	status := "ERROR"
	ch.SetVar("READSTATUS", status)
	if data == "" {
		ch.core.log.Warn("pbx: Read requires an argument (variable)", "channel", ch.Name())
		return nil
	}
	args := dialplan.AppArgs(data)
	opts := AppOptions(appArg(args, 3))
	tries := 1
	if a := appArg(args, 4); a != "" {
		if n, _ := atoiPrefix(a); n > 0 {
			tries = n
		}
	}
	var timeout time.Duration
	if a := appArg(args, 5); a != "" {
		if f, _ := strconv.ParseFloat(floatPrefix(a), 64); f > 0 && f < 1e6 {
			timeout = time.Duration(f * float64(time.Second))
		}
	}
	filename := appArg(args, 1)
	maxDigits := maxReadDigits
	if a := appArg(args, 2); a != "" {
		if n, _ := atoiPrefix(a); n >= 1 && n <= maxReadDigits {
			maxDigits = n
		}
	}
	variable := strings.TrimSpace(appArg(args, 0))
	if variable == "" {
		ch.core.log.Warn("pbx: Read: invalid! Usage: Read(variable[,filename][,maxdigits][,option][,attempts][,timeout])", "channel", ch.Name())
		return nil
	}
	enders := "#"
	if t, ok := opts['t']; ok {
		enders = t
	}
	var tone string
	if _, ok := opts['i']; ok && filename != "" {
		tone = filename
		if t, ok := readTones[strings.ToLower(filename)]; ok {
			tone = t
		}
	}
	if ch.State() != StateUp {
		if _, ok := opts['s']; ok {
			ch.setVarOrFunc(variable, "")
			ch.SetVar("READSTATUS", "SKIPPED")
			return nil
		}
		if _, ok := opts['n']; !ok {
			if err := ch.Answer(); err != nil {
				return err
			}
		}
	}
	var err error
	l := new(digitListener)
	for ; tries > 0; tries-- {
		ch.setGenerator(nil)
		var got string
		var res getDataResult
		if tone != "" {
			got, res, err = ch.readTone(l, tone, maxDigits, timeout, enders)
		} else {
			var prompts []string
			if filename != "" {
				prompts = strings.Split(filename, "&")
			} else {
				prompts = []string{""}
			}
			got, res, err = ch.getData(l, prompts, maxDigits, timeout, enders)
		}
		switch res {
		case getDataComplete, getDataEmptyTerminated:
			status = "OK"
		case getDataTimeout:
			status = "TIMEOUT"
		case getDataInterrupted:
			status = "INTERRUPTED"
		}
		ch.setVarOrFunc(variable, got)
		if res == getDataFailed || res == getDataInterrupted || got != "" {
			break
		}
	}
	if ch.HangupRequested() {
		status = "HANGUP"
	}
	ch.SetVar("READSTATUS", status)
	if errors.Is(err, ErrAsyncGoto) {
		return err
	}
	return nil
}

// setVarOrFunc sets a variable, or writes a function when the name ends
// with ")" (Read(CALLERID(num))), as pbx_builtin_setvar_helper does.
func (ch *Channel) setVarOrFunc(name, value string) {
	if strings.HasSuffix(name, ")") && strings.Contains(name, "(") {
		if err := ch.core.funcs.Write(ch, name, value); err != nil {
			ch.core.log.Warn("pbx: function write failed", "function", name, "channel", ch.Name(), "err", err)
		}
		return
	}
	ch.SetVar(name, value)
}

// readTone is Read with the i option: the tone plays until the first
// digit, then digits are read each within timeout (TIMEOUT(response) when
// 0).
func (ch *Channel) readTone(l *digitListener, tone string, maxDigits int, timeout time.Duration, enders string) (string, getDataResult, error) {
	if timeout <= 0 {
		timeout, _ = ch.promptTimeouts()
	}
	list, err := media.ParseToneList(tone)
	if err != nil && len(list.Parts) == 0 {
		ch.core.log.Warn("pbx: Read: unable to parse tone list", "tone", tone, "channel", ch.Name())
	} else {
		player := media.NewTonePlayer(list, 0)
		ch.setGenerator(newGenerator(ch, player.ReadFrame))
	}
	var buf []byte
	for len(buf) < maxDigits {
		d, err := ch.waitDigit(l, timeout)
		ch.setGenerator(nil)
		if res, end := digitWaitEnd(d, err); end {
			return string(buf), res, err
		}
		if strings.IndexByte(enders, d) >= 0 {
			return string(buf), getDataComplete, nil
		}
		buf = append(buf, d)
	}
	return string(buf), getDataComplete, nil
}

// atoiPrefix reads a leading decimal integer as C's atoi and sscanf("%d")
// do: blanks, a sign, digits, anything after ignored. ok is false when
// there are no digits or the number does not fit in 32 bits.
func atoiPrefix(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	digits, end := signedDigits(s, 0)
	if end == digits {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:end], 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// floatPrefix returns the leading part of s that C's atof would read
// (blanks skipped, a sign, digits, a fraction, an exponent), "0" when
// there is none.
func floatPrefix(s string) string {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	start, i := signedDigits(s, 0)
	if i < len(s) && s[i] == '.' {
		i = digitsEnd(s, i+1)
	}
	if i == start || (i == start+1 && s[start] == '.') {
		return "0"
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		if j, k := signedDigits(s, i+1); k > j {
			i = k
		}
	}
	return s[:i]
}

// signedDigits scans an optional sign at s[i] and the decimal digits
// after it, as C's atoi and atof do: digits is where the digits start,
// end where they stop (end == digits when there are none). It is the scan
// atoiPrefix and floatPrefix (its mantissa and its exponent) share.
func signedDigits(s string, i int) (digits, end int) {
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	return i, digitsEnd(s, i)
}

// digitsEnd is the index of the first byte of s at or after i that is not
// a decimal digit.
func digitsEnd(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// sayInterrupts reports whether SAY_DTMF_INTERRUPT lets a digit stop
// SayDigits and SayNumber (ast_true).
func sayInterrupts(ch *Channel) bool {
	v, _ := ch.Get("SAY_DTMF_INTERRUPT")
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}

// sayFiles plays files in turn; with SAY_DTMF_INTERRUPT a digit stops
// them and starts an extension, as Background's do. A file that cannot be
// played ends the saying, logged.
func (ch *Channel) sayFiles(app string, files []string) error {
	var stop func(byte) bool
	if sayInterrupts(ch) {
		stop = anyDigit
	}
	ch.setGenerator(nil)
	lang := ch.Language()
	l := new(digitListener)
	for _, name := range files {
		d, err := ch.playPrompt(l, name, lang, stop)
		if isHangupOrGoto(err) {
			return err
		}
		if err != nil {
			ch.core.log.Warn("pbx: "+app+": streaming failed", "file", name, "channel", ch.Name(), "err", err)
			return nil
		}
		if d != 0 {
			return ch.collectExten(l, d)
		}
	}
	return nil
}

// appSayDigits is SayDigits(digits): each digit (and *, #, -) said in the
// channel's language; characters without a sound are skipped.
func appSayDigits(ch *Channel, data string) error {
	if data == "" {
		return nil
	}
	return ch.sayFiles("SayDigits", sounds.DigitFilesIn(ch.core.opts.Sounds, data, ch.Language()))
}

// appSayNumber is SayNumber(number[,gender]): the number said in words
// (English grammar). gender is f, m, c or n.
func appSayNumber(ch *Channel, data string) error {
	if data == "" {
		return errors.New("saynumber requires an argument (number)")
	}
	numStr, gender, _ := strings.Cut(data, ",")
	gender, _, _ = strings.Cut(gender, ",")
	n, ok := atoiPrefix(numStr)
	if !ok {
		ch.core.log.Warn("pbx: SayNumber: argument could not be parsed as a number", "number", numStr, "channel", ch.Name())
		return nil
	}
	if strings.Contains(data, ",") {
		switch strings.ToLower(gender) {
		case "f", "m", "c", "n":
		default:
			return errors.New("saynumber gender option is either 'f', 'm', 'c' or 'n'")
		}
	}
	files, err := sounds.NumberFiles(n, ch.Language())
	if err != nil {
		ch.core.log.Warn("pbx: SayNumber: unable to say the number, is it too large?", "number", numStr, "channel", ch.Name())
	}
	return ch.sayFiles("SayNumber", files)
}
