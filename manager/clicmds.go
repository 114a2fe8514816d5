package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/cli"
)

// registerCLI adds the manager's CLI commands and the core ones that need
// only what the manager knows (version, uptime, reload).
func (m *Manager) registerCLI() {
	m.cli.MustRegister(
		&cli.Command{Words: []string{"core", "show", "version"}, Summary: "Display version info",
			Run: func(_ context.Context, w io.Writer, _ []string) error {
				// Asterisk's own shape, which version probes parse; the
				// "built by" slot names Asterism.
				host, _ := os.Hostname()
				fmt.Fprintf(w, "Asterisk %s built by Asterism-%s @ %s on a %s running %s on %s\n",
					AsteriskVersion, AsterismVersion, host, archName(), osName(), buildTime().UTC().Format("2006-01-02 15:04:05 MST"))
				return nil
			}},
		&cli.Command{Words: []string{"core", "show", "uptime"}, Args: "[seconds]", MaxArgs: 1,
			Summary: "Show uptime information", Run: m.cliUptime},
		&cli.Command{Words: []string{"manager", "show", "commands"}, Summary: "Show manager commands",
			Run: m.cliShowCommands},
		&cli.Command{Words: []string{"manager", "show", "command"}, Args: "<actionname> [<actionname> [<actionname> [...]]]",
			MinArgs: 1, MaxArgs: -1, Summary: "Show a manager interface command", Run: m.cliShowCommand},
		&cli.Command{Words: []string{"manager", "show", "connected"}, Summary: "List connected manager interface users",
			Run: m.cliShowConnected},
		&cli.Command{Words: []string{"manager", "show", "users"}, Summary: "List configured manager users",
			Run: m.cliShowUsers},
		&cli.Command{Words: []string{"manager", "show", "user"}, Args: "<username>", MinArgs: 1, MaxArgs: 1,
			Summary: "Display information on a specific manager user", Run: m.cliShowUser},
		&cli.Command{Words: []string{"manager", "reload"}, Summary: "Reload manager configurations",
			Run: func(context.Context, io.Writer, []string) error { return m.Reload() }},
		&cli.Command{Words: []string{"core", "reload"}, Summary: "Global reload",
			Run: func(context.Context, io.Writer, []string) error { return m.ReloadModule("") }},
		&cli.Command{Words: []string{"module", "reload"}, Args: "[module ...]", MaxArgs: -1,
			Summary: "Reload configuration for a module", Run: m.cliModuleReload},
	)
}

// buildTime is when the binary's source was committed, if the build
// recorded it, else when the process started.
func buildTime() time.Time {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t
				}
			}
		}
	}
	return processStart
}

var processStart = time.Now()

func archName() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

func osName() string {
	if runtime.GOOS == "linux" {
		return "Linux"
	}
	return runtime.GOOS
}

// formatDuration renders a duration in Asterisk's "core show uptime" words.
func formatDuration(d time.Duration) string {
	secs := int64(d / time.Second)
	parts := []struct {
		n    int64
		name string
	}{
		{secs / (365 * 86400), "year"},
		{secs % (365 * 86400) / (7 * 86400), "week"},
		{secs % (7 * 86400) / 86400, "day"},
		{secs % 86400 / 3600, "hour"},
		{secs % 3600 / 60, "minute"},
	}
	var out []string
	for _, p := range parts {
		if p.n > 0 {
			out = append(out, plural(p.n, p.name))
		}
	}
	out = append(out, plural(secs%60, "second"))
	return strings.Join(out, ", ")
}

func plural(n int64, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (m *Manager) cliUptime(_ context.Context, w io.Writer, args []string) error {
	now := m.now()
	up, reload := now.Sub(m.started), now.Sub(m.LastReload())
	if len(args) == 1 {
		if args[0] != "seconds" {
			return cli.ErrShowUsage
		}
		fmt.Fprintf(w, "System uptime: %d\nLast reload: %d\n", int64(up/time.Second), int64(reload/time.Second))
		return nil
	}
	fmt.Fprintf(w, "System uptime: %s\nLast reload: %s\n", formatDuration(up), formatDuration(reload))
	return nil
}

func (m *Manager) cliShowCommands(_ context.Context, w io.Writer, _ []string) error {
	const f = "  %-15.15s  %-15.15s  %-55.55s\n"
	fmt.Fprintf(w, f, "Action", "Privilege", "Synopsis")
	fmt.Fprintf(w, f, "------", "---------", "--------")
	for _, a := range m.Actions() {
		fmt.Fprintf(w, f, a.Name, a.Perm.String(), a.Synopsis)
	}
	return nil
}

func (m *Manager) cliShowCommand(_ context.Context, w io.Writer, args []string) error {
	found := false
	for _, name := range args {
		a := m.Action(name)
		if a == nil {
			continue
		}
		found = true
		fmt.Fprintf(w, "[Synopsis]\n%s\n\n[Description]\n%s\n\n[Privilege]\n%s\n\n", a.Synopsis, a.Description, a.Perm.String())
	}
	if !found {
		fmt.Fprintf(w, "No manager action found for %s\n", strings.Join(args, " "))
	}
	return nil
}

func (m *Manager) cliShowConnected(_ context.Context, w io.Writer, _ []string) error {
	const hf = "  %-15.15s  %-55.55s  %-10.10s  %-10.10s  %-8.8s  %-8.8s  %-10.10s  %-10.10s\n"
	const rf = "  %-15.15s  %-55.55s  %-10d  %-10d  %-8d  %-8d  %-10d  %-10d\n"
	fmt.Fprintf(w, hf, "Username", "IP Address", "Start", "Elapsed", "FileDes", "HttpCnt", "ReadPerms", "WritePerms")
	now := m.now()
	sessions := m.Sessions()
	for _, s := range sessions {
		u := s.User()
		if u == nil {
			continue
		}
		fmt.Fprintf(w, rf, u.Name, s.remote, s.start.Unix(), int64(now.Sub(s.start)/time.Second), s.fd, 0, uint32(u.Read), uint32(u.Write))
	}
	fmt.Fprintf(w, "%d users connected.\n", len(sessions))
	return nil
}

func (m *Manager) sortedUsers() []*User {
	cfg := m.cfg.Load()
	us := make([]*User, 0, len(cfg.Users))
	for _, u := range cfg.Users {
		us = append(us, u)
	}
	sort.Slice(us, func(i, j int) bool { return us[i].Name < us[j].Name })
	return us
}

func (m *Manager) cliShowUsers(_ context.Context, w io.Writer, _ []string) error {
	us := m.sortedUsers()
	if len(us) == 0 {
		fmt.Fprintf(w, "There are no manager users.\n")
		return nil
	}
	fmt.Fprintf(w, "\nusername\n--------\n")
	for _, u := range us {
		fmt.Fprintf(w, "%s\n", u.Name)
	}
	fmt.Fprintf(w, "-------------------\n%d manager users configured.\n", len(us))
	return nil
}

func (m *Manager) cliShowUser(_ context.Context, w io.Writer, args []string) error {
	u := m.cfg.Load().Users[strings.ToLower(args[0])]
	if u == nil {
		fmt.Fprintf(w, "There is no manager user named '%s'\n", args[0])
		return nil
	}
	secret := "(N/A)"
	if u.Secret != "" {
		secret = "<Set>"
	}
	acl := "no"
	if u.ACL != nil {
		acl = "yes"
	}
	fmt.Fprintf(w, "\n          username: %s\n            secret: %s\n               ACL: %s\n         read perm: %s\n        write perm: %s\n   displayconnects: %s\nallowmultiplelogin: %s\n",
		u.Name, secret, acl, u.Read.String(), u.Write.String(), yesNo(u.DisplayConnects), yesNo(u.AllowMultipleLogin))
	fmt.Fprintf(w, "         Variables: \n")
	for _, v := range u.SetVars {
		name, value, _ := strings.Cut(v, "=")
		fmt.Fprintf(w, "                 %s = %s\n", name, value)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (m *Manager) cliModuleReload(_ context.Context, w io.Writer, args []string) error {
	if len(args) == 0 {
		return m.ReloadModule("")
	}
	var first error
	for _, name := range args {
		err := m.ReloadModule(name)
		switch {
		case errors.Is(err, errNoModule):
			fmt.Fprintf(w, "No such module '%s'\n", name)
		case err != nil:
			fmt.Fprintf(w, "The module '%s' reported a reload failure\n", name)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}
