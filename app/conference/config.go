package conference

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/asterism-pbx/asterism/conf"
)

// Room is a conference of meetme.conf's [rooms]: conf => confno[,pin[,adminpin]].
type Room struct {
	Name     string
	PIN      string
	AdminPIN string
}

// MeetMeConfig is a parsed meetme.conf.
type MeetMeConfig struct {
	Rooms []Room
}

// Room returns the room called name.
func (c *MeetMeConfig) Room(name string) (Room, bool) {
	for _, r := range c.Rooms {
		if r.Name == name {
			return r, true
		}
	}
	return Room{}, false
}

// LoadMeetMe reads meetme.conf from dir; a missing file is no rooms.
func LoadMeetMe(dir string, log *slog.Logger) (*MeetMeConfig, error) {
	f, err := conf.Load(dir, "meetme.conf")
	if errors.Is(err, fs.ErrNotExist) {
		return &MeetMeConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("conference: %w", err)
	}
	return ParseMeetMe(f, log), nil
}

// ParseMeetMe builds the rooms of a parsed meetme.conf.
func ParseMeetMe(f *conf.File, log *slog.Logger) *MeetMeConfig {
	if log == nil {
		log = slog.Default()
	}
	c := &MeetMeConfig{}
	s := f.Section("rooms")
	if s == nil {
		return c
	}
	for _, e := range s.Entries {
		if !strings.EqualFold(e.Key, "conf") {
			continue
		}
		parts := strings.Split(e.Value, ",")
		r := Room{Name: strings.TrimSpace(parts[0])}
		if r.Name == "" {
			log.Warn("conference: meetme.conf: conf without a number", "file", e.File, "line", e.Line)
			continue
		}
		if len(parts) > 1 {
			r.PIN = strings.TrimSpace(parts[1])
		}
		if len(parts) > 2 {
			r.AdminPIN = strings.TrimSpace(parts[2])
		}
		c.Rooms = append(c.Rooms, r)
	}
	return c
}

// BridgeProfile is a confbridge.conf section of type bridge.
type BridgeProfile struct {
	Name       string
	MaxMembers int // 0: no limit
}

// UserProfile is a confbridge.conf section of type user.
type UserProfile struct {
	Name          string
	Admin         bool
	Marked        bool
	StartMuted    bool
	Quiet         bool
	WaitMarked    bool
	EndMarked     bool
	TalkDetection bool // talk_detection_events
}

// ConfBridgeConfig is a parsed confbridge.conf.
type ConfBridgeConfig struct {
	Bridges map[string]BridgeProfile
	Users   map[string]UserProfile
}

// DefaultConfBridgeConfig is confbridge.conf's built-in profiles:
// default_bridge and default_user.
func DefaultConfBridgeConfig() *ConfBridgeConfig {
	return &ConfBridgeConfig{
		Bridges: map[string]BridgeProfile{"default_bridge": {Name: "default_bridge"}},
		Users:   map[string]UserProfile{"default_user": {Name: "default_user"}},
	}
}

// LoadConfBridge reads confbridge.conf from dir; a missing file gives the
// default profiles only.
func LoadConfBridge(dir string, log *slog.Logger) (*ConfBridgeConfig, error) {
	f, err := conf.Load(dir, "confbridge.conf")
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultConfBridgeConfig(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("conference: %w", err)
	}
	return ParseConfBridge(f, log), nil
}

// ParseConfBridge builds the profiles of a parsed confbridge.conf. Unknown
// options and bad values are logged and skipped.
func ParseConfBridge(f *conf.File, log *slog.Logger) *ConfBridgeConfig {
	if log == nil {
		log = slog.Default()
	}
	c := DefaultConfBridgeConfig()
	for _, s := range f.Sections {
		if s.Template || strings.EqualFold(s.Name, "general") {
			continue
		}
		typ, _ := s.Get("type")
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "bridge":
			b := BridgeProfile{Name: s.Name}
			if v, ok := s.Get("max_members"); ok {
				if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d", &b.MaxMembers); err != nil {
					log.Warn("conference: confbridge.conf: bad max_members", "profile", s.Name, "value", v)
				}
			}
			c.Bridges[s.Name] = b
		case "user":
			u := UserProfile{Name: s.Name}
			for _, e := range s.Entries {
				on := isTrue(e.Value)
				switch strings.ToLower(e.Key) {
				case "type":
				case "admin":
					u.Admin = on
				case "marked":
					u.Marked = on
				case "startmuted":
					u.StartMuted = on
				case "quiet":
					u.Quiet = on
				case "wait_marked":
					u.WaitMarked = on
				case "end_marked":
					u.EndMarked = on
				case "talk_detection_events":
					u.TalkDetection = on
				default:
					log.Debug("conference: confbridge.conf: option not supported", "profile", s.Name, "option", e.Key)
				}
			}
			c.Users[s.Name] = u
		case "menu":
		default:
			log.Warn("conference: confbridge.conf: section without a known type", "section", s.Name, "type", typ)
		}
	}
	return c
}

// isTrue is Asterisk's ast_true.
func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}
