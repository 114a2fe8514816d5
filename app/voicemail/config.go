// Package voicemail is Asterism's app_voicemail with file storage: it reads
// voicemail.conf, keeps messages in a spool laid out exactly as Asterisk's
// (<astspooldir>/voicemail/<context>/<box>/INBOX, Old, Urgent …, with
// msgNNNN.txt metadata next to msgNNNN.wav), so that a spool written by
// Asterisk is read as it is and the reverse, and provides the dialplan
// applications VoiceMail, VoiceMailMain and MailboxExists and the VM_INFO
// function.
//
// The package knows nothing of AMI text: a change of a mailbox's counts is
// reported to a [Notifier] (pbxami renders it as MessageWaiting), and the
// counting functions ([Spool.Counts], [Spool.HasWaiting]) serve
// MailboxCount and MailboxStatus.
//
// # Files
//
// A message is recorded into the box's tmp/ directory, then, under the
// folder's lock, numbered (the highest msgNNNN.txt + 1, as Asterisk's
// last_message_index) and renamed into place: the audio first, then the
// .txt, each fsynced before its rename, and the directory fsynced after.
// A message counts only once its .txt exists, so a crash leaves either no
// message or a whole one. Asterisk's numbering is kept (VoiceMailMain
// renumbers a folder to close gaps when it is left) so that both programs
// can share a spool; the number that is never reused is the msg_id.
//
// Names that reach the filesystem (contexts, mailboxes, folders) are
// checked by [ValidName] before any path is built, and every path is made
// by [Spool.BoxDir], which refuses anything outside the spool.
//
// # Locks
//
// Service.mu guards the configuration and the last published counts and is
// a leaf. Spool.mu guards the per-directory mutexes and the in-progress
// recording counts and is a leaf. A folder's lock (an in-process mutex,
// then Asterisk's <dir>/.lock file) is taken with no other lock held, and
// the Notifier is called with none held.
package voicemail

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/conf"
)

// ConfigFile is the name of the voicemail configuration file.
const ConfigFile = "voicemail.conf"

// General is voicemail.conf's [general], with Asterisk 20's defaults.
type General struct {
	Format           []string // audio formats; only wav is written
	ServerEmail      string
	FromString       string
	MailCmd          string
	MaxMsg           int
	MaxSecs          int // 0: no limit
	MinSecs          int
	MaxSilence       time.Duration
	SilenceThreshold int
	MaxLogins        int
	Skip             time.Duration
	PollMailboxes    bool
	PollFreq         time.Duration
	MoveHeard        bool
	SayDurationM     int
	Envelope         bool
	SayCID           bool
	Review           bool
	Operator         bool
	Attach           bool
	Delete           bool
	LeaveUrgent      bool
	VolGain          float64
}

// defaultGeneral returns app_voicemail's defaults (load_config).
func defaultGeneral() General {
	return General{
		Format:           []string{"wav"},
		ServerEmail:      "asterisk",
		MailCmd:          "/usr/sbin/sendmail -t",
		MaxMsg:           100,
		MaxSilence:       10 * time.Second,
		SilenceThreshold: 128,
		MaxLogins:        3,
		Skip:             3 * time.Second,
		PollMailboxes:    true,
		PollFreq:         30 * time.Second,
		MoveHeard:        true,
		SayDurationM:     2,
		Envelope:         true,
		Attach:           true,
		LeaveUrgent:      true,
	}
}

// User is one mailbox line: "box => pin,Full Name,email,pager,options".
type User struct {
	Context  string
	Mailbox  string
	Password string
	FullName string
	Email    string
	Pager    string

	ServerEmail  string
	FromString   string
	Language     string
	TZ           string // zonetag
	Callback     string
	Dialout      string
	ExitContext  string
	SayDurationM int
	Envelope     bool
	SayCID       bool
	Attach       bool
	AttachFmt    string
	Delete       bool
	VolGain      float64
	Review       bool
	LeaveUrgent  bool
	Operator     bool
	MaxMsg       int
	MaxSecs      int
	MinSecs      int
}

// ID returns "box@context".
func (u *User) ID() string { return u.Mailbox + "@" + u.Context }

// Zone is one [zonemessages] entry: "name => timezone|format".
type Zone struct {
	Name, TimeZone, Format string
}

// Config is a parsed voicemail.conf.
type Config struct {
	General General
	Zones   []Zone
	// Users are in file order, as VoicemailUsersList lists them.
	Users []*User
	// Contexts are the mailbox contexts in file order.
	Contexts []string

	byID map[string]*User
}

// User returns the mailbox box in context ctx, or nil.
func (c *Config) User(ctx, box string) *User {
	if c == nil {
		return nil
	}
	return c.byID[box+"@"+ctx]
}

// HasContext reports whether voicemail.conf has the mailbox context ctx.
func (c *Config) HasContext(ctx string) bool {
	for _, x := range c.Contexts {
		if x == ctx {
			return true
		}
	}
	return false
}

// LoadConfig reads dir's voicemail.conf. A missing file is an empty
// configuration (no mailboxes), as app_voicemail loads without one.
func LoadConfig(dir string, log *slog.Logger) (*Config, error) {
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); errors.Is(err, fs.ErrNotExist) {
		return ParseConfig(&conf.File{}, log), nil
	}
	f, err := conf.Load(dir, ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	return ParseConfig(f, log), nil
}

// ParseConfig builds a Config from a parsed voicemail.conf; what it cannot
// use it logs and skips, as Asterisk does.
func ParseConfig(f *conf.File, log *slog.Logger) *Config {
	if log == nil {
		log = slog.Default()
	}
	c := &Config{General: defaultGeneral(), byID: make(map[string]*User)}
	if g := f.Section("general"); g != nil {
		for _, e := range g.Entries {
			c.General.set(strings.ToLower(strings.TrimSpace(e.Key)), strings.TrimSpace(e.Value), log, e)
		}
	}
	for _, sec := range f.Sections {
		switch strings.ToLower(sec.Name) {
		case "general":
			continue
		case "zonemessages":
			for _, e := range sec.Entries {
				tz, format, _ := strings.Cut(e.Value, "|")
				c.Zones = append(c.Zones, Zone{Name: strings.TrimSpace(e.Key), TimeZone: strings.TrimSpace(tz), Format: strings.TrimSpace(format)})
			}
			continue
		}
		if !ValidName(sec.Name) {
			log.Warn("voicemail.conf: invalid context name, skipped", "context", sec.Name, "file", sec.File, "line", sec.Line)
			continue
		}
		if !c.HasContext(sec.Name) {
			c.Contexts = append(c.Contexts, sec.Name)
		}
		for _, e := range sec.Entries {
			box := strings.TrimSpace(e.Key)
			if !ValidName(box) {
				log.Warn("voicemail.conf: invalid mailbox name, skipped", "mailbox", box, "file", e.File, "line", e.Line)
				continue
			}
			u := c.newUser(sec.Name, box, e.Value, log)
			if old := c.byID[u.ID()]; old != nil {
				*old = *u
				continue
			}
			c.byID[u.ID()] = u
			c.Users = append(c.Users, u)
		}
	}
	return c
}

func (g *General) set(key, v string, log *slog.Logger, e conf.Entry) {
	num := func(dst *int) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			log.Warn("voicemail.conf: bad number", "key", key, "value", v, "file", e.File, "line", e.Line)
			return
		}
		*dst = n
	}
	switch key {
	case "format":
		g.Format = strings.Split(v, "|")
	case "serveremail":
		g.ServerEmail = v
	case "fromstring":
		g.FromString = v
	case "mailcmd":
		g.MailCmd = v
	case "maxmsg":
		num(&g.MaxMsg)
	case "maxsecs", "maxmessage":
		num(&g.MaxSecs)
	case "minsecs", "minmessage":
		num(&g.MinSecs)
	case "maxsilence":
		var n int
		num(&n)
		g.MaxSilence = time.Duration(n) * time.Second
	case "silencethreshold":
		num(&g.SilenceThreshold)
	case "maxlogins":
		num(&g.MaxLogins)
	case "skipms":
		var n int
		num(&n)
		g.Skip = time.Duration(n) * time.Millisecond
	case "pollmailboxes":
		g.PollMailboxes = isTrue(v)
	case "pollfreq":
		var n int
		num(&n)
		if n > 0 {
			g.PollFreq = time.Duration(n) * time.Second
		}
	case "moveheard":
		g.MoveHeard = isTrue(v)
	case "saydurationm":
		num(&g.SayDurationM)
	case "envelope":
		g.Envelope = isTrue(v)
	case "saycid":
		g.SayCID = isTrue(v)
	case "review":
		g.Review = isTrue(v)
	case "operator":
		g.Operator = isTrue(v)
	case "attach":
		g.Attach = isTrue(v)
	case "delete":
		g.Delete = isTrue(v)
	case "leaveurgent":
		g.LeaveUrgent = isTrue(v)
	case "volgain":
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			g.VolGain = f
		}
	}
}

// newUser parses "pin,Full Name,email,pager,opt=v|opt=v".
func (c *Config) newUser(ctx, box, value string, log *slog.Logger) *User {
	g := &c.General
	u := &User{
		Context: ctx, Mailbox: box,
		ServerEmail: g.ServerEmail, FromString: g.FromString,
		SayDurationM: g.SayDurationM, Envelope: g.Envelope, SayCID: g.SayCID,
		Attach: g.Attach, Delete: g.Delete, VolGain: g.VolGain, Review: g.Review,
		LeaveUrgent: g.LeaveUrgent, Operator: g.Operator,
		MaxMsg: g.MaxMsg, MaxSecs: g.MaxSecs, MinSecs: g.MinSecs,
	}
	fields := strings.SplitN(value, ",", 5)
	get := func(i int) string {
		if i < len(fields) {
			return strings.TrimSpace(fields[i])
		}
		return ""
	}
	u.Password, u.FullName, u.Email, u.Pager = get(0), get(1), get(2), get(3)
	for _, opt := range strings.FieldsFunc(get(4), func(r rune) bool { return r == '|' }) {
		k, v, _ := strings.Cut(opt, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case "tz":
			u.TZ = v
		case "language":
			u.Language = v
		case "serveremail":
			u.ServerEmail = v
		case "fromstring":
			u.FromString = v
		case "callback":
			u.Callback = v
		case "dialout":
			u.Dialout = v
		case "exitcontext":
			u.ExitContext = v
		case "saydurationm":
			if n, err := strconv.Atoi(v); err == nil {
				u.SayDurationM = n
			}
		case "envelope":
			u.Envelope = isTrue(v)
		case "saycid":
			u.SayCID = isTrue(v)
		case "attach":
			u.Attach = isTrue(v)
		case "attachfmt":
			u.AttachFmt = v
		case "delete":
			u.Delete = isTrue(v)
		case "volgain":
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				u.VolGain = f
			}
		case "review":
			u.Review = isTrue(v)
		case "leaveurgent":
			u.LeaveUrgent = isTrue(v)
		case "operator":
			u.Operator = isTrue(v)
		case "maxmsg":
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				u.MaxMsg = n
			}
		case "maxsecs", "maxmessage":
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				u.MaxSecs = n
			}
		case "minsecs":
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				u.MinSecs = n
			}
		default:
			log.Debug("voicemail.conf: option ignored", "mailbox", u.ID(), "option", k)
		}
	}
	return u
}

// isTrue is Asterisk's ast_true.
func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}
