package manager

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/conf"
)

// Defaults of manager.conf, from Asterisk's manager_set_defaults and
// __init_manager.
const (
	DefaultBindAddr     = "::" // Asterisk binds "[::]": every address, IPv4 and IPv6
	DefaultPort         = 5038
	DefaultTLSPort      = 5039
	DefaultAuthTimeout  = 30 * time.Second
	DefaultAuthLimit    = 50
	DefaultHTTPTimeout  = 60 * time.Second
	DefaultWriteTimeout = 100 * time.Millisecond
	DefaultCertFile     = "asterisk.pem" // AST_CERTFILE
)

// Config is manager.conf: the [general] settings and the users.
type Config struct {
	Enabled            bool   // [general] enabled; Asterisk's default is no
	WebEnabled         bool   // AMI over HTTP (webenabled)
	BindAddr           string // an IP address, no brackets
	Port               int
	DisplayConnects    bool
	TimestampEvents    bool
	AllowMultipleLogin bool
	BrokenEventsAction bool // brokeneventsaction: the 1.x Events reply quirk
	AuthTimeout        time.Duration
	AuthLimit          int           // most unauthenticated sessions at once
	HTTPTimeout        time.Duration // HTTP manager session lifetime
	ChannelVars        []string
	Debug              bool
	DisabledEvents     []string // event names never generated, case-sensitive
	TLS                TLSConfig

	// Users is keyed by the lower-cased user name: Asterisk looks users up
	// without regard to case.
	Users map[string]*User
}

// TLSConfig is the AMI-over-TLS listener of [general] (tlsenable ...).
type TLSConfig struct {
	Enable   bool
	BindAddr string // host:port; by default the AMI address with port 5039
	CertFile string
	// PrivateKey is the key file; empty means the key is in CertFile, as
	// with Asterisk.
	PrivateKey string
	Cipher     string // OpenSSL cipher list, as configured
}

// User is one [username] section of manager.conf.
type User struct {
	Name string // as written in the section header

	// Secret is the password. A user without one can never log in. It
	// must never be logged.
	Secret string

	Read, Write Perm

	WriteTimeout       time.Duration
	DisplayConnects    bool // from [general] unless set for the user
	AllowMultipleLogin bool // from [general] unless set for the user

	ACL     *ACL       // nil: every address is allowed
	Filters *FilterSet // nil: every event passes

	// SetVars are the setvar= values, "NAME=VALUE", in the order written.
	// They go on every channel the user originates, before the request's
	// own variables, which win.
	SetVars []string
}

// DefaultConfig returns the settings Asterisk uses when manager.conf does
// not say otherwise, with no users.
func DefaultConfig() *Config {
	return &Config{
		BindAddr:           DefaultBindAddr,
		Port:               DefaultPort,
		DisplayConnects:    true,
		AllowMultipleLogin: true,
		AuthTimeout:        DefaultAuthTimeout,
		AuthLimit:          DefaultAuthLimit,
		HTTPTimeout:        DefaultHTTPTimeout,
		TLS: TLSConfig{
			BindAddr: net.JoinHostPort(DefaultBindAddr, strconv.Itoa(DefaultTLSPort)),
			CertFile: DefaultCertFile,
		},
		Users: map[string]*User{},
	}
}

// Addr returns the address the AMI listener binds, "host:port".
func (c *Config) Addr() string {
	return net.JoinHostPort(c.BindAddr, strconv.Itoa(c.Port))
}

// Network returns the network to listen on for Addr: "tcp4" for an IPv4
// address, so that an IPv4 bind address does not also accept IPv6 (Go's
// "tcp" listens on both for 0.0.0.0), and "tcp" otherwise.
func (c *Config) Network() string { return listenNetwork(c.BindAddr) }

// Network returns the network to listen on for BindAddr; see
// [Config.Network].
func (t TLSConfig) Network() string {
	host, _, err := net.SplitHostPort(t.BindAddr)
	if err != nil {
		return "tcp"
	}
	return listenNetwork(host)
}

func listenNetwork(host string) string {
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return "tcp4"
	}
	return "tcp"
}

// User returns the user called name, compared without regard to case, or
// nil.
func (c *Config) User(name string) *User {
	return c.Users[strings.ToLower(name)]
}

// LoadConfig reads dir/manager.conf (and what it includes) and returns the
// configuration. The parser's warnings and every setting that is ignored are
// logged on log; a missing file is an error for which
// errors.Is(err, fs.ErrNotExist) holds. acl= lines name sections of
// dir/acl.conf.
func LoadConfig(dir string, log *slog.Logger) (*Config, error) {
	if log == nil {
		log = slog.Default()
	}
	f, err := conf.Load(dir, "manager.conf")
	if err != nil {
		return nil, fmt.Errorf("loading manager.conf: %w", err)
	}
	for _, w := range f.Warnings {
		log.Warn("manager.conf: "+w.Msg, "pos", fmt.Sprintf("%s:%d", w.File, w.Line))
	}
	return ParseConfig(f, log)
}

// ParseConfig builds the configuration from a parsed manager.conf, as
// Asterisk's __init_manager does. Nothing in it is fatal: a bad value is
// logged and the default kept, an unknown option is logged and ignored, a
// user with an invalid ACL is logged and left out. The error is reserved
// for a File that cannot be used at all (nil). Warnings carry the position
// ("pos", file:line) and the key, never a value that could be a secret.
func ParseConfig(f *conf.File, log *slog.Logger) (*Config, error) {
	if f == nil {
		return nil, errors.New("manager config: no file")
	}
	if log == nil {
		log = slog.Default()
	}
	p := &configParser{f: f, log: log, cfg: DefaultConfig()}
	p.general()
	p.users()
	return p.cfg, nil
}

type configParser struct {
	f   *conf.File
	log *slog.Logger
	cfg *Config

	acls       *conf.File // acl.conf, loaded at the first acl= line
	aclsLoaded bool
}

func pos(e conf.Entry) string { return fmt.Sprintf("%s:%d", e.File, e.Line) }

// warn logs a problem with an entry. The entry's value is not logged: it
// could be a secret.
func (p *configParser) warn(msg string, e conf.Entry, args ...any) {
	p.log.Warn("manager.conf: "+msg, append([]any{"pos", pos(e), "key", e.Key}, args...)...)
}

// boolValue is Asterisk's ast_true, warning about values that are neither
// true nor false (which Asterisk silently takes as false).
func (p *configParser) boolValue(e conf.Entry) bool {
	switch strings.ToLower(strings.TrimSpace(e.Value)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	case "no", "false", "n", "f", "0", "off":
		return false
	}
	p.warn("not a boolean, taken as no", e, "value", e.Value)
	return false
}

// atoi is C's atoi, which Asterisk uses for the numeric options: leading
// blanks, a sign, digits, and 0 when there are none ("30s" is 30).
func atoi(s string) int {
	n, _ := scanInt(s)
	return n
}

// number sets *dst to the entry's value, read with atoi, when it is
// lo or more, and reports whether it did. Otherwise it warns and *dst
// keeps its default; what names the option in the warning.
func (p *configParser) number(dst *int, e conf.Entry, lo int, what string) bool {
	n := atoi(e.Value)
	if n < lo {
		p.warn("invalid "+what+", using the default", e, "value", e.Value)
		return false
	}
	*dst = n
	return true
}

// duration is number for a count of unit.
func (p *configParser) duration(dst *time.Duration, e conf.Entry, lo int, unit time.Duration, what string) {
	var n int
	if p.number(&n, e, lo, what) {
		*dst = time.Duration(n) * unit
	}
}

func (p *configParser) general() {
	gens := p.f.SectionsNamed("general")
	if len(gens) == 0 {
		return
	}
	for _, g := range gens[1:] {
		// Asterisk reads only the first [general]; the others are not
		// users either.
		p.log.Warn("manager.conf: duplicate [general] section ignored", "pos", fmt.Sprintf("%s:%d", g.File, g.Line))
	}
	c := p.cfg
	tlsAddr := ""
	var tlsEntry conf.Entry
	for _, e := range gens[0].Entries {
		switch strings.ToLower(e.Key) {
		case "enabled":
			c.Enabled = p.boolValue(e)
		case "webenabled":
			c.WebEnabled = p.boolValue(e)
		case "port":
			n, err := strconv.Atoi(strings.TrimSpace(e.Value))
			if err != nil || n < 1024 || n > 65535 {
				p.warn("invalid port number (1024-65535), using the default", e, "value", e.Value, "default", DefaultPort)
				continue
			}
			c.Port = n
		case "bindaddr":
			a, ok := parseBindAddr(e.Value)
			if !ok {
				p.warn("invalid address, using the default", e, "value", e.Value, "default", c.BindAddr)
				continue
			}
			c.BindAddr = a
		case "brokeneventsaction":
			c.BrokenEventsAction = p.boolValue(e)
		case "allowmultiplelogin":
			c.AllowMultipleLogin = p.boolValue(e)
		case "displayconnects":
			c.DisplayConnects = p.boolValue(e)
		case "timestampevents":
			c.TimestampEvents = p.boolValue(e)
		case "debug":
			c.Debug = p.boolValue(e)
		case "httptimeout":
			p.duration(&c.HTTPTimeout, e, 1, time.Second, "httptimeout")
		case "authtimeout":
			p.duration(&c.AuthTimeout, e, 1, time.Second, "authtimeout")
		case "authlimit":
			p.number(&c.AuthLimit, e, 1, "authlimit")
		case "channelvars":
			c.ChannelVars = splitList(e.Value)
		case "disabledevents":
			c.DisabledEvents = splitList(e.Value)

		// TLS options, read by ast_tls_read_conf (aliases included).
		case "tlsenable", "sslenable":
			c.TLS.Enable = p.boolValue(e)
		case "tlsbindaddr", "sslbindaddr":
			tlsAddr, tlsEntry = e.Value, e
		case "tlscertfile", "sslcert", "tlscert":
			c.TLS.CertFile = e.Value
		case "tlsprivatekey", "sslprivatekey":
			c.TLS.PrivateKey = e.Value
		case "tlscipher", "sslcipher":
			c.TLS.Cipher = e.Value
		case "tlsservercipherorder", "tlsdisablev1", "tlsdisablev11", "tlsdisablev12":
			// Accepted by Asterisk; Go's crypto/tls chooses protocol
			// versions and cipher order itself.
			p.log.Debug("manager.conf: TLS option accepted but not used", "pos", pos(e), "key", e.Key)
		case "tlscafile", "tlscapath", "tlscadir", "tlsverifyclient",
			"tlsdontverifyserver", "tlsclientmethod", "sslclientmethod":
			// Asterisk deliberately refuses these for AMI (no client
			// certificates) and reports them as invalid.
			p.warn("TLS option not supported for AMI, ignored", e)
		default:
			p.warn("unknown option in [general], ignored", e)
		}
	}
	c.TLS.BindAddr = p.tlsBindAddr(tlsAddr, tlsEntry)
}

// tlsBindAddr works out the TLS listener address as __init_manager does:
// tlsbindaddr if valid, else the AMI address; and port 5039 when no port
// was given or when it is the AMI port.
func (p *configParser) tlsBindAddr(spec string, e conf.Entry) string {
	c := p.cfg
	host, port := c.BindAddr, 0
	if spec != "" {
		h, pt, ok := parseHostPort(spec)
		if ok {
			host, port = h, pt
		} else {
			p.warn("invalid tlsbindaddr, using the AMI address", e, "value", spec)
		}
	}
	if port == 0 || port == c.Port {
		port = DefaultTLSPort
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// parseBindAddr accepts what ast_parse_arg(PARSE_ADDR|PARSE_PORT_IGNORE)
// does: a numeric address, with brackets or a port that is ignored.
func parseBindAddr(s string) (string, bool) {
	h, _, ok := parseHostPort(s)
	return h, ok
}

// parseHostPort parses "addr", "addr:port", "[v6]", "[v6]:port" or a bare
// IPv6 address. port is 0 when none is given.
func parseHostPort(s string) (host string, port int, ok bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil && !strings.Contains(s, "]:") {
		return a.WithZone("").String(), 0, true
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return "", 0, false
	}
	return ap.Addr().WithZone("").String(), int(ap.Port()), true
}

// splitList splits a comma-separated value, dropping blanks and empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (p *configParser) users() {
	c := p.cfg
	keep := map[*User]bool{}
	var order []*User
	for _, s := range p.f.Sections {
		if strings.EqualFold(s.Name, "general") {
			continue
		}
		key := strings.ToLower(s.Name)
		u := c.Users[key]
		if u == nil {
			u = &User{
				Name:               s.Name,
				WriteTimeout:       DefaultWriteTimeout,
				DisplayConnects:    c.DisplayConnects,
				AllowMultipleLogin: c.AllowMultipleLogin,
			}
			c.Users[key] = u
			order = append(order, u)
		} else {
			// Asterisk finds the same user again and starts its ACL,
			// filters and setvars afresh; the other settings carry over.
			p.log.Warn("manager.conf: user defined again; its ACL, filters and setvars start afresh",
				"pos", fmt.Sprintf("%s:%d", s.File, s.Line), "user", s.Name)
			u.ACL, u.Filters, u.SetVars = nil, nil, nil
		}
		keep[u] = p.user(u, s)
	}
	for _, u := range order {
		if !keep[u] {
			delete(c.Users, strings.ToLower(u.Name))
			continue
		}
		p.checkACLFamilies(u)
	}
}

// user applies the entries of section s to u. It reports false when the
// user must be dropped because of an invalid ACL.
func (p *configParser) user(u *User, s *conf.Section) bool {
	ok := true
	for _, e := range s.Entries {
		k := strings.ToLower(e.Key)
		switch k {
		case "secret":
			u.Secret = e.Value
		case "permit", "deny", "acl":
			if err := p.addACL(u, k, e); err != nil {
				p.log.Warn("manager.conf: invalid ACL, user dropped", "pos", pos(e), "user", u.Name,
					"key", e.Key, "value", e.Value, "err", err)
				ok = false
			}
		case "read":
			u.Read = p.perm(e)
		case "write":
			u.Write = p.perm(e)
		case "displayconnects":
			u.DisplayConnects = p.boolValue(e)
		case "allowmultiplelogin":
			u.AllowMultipleLogin = p.boolValue(e)
		case "writetimeout":
			p.duration(&u.WriteTimeout, e, 100, time.Millisecond, "writetimeout (at least 100 ms)")
		case "setvar":
			if !strings.Contains(e.Value, "=") {
				p.warn("setvar needs NAME=VALUE, ignored", e)
				continue
			}
			u.SetVars = append(u.SetVars, e.Value)
		default:
			if strings.HasPrefix(k, "eventfilter") {
				f, err := ParseFilter(e.Key, e.Value)
				if err != nil {
					p.warn("invalid event filter, ignored", e, "err", err)
					continue
				}
				if u.Filters == nil {
					u.Filters = &FilterSet{}
				}
				u.Filters.Add(f)
				continue
			}
			p.warn("unknown option for user, ignored", e, "user", u.Name)
		}
	}
	return ok
}

func (p *configParser) perm(e conf.Entry) Perm {
	perm, unknown := ParsePerm(e.Value)
	if len(unknown) > 0 {
		p.warn("unknown permission classes ignored", e, "classes", strings.Join(unknown, ","))
	}
	return perm
}

// addACL applies one permit=, deny= or acl= line (ast_append_acl).
func (p *configParser) addACL(u *User, key string, e conf.Entry) error {
	if u.ACL == nil {
		u.ACL = &ACL{}
	}
	switch key {
	case "permit":
		return u.ACL.Permit(e.Value)
	case "deny":
		return u.ACL.Deny(e.Value)
	}
	for _, name := range strings.Split(e.Value, ",") {
		name = strings.TrimLeft(name, " \t")
		named := p.namedACL(name, e)
		if err := u.ACL.AddNamed(name, named); err != nil {
			return err
		}
	}
	return nil
}

// namedACL returns the rules of section name of acl.conf, or nil (which
// makes the user's ACL deny everyone, as in Asterisk) when acl.conf or the
// section is missing or invalid.
func (p *configParser) namedACL(name string, e conf.Entry) *ACL {
	if !p.aclsLoaded {
		p.aclsLoaded = true
		f, err := conf.Load(p.f.Dir, "acl.conf")
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.log.Warn("manager.conf: acl= used but there is no acl.conf", "pos", pos(e), "dir", p.f.Dir)
		case err != nil:
			p.log.Warn("manager.conf: cannot read acl.conf", "pos", pos(e), "err", err)
		default:
			p.acls = f
			for _, w := range f.Warnings {
				p.log.Warn("acl.conf: "+w.Msg, "pos", fmt.Sprintf("%s:%d", w.File, w.Line))
			}
		}
	}
	var s *conf.Section
	if p.acls != nil {
		s = p.acls.Section(name)
	}
	if s == nil {
		p.log.Warn("manager.conf: named ACL not found; this user will be refused from every address",
			"pos", pos(e), "acl", name)
		return nil
	}
	a := &ACL{}
	for _, ae := range s.Entries {
		var err error
		switch strings.ToLower(ae.Key) {
		case "permit":
			err = a.Permit(ae.Value)
		case "deny":
			err = a.Deny(ae.Value)
		default:
			p.log.Warn("acl.conf: unknown option, ignored", "pos", pos(ae), "key", ae.Key)
			continue
		}
		if err != nil {
			p.log.Warn("acl.conf: invalid rule; the named ACL will refuse every address",
				"pos", pos(ae), "acl", name, "value", ae.Value, "err", err)
			return nil
		}
	}
	return a
}

// checkACLFamilies warns when a user's ACL has IPv4 rules but no IPv6 rule
// while the listener accepts IPv6: such rules do not apply to IPv6
// clients, which are then allowed (Asterisk behaves the same way).
func (p *configParser) checkACLFamilies(u *User) {
	if u.ACL == nil || p.cfg.Network() == "tcp4" {
		return
	}
	if v4, v6 := u.ACL.families(); v4 && !v6 {
		p.log.Warn("manager.conf: user's ACL has only IPv4 rules; IPv6 clients are not restricted by them",
			"user", u.Name, "bindaddr", p.cfg.BindAddr)
	}
}
