package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/asterism-pbx/asterism/conf"
)

// ConfigFile is the name of the queues' configuration file.
const ConfigFile = "queues.conf"

// Strategy is how a queue chooses the members it rings (app_queue's
// strategies; see metric for the exact ordering of each).
type Strategy int

// The strategies, numbered as Asterisk's QUEUE_STRATEGY_*.
const (
	RingAll Strategy = iota
	LeastRecent
	FewestCalls
	Random
	RRMemory
	Linear
	WRandom
	RROrdered
)

var strategyNames = [...]string{"ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear", "wrandom", "rrordered"}

// String returns the name queues.conf and QueueParams use.
func (s Strategy) String() string {
	if s >= 0 && int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return "unknown"
}

// ParseStrategy reads a strategy name; "roundrobin" is rrmemory, as in
// Asterisk.
func ParseStrategy(name string) (Strategy, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "roundrobin" {
		return RRMemory, true
	}
	for i, s := range strategyNames {
		if s == n {
			return Strategy(i), true
		}
	}
	return RingAll, false
}

// The conditions of joinempty and leavewhenempty (app_queue's
// enum empty_conditions): a member in one of them does not count as
// someone who could answer.
const (
	EmptyPenalty = 1 << iota
	EmptyPaused
	EmptyInUse
	EmptyRinging
	EmptyUnavailable
	EmptyInvalid
	EmptyUnknown
	EmptyWrapup
)

// Params are one queue's settings.
type Params struct {
	Name           string
	Strategy       Strategy
	Timeout        int // seconds each attempt rings; 0: no limit
	Retry          int // seconds between attempts
	Wrapup         int // seconds after a completed call before a member is rung again
	MaxLen         int // 0: unlimited
	Weight         int
	JoinEmpty      int // Empty* flags
	LeaveWhenEmpty int // Empty* flags
	// Announcements to waiting callers (say_position,
	// say_periodic_announcement); frequencies in seconds, 0: off.
	AnnounceFreq          int
	MinAnnounceFreq       int
	AnnouncePosition      int // AnnouncePosition* (announce-position)
	AnnouncePositionLimit int
	AnnounceHoldtime      int // AnnounceHoldtime* (announce-holdtime)
	RoundingSeconds       int // announce-round-seconds
	AnnounceToFirstUser   bool
	PeriodicAnnounce      []string
	PeriodicAnnounceFreq  int
	RelativePeriodic      bool
	RandomPeriodic        bool
	Sounds                Sounds
	MusicClass            string
	RingInUse             bool
	Autofill              bool
	ServiceLevel          int
	Members               []MemberConfig
}

// MemberConfig is a static member (a "member =>" line).
type MemberConfig struct {
	Interface      string
	Penalty        int
	Name           string
	StateInterface string
	RingInUse      bool
	Wrapup         int
	// ringInUseSet tells that the line gave ringinuse; otherwise it is
	// the queue's, whenever the members are (re)loaded.
	ringInUseSet bool
}

// The values of announce-position.
const (
	AnnouncePositionNo       = iota // never
	AnnouncePositionYes             // always
	AnnouncePositionLimit           // only up to the limit
	AnnouncePositionMoreThan        // "more than <limit>" beyond it
)

// The values of announce-holdtime.
const (
	AnnounceHoldtimeNo = iota
	AnnounceHoldtimeYes
	AnnounceHoldtimeOnce // only in the first position announcement
)

// maxPeriodic is MAX_PERIODIC_ANNOUNCEMENTS.
const maxPeriodic = 10

// Sounds are the files of the announcements (the queue-* options).
type Sounds struct {
	Next, ThereAre, CallsWaiting, Quantity1, Quantity2 string
	HoldTime, Minutes, Minute, Seconds, ThankYou       string
}

// defaultSounds are app_queue's default files.
var defaultSounds = Sounds{Next: "queue-youarenext", ThereAre: "queue-thereare", CallsWaiting: "queue-callswaiting",
	Quantity1: "queue-quantity1", Quantity2: "queue-quantity2", HoldTime: "queue-holdtime", Minutes: "queue-minutes",
	Minute: "queue-minute", Seconds: "queue-seconds", ThankYou: "queue-thankyou"}

// defaultParams are init_queue's defaults.
func defaultParams(name string) Params {
	return Params{Name: name, Strategy: RingAll, Timeout: 15, Retry: 5, RingInUse: true,
		MinAnnounceFreq: 15, AnnouncePosition: AnnouncePositionYes, AnnouncePositionLimit: 10,
		PeriodicAnnounce: []string{"queue-periodic-announce"}, Sounds: defaultSounds}
}

// Config is a parsed queues.conf: the queues in file order.
type Config struct {
	Queues []Params
}

// Load reads queues.conf from dir. A missing file is no queues.
func Load(dir string, log *slog.Logger) (*Config, error) {
	f, err := conf.Load(dir, ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return Parse(f, log), nil
}

// Parse builds the queues of a parsed queues.conf. Bad values and unknown
// options are logged and skipped, as Asterisk does; they never fail the
// load.
func Parse(f *conf.File, log *slog.Logger) *Config {
	if log == nil {
		log = slog.Default()
	}
	cfg := &Config{}
	autofill := false
	if g := f.Section("general"); g != nil {
		if v, ok := g.Get("autofill"); ok {
			autofill = isTrue(v)
		}
	}
	for _, s := range f.Sections {
		if strings.EqualFold(s.Name, "general") || s.Template {
			continue
		}
		p := defaultParams(s.Name)
		p.Autofill = autofill
		// The settings first, then the members, as Asterisk's
		// reload_single_queue does: a member's default ringinuse is the
		// queue's wherever the line stands.
		for _, members := range []bool{false, true} {
			for _, e := range s.Entries {
				if strings.EqualFold(e.Key, "member") != members {
					continue
				}
				if err := p.set(e.Key, e.Value); err != nil {
					log.Warn("queue: "+err.Error(), "queue", s.Name, "file", e.File, "line", e.Line)
				}
			}
		}
		dup := false
		for i := range cfg.Queues {
			if strings.EqualFold(cfg.Queues[i].Name, p.Name) {
				cfg.Queues[i], dup = p, true
			}
		}
		if !dup {
			cfg.Queues = append(cfg.Queues, p)
		}
	}
	return cfg
}

// errUnknownOption marks an option queues.conf has that Asterism ignores.
var errUnknownOption = errors.New("unknown option")

func (p *Params) set(key, value string) error {
	v := strings.TrimSpace(value)
	switch strings.ToLower(key) {
	case "strategy":
		s, ok := ParseStrategy(v)
		if !ok {
			p.Strategy = RingAll
			return fmt.Errorf("unknown strategy %q, using ringall", v)
		}
		p.Strategy = s
	case "timeout":
		n := atoi(v)
		if n < 0 {
			n = 15
		}
		p.Timeout = n
	case "retry":
		n := atoi(v)
		if n <= 0 {
			n = 5
		}
		p.Retry = n
	case "wrapuptime":
		p.Wrapup = max(atoi(v), 0)
	case "maxlen":
		p.MaxLen = max(atoi(v), 0)
	case "weight":
		p.Weight = atoi(v)
	case "servicelevel":
		p.ServiceLevel = max(atoi(v), 0)
	case "announce-frequency":
		p.AnnounceFreq = max(atoi(v), 0)
	case "min-announce-frequency":
		p.MinAnnounceFreq = max(atoi(v), 0)
	case "announce-position":
		switch {
		case strings.EqualFold(v, "limit"):
			p.AnnouncePosition = AnnouncePositionLimit
		case strings.EqualFold(v, "more"):
			p.AnnouncePosition = AnnouncePositionMoreThan
		case isTrue(v):
			p.AnnouncePosition = AnnouncePositionYes
		default:
			p.AnnouncePosition = AnnouncePositionNo
		}
	case "announce-position-limit":
		p.AnnouncePositionLimit = atoi(v)
	case "announce-holdtime":
		switch {
		case strings.EqualFold(v, "once"):
			p.AnnounceHoldtime = AnnounceHoldtimeOnce
		case isTrue(v):
			p.AnnounceHoldtime = AnnounceHoldtimeYes
		default:
			p.AnnounceHoldtime = AnnounceHoldtimeNo
		}
	case "announce-round-seconds":
		n := atoi(v)
		switch n {
		case 0, 5, 10, 15, 20, 30:
			p.RoundingSeconds = n
		default:
			p.RoundingSeconds = 0
			return fmt.Errorf("announce-round-seconds %q must be 0, 5, 10, 15, 20 or 30; using 0", v)
		}
	case "announce-to-first-user":
		p.AnnounceToFirstUser = isTrue(v)
	case "periodic-announce":
		// A comma list plays one file per announcement, in turn.
		p.PeriodicAnnounce = p.PeriodicAnnounce[:0:0]
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" && len(p.PeriodicAnnounce) < maxPeriodic {
				p.PeriodicAnnounce = append(p.PeriodicAnnounce, f)
			}
		}
	case "periodic-announce-frequency":
		p.PeriodicAnnounceFreq = max(atoi(v), 0)
	case "relative-periodic-announce":
		p.RelativePeriodic = isTrue(v)
	case "random-periodic-announce":
		p.RandomPeriodic = isTrue(v)
	case "queue-youarenext":
		p.Sounds.Next = v
	case "queue-thereare":
		p.Sounds.ThereAre = v
	case "queue-callswaiting":
		p.Sounds.CallsWaiting = v
	case "queue-quantity1":
		p.Sounds.Quantity1 = v
	case "queue-quantity2":
		p.Sounds.Quantity2 = v
	case "queue-holdtime":
		p.Sounds.HoldTime = v
	case "queue-minutes":
		p.Sounds.Minutes = v
	case "queue-minute":
		p.Sounds.Minute = v
	case "queue-seconds":
		p.Sounds.Seconds = v
	case "queue-thankyou":
		p.Sounds.ThankYou = v
	case "musicclass", "music", "musiconhold":
		p.MusicClass = v
	case "ringinuse":
		p.RingInUse = isTrue(v)
	case "autofill":
		p.Autofill = isTrue(v)
	case "joinempty":
		n, err := parseEmpty(v, true)
		p.JoinEmpty = n
		return err
	case "leavewhenempty":
		n, err := parseEmpty(v, false)
		p.LeaveWhenEmpty = n
		return err
	case "member":
		m, err := ParseMember(v, p.RingInUse)
		if err != nil {
			return err
		}
		for _, old := range p.Members {
			if strings.EqualFold(old.Interface, m.Interface) {
				return fmt.Errorf("member %q listed twice", m.Interface)
			}
		}
		p.Members = append(p.Members, m)
	// Options Asterisk has that change nothing Asterism does yet: known,
	// so no warning.
	case "context", "announce", "reportholdtime", "memberdelay",
		"timeoutrestart", "timeoutpriority", "setinterfacevar", "setqueuevar", "setqueueentryvar",
		"autopause", "autopausedelay", "autopausebusy", "autopauseunavail", "monitor-type", "monitor-format",
		"penaltymemberslimit", "queue-reporthold", "queue-callerannounce", "defaultrule",
		"log-restricted-caller-id", "servicelevel-percent":
	default:
		return fmt.Errorf("%w %q", errUnknownOption, key)
	}
	return nil
}

// ParseMember reads "interface[,penalty[,membername[,state_interface[,ringinuse[,wrapuptime]]]]]".
// The interface must be Tech/resource; the name and state interface
// default to it.
func ParseMember(s string, ringInUse bool) (MemberConfig, error) {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	m := MemberConfig{Interface: parts[0], RingInUse: ringInUse}
	if !ValidInterface(m.Interface) {
		return m, fmt.Errorf("invalid member interface %q", parts[0])
	}
	if len(parts) > 1 && parts[1] != "" {
		m.Penalty = max(atoi(parts[1]), 0)
	}
	if len(parts) > 2 {
		m.Name = parts[2]
	}
	if len(parts) > 3 {
		m.StateInterface = parts[3]
	}
	if len(parts) > 4 && parts[4] != "" {
		m.RingInUse, m.ringInUseSet = isTrue(parts[4]), true
	}
	if len(parts) > 5 {
		m.Wrapup = max(atoi(parts[5]), 0)
	}
	if m.Name == "" {
		m.Name = m.Interface
	}
	if m.StateInterface == "" {
		m.StateInterface = m.Interface
	}
	return m, nil
}

// ValidInterface reports whether s can be a member's interface: a
// technology, a slash and a resource, no blanks or control characters.
func ValidInterface(s string) bool {
	tech, res, ok := strings.Cut(s, "/")
	if !ok || tech == "" || res == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == ',' {
			return false
		}
	}
	return true
}

// parseEmpty reads a joinempty or leavewhenempty value
// (parse_empty_options): a comma list of conditions, or a truth value,
// whose meaning is inverted between the two options.
func parseEmpty(v string, join bool) (int, error) {
	const legacy = EmptyPenalty | EmptyInvalid | EmptyPaused
	switch {
	case isTrue(v):
		if join {
			return 0, nil
		}
		return legacy, nil
	case isFalse(v):
		if join {
			return legacy, nil
		}
		return 0, nil
	}
	n := 0
	var bad []string
	for _, w := range strings.Split(v, ",") {
		switch strings.ToLower(strings.TrimSpace(w)) {
		case "paused":
			n |= EmptyPaused
		case "penalty":
			n |= EmptyPenalty
		case "inuse":
			n |= EmptyInUse
		case "ringing":
			n |= EmptyRinging
		case "unavailable":
			n |= EmptyUnavailable
		case "invalid":
			n |= EmptyInvalid
		case "wrapup":
			n |= EmptyWrapup
		case "unknown":
			n |= EmptyUnknown
		case "loose":
			n |= EmptyPenalty | EmptyInvalid
		case "strict":
			n |= EmptyPenalty | EmptyInvalid | EmptyPaused | EmptyUnavailable
		case "":
		default:
			bad = append(bad, w)
		}
	}
	if len(bad) > 0 {
		return n, fmt.Errorf("unknown empty condition(s) %q", bad)
	}
	return n, nil
}

// atoi is C's atoi: the leading integer, 0 when there is none.
func atoi(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0
	}
	return n
}

// isTrue and isFalse are ast_true and ast_false.
func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}

func isFalse(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "no", "false", "n", "f", "0", "off":
		return true
	}
	return false
}
