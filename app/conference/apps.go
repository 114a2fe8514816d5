package conference

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// RegisterApps registers MeetMe and ConfBridge (with their documentation)
// on the engine's core.
func (e *Engine) RegisterApps() {
	pbx.RegisterAppDoc(meetMeDoc)
	pbx.RegisterAppDoc(confBridgeDoc)
	e.core.RegisterApp("MeetMe", e.appMeetMe)
	e.core.RegisterApp("ConfBridge", e.appConfBridge)
}

// pinTries is how often MeetMe asks for a PIN before giving up, as
// conf_exec does.
const pinTries = 3

// digitTimeout is how long a caller has between digits of a PIN or a
// conference number.
const digitTimeout = 5 * time.Second

// parseOptions splits MeetMe's option string into its letters, dropping
// the arguments in parentheses of options that take one (w(secs) …),
// which Asterism does not use. A malformed string (an unclosed
// parenthesis) keeps the letters before it, as ast_app_parse_options
// stops there.
func parseOptions(s string) map[byte]bool {
	out := map[byte]bool{}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '(' {
			j := strings.IndexByte(s[i:], ')')
			if j < 0 {
				break
			}
			i += j
			continue
		}
		out[c] = true
	}
	return out
}

// readDigits collects DTMF digits on ch until '#', max digits or
// digitTimeout without one.
func readDigits(ch *pbx.Channel, max int) (string, error) {
	var b strings.Builder
	for b.Len() < max {
		ctx, cancel := context.WithTimeout(ch.Ctx(), digitTimeout)
		f, err := ch.Read(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			return "", err
		}
		if f.Type != media.FrameDTMFEnd {
			continue
		}
		if f.Digit == '#' {
			break
		}
		b.WriteByte(f.Digit)
	}
	return b.String(), nil
}

// appMeetMe is MeetMe(confno[,options[,pin]]).
func (e *Engine) appMeetMe(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	arg := func(i int) string {
		if i < len(args) {
			return strings.TrimSpace(args[i])
		}
		return ""
	}
	confno, opts, pin := arg(0), parseOptions(arg(1)), arg(2)
	if err := ch.Answer(); err != nil {
		return fmt.Errorf("meetme: answer %s: %w", ch.Name(), err)
	}
	if confno == "" {
		// conf_exec asks for the conference number.
		n, err := readDigits(ch, 20)
		if err != nil {
			return err
		}
		if n == "" {
			return nil
		}
		confno = n
	}
	mc, _ := e.config()
	room, static := mc.Room(confno)
	live := e.find(MeetMe, confno)
	dynamic := opts['d'] || opts['D']
	if live == nil && !static && !dynamic {
		// conf-invalid, and with the number given as an argument no
		// retry: the dialplan goes on.
		e.log.Info("meetme: no such conference", "channel", ch.Name(), "conference", confno)
		ch.SetVar("MEETME_RESULT", "INVALID")
		return nil
	}
	roomPIN, adminPIN := room.PIN, room.AdminPIN
	if live != nil {
		roomPIN, adminPIN = live.pin, live.adminPin
	} else if !static && opts['D'] {
		// A dynamic conference with a PIN: the creator sets it.
		p := pin
		if p == "" {
			var err error
			if p, err = readDigits(ch, 20); err != nil {
				return err
			}
		}
		roomPIN = p
	}
	admin := opts['a']
	needPIN := (roomPIN != "" || opts['P']) && !(live == nil && opts['D'])
	if needPIN || (pin != "" && adminPIN != "" && pin == adminPIN) {
		ok := false
		for try := 0; try < pinTries; try++ {
			got := pin
			if got == "" || try > 0 {
				var err error
				if got, err = readDigits(ch, 20); err != nil {
					return err
				}
			}
			if adminPIN != "" && got == adminPIN {
				admin, ok = true, true
				break
			}
			if got == roomPIN {
				ok = true
				break
			}
			e.log.Info("meetme: invalid PIN", "channel", ch.Name(), "conference", confno)
			if pin != "" {
				// A PIN passed as argument is not asked for again.
				break
			}
		}
		if !ok {
			ch.SetVar("MEETME_RESULT", "INVALIDPIN")
			return nil
		}
	}
	mo := memberOpts{admin: admin, marked: opts['A'], listen: opts['m'], talkOnly: opts['t'],
		quiet: opts['q'], closeOnMarkedLeave: opts['x'], monitor: opts['T'], waitMarked: opts['w']}
	m, err := e.join(MeetMe, confno, ch, mo, true, !static, roomPIN, adminPIN)
	if errors.Is(err, errLocked) {
		e.log.Info("meetme: conference locked", "channel", ch.Name(), "conference", confno)
		ch.SetVar("MEETME_RESULT", "LOCKED")
		return nil
	}
	if err != nil {
		return fmt.Errorf("meetme %s: %w", confno, err)
	}
	exitKey := func(d byte) bool { return d == '#' && (opts['p'] || opts['X']) }
	_, rerr := m.serve(exitKey)
	m.leave()
	return rerr
}

// appConfBridge is ConfBridge(conference[,bridge_profile[,user_profile[,menu]]]).
func (e *Engine) appConfBridge(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	arg := func(i int) string {
		if i < len(args) {
			return strings.TrimSpace(args[i])
		}
		return ""
	}
	name := arg(0)
	if name == "" {
		return errors.New("confbridge: ConfBridge requires an argument (conference name[,options])")
	}
	_, cc := e.config()
	bname, uname := arg(1), arg(2)
	if bname == "" {
		bname = "default_bridge"
	}
	if uname == "" {
		uname = "default_user"
	}
	bp, ok := cc.Bridges[bname]
	if !ok {
		return fmt.Errorf("confbridge: conference bridge profile %s does not exist", bname)
	}
	up, ok := cc.Users[uname]
	if !ok {
		return fmt.Errorf("confbridge: conference user profile %s does not exist", uname)
	}
	if err := ch.Answer(); err != nil {
		return fmt.Errorf("confbridge: answer %s: %w", ch.Name(), err)
	}
	if bp.MaxMembers > 0 && !up.Admin {
		if c := e.find(ConfBridge, name); c != nil {
			c.mu.Lock()
			full := len(c.members) >= bp.MaxMembers
			c.mu.Unlock()
			if full {
				return fmt.Errorf("confbridge %s: conference is full", name)
			}
		}
	}
	if c := e.find(ConfBridge, name); c != nil && c.hasOwnLocalHalf(ch) {
		// Asterisk's ConfBridge returns at once, joining nothing, for a
		// Local ;1 whose own ;2 is already in the conference (seen in
		// redirect.txt): the pair would only loop the conference back
		// into itself.
		return nil
	}
	mo := memberOpts{admin: up.Admin, marked: up.Marked, startMuted: up.StartMuted, quiet: up.Quiet,
		waitMarked: up.WaitMarked, endMarked: up.EndMarked, monitor: up.TalkDetection}
	m, err := e.join(ConfBridge, name, ch, mo, true, true, "", "")
	if err != nil {
		return fmt.Errorf("confbridge %s: %w", name, err)
	}
	reason, rerr := m.serve(nil)
	m.leave()
	ch.SetVar("CONFBRIDGE_RESULT", reason)
	return rerr
}

var meetMeDoc = pbx.Doc{
	Name:     "MeetMe",
	Synopsis: "MeetMe conference bridge.",
	Syntax:   "MeetMe([confno][,options[,pin]])",
	Description: "Enters the user into a specified MeetMe conference. If the confno is omitted, the user will be " +
		"prompted to enter one. Every member hears the mix of the others, never itself. The conference ends when " +
		"its last member leaves.\n\n" +
		"Supported options: a (admin), A (marked), m (listen only), t (talk only), q (quiet), x (close when the " +
		"last marked user leaves), d and D (dynamic conference, D with a PIN), P (always ask for the PIN), " +
		"p and X (leave with #), T (talker detection events), w (wait for a marked user). Options M, i and 1 " +
		"are accepted; Asterism plays no prompts or music in conferences.\n\n" +
		"Sets MEETME_RESULT to INVALID, INVALIDPIN or LOCKED when the caller could not enter.",
	Arguments: []pbx.DocArg{
		{Name: "confno", Text: "The conference number."},
		{Name: "options", Text: "The option letters listed above."},
		{Name: "pin", Text: "The PIN of the conference, asked for when not given and the conference has one."},
	},
	SeeAlso: []string{"ConfBridge"},
}

var confBridgeDoc = pbx.Doc{
	Name:     "ConfBridge",
	Synopsis: "Conference bridge application.",
	Syntax:   "ConfBridge(conference[,bridge_profile[,user_profile[,menu]]])",
	Description: "Enters the user into a specified conference bridge. The user can exit the conference by hangup " +
		"or being kicked. Profiles come from confbridge.conf (default_bridge and default_user when not given); " +
		"user profiles support admin, marked, startmuted, quiet, wait_marked, end_marked and " +
		"talk_detection_events, bridge profiles max_members.\n\n" +
		"Sets CONFBRIDGE_RESULT to HANGUP, KICKED or ENDMARKED when the user leaves.",
	Arguments: []pbx.DocArg{
		{Name: "conference", Text: "Name of the conference bridge. You are not limited to just numbers."},
		{Name: "bridge_profile", Text: "The bridge profile name from confbridge.conf."},
		{Name: "user_profile", Text: "The user profile name from confbridge.conf."},
		{Name: "menu", Text: "The name of the DTMF menu in confbridge.conf (not supported: ignored)."},
	},
	SeeAlso: []string{"MeetMe"},
}

// hasOwnLocalHalf reports whether ch is the ;1 half of a Local pair whose
// ;2 half is a member of c.
func (c *Conference) hasOwnLocalHalf(ch *pbx.Channel) bool {
	base, ok := strings.CutSuffix(ch.Name(), ";1")
	if !ok || !strings.HasPrefix(base, "Local/") {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m.ch.Name() == base+";2" {
			return true
		}
	}
	return false
}
