package voicemail

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// Register adds VoiceMail, VoiceMailMain and MailboxExists (with their
// documentation) and the VM_INFO function to core.
func (s *Service) Register(core *pbx.Core) error {
	for _, d := range appDocs {
		pbx.RegisterAppDoc(d)
	}
	core.RegisterApp("VoiceMail", s.appVoiceMail)
	core.RegisterApp("VoiceMailMain", s.appVoiceMailMain)
	core.RegisterApp("MailboxExists", s.appMailboxExists)
	if err := core.Funcs().RegisterFunction("VM_INFO", vmInfoFunc{s}); err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	return nil
}

// callerIDMerge is ast_callerid_merge with "Unknown" for neither.
func callerIDMerge(name, num string) string {
	switch {
	case name != "" && num != "":
		return "\"" + name + "\" <" + num + ">"
	case name != "":
		return name
	case num != "":
		return num
	}
	return "Unknown"
}

// appVoiceMail is VoiceMail(box[@ctx][&box2[@ctx2]…][,options]): it plays
// the greeting, beeps and records the caller into a new message of each
// box (leave_voicemail). VMSTATUS is SUCCESS, USEREXIT or FAILED.
func (s *Service) appVoiceMail(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	if len(args) == 0 || strings.TrimSpace(args[0]) == "" {
		s.log.Warn("voicemail: VoiceMail requires an argument (extension)", "channel", ch.Name())
		return fmt.Errorf("voicemail: VoiceMail requires an argument")
	}
	opts := map[byte]string{}
	if len(args) > 1 {
		opts = pbx.AppOptions(args[1])
	}
	fail := func(why string, kv ...any) error {
		s.log.Warn("voicemail: "+why, append([]any{"channel", ch.Name(), "mailbox", args[0]}, kv...)...)
		ch.SetVar("VMSTATUS", "FAILED")
		return nil
	}
	var boxes []Box
	for _, item := range strings.Split(args[0], "&") {
		b, err := ParseBox(item)
		if err != nil {
			return fail("invalid mailbox", "item", item)
		}
		boxes = append(boxes, b)
	}
	cfg := s.Config()
	b := boxes[0]
	u := cfg.User(b.Context, b.Mailbox)
	if u == nil {
		return fail("no such mailbox")
	}
	if err := ch.Answer(); err != nil {
		return err
	}
	c := newCaller(ch, s.log)
	boxDir, err := s.spool.BoxDir(b)
	if err != nil {
		return fail("mailbox path", "err", err)
	}
	// The greeting: temp beats busy/unavail; without one, the invented
	// "the person at extension … is unavailable". '#' skips it; '*' and
	// '0' leave for the a and o extensions, when they exist (and, for o,
	// the box allows the operator), as leave_voicemail's escape codes.
	greetStop := "#"
	dpCtx, _, _ := ch.Location()
	cidNum, _ := ch.CallerID()
	dp := ch.Core().Dialplan()
	if dp != nil && dp.Exists(dpCtx, "a", cidNum, 1) {
		greetStop += "*"
	}
	if u.Operator && dp != nil && dp.Exists(dpCtx, "o", cidNum, 1) {
		greetStop += "0"
	}
	greeting := ""
	switch {
	case exists(filepath.Join(boxDir, "temp.wav")):
		greeting = filepath.Join(boxDir, "temp.wav")
	case hasOpt(opts, 'b') && exists(filepath.Join(boxDir, "busy.wav")):
		greeting = filepath.Join(boxDir, "busy.wav")
	case hasOpt(opts, 'u') && exists(filepath.Join(boxDir, "unavail.wav")):
		greeting = filepath.Join(boxDir, "unavail.wav")
	}
	var key byte
	if greeting != "" {
		key, err = c.playFile(greeting, greetStop)
	} else if hasOpt(opts, 'b') || hasOpt(opts, 'u') {
		key, err = s.inventGreeting(c, b, boxDir, hasOpt(opts, 'b'), greetStop)
	}
	if err != nil {
		return err
	}
	if key == 0 && !hasOpt(opts, 's') && !(hasOpt(opts, 'S') && greeting != "") {
		if key, err = c.play("vm-intro", greetStop); err != nil {
			return err
		}
	}
	switch key {
	case '*', '0':
		exten := "a"
		if key == '0' {
			exten = "o"
		}
		ch.SetVar("VMSTATUS", "USEREXIT")
		return ch.AsyncGoto(dpCtx, exten, 1)
	}
	if u.MaxMsg == 0 {
		// Greetings only.
		ch.SetVar("VMSTATUS", "SUCCESS")
		return nil
	}
	ok, err := s.spool.BeginRecording(b, u.MaxMsg)
	if err != nil {
		return fail("counting messages", "err", err)
	}
	if !ok {
		if _, err := c.play("vm-mailboxfull", ""); err != nil {
			return err
		}
		return fail("mailbox full")
	}
	defer s.spool.EndRecording(b)
	tmp, err := s.spool.TmpDir(b)
	if err != nil {
		return fail("tmp directory", "err", err)
	}
	now := time.Now()
	wavName := filepath.Join(tmp, fmt.Sprintf("%x-%s.wav", now.UnixNano(), strings.ReplaceAll(ch.Uniqueid(), ".", "_")))
	w, err := media.CreateWAV(wavName, fileMode)
	if err != nil {
		return fail("recording", "err", err)
	}
	defer w.Abort()
	beep := "beep"
	if t, ok := opts['t']; ok {
		beep = t
	}
	if beep != "" {
		if _, err := c.play(beep, ""); err != nil {
			return err
		}
	}
	g := cfg.General
	ended, recErr := c.record(w, time.Duration(u.MaxSecs)*time.Second, g.MaxSilence, g.SilenceThreshold)
	if recErr != nil && ended != endHangup {
		return fail("recording", "err", recErr)
	}
	hungUp := ended == endHangup
	duration := int(w.Samples() / media.SampleRate)
	result := func() error {
		if hungUp {
			return pbx.ErrHangup
		}
		return nil
	}
	if duration < u.MinSecs {
		_ = w.Abort()
		s.log.Info("voicemail: recording too short, discarded", "channel", ch.Name(), "mailbox", b.String(), "seconds", duration)
		ch.SetVar("VMSTATUS", "FAILED")
		return result()
	}
	if err := w.Close(); err != nil {
		return fail("saving recording", "err", err)
	}
	msgCtx, exten, prio := ch.Location()
	num, name := ch.CallerID()
	// Asterism keeps no redirecting number: Asterisk writes "unknown"
	// when there is none.
	rdnis := "unknown"
	category, _ := ch.Var("VM_CATEGORY")
	info := &MessageInfo{
		OrigMailbox: b.Mailbox, Context: msgCtx, Exten: exten, RDNIS: rdnis, Priority: prio,
		CallerChan: ch.Name(), CallerID: callerIDMerge(name, num),
		OrigDate: OrigDate(now), OrigTime: now.Unix(), Category: category,
		MsgID: NewMsgID(now), Duration: duration,
	}
	folder := FolderInbox
	switch {
	case hasOpt(opts, 'U'):
		info.Flag, folder = "Urgent", FolderUrgent
	case hasOpt(opts, 'P'):
		info.Flag = "PRIORITY"
	}
	// Copies for the other recipients first: the first box's deposit
	// takes the recording itself.
	for _, other := range boxes[1:] {
		if cfg.User(other.Context, other.Mailbox) == nil {
			s.log.Warn("voicemail: no such recipient, copy skipped", "mailbox", other.String())
			continue
		}
		if err := s.depositCopy(other, folder, info, wavName); err != nil {
			s.log.Error("voicemail: copying message", "mailbox", other.String(), "err", err)
			continue
		}
		s.Notify(other, ch)
	}
	path, err := s.spool.Deposit(b, folder, info, wavName)
	if err != nil {
		s.log.Error("voicemail: couldn't save message, voicemail will be lost", "mailbox", b.String(), "err", err)
		ch.SetVar("VMSTATUS", "FAILED")
		return result()
	}
	ch.SetVar("VM_MESSAGEFILE", path)
	s.Notify(b, ch)
	ch.SetVar("VMSTATUS", "SUCCESS")
	return result()
}

// depositCopy deposits a copy of the recording at wav into another box.
func (s *Service) depositCopy(b Box, folder string, info *MessageInfo, wav string) error {
	tmp, err := s.spool.TmpDir(b)
	if err != nil {
		return err
	}
	samples, err := media.ReadWAVFile(wav, 1<<30)
	if err != nil {
		return err
	}
	dst := filepath.Join(tmp, filepath.Base(wav))
	w, err := media.CreateWAV(dst, fileMode)
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := w.WriteSamples(samples); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	cp := *info
	cp.OrigMailbox = b.Mailbox
	cp.MsgID = NewMsgID(time.Now())
	_, err = s.spool.Deposit(b, folder, &cp, dst)
	if err != nil {
		os.Remove(dst)
	}
	return err
}

// inventGreeting is invent_message: the box's recorded name, or "the
// person at extension" and its digits, then "is unavailable" or "is on
// the phone".
func (s *Service) inventGreeting(c *caller, b Box, boxDir string, busy bool, stop string) (byte, error) {
	var key byte
	var err error
	if greet := filepath.Join(boxDir, "greet.wav"); exists(greet) {
		key, err = c.playFile(greet, stop)
	} else {
		key, err = c.play("vm-theperson", stop)
		for i := 0; key == 0 && err == nil && i < len(b.Mailbox); i++ {
			if d := b.Mailbox[i]; d >= '0' && d <= '9' {
				key, err = c.play("digits/"+string(d), stop)
			}
		}
	}
	if key != 0 || err != nil {
		return key, err
	}
	if busy {
		return c.play("vm-isonphone", stop)
	}
	return c.play("vm-isunavail", stop)
}

func hasOpt(opts map[byte]string, c byte) bool {
	_, ok := opts[c]
	return ok
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// appMailboxExists is MailboxExists(box[@ctx]): VMBOXEXISTSSTATUS is
// SUCCESS or FAILED.
func (s *Service) appMailboxExists(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	if len(args) == 0 || strings.TrimSpace(args[0]) == "" {
		s.log.Warn("voicemail: MailboxExists requires an argument (vm-box[@context][|options])", "channel", ch.Name())
		return nil
	}
	status := "FAILED"
	if b, err := ParseBox(args[0]); err == nil && s.Config().User(b.Context, b.Mailbox) != nil {
		status = "SUCCESS"
	}
	ch.SetVar("VMBOXEXISTSSTATUS", status)
	return nil
}

// vmInfoFunc is VM_INFO(box[@ctx],attribute[,folder]) (acf_vm_info).
type vmInfoFunc struct{ s *Service }

func (vmInfoFunc) Syntax() string { return "VM_INFO(mailbox[@context],attribute[,folder])" }
func (vmInfoFunc) Synopsis() string {
	return "Returns the selected attribute from a mailbox."
}

// errVMInfo is the error of a bad VM_INFO call.
var errVMInfo = errors.New("VM_INFO requires an argument (<mailbox>[@<context>],attribute[,folder])")

func (f vmInfoFunc) Read(_ dialplan.Vars, args string) (string, error) {
	a := dialplan.AppArgs(args)
	if len(a) < 2 || strings.TrimSpace(a[0]) == "" || strings.TrimSpace(a[1]) == "" {
		return "", errVMInfo
	}
	b, err := ParseBox(a[0])
	attr := strings.ToLower(strings.TrimSpace(a[1]))
	if strings.HasPrefix(attr, "exist") {
		if err == nil && f.s.Config().User(b.Context, b.Mailbox) != nil {
			return "1", nil
		}
		return "0", nil
	}
	if err != nil {
		return "", fmt.Errorf("VM_INFO: %w", err)
	}
	u := f.s.Config().User(b.Context, b.Mailbox)
	if u == nil {
		return "", fmt.Errorf("VM_INFO: mailbox %s does not exist", b)
	}
	switch attr {
	case "password":
		return u.Password, nil
	case "fullname":
		return u.FullName, nil
	case "email":
		return u.Email, nil
	case "pager":
		return u.Pager, nil
	case "language":
		return u.Language, nil
	case "locale":
		return "", nil
	case "tz":
		return u.TZ, nil
	case "count":
		folder := FolderInbox
		if len(a) > 2 && strings.TrimSpace(a[2]) != "" {
			if folder, err = FolderName(strings.TrimSpace(a[2])); err != nil {
				return "", fmt.Errorf("VM_INFO: %w", err)
			}
		}
		n, err := f.s.spool.Count(b, folder)
		if err != nil {
			return "", fmt.Errorf("VM_INFO: %w", err)
		}
		if folder == FolderInbox {
			// messagecount: INBOX includes Urgent.
			m, err := f.s.spool.Count(b, FolderUrgent)
			if err != nil {
				return "", fmt.Errorf("VM_INFO: %w", err)
			}
			n += m
		}
		return strconv.Itoa(n), nil
	}
	return "", fmt.Errorf("VM_INFO: unknown attribute %q", a[1])
}
