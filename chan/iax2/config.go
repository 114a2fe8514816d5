package iax2

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/conf"
)

// ConfigFile is the name of the IAX2 configuration file.
const ConfigFile = "iax.conf"

// DefaultPort is IAX2's well-known UDP port.
const DefaultPort = 4569

// Peer is one [section] of iax.conf.
type Peer struct {
	Name    string
	Type    string // friend, peer or user
	Dynamic bool   // host=dynamic: the peer registers
	Host    netip.Addr
	Port    uint16 // with a static host; DefaultPort by default
	Secret  string
	Auth    int // bitmask of AuthPlaintext, AuthMD5
	Context string
	// QualifyMax is qualify's limit (qualify=yes is 2000 ms); 0 means
	// qualify is off and the peer is Unmonitored.
	QualifyMax time.Duration
	// FreqOK and FreqNotOK are qualifyfreqok and qualifyfreqnotok: how
	// often a reachable and an unreachable peer are poked (0: the
	// defaults, 60 s and 10 s).
	FreqOK, FreqNotOK time.Duration
	Codecs            []string // "ulaw", "alaw", in preference order
}

// IsPeer says whether Asterism may call it (type peer or friend).
func (p *Peer) IsPeer() bool { return p.Type != "user" }

// Config is the parsed iax.conf.
type Config struct {
	BindAddr netip.Addr
	BindPort int // 0 with Options.Addr set in tests
	Peers    []*Peer
}

// Peer returns the peer named name, or nil.
func (c *Config) Peer(name string) *Peer {
	for _, p := range c.Peers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Load reads iax.conf from dir.
func Load(dir string, log *slog.Logger) (*Config, error) {
	f, err := conf.Load(dir, ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("iax2: %w", err)
	}
	return Parse(f, log), nil
}

// Parse builds the configuration; unknown options and bad values are
// logged and skipped, as chan_iax2 does.
func Parse(f *conf.File, log *slog.Logger) *Config {
	if log == nil {
		log = slog.Default()
	}
	c := &Config{BindPort: DefaultPort}
	general := []string{"ulaw", "alaw"}
	for _, w := range f.Warnings {
		log.Warn("iax.conf", "warning", w.String())
	}
	if g := f.Section("general"); g != nil {
		for _, e := range g.Entries {
			switch strings.ToLower(e.Key) {
			case "bindaddr":
				if a, err := netip.ParseAddr(e.Value); err == nil {
					c.BindAddr = a
				} else {
					log.Warn("iax.conf: bad bindaddr", "value", e.Value, "line", e.Line)
				}
			case "bindport":
				if n, err := strconv.Atoi(e.Value); err == nil && n >= 0 && n < 65536 {
					c.BindPort = n
				} else {
					log.Warn("iax.conf: bad bindport", "value", e.Value, "line", e.Line)
				}
			case "allow", "disallow":
				general = codecs(general, strings.ToLower(e.Key) == "allow", e.Value)
			}
		}
	}
	for _, s := range f.Sections {
		if s.Template || strings.EqualFold(s.Name, "general") {
			continue
		}
		p := &Peer{Name: s.Name, Type: "friend", Auth: AuthMD5, Context: "default", Port: DefaultPort,
			Codecs: append([]string(nil), general...)}
		for _, e := range s.Entries {
			v := strings.TrimSpace(e.Value)
			switch strings.ToLower(e.Key) {
			case "type":
				switch lv := strings.ToLower(v); lv {
				case "friend", "peer", "user":
					p.Type = lv
				default:
					log.Warn("iax.conf: bad type", "peer", p.Name, "value", v, "line", e.Line)
				}
			case "host":
				if strings.EqualFold(v, "dynamic") {
					p.Dynamic = true
				} else if a, err := netip.ParseAddr(v); err == nil {
					p.Host = a
				} else {
					log.Warn("iax.conf: bad host (only addresses and dynamic)", "peer", p.Name, "value", v, "line", e.Line)
				}
			case "port":
				if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 65536 {
					p.Port = uint16(n)
				} else {
					log.Warn("iax.conf: bad port", "peer", p.Name, "value", v, "line", e.Line)
				}
			case "secret":
				p.Secret = v
			case "auth":
				p.Auth = 0
				for _, m := range strings.Split(v, ",") {
					switch strings.ToLower(strings.TrimSpace(m)) {
					case "md5":
						p.Auth |= AuthMD5
					case "plaintext":
						p.Auth |= AuthPlaintext
					case "rsa":
						log.Warn("iax.conf: auth=rsa is not supported", "peer", p.Name, "line", e.Line)
					}
				}
			case "qualify":
				switch lv := strings.ToLower(v); {
				case lv == "yes" || lv == "on" || lv == "true":
					p.QualifyMax = 2 * time.Second
				case lv == "no" || lv == "off" || lv == "false":
					p.QualifyMax = 0
				default:
					if n, err := strconv.Atoi(lv); err == nil && n >= 0 {
						p.QualifyMax = time.Duration(n) * time.Millisecond
					} else {
						log.Warn("iax.conf: bad qualify", "peer", p.Name, "value", v, "line", e.Line)
					}
				}
			case "context":
				p.Context = v
			case "allow", "disallow":
				p.Codecs = codecs(p.Codecs, strings.ToLower(e.Key) == "allow", v)
			case "qualifyfreqok", "qualifyfreqnotok":
				n, err := strconv.Atoi(strings.TrimSuffix(v, "ms"))
				if err != nil || n <= 0 {
					log.Warn("iax.conf: bad "+strings.ToLower(e.Key), "peer", p.Name, "value", v, "line", e.Line)
					continue
				}
				if strings.EqualFold(e.Key, "qualifyfreqok") {
					p.FreqOK = time.Duration(n) * time.Millisecond
				} else {
					p.FreqNotOK = time.Duration(n) * time.Millisecond
				}
			case "requirecalltoken", "description", "callerid", "username", "trunk", "mailbox", "defaultip":
				// Accepted and not used: Asterism never requires call
				// tokens, and the rest only affect features it lacks.
			default:
				log.Warn("iax.conf: unknown option", "peer", p.Name, "option", e.Key, "line", e.Line)
			}
		}
		if !p.Dynamic && !p.Host.IsValid() && p.IsPeer() {
			log.Warn("iax.conf: peer without host, taken as dynamic", "peer", p.Name)
			p.Dynamic = true
		}
		c.Peers = append(c.Peers, p)
	}
	return c
}

// codecs applies one allow/disallow line; only ulaw and alaw exist here.
func codecs(cur []string, allow bool, v string) []string {
	for _, name := range strings.Split(v, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "all" {
			if allow {
				cur = []string{"ulaw", "alaw"}
			} else {
				cur = nil
			}
			continue
		}
		if name != "ulaw" && name != "alaw" {
			continue
		}
		out := cur[:0:0]
		for _, c := range cur {
			if c != name {
				out = append(out, c)
			}
		}
		if allow {
			out = append(out, name)
		}
		cur = out
	}
	return cur
}
