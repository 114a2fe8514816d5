// Package amitest starts an in-process Asterism AMI server for tests: yours,
// if you write an AMI client, and ours. The server listens on a free
// loopback port and stops when the test ends. A PBX runs behind it, with
// Local and simulated (Sim) phones: by default the dialplan of
// DefaultExtensionsConf and the phones of DefaultSimConf.
//
//	srv := amitest.Start(t)
//	conn, _ := net.Dial("tcp", srv.Addr)
//	// log in as srv.Username / srv.Secret
package amitest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbxami"
	"github.com/asterism-pbx/asterism/system"
)

// DefaultManagerConf is the manager.conf used when no other is given: one
// user, admin / amp111, allowed everything from loopback.
const DefaultManagerConf = `[general]
enabled = yes
bindaddr = 127.0.0.1

[admin]
secret = amp111
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all
`

// DefaultExtensionsConf is the dialplan used when no other is given.
const DefaultExtensionsConf = `[globals]
TESTGLOBAL = hello

[default]
; 600: answer and echo
exten => 600,1,Answer()
 same => n,Echo()
 same => n,Hangup()
; 2000: a long-lived answered channel
exten => 2000,1,Answer()
 same => n,Set(TESTVAR=testvalue)
 same => n,Wait(120)
 same => n,Hangup()
; 3000: answer and hang up at once
exten => 3000,1,Answer()
 same => n,Hangup()

[bench]
exten => _X.,1,Answer()
 same => n,Hangup()
`

// DefaultSimConf is the simulated phones used when no other is given.
const DefaultSimConf = `[100]
answer = 0
play = tone:440

[101]
answer = 0
play = echo

[102]
answer = busy

[103]
answer = noanswer
`

// Server is a running test server.
type Server struct {
	// Addr is host:port of the AMI listener.
	Addr string
	// Username and Secret log in as the default user (when the default
	// config is used).
	Username, Secret string
	// Manager is the server itself, for tests that publish events or read
	// counters.
	Manager *manager.Manager
	// Dir is the config directory the server read.
	Dir string
	// PBX is the core behind the manager, its adapter and its phones.
	PBX *pbxami.PBX
}

type options struct {
	dir        string
	conf       string
	systemName string
	logger     *slog.Logger
	maxPending int
	extensions string
	simConf    string
}

// Option changes how Start sets the server up.
type Option func(*options)

// ConfigDir reads manager.conf (and asterisk.conf, extensions.conf and
// sim.conf, if present) from dir.
func ConfigDir(dir string) Option { return func(o *options) { o.dir = dir } }

// ManagerConf uses the given text as manager.conf.
func ManagerConf(text string) Option { return func(o *options) { o.conf = text } }

// ExtensionsConf uses the given text as extensions.conf (when no ConfigDir
// is given).
func ExtensionsConf(text string) Option { return func(o *options) { o.extensions = text } }

// SimConf uses the given text as sim.conf (when no ConfigDir is given).
func SimConf(text string) Option { return func(o *options) { o.simConf = text } }

// SystemName sets the system name (asterisk.conf [options] systemname).
func SystemName(name string) Option { return func(o *options) { o.systemName = name } }

// Logger sends the server's logs to l (by default they are discarded).
func Logger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// MaxPending sets the per-session output bound, to test slow consumers.
func MaxPending(n int) Option { return func(o *options) { o.maxPending = n } }

// Start starts a server and registers its shutdown with t.Cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{conf: DefaultManagerConf, extensions: DefaultExtensionsConf, simConf: DefaultSimConf}
	for _, f := range opts {
		f(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(discard{}, nil))
	}
	dir := o.dir
	if dir == "" {
		dir = t.TempDir()
		for name, text := range map[string]string{"manager.conf": o.conf, "extensions.conf": o.extensions, "sim.conf": o.simConf} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatalf("amitest: %v", err)
			}
		}
	}
	sys, err := system.Load(dir, o.logger)
	if err != nil {
		t.Fatalf("amitest: %v", err)
	}
	if o.systemName != "" {
		sys.SystemName = o.systemName
	}
	cfg, err := manager.LoadConfig(dir, o.logger)
	if err != nil {
		t.Fatalf("amitest: manager.conf: %v", err)
	}
	m := manager.New(manager.Options{
		Config:     cfg,
		Reload:     func() (*manager.Config, error) { return manager.LoadConfig(dir, o.logger) },
		SystemName: sys.SystemName,
		Logger:     o.logger,
		MaxPending: o.maxPending,
	})
	p, err := pbxami.Start(m, pbxami.Config{Dir: dir, DataDir: sys.DataDir, LogDir: sys.LogDir, SpoolDir: sys.SpoolDir, SystemName: sys.SystemName,
		// Tests run side by side: never the well-known IAX2 port.
		IAXAddr: "127.0.0.1:0", Logger: o.logger})
	if err != nil {
		t.Fatalf("amitest: pbx: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("amitest: listen: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Serve(ln); err != nil && !errors.Is(err, manager.ErrServerClosed) {
			t.Errorf("amitest: serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Shutdown(ctx)
		m.Shutdown(ctx)
		<-done
	})
	return &Server{Addr: ln.Addr().String(), Username: "admin", Secret: "amp111", Manager: m, Dir: dir, PBX: p}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
