package voicemail

import (
	"errors"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/pbx"
)

// Timeouts of VoiceMailMain's prompts (app_voicemail's defaults).
const (
	loginTimeout = 5 * time.Second
	menuTimeout  = 6 * time.Second
	menuRepeats  = 3 // vms.repeats > 2 ends the session
)

// message is one message of the folder VoiceMailMain has open.
type message struct {
	folder  string // INBOX, Urgent, Old …
	n       int
	heard   bool
	deleted bool
	gone    bool // moved away already (saved to a folder)
}

// session is VoiceMailMain's state (vm_state): the box, the open folder
// and its messages.
type session struct {
	s    *Service
	c    *caller
	b    Box
	u    *User
	view int // index in Folders; 0 is "new": Urgent then INBOX
	msgs []*message
	cur  int
}

// appVoiceMailMain is VoiceMailMain([box][@ctx][,options]): PIN login over
// DTMF, then a subset of Asterisk's menu with its keys: 1 play the first
// message, 4/5/6 previous/repeat/next, 7 delete or undelete, 9+digit save
// to a folder, 2+digit change folder, # exit. Heard new messages move to
// Old when the folder is closed (moveheard), deleted ones are removed and
// the folders renumbered; then MessageWaiting tells the new counts. The
// options understood are s (no password) and a(#) (the folder to start
// in).
func (s *Service) appVoiceMailMain(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	boxArg := ""
	opts := map[byte]string{}
	if len(args) > 0 {
		boxArg = strings.TrimSpace(args[0])
	}
	if len(args) > 1 {
		opts = pbx.AppOptions(args[1])
	}
	if err := ch.Answer(); err != nil {
		return err
	}
	c := newCaller(ch, s.log)
	b, u, err := s.login(c, boxArg, hasOpt(opts, 's'))
	if err != nil || u == nil {
		if err == nil {
			_, err = c.play("vm-goodbye", "")
		}
		return hangupOnly(err)
	}
	ss := &session{s: s, c: c, b: b, u: u}
	if a, ok := opts['a']; ok && len(a) == 1 && a[0] >= '0' && a[0] <= '9' {
		ss.view = int(a[0] - '0')
	}
	ss.open()
	err = ss.run()
	ss.close()
	s.Notify(b, ch)
	return hangupOnly(err)
}

// hangupOnly passes on a hangup or redirect, and drops the rest: they
// were logged where they happened.
func hangupOnly(err error) error {
	if errors.Is(err, pbx.ErrHangup) || errors.Is(err, pbx.ErrAsyncGoto) {
		return err
	}
	return nil
}

// login is vm_authenticate: the box (unless given) and its password
// (unless skip), up to maxlogins tries. A nil user means no valid login.
func (s *Service) login(c *caller, boxArg string, skip bool) (Box, *User, error) {
	cfg := s.Config()
	tries := cfg.General.MaxLogins
	if tries < 1 {
		tries = 1
	}
	for i := 0; i < tries; i++ {
		arg := boxArg
		if arg == "" {
			if _, err := c.play("vm-login", ""); err != nil {
				return Box{}, nil, err
			}
			digits, err := c.readDigits(maxNameLen, loginTimeout)
			if err != nil {
				return Box{}, nil, err
			}
			arg = digits
		}
		b, perr := ParseBox(arg)
		var u *User
		if perr == nil {
			u = cfg.User(b.Context, b.Mailbox)
		}
		if skip && u != nil {
			return b, u, nil
		}
		pin := ""
		if !skip {
			if _, err := c.play("vm-password", ""); err != nil {
				return Box{}, nil, err
			}
			var err error
			if pin, err = c.readDigits(maxNameLen, loginTimeout); err != nil {
				return Box{}, nil, err
			}
		}
		if u != nil && !skip && pin == u.Password {
			return b, u, nil
		}
		s.log.Info("voicemail: incorrect login", "channel", c.ch.Name(), "mailbox", arg)
		prompt := "vm-incorrect-mailbox"
		if boxArg != "" || i == tries-1 {
			prompt = "vm-incorrect"
		}
		if _, err := c.play(prompt, ""); err != nil {
			return Box{}, nil, err
		}
	}
	return Box{}, nil, nil
}

// folderOf returns the folders shown as view v.
func folderOf(v int) []string {
	if v == 0 {
		return []string{FolderUrgent, FolderInbox}
	}
	if v < len(Folders) {
		return []string{Folders[v]}
	}
	return nil
}

// open lists the messages of the current view.
func (ss *session) open() {
	ss.msgs, ss.cur = nil, 0
	for _, f := range folderOf(ss.view) {
		ns, err := ss.s.spool.Messages(ss.b, f)
		if err != nil {
			ss.s.log.Warn("voicemail: listing messages", "mailbox", ss.b.String(), "folder", f, "err", err)
			continue
		}
		for _, n := range ns {
			ss.msgs = append(ss.msgs, &message{folder: f, n: n})
		}
	}
}

// close applies the view's changes (close_mailbox): deleted messages go,
// heard new ones move to Old (moveheard), and the folders are renumbered.
func (ss *session) close() {
	sp, log := ss.s.spool, ss.s.log
	moveHeard := ss.s.Config().General.MoveHeard
	touched := map[string]bool{}
	for _, m := range ss.msgs {
		if m.gone {
			touched[m.folder] = true
			continue
		}
		switch {
		case m.deleted:
			if err := sp.Remove(ss.b, m.folder, m.n); err != nil {
				log.Warn("voicemail: deleting message", "mailbox", ss.b.String(), "err", err)
			}
			touched[m.folder] = true
		case m.heard && moveHeard && (m.folder == FolderInbox || m.folder == FolderUrgent):
			if _, err := sp.Move(ss.b, m.folder, m.n, FolderOld); err != nil {
				log.Warn("voicemail: moving heard message to Old", "mailbox", ss.b.String(), "err", err)
			}
			touched[m.folder] = true
		}
	}
	for f := range touched {
		if err := sp.Resequence(ss.b, f); err != nil {
			log.Warn("voicemail: renumbering", "mailbox", ss.b.String(), "folder", f, "err", err)
		}
	}
	ss.msgs = nil
}

// run is the main menu loop; it returns on '#', after three silent
// prompts, or on hangup (the error).
func (ss *session) run() error {
	c := ss.c
	repeats := 0
	for {
		key, err := c.play("vm-onefor", "0123456789*#")
		if err != nil {
			return err
		}
		if key == 0 {
			if key, err = c.waitDigit(menuTimeout); err != nil {
				return err
			}
		}
		if key == 0 {
			if repeats++; repeats >= menuRepeats {
				return nil
			}
			continue
		}
		repeats = 0
	dispatch:
		switch key {
		case '#':
			_, err := c.play("vm-goodbye", "")
			return err
		case '1':
			ss.cur = 0
			key, err = ss.playCurrent()
		case '4':
			if ss.cur > 0 {
				ss.cur--
			}
			key, err = ss.playCurrent()
		case '5':
			key, err = ss.playCurrent()
		case '6':
			if ss.cur+1 < len(ss.msgs) {
				ss.cur++
				key, err = ss.playCurrent()
			} else {
				key, err = c.play("vm-nomore", "")
			}
		case '7':
			if m := ss.current(); m != nil {
				m.deleted = !m.deleted
				prompt := "vm-deleted"
				if !m.deleted {
					prompt = "vm-undeleted"
				}
				key, err = c.play(prompt, "")
			}
		case '9':
			key, err = ss.saveToFolder()
		case '2':
			key, err = ss.changeFolder()
		default:
			key = 0
		}
		if err != nil {
			return err
		}
		if key != 0 {
			// A key pressed during a message is the next command.
			goto dispatch
		}
	}
}

// current returns the message under the cursor, nil when none.
func (ss *session) current() *message {
	if ss.cur < len(ss.msgs) && !ss.msgs[ss.cur].gone {
		return ss.msgs[ss.cur]
	}
	return nil
}

// playCurrent plays the message under the cursor and marks it heard; '#'
// skips to its end, another key ends it and is returned as a command.
func (ss *session) playCurrent() (byte, error) {
	m := ss.current()
	if m == nil {
		return ss.c.play("vm-nomore", "")
	}
	m.heard = true
	dir, err := ss.s.spool.FolderDir(ss.b, m.folder)
	if err != nil {
		return 0, err
	}
	key, err := ss.c.playFile(MsgPath(dir, m.n)+".wav", "0123456789*#")
	if key == '#' {
		key = 0
	}
	return key, err
}

// saveToFolder is key 9: the next digit names the folder (0 INBOX … 4
// Friends); the message moves there at once.
func (ss *session) saveToFolder() (byte, error) {
	m := ss.current()
	if m == nil {
		return 0, nil
	}
	if _, err := ss.c.play("vm-savefolder", ""); err != nil {
		return 0, err
	}
	d, err := ss.c.waitDigit(menuTimeout)
	if err != nil || d < '0' || d > '4' {
		return 0, err
	}
	to := Folders[d-'0']
	if to == m.folder {
		return 0, nil
	}
	if _, err := ss.s.spool.Move(ss.b, m.folder, m.n, to); err != nil {
		ss.s.log.Warn("voicemail: saving message", "mailbox", ss.b.String(), "folder", to, "err", err)
		return ss.c.play("vm-mailboxfull", "")
	}
	m.gone = true
	return ss.c.play("vm-message", "")
}

// changeFolder is key 2: the next digit names the folder to open.
func (ss *session) changeFolder() (byte, error) {
	if _, err := ss.c.play("vm-changeto", ""); err != nil {
		return 0, err
	}
	d, err := ss.c.waitDigit(menuTimeout)
	if err != nil || d < '0' || d > '4' {
		return 0, err
	}
	ss.close()
	ss.view = int(d - '0')
	ss.open()
	return 0, nil
}
