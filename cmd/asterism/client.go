package main

// The client side of the command: -rx, action and events talk to a running
// Asterism (or Asterisk) over AMI through package ami/client.

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/ami/client"
)

// Connection defaults: those of the embedded demo config.
const (
	amiDefaultAddr   = "127.0.0.1:5038"
	amiDefaultUser   = "admin"
	amiDefaultSecret = "amp111"
)

// amiFlags are the connection settings shared by -rx, action and events.
type amiFlags struct {
	addr       string
	user       string
	secret     string
	md5        bool
	tls        bool
	skipVerify bool
	timeout    time.Duration
	crlf       bool
}

// newAMIFlags returns a flag set named name with the connection flags,
// defaulting to $ASTERISM_ADDR, $ASTERISM_USER and $ASTERISM_SECRET, then to
// the demo config's values.
func newAMIFlags(name, synopsis string, stderr io.Writer) (*flag.FlagSet, *amiFlags) {
	f := &amiFlags{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.addr, "addr", amiEnv("ASTERISM_ADDR", amiDefaultAddr), "AMI server `host:port` ($ASTERISM_ADDR)")
	user := amiEnv("ASTERISM_USER", amiDefaultUser)
	fs.StringVar(&f.user, "u", user, "AMI `user` name ($ASTERISM_USER)")
	fs.StringVar(&f.user, "user", user, "same as -u")
	secret := amiEnv("ASTERISM_SECRET", amiDefaultSecret)
	fs.StringVar(&f.secret, "s", secret, "AMI `secret` ($ASTERISM_SECRET)")
	fs.StringVar(&f.secret, "secret", secret, "same as -s")
	fs.BoolVar(&f.md5, "md5", false, "log in with an MD5 challenge instead of sending the secret")
	fs.BoolVar(&f.tls, "tls", false, "connect over TLS")
	fs.BoolVar(&f.skipVerify, "tls-skip-verify", false, "with -tls, accept any server certificate (self-signed test setups)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "give up connecting (and, but for events, waiting for the answer) after this long")
	fs.BoolVar(&f.crlf, "crlf", false, "end printed AMI lines with \\r\\n as on the wire, not \\n")
	return fs, f
}

func amiEnv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// address returns f.addr with the AMI port added when it has none.
func (f *amiFlags) address() string {
	if _, _, err := net.SplitHostPort(f.addr); err == nil {
		return f.addr
	}
	return net.JoinHostPort(strings.Trim(f.addr, "[]"), "5038")
}

// dial connects and logs in, or prints why it could not and returns nil.
func (f *amiFlags) dial(ctx context.Context, opts client.Options, stderr io.Writer) *client.Client {
	opts.Username, opts.Secret, opts.MD5 = f.user, f.secret, f.md5
	opts.Timeout = f.timeout
	if f.tls {
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: f.skipVerify, MinVersion: tls.VersionTLS12}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	addr := f.address()
	c, err := client.Dial(ctx, addr, opts)
	if err != nil {
		fmt.Fprintf(stderr, "asterism: %s\n", amiDialError(addr, f, err))
		return nil
	}
	return c
}

// request connects for one request with events off (list items still
// arrive; broadcast events would only get in the way), runs do with the
// client and a context bounded by -timeout, and returns do's exit status,
// or 1 when it could not connect.
func (f *amiFlags) request(stderr io.Writer, do func(ctx context.Context, c *client.Client) int) int {
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	c := f.dial(ctx, client.Options{Events: "off", EventBuffer: -1}, stderr)
	if c == nil {
		return 1
	}
	defer c.Close()
	return do(ctx, c)
}

// amiDialError explains a failed connection in terms of what to do next.
func amiDialError(addr string, f *amiFlags, err error) string {
	var nerr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot connect to %s: connection refused — is asterism running?", addr)
	case errors.Is(err, client.ErrAuthFailed):
		return fmt.Sprintf("cannot log in to %s as %q: authentication failed — check -u/-s or $ASTERISM_USER/$ASTERISM_SECRET", addr, f.user)
	case errors.Is(err, client.ErrBadBanner):
		return fmt.Sprintf("%s does not look like an AMI server: %v", addr, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return fmt.Sprintf("cannot connect to %s: no answer within %s (-timeout)", addr, f.timeout)
	}
	return fmt.Sprintf("cannot connect to %s: %v", addr, err)
}

// parseInterspersed parses flags wherever they stand among the arguments,
// so that `asterism -rx "core show version" -addr host:5038` works, and
// returns the other arguments. Everything after "--" is an argument.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseExit is the exit code for a failed parse: 0 for -h, 2 otherwise.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// runRX runs one CLI command through AMI and prints its output, like
// `asterisk -rx`. args are what follows "-rx": flags and the command, which
// may be one quoted argument or several words. It returns 1 when the
// server answers Error (unknown command, no permission) or cannot be
// reached.
func runRX(args []string, stdout, stderr io.Writer) int {
	fs, f := newAMIFlags("asterism -rx", `asterism -rx [flags] "<CLI command>"`, stderr)
	words, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	cmd := strings.TrimSpace(strings.Join(words, " "))
	if cmd == "" {
		fmt.Fprintln(stderr, "asterism -rx: no CLI command given")
		fs.Usage()
		return 2
	}
	return f.request(stderr, func(ctx context.Context, c *client.Client) int {
		out, err := c.Command(ctx, cmd)
		w := bufio.NewWriter(stdout)
		for _, line := range out {
			w.WriteString(line)
			w.WriteByte('\n')
		}
		if ferr := w.Flush(); ferr != nil && err == nil {
			err = ferr
		}
		if ae, ok := errors.AsType[*client.ActionError](err); ok {
			if len(out) == 0 {
				fmt.Fprintf(stderr, "asterism: %s\n", ae.Message)
			}
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "asterism: %v\n", err)
			return 1
		}
		return 0
	})
}

// runAction sends one action, `asterism action <Name> [Key=Value …]`, and
// prints the response and, for a list action, its events, in AMI form. A
// key may repeat (Variable=a=1 Variable=b=2); only the first "=" splits.
// It returns 1 when the response is Error.
func runAction(args []string, stdout, stderr io.Writer) int {
	fs, f := newAMIFlags("asterism action", "asterism action [flags] <Action> [Key=Value …]", stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) == 0 || pos[0] == "" {
		fmt.Fprintln(stderr, "asterism action: no action name given")
		fs.Usage()
		return 2
	}
	m := ami.NewMessage("Action", pos[0])
	for _, kv := range pos[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			fmt.Fprintf(stderr, "asterism action: %q is not Key=Value\n", kv)
			return 2
		}
		m.Add(strings.TrimSpace(k), v)
	}

	return f.request(stderr, func(ctx context.Context, c *client.Client) int {
		resp, err := c.Do(ctx, m)
		w := bufio.NewWriter(stdout)
		if ae, ok := errors.AsType[*client.ActionError](err); ok {
			writeAMI(w, ae.Response, f.crlf)
			w.Flush()
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "asterism: %v\n", err)
			return 1
		}
		writeAMI(w, resp.Message, f.crlf)
		for _, ev := range resp.Events {
			writeAMI(w, ev, f.crlf)
		}
		if resp.Complete != nil {
			writeAMI(w, resp.Complete, f.crlf)
		}
		if err := w.Flush(); err != nil {
			fmt.Fprintf(stderr, "asterism: %v\n", err)
			return 1
		}
		return 0
	})
}

// runEvents prints events as they come, `asterism events [-filter
// Name,Name2] [-mask call,system]`, until SIGINT or SIGTERM (exit 0) or
// until the connection ends (exit 1).
func runEvents(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return tailEvents(ctx, args, stdout, stderr)
}

// tailEvents is runEvents until ctx is done.
func tailEvents(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, f := newAMIFlags("asterism events", "asterism events [flags]", stderr)
	filter := fs.String("filter", "", "print only events with these `names`, comma-separated (case does not matter)")
	mask := fs.String("mask", "on", "event `classes` to ask for at login: on, off, or a list such as call,system")
	reconnect := fs.Bool("reconnect", false, "keep going across server restarts")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "asterism events: unexpected argument %q\n", pos[0])
		fs.Usage()
		return 2
	}
	want := map[string]bool{}
	for _, name := range strings.Split(*filter, ",") {
		if name = strings.TrimSpace(name); name != "" {
			want[strings.ToLower(name)] = true
		}
	}

	dctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	// Warnings (reconnecting, events lost to a slow terminal) go to stderr.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	c := f.dial(dctx, client.Options{Events: *mask, EventBuffer: 8192, Reconnect: *reconnect, Logger: log}, stderr)
	cancel()
	if c == nil {
		return 1
	}
	defer c.Close()

	w := bufio.NewWriter(stdout)
	events := c.Events()
	for {
		select {
		case <-ctx.Done():
			w.Flush()
			c.Close()
			amiReportDrops(c, stderr)
			return 0
		case m, ok := <-events:
			if !ok {
				w.Flush()
				fmt.Fprintf(stderr, "asterism: connection to %s ended: %v\n", f.address(), c.Err())
				amiReportDrops(c, stderr)
				return 1
			}
			if len(want) > 0 && !want[strings.ToLower(m.Get("Event"))] {
				continue
			}
			writeAMI(w, m, f.crlf)
			// Flush once the burst is written, so output is both prompt
			// and cheap.
			if len(events) == 0 {
				if err := w.Flush(); err != nil {
					fmt.Fprintf(stderr, "asterism: %v\n", err)
					return 1
				}
			}
		}
	}
}

func amiReportDrops(c *client.Client, stderr io.Writer) {
	if n := c.Dropped(); n > 0 {
		fmt.Fprintf(stderr, "asterism: %d events were lost because output could not keep up\n", n)
	}
}

// writeAMI prints m as on the wire, each header a "Key: Value" line and a
// blank line after the block, with "\n" line ends unless crlf.
func writeAMI(w *bufio.Writer, m *ami.Message, crlf bool) {
	if crlf {
		w.Write(ami.AppendMessage(nil, m))
		return
	}
	for _, h := range m.Headers {
		w.WriteString(h.Key)
		w.WriteString(": ")
		w.WriteString(h.Value)
		w.WriteByte('\n')
	}
	w.WriteByte('\n')
}
