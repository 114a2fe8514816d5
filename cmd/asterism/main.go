// Command asterism runs the Asterism PBX and its AMI server, and talks to a
// running one as a client.
//
//	asterism                          run with the embedded demo config
//	asterism serve [-C DIR]           run with the Asterisk config files in DIR
//	asterism -rx "core show version"  run a CLI command through AMI
//	asterism action Ping [Key=Value…] send one AMI action, print the answer
//	asterism events [-filter Name]    print events as they come
//	asterism demo-config DIR          write the demo config to DIR to edit
package main

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbxami"
	"github.com/asterism-pbx/asterism/system"
)

//go:embed demo
var demoFS embed.FS

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runServe(nil, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "-rx", "--rx", "-x":
		return runRX(args[1:], stdout, stderr)
	case "action":
		return runAction(args[1:], stdout, stderr)
	case "events":
		return runEvents(args[1:], stdout, stderr)
	case "demo-config":
		return runDemoConfig(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "Asterism %s (speaks AMI %s as Asterisk %s)\n", manager.AsterismVersion, manager.AMIVersion, manager.AsteriskVersion)
		return 0
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	if args[0] != "" && args[0][0] == '-' {
		// Flags without a subcommand are serve's: `asterism -C DIR`.
		return runServe(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "asterism: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  asterism                          run with the embedded demo config (AMI on 127.0.0.1:5038)
  asterism serve [-C DIR] [-v]      run with the Asterisk config files in DIR
  asterism -rx "core show version"  run a CLI command through AMI (like asterisk -rx)
  asterism action NAME [Key=Value…] send one AMI action and print the answer
  asterism events [-filter NAME,…]  print AMI events as they come
  asterism demo-config DIR          write the embedded demo config to DIR, to edit
  asterism version

Client commands connect to $ASTERISM_ADDR (default 127.0.0.1:5038) as
$ASTERISM_USER / $ASTERISM_SECRET (default: the demo's admin / amp111).
`)
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dir := fl.String("C", "", "Asterisk config `dir`ectory (manager.conf, asterisk.conf …); empty: the embedded demo")
	verbose := fl.Bool("v", false, "debug logging")
	cpuProfile := fl.String("cpuprofile", "", "write a CPU profile to `file` until shutdown (for performance work)")
	memProfile := fl.String("memprofile", "", "write a heap profile to `file` at shutdown (for performance work)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *memProfile != "" {
		defer func() {
			f, err := os.Create(*memProfile)
			if err != nil {
				fmt.Fprintf(stderr, "asterism: %v\n", err)
				return
			}
			defer f.Close()
			runtime.GC()
			if err := pprof.WriteHeapProfile(f); err != nil {
				fmt.Fprintf(stderr, "asterism: %v\n", err)
			}
		}()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "asterism: %v\n", err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "asterism: %v\n", err)
			return 1
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	demo := *dir == ""
	if demo {
		d, err := os.MkdirTemp("", "asterism-demo-")
		if err != nil {
			fmt.Fprintf(stderr, "asterism: %v\n", err)
			return 1
		}
		defer os.RemoveAll(d)
		if err := writeDemo(d); err != nil {
			fmt.Fprintf(stderr, "asterism: writing the demo config: %v\n", err)
			return 1
		}
		*dir = d
	}
	srv, err := startServer(*dir, log)
	if err != nil {
		fmt.Fprintf(stderr, "asterism: %v\n", err)
		return 1
	}
	for _, a := range srv.addrs {
		fmt.Fprintf(stdout, "Asterism %s: AMI listening on %s\n", manager.AsterismVersion, a)
	}
	if demo {
		fmt.Fprintf(stdout, `Running the embedded demo config (written to %s).
Log in with any AMI client:  Username: admin  Secret: amp111
Try:  go run ./cmd/asterism action Ping
      go run ./cmd/asterism -rx "core show version"
      go run ./cmd/asterism events
Your own Asterisk config:  asterism serve -C /etc/asterisk   (start from: asterism demo-config DIR)
`, *dir)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	for {
		select {
		case err := <-srv.failed:
			log.Error("listener failed", "err", err)
			srv.shutdown(log)
			return 1
		case s := <-sig:
			if s == syscall.SIGHUP {
				if err := srv.mgr.ReloadModule(""); err != nil {
					log.Error("reload failed", "err", err)
				}
				continue
			}
			log.Info("shutting down", "signal", s.String())
			srv.shutdown(log)
			return 0
		}
	}
}

// server is a running Asterism: the manager, the PBX behind it and the
// listeners.
type server struct {
	mgr    *manager.Manager
	pbx    *pbxami.PBX
	addrs  []string
	failed chan error
}

// startServer loads the configuration in dir (manager.conf, asterisk.conf,
// extensions.conf, sim.conf), starts the PBX and the AMI listeners.
func startServer(dir string, log *slog.Logger) (*server, error) {
	sys, err := system.Load(dir, log)
	if err != nil {
		return nil, err
	}
	cfg, err := manager.LoadConfig(dir, log)
	if err != nil {
		return nil, err
	}
	mgr := manager.New(manager.Options{
		Config:     cfg,
		Reload:     func() (*manager.Config, error) { return manager.LoadConfig(dir, log) },
		SystemName: sys.SystemName,
		Logger:     log,
	})
	p, err := pbxami.Start(mgr, pbxami.Config{Dir: dir, DataDir: sys.DataDir, SystemName: sys.SystemName, LogDir: sys.LogDir, SpoolDir: sys.SpoolDir, VarLibDir: sys.VarLibDir, Logger: log})
	if err != nil {
		return nil, err
	}
	srv := &server{mgr: mgr, pbx: p, failed: make(chan error, 2)}
	if !cfg.Enabled {
		log.Warn("manager.conf has enabled = no: AMI is off")
		return srv, nil
	}
	ln, err := net.Listen(cfg.Network(), cfg.Addr())
	if err != nil {
		return nil, fmt.Errorf("AMI listener: %w", err)
	}
	srv.serve(ln)
	if cfg.TLS.Enable {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.PrivateKey)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("AMI over TLS: tlscertfile/tlsprivatekey: %w", err)
		}
		tln, err := tls.Listen(cfg.TLS.Network(), cfg.TLS.BindAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("AMI over TLS listener: %w", err)
		}
		srv.serve(tln)
	}
	return srv, nil
}

func (s *server) serve(ln net.Listener) {
	s.addrs = append(s.addrs, ln.Addr().String())
	go func() {
		if err := s.mgr.Serve(ln); err != nil && !errors.Is(err, manager.ErrServerClosed) {
			s.failed <- err
		}
	}()
}

func (s *server) shutdown(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.pbx.Shutdown(ctx); err != nil {
		log.Warn("calls did not end cleanly", "err", err)
	}
	if err := s.mgr.Shutdown(ctx); err != nil {
		log.Warn("shutdown did not finish cleanly", "err", err)
	}
}

// writeDemo copies the embedded demo configuration into dir.
func writeDemo(dir string) error {
	return fs.WalkDir(demoFS, "demo", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("demo", path)
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := demoFS.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func runDemoConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: asterism demo-config DIR")
		return 2
	}
	if err := os.MkdirAll(args[0], 0o755); err != nil {
		fmt.Fprintf(stderr, "asterism: %v\n", err)
		return 1
	}
	if err := writeDemo(args[0]); err != nil {
		fmt.Fprintf(stderr, "asterism: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Demo config written to %s; run it with: asterism serve -C %s\n", args[0], args[0])
	return 0
}
