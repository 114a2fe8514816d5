// Command amibench puts load on an AMI (Asterisk Manager Interface) server on
// this machine and reports throughput, latency and, with -pid, the server's
// CPU time and memory. Its subcommands and flags are those of the tool that
// measured Asterisk 20.20.1 (see ami-reference/PERF.md), so that the numbers
// compare.
//
// Usage:
//
//	amibench [global flags] <subcommand> [flags]
//
// Subcommands:
//
//	ping      -c C -n N -d D      C connections, each N sequential Pings
//	pipeline  -k K                K Pings written without waiting on one connection
//	fanout    -s S -d D -w W [-stall X]   UserEvent fan-out to S subscribers
//	sessions  -m M -par P -hold H logged-in sessions held open
//	originate -n N -w W [-s S]    async Originates with W in flight (S subscribers count each call's events)
//	calls     -n N -w W -hold H   N bridged calls of Sim phones held for H
//
// Global flags (accepted before or after the subcommand): -addr, -user,
// -secret, -timeout, -optimeout, -par, -drain, -pid, -json. Every run is
// bounded by its count and duration flags and, as a whole, by -timeout.
// Load only ever goes to a loopback address.
//
// Exit status: 0 if every check passed, 1 on an error that stopped the run,
// 2 on bad usage, 3 if the run completed but a check failed (lost events,
// unanswered Pings, failed logins, …).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Exit statuses.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitProblem = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and writes its report; it returns the exit
// status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	rep, asJSON, err := execute(ctx, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "amibench: %v\n", err)
		return exitUsage
	}
	if rep != nil {
		var werr error
		if asJSON {
			werr = rep.writeJSON(stdout)
		} else {
			werr = rep.writeText(stdout)
		}
		if werr != nil {
			fmt.Fprintf(stderr, "amibench: %v\n", werr)
			return exitError
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "amibench: %v\n", err)
		return exitError
	}
	if !rep.OK {
		return exitProblem
	}
	return exitOK
}

// usageError is a bad command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// globalFlags are the flags shared by every subcommand.
type globalFlags struct {
	addr      string
	user      string
	secret    string
	timeout   time.Duration
	opTimeout time.Duration
	drain     time.Duration
	par       int
	pid       int
	json      bool
}

// register adds the global flags to fs, with their current values as
// defaults, so that values given before the subcommand are kept.
func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.addr, "addr", g.addr, "AMI server `host:port`; must be a loopback address")
	fs.StringVar(&g.user, "user", g.user, "AMI `username`")
	fs.StringVar(&g.secret, "secret", g.secret, "AMI `secret`")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "cap on the whole run")
	fs.DurationVar(&g.opTimeout, "optimeout", g.opTimeout, "cap on one connect, banner, login or alive check")
	fs.DurationVar(&g.drain, "drain", g.drain, "how long to wait for outstanding replies and events once sending stopped")
	fs.IntVar(&g.par, "par", g.par, "logins in flight at a time")
	fs.IntVar(&g.pid, "pid", g.pid, "server `PID`: report its CPU time and RSS from /proc")
	fs.BoolVar(&g.json, "json", g.json, "print the report as JSON")
}

// defaultGlobals returns the global flags' defaults: the embedded demo
// configuration of Asterism.
func defaultGlobals() globalFlags {
	return globalFlags{
		addr:      "127.0.0.1:5038",
		user:      "admin",
		secret:    "amp111",
		timeout:   60 * time.Second,
		opTimeout: 20 * time.Second,
		drain:     5 * time.Second,
		par:       10,
	}
}

// subcommand is one entry of the command table.
type subcommand struct {
	name     string
	synopsis string
	// flags registers the subcommand's own flags and returns the function
	// that runs it.
	flags func(fs *flag.FlagSet) func(ctx context.Context, b *bench) error
}

// subcommands is the command table.
var subcommands = []subcommand{
	{"ping", "C connections, each sends N sequential Pings (or until D): ops/s and latency", pingFlags},
	{"pipeline", "one connection writes K Pings without waiting; checks all are answered in order", pipelineFlags},
	{"fanout", "one publisher sends UserEvents with W in flight to S subscribers (+X stalled)", fanoutFlags},
	{"sessions", "open M logged-in sessions P at a time, hold them, check they are alive", sessionsFlags},
	{"originate", "N async Originates with W in flight: OriginateResponse and Hangup events", originateFlags},
	{"calls", "N bridged calls of simulated phones held H: server CPU/RSS, Status and CoreShowChannels times, Hangup", callsFlags},
}

// usage writes the top-level help.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: amibench [global flags] <subcommand> [flags]\n\nsubcommands:\n")
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.synopsis)
	}
	fmt.Fprintf(w, "\nglobal flags (also accepted after the subcommand):\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nrun 'amibench <subcommand> -h' for the flags of a subcommand.\n")
}

// execute parses args, runs the subcommand and returns its report and
// whether it should be printed as JSON. A nil report comes with an error.
func execute(ctx context.Context, args []string, stderr io.Writer) (*report, bool, error) {
	g := defaultGlobals()
	top := flag.NewFlagSet("amibench", flag.ContinueOnError)
	top.SetOutput(stderr)
	g.register(top)
	top.Usage = func() { usage(stderr, top) }
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, false, err
		}
		return nil, false, usageError{err.Error()}
	}
	if top.NArg() == 0 {
		usage(stderr, top)
		return nil, false, usageError{"no subcommand given"}
	}
	name := top.Arg(0)
	var cmd *subcommand
	for i := range subcommands {
		if subcommands[i].name == name {
			cmd = &subcommands[i]
		}
	}
	if cmd == nil {
		return nil, false, usageError{fmt.Sprintf("unknown subcommand %q (want ping, pipeline, fanout, sessions, originate or calls)", name)}
	}
	fs := flag.NewFlagSet("amibench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	runFn := cmd.flags(fs)
	g.register(fs)
	subArgs := top.Args()[1:]
	if err := fs.Parse(subArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, false, err
		}
		return nil, false, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, false, usageError{fmt.Sprintf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	dialAddr, err := loopbackAddr(g.addr)
	if err != nil {
		return nil, g.json, usageError{err.Error()}
	}
	if g.timeout <= 0 || g.opTimeout <= 0 || g.drain < 0 || g.par < 1 {
		return nil, g.json, usageError{"-timeout and -optimeout must be positive, -drain not negative, -par at least 1"}
	}
	if g.pid < 0 {
		return nil, g.json, usageError{"-pid must be a process id"}
	}

	b := &bench{
		g:        g,
		dialAddr: dialAddr,
		tag:      fmt.Sprintf("ab%06x-", rand.Uint32()&0xffffff),
		rep: &report{
			Command: name,
			Args:    redact(args),
			Addr:    dialAddr,
			Started: time.Now(),
			CPUs:    runtime.NumCPU(),
		},
		server: cpuMeter{pid: g.pid},
		tool:   cpuMeter{pid: 0},
		ticks:  clockTicks(),
	}
	if g.pid > 0 {
		if _, err := cpuTicks(g.pid); err != nil {
			return nil, g.json, fmt.Errorf("-pid %d: %w", g.pid, err)
		}
		b.rssBefore, _ = rssKiB(g.pid)
	}

	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	b.deadline, _ = ctx.Deadline()
	err = runFn(ctx, b)
	b.finish(ctx)
	if err != nil {
		if b.stopped(ctx) {
			err = fmt.Errorf("%w (run stopped by -timeout or interrupt)", err)
		}
		return b.rep, g.json, err
	}
	return b.rep, g.json, nil
}

// redact returns args with the value of -secret replaced, for reports.
func redact(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "secret" {
			continue
		}
		if hasValue {
			out[i] = a[:strings.Index(a, "=")+1] + "***"
		} else if i+1 < len(out) {
			out[i+1] = "***"
		}
	}
	return out
}

// loopbackAddr checks that addr is host:port with a loopback host
// (127.0.0.0/8, ::1 or localhost) and returns the address to dial.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("-addr %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("-addr %q: port must be a number", addr)
	}
	refuse := fmt.Errorf("-addr %q refused: amibench only loads this machine; use a loopback address (127.0.0.0/8, ::1 or localhost)", addr)
	if strings.EqualFold(host, "localhost") {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return "", refuse
	}
	ip = ip.Unmap()
	if !ip.IsLoopback() {
		return "", refuse
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// bench is the state of one run, shared by the subcommands.
type bench struct {
	g        globalFlags
	dialAddr string
	// tag starts every ActionID (and names the UserEvents) of this run, so
	// that replies and events of other clients are not counted.
	tag       string
	rep       *report
	server    cpuMeter
	tool      cpuMeter
	ticks     int64 // clock ticks per second
	measuring bool
	rssBefore int64
	deadline  time.Time // the end of the run set by -timeout
}

// stopped reports whether the run was interrupted or reached -timeout.
// It looks at the clock too: sockets carry the same deadline as ctx and may
// time out a moment before ctx notices.
func (b *bench) stopped(ctx context.Context) bool {
	return ctx.Err() != nil || (!b.deadline.IsZero() && !time.Now().Before(b.deadline))
}

// beginMeasure starts the measured phase: CPU time is counted from here.
func (b *bench) beginMeasure() {
	b.measuring = true
	if b.g.pid > 0 {
		b.server.start()
	}
	b.tool.start()
}

// endMeasure ends the measured phase, in which ops operations of the given
// unit took elapsed.
func (b *bench) endMeasure(ops int64, unit string, elapsed time.Duration) {
	if !b.measuring {
		return
	}
	b.measuring = false
	if b.g.pid > 0 {
		b.server.stop()
	}
	b.tool.stop()
	r := b.rep
	r.Ops = ops
	r.OpUnit = unit
	r.ElapsedS = elapsed.Seconds()
	if elapsed > 0 {
		r.OpsPerS = float64(ops) / elapsed.Seconds()
	}
}

// usage converts a cpuMeter into its report form.
func (b *bench) usage(m *cpuMeter) *procUsage {
	u := &procUsage{PID: m.pid}
	if m.err != nil {
		u.Error = m.err.Error()
		return u
	}
	u.CPUS = float64(m.ticks) / float64(b.ticks)
	if m.wall > 0 {
		u.CPUPctOfCore = 100 * u.CPUS / m.wall.Seconds()
	}
	if b.rep.Ops > 0 {
		u.CPUUsPerOp = u.CPUS * 1e6 / float64(b.rep.Ops)
	}
	return u
}

// finish completes the report after the subcommand returned.
func (b *bench) finish(ctx context.Context) {
	r := b.rep
	if b.measuring {
		// The subcommand failed during its measured phase.
		b.endMeasure(r.Ops, r.OpUnit, time.Since(b.tool.at0))
	}
	if !b.tool.at0.IsZero() {
		r.Tool = b.usage(&b.tool)
		r.Tool.PID = os.Getpid()
	}
	if b.g.pid > 0 {
		if !b.server.at0.IsZero() {
			r.Server = b.usage(&b.server)
		} else {
			r.Server = &procUsage{PID: b.g.pid}
		}
		r.Server.RSSBeforeKiB = b.rssBefore
		if kib, err := rssKiB(b.g.pid); err == nil {
			r.Server.RSSAfterKiB = kib
		} else if r.Server.Error == "" {
			r.Server.Error = err.Error()
		}
	}
	if b.stopped(ctx) {
		if errors.Is(ctx.Err(), context.Canceled) {
			r.problemf("run interrupted")
		} else {
			r.problemf("run stopped by -timeout %v", b.g.timeout)
		}
	}
	r.OK = len(r.Problems) == 0
}

// openMany opens n logged-in connections, b.g.par at a time, with the given
// Events value and buffer sizes. It returns the connections opened (in no
// particular order), the failures by kind and the login latencies. It stops
// early when ctx is done.
func (b *bench) openMany(ctx context.Context, n int, events string, readBuf, writeBuf int) ([]*amiConn, map[string]int, *histogram) {
	type result struct {
		a    *amiConn
		err  error
		took time.Duration
	}
	jobs := make(chan struct{})
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(b.g.par, n) {
		wg.Go(func() {
			for range jobs {
				t0 := time.Now()
				a, err := b.dial(ctx, readBuf, writeBuf)
				if err == nil {
					if err = b.login(a, events); err != nil {
						a.close()
						a = nil
					}
				}
				results <- result{a, err, time.Since(t0)}
			}
		})
	}
	go func() {
		defer close(jobs)
		for range n {
			select {
			case jobs <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var conns []*amiConn
	fails := map[string]int{}
	var lat histogram
	var firstErr error
	failed := 0
	for res := range results {
		if res.err != nil {
			if b.stopped(ctx) {
				continue // stopped by the run's end, not the server's fault
			}
			fails[kindOf(res.err)]++
			failed++
			if firstErr == nil {
				firstErr = res.err
			}
			continue
		}
		lat.record(res.took)
		if b.rep.Banner == "" {
			b.rep.Banner = res.a.banner
		}
		conns = append(conns, res.a)
	}
	if firstErr != nil {
		b.rep.problemf("%d of %d logins failed (%s); first: %v", failed, n, countsText(fails), firstErr)
	}
	return conns, fails, &lat
}

// openOne opens the one logged-in connection of pipeline, fanout's
// publisher or originate, with bulk buffers and the given Events value.
func (b *bench) openOne(ctx context.Context, events string) (*amiConn, error) {
	conns, _, _ := b.openMany(ctx, 1, events, bulkReadBuf, bulkWriteBuf)
	if len(conns) == 0 {
		return nil, errNoSession
	}
	return conns[0], nil
}

// closeAll closes every connection.
func closeAll(conns []*amiConn) {
	for _, a := range conns {
		a.close()
	}
}

// errNoSession is returned when no connection could be opened.
var errNoSession = errors.New("no session could be opened")
