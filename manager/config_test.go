package manager

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// loadTestConfig writes manager.conf (and any other files) to a temporary
// directory, loads it, and returns the config and the log output.
func loadTestConfig(t *testing.T, managerConf string, others map[string]string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"manager.conf": managerConf}
	for k, v := range others {
		files[k] = v
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := LoadConfig(dir, log)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return c, buf.String()
}

func TestLoadReferenceConfig(t *testing.T) {
	dir := "/work/shared/ami-reference/asterisk-20.20.1/etc"
	if _, err := os.Stat(filepath.Join(dir, "manager.conf")); err != nil {
		t.Skip("reference manager.conf not available")
	}
	var buf bytes.Buffer
	c, err := LoadConfig(dir, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("unexpected log output:\n%s", buf.String())
	}
	if !c.Enabled || c.BindAddr != "127.0.0.1" || c.Port != 5038 || c.Addr() != "127.0.0.1:5038" || c.Network() != "tcp4" {
		t.Errorf("general: %+v", c)
	}
	if len(c.Users) != 3 {
		t.Fatalf("users: %v", c.Users)
	}
	admin, reader, caller := c.User("admin"), c.User("Reader"), c.User("caller")
	if admin == nil || reader == nil || caller == nil {
		t.Fatal("missing user")
	}
	if admin.Secret != "adminpw" || admin.Read != PermAll || admin.Write != PermAll {
		t.Errorf("admin: %+v", admin)
	}
	if reader.Read != PermSystem|PermCall|PermAgent || reader.Write != 0 {
		t.Errorf("reader perms %v %v", reader.Read, reader.Write)
	}
	if caller.Write != PermCall|PermOriginate {
		t.Errorf("caller write %v", caller.Write)
	}
	for _, u := range []*User{admin, reader, caller} {
		if !u.ACL.Allowed(netip.MustParseAddr("127.0.0.1")) || u.ACL.Allowed(netip.MustParseAddr("192.168.1.1")) {
			t.Errorf("%s: ACL %s", u.Name, u.ACL)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c, logs := loadTestConfig(t, "", nil)
	if logs != "" {
		t.Errorf("logs: %s", logs)
	}
	want := DefaultConfig()
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if want.Enabled || !want.DisplayConnects || !want.AllowMultipleLogin || want.TimestampEvents ||
		want.Port != 5038 || want.AuthTimeout != 30*time.Second || want.AuthLimit != 50 {
		t.Errorf("defaults: %+v", want)
	}
	if c.Addr() != "[::]:5038" || c.Network() != "tcp" {
		t.Errorf("Addr %q Network %q", c.Addr(), c.Network())
	}
	// The TLS address is worked out even when TLS is off, as in Asterisk.
	if c.TLS.BindAddr != "[::]:5039" || c.TLS.Enable {
		t.Errorf("TLS = %+v", c.TLS)
	}
}

func TestConfigGeneral(t *testing.T) {
	tests := []struct {
		name  string
		lines string
		check func(*Config) bool
		warn  string // "" = no warning
	}{
		{"enabled", "enabled = yes", func(c *Config) bool { return c.Enabled }, ""},
		{"enabled on", "enabled = On", func(c *Config) bool { return c.Enabled }, ""},
		{"enabled junk", "enabled = maybe", func(c *Config) bool { return !c.Enabled }, "not a boolean"},
		{"webenabled", "webenabled = yes", func(c *Config) bool { return c.WebEnabled }, ""},
		{"port", "port = 6038", func(c *Config) bool { return c.Port == 6038 && c.Addr() == "[::]:6038" }, ""},
		{"port low", "port = 80", func(c *Config) bool { return c.Port == 5038 }, "invalid port"},
		{"port high", "port = 70000", func(c *Config) bool { return c.Port == 5038 }, "invalid port"},
		{"port junk", "port = abc", func(c *Config) bool { return c.Port == 5038 }, "invalid port"},
		{"bindaddr v4", "bindaddr = 0.0.0.0", func(c *Config) bool { return c.BindAddr == "0.0.0.0" && c.Network() == "tcp4" }, ""},
		{"bindaddr v6", "bindaddr = ::1", func(c *Config) bool { return c.Addr() == "[::1]:5038" && c.Network() == "tcp" }, ""},
		{"bindaddr brackets", "bindaddr = [::1]", func(c *Config) bool { return c.BindAddr == "::1" }, ""},
		{"bindaddr port ignored", "bindaddr = 10.0.0.1:6000", func(c *Config) bool { return c.Addr() == "10.0.0.1:5038" }, ""},
		{"bindaddr host name", "bindaddr = localhost", func(c *Config) bool { return c.BindAddr == "::" }, "invalid address"},
		{"displayconnects", "displayconnects = no", func(c *Config) bool { return !c.DisplayConnects }, ""},
		{"timestampevents", "timestampevents = yes", func(c *Config) bool { return c.TimestampEvents }, ""},
		{"allowmultiplelogin", "allowmultiplelogin = no", func(c *Config) bool { return !c.AllowMultipleLogin }, ""},
		{"brokeneventsaction", "brokeneventsaction = yes", func(c *Config) bool { return c.BrokenEventsAction }, ""},
		{"debug", "debug = on", func(c *Config) bool { return c.Debug }, ""},
		{"authtimeout", "authtimeout = 10", func(c *Config) bool { return c.AuthTimeout == 10*time.Second }, ""},
		{"authtimeout atoi", "authtimeout = 15s", func(c *Config) bool { return c.AuthTimeout == 15*time.Second }, ""},
		{"authtimeout zero", "authtimeout = 0", func(c *Config) bool { return c.AuthTimeout == 30*time.Second }, "invalid authtimeout"},
		{"authlimit", "authlimit = 5", func(c *Config) bool { return c.AuthLimit == 5 }, ""},
		{"authlimit negative", "authlimit = -1", func(c *Config) bool { return c.AuthLimit == 50 }, "invalid authlimit"},
		{"httptimeout", "httptimeout = 120", func(c *Config) bool { return c.HTTPTimeout == 2*time.Minute }, ""},
		{"channelvars", "channelvars = A, B ,,C", func(c *Config) bool { return reflect.DeepEqual(c.ChannelVars, []string{"A", "B", "C"}) }, ""},
		{"disabledevents", "disabledevents = Newexten,VarSet", func(c *Config) bool { return reflect.DeepEqual(c.DisabledEvents, []string{"Newexten", "VarSet"}) }, ""},
		{"key case", "ENABLED = yes", func(c *Config) bool { return c.Enabled }, ""},
		{"tls", "tlsenable = yes\ntlscertfile = /k/c.pem\ntlsprivatekey = /k/k.pem\ntlscipher = HIGH",
			func(c *Config) bool {
				return c.TLS == TLSConfig{Enable: true, BindAddr: "[::]:5039", CertFile: "/k/c.pem", PrivateKey: "/k/k.pem", Cipher: "HIGH"}
			}, ""},
		{"tls aliases", "sslenable = yes\nsslcert = c.pem", func(c *Config) bool { return c.TLS.Enable && c.TLS.CertFile == "c.pem" }, ""},
		{"tls default cert", "tlsenable = yes", func(c *Config) bool { return c.TLS.CertFile == "asterisk.pem" }, ""},
		{"tls addr follows ami addr", "bindaddr = 127.0.0.1", func(c *Config) bool { return c.TLS.BindAddr == "127.0.0.1:5039" && c.TLS.Network() == "tcp4" }, ""},
		{"tlsbindaddr", "tlsbindaddr = 10.0.0.1:6039", func(c *Config) bool { return c.TLS.BindAddr == "10.0.0.1:6039" }, ""},
		{"tlsbindaddr no port", "tlsbindaddr = 10.0.0.1", func(c *Config) bool { return c.TLS.BindAddr == "10.0.0.1:5039" }, ""},
		{"tlsbindaddr ami port", "tlsbindaddr = [::1]:5038", func(c *Config) bool { return c.TLS.BindAddr == "[::1]:5039" }, ""},
		{"tlsbindaddr bad", "tlsbindaddr = nowhere", func(c *Config) bool { return c.TLS.BindAddr == "[::]:5039" }, "invalid tlsbindaddr"},
		{"tls accepted unused", "tlsdisablev1 = yes\ntlsservercipherorder = yes", func(*Config) bool { return true }, ""},
		{"tls refused", "tlscafile = /ca.pem", func(*Config) bool { return true }, "not supported for AMI"},
		{"tlsverifyclient refused", "tlsverifyclient = yes", func(*Config) bool { return true }, "not supported for AMI"},
		{"unknown", "frobnicate = 1", func(*Config) bool { return true }, "unknown option in [general]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, logs := loadTestConfig(t, "[general]\n"+tt.lines+"\n", nil)
			if !tt.check(c) {
				t.Errorf("check failed: %+v", c)
			}
			if tt.warn == "" && logs != "" {
				t.Errorf("unexpected logs: %s", logs)
			}
			if tt.warn != "" {
				if !strings.Contains(logs, tt.warn) {
					t.Errorf("logs %q lack %q", logs, tt.warn)
				}
				if !strings.Contains(logs, "manager.conf:2") {
					t.Errorf("logs %q lack the position", logs)
				}
			}
		})
	}
}

func TestConfigUsers(t *testing.T) {
	in := `[general]
displayconnects = no
allowmultiplelogin = no

[tpl](!)
secret = fromtemplate
read = call
writetimeout = 250

[Alice](tpl)
write = system,originate
permit = 10.0.0.0/8
setvar = A=1
setvar = B=2=3
eventfilter = !Newexten
eventfilter(name(Hangup)) =

[bob]
secret = bobpw
displayconnects = yes
allowmultiplelogin = yes
writetimeout = 50

[nosecret]
read = all
`
	c, logs := loadTestConfig(t, in, nil)
	if len(c.Users) != 3 {
		t.Fatalf("users: %v", c.Users)
	}
	if c.Users["tpl"] != nil {
		t.Error("template became a user")
	}
	a := c.Users["alice"]
	if a == nil || a.Name != "Alice" || c.User("ALICE") != a {
		t.Fatalf("alice: %+v", a)
	}
	if a.Secret != "fromtemplate" || a.Read != PermCall || a.Write != PermSystem|PermOriginate {
		t.Errorf("alice perms: %+v", a)
	}
	if a.WriteTimeout != 250*time.Millisecond || a.DisplayConnects || a.AllowMultipleLogin {
		t.Errorf("alice settings: %+v", a)
	}
	if !reflect.DeepEqual(a.SetVars, []string{"A=1", "B=2=3"}) {
		t.Errorf("setvars %v", a.SetVars)
	}
	if a.Filters.Len() != 2 {
		t.Errorf("filters %v", a.Filters.Filters())
	}
	if !a.ACL.Allowed(netip.MustParseAddr("10.1.1.1")) {
		t.Error("alice ACL")
	}
	b := c.User("bob")
	if b.WriteTimeout != DefaultWriteTimeout || !b.DisplayConnects || !b.AllowMultipleLogin || b.ACL != nil || b.Filters != nil {
		t.Errorf("bob: %+v", b)
	}
	if !strings.Contains(logs, "invalid writetimeout") {
		t.Errorf("logs lack writetimeout warning: %s", logs)
	}
	n := c.User("nosecret")
	if n == nil || n.Secret != "" || n.Read != PermAll {
		t.Errorf("nosecret: %+v", n)
	}
}

func TestConfigUserWarnings(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		others map[string]string
		kept   bool
		warn   string
		check  func(*User) bool
	}{
		{"invalid permit drops user", "permit = 10.0.0.300", nil, false, "invalid ACL, user dropped", nil},
		{"invalid deny drops user", "deny = 0.0.0.0/33", nil, false, "invalid ACL, user dropped", nil},
		{"unknown option", "colour = blue", nil, true, "unknown option for user", nil},
		{"unknown perm", "read = call,bogus", nil, true, "unknown permission classes", func(u *User) bool { return u.Read == PermCall }},
		{"bad filter kept", "eventfilter(nope(x)) = y", nil, true, "invalid event filter", func(u *User) bool { return u.Filters == nil }},
		{"setvar without equals", "setvar = JUSTNAME", nil, true, "setvar needs NAME=VALUE", func(u *User) bool { return u.SetVars == nil }},
		{"acl without acl.conf", "acl = office", nil, true, "no acl.conf",
			func(u *User) bool { return !u.ACL.Allowed(netip.MustParseAddr("127.0.0.1")) }},
		{"acl missing section", "acl = office", map[string]string{"acl.conf": "[other]\npermit=1.1.1.1\n"}, true, "named ACL not found",
			func(u *User) bool { return !u.ACL.Allowed(netip.MustParseAddr("127.0.0.1")) }},
		{"acl found", "acl = office", map[string]string{"acl.conf": "[office]\ndeny = 0.0.0.0/0\npermit = 10.0.0.0/8\n"}, true, "",
			func(u *User) bool {
				return u.ACL.Allowed(netip.MustParseAddr("10.1.1.1")) && !u.ACL.Allowed(netip.MustParseAddr("11.1.1.1"))
			}},
		{"acl list and permit", "acl = a, b\ndeny = 10.9.0.0/16", map[string]string{"acl.conf": "[a]\ndeny=0.0.0.0/0\npermit=10.0.0.0/8\n[b]\ndeny = 10.1.0.0/16\n"}, true, "",
			func(u *User) bool {
				return u.ACL.Allowed(netip.MustParseAddr("10.2.1.1")) && !u.ACL.Allowed(netip.MustParseAddr("10.1.1.1")) &&
					!u.ACL.Allowed(netip.MustParseAddr("10.9.1.1")) && !u.ACL.Allowed(netip.MustParseAddr("11.1.1.1"))
			}},
		{"acl twice drops user", "acl = a\nacl = a", map[string]string{"acl.conf": "[a]\npermit=10.0.0.0/8\n"}, false, "already included", nil},
		{"acl.conf bad rule", "acl = a", map[string]string{"acl.conf": "[a]\npermit=banana\n"}, true, "invalid rule",
			func(u *User) bool { return !u.ACL.Allowed(netip.MustParseAddr("10.1.1.1")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, logs := loadTestConfig(t, "[general]\nbindaddr=127.0.0.1\n[u]\nsecret = pw\n"+tt.user+"\n[other]\nsecret = x\n", tt.others)
			u := c.User("u")
			if (u != nil) != tt.kept {
				t.Fatalf("user kept = %v, want %v; logs: %s", u != nil, tt.kept, logs)
			}
			if c.User("other") == nil {
				t.Error("other user lost")
			}
			if tt.warn == "" && logs != "" {
				t.Errorf("unexpected logs: %s", logs)
			}
			if tt.warn != "" && !strings.Contains(logs, tt.warn) {
				t.Errorf("logs %q lack %q", logs, tt.warn)
			}
			if tt.check != nil && u != nil && !tt.check(u) {
				t.Errorf("check failed: %+v (ACL %s)", u, u.ACL)
			}
		})
	}
}

func TestConfigNeverLogsSecrets(t *testing.T) {
	const secret = "Sup3r-S3cret-Value"
	in := "[general]\nsecret = " + secret + "\n[u]\nsecret = " + secret + "\nsecert = " + secret +
		"\nenabled = " + secret + "\n[u2](nonexistent_is_error_so_not_here)\n"
	in = strings.Replace(in, "[u2](nonexistent_is_error_so_not_here)\n", "[u2]\nsecret = "+secret+"\npasword = "+secret+"\n", 1)
	_, logs := loadTestConfig(t, in, nil)
	if strings.Contains(logs, secret) {
		t.Errorf("a secret was logged:\n%s", logs)
	}
	if !strings.Contains(logs, "key=secert") || !strings.Contains(logs, "key=secret") {
		t.Errorf("expected warnings naming the keys:\n%s", logs)
	}
}

func TestConfigDuplicates(t *testing.T) {
	in := `[general]
enabled = yes
[General]
enabled = no
port = 1

[u]
secret = first
read = call
permit = 10.0.0.0/8
eventfilter = x
setvar = A=1
[U]
write = system
deny = 10.1.0.0/16
`
	c, logs := loadTestConfig(t, in, nil)
	if !c.Enabled || c.Port != 5038 {
		t.Errorf("second [general] was used: %+v", c)
	}
	if !strings.Contains(logs, "duplicate [general]") || !strings.Contains(logs, "user defined again") {
		t.Errorf("logs: %s", logs)
	}
	if c.Users["general"] != nil || len(c.Users) != 1 {
		t.Errorf("users: %v", c.Users)
	}
	u := c.User("u")
	// Settings carry over; ACL, filters and setvars start afresh.
	if u.Name != "u" || u.Secret != "first" || u.Read != PermCall || u.Write != PermSystem {
		t.Errorf("u: %+v", u)
	}
	if u.Filters != nil || u.SetVars != nil {
		t.Errorf("filters/setvars not reset: %+v", u)
	}
	if !u.ACL.Allowed(netip.MustParseAddr("11.0.0.1")) || u.ACL.Allowed(netip.MustParseAddr("10.1.0.1")) {
		t.Errorf("ACL not reset: %s", u.ACL)
	}
}

func TestConfigDuplicateRescuesInvalidACL(t *testing.T) {
	// Asterisk quirk kept: a later section for the same user clears the
	// "delete" mark left by an invalid ACL in an earlier one.
	c, _ := loadTestConfig(t, "[u]\nsecret=a\npermit=bogus\n[u]\npermit=10.0.0.0/8\n", nil)
	if c.User("u") == nil {
		t.Error("user dropped")
	}
	c, _ = loadTestConfig(t, "[u]\nsecret=a\npermit=10.0.0.0/8\n[u]\npermit=bogus\n", nil)
	if c.User("u") != nil {
		t.Error("user kept")
	}
}

func TestConfigIPv6Warning(t *testing.T) {
	in := "[u]\nsecret=x\ndeny=0.0.0.0/0.0.0.0\npermit=127.0.0.1\n"
	_, logs := loadTestConfig(t, in, nil)
	if !strings.Contains(logs, "only IPv4 rules") {
		t.Errorf("no IPv6 warning with the default bind address: %s", logs)
	}
	_, logs = loadTestConfig(t, "[general]\nbindaddr=0.0.0.0\n"+in, nil)
	if logs != "" {
		t.Errorf("IPv4 listener, unexpected logs: %s", logs)
	}
	_, logs = loadTestConfig(t, in+"deny=::/0\n", nil)
	if logs != "" {
		t.Errorf("IPv6 rule present, unexpected logs: %s", logs)
	}
}

func TestConfigIncludeAndWarnings(t *testing.T) {
	c, logs := loadTestConfig(t, "[general]\nenabled=yes\n#include users.conf\nbroken line\n",
		map[string]string{"users.conf": "[inc]\nsecret=x\n"})
	if c.User("inc") == nil {
		t.Error("included user missing")
	}
	if !strings.Contains(logs, "no '='") || !strings.Contains(logs, "manager.conf:4") {
		t.Errorf("parser warning not logged: %s", logs)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	_, err := LoadConfig(t.TempDir(), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manager.conf"), []byte("secret = x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "manager.conf:1:") {
		t.Errorf("entry before section: %v", err)
	}
	if _, err := ParseConfig(nil, nil); err == nil {
		t.Error("ParseConfig(nil) succeeded")
	}
}
