// Package cli is Asterism's command-line command table: the commands an
// admin types at `asterism -rx` or sends in an AMI Command action, such as
// "core show version". Each feature registers its commands here; the table
// resolves a typed line to a command by whole words, as Asterisk's CLI does,
// and words the "No such command" answer exactly as Asterisk 20 does, since
// scripts match on it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Command is one CLI command.
type Command struct {
	// Words are the fixed words that name the command, e.g.
	// {"core", "show", "version"}. Arguments follow them.
	Words []string
	// Args is the usage of the arguments, e.g. "<name>", shown in help.
	Args string
	// Summary is the one-line description shown by "core show help".
	Summary string
	// Usage is the long help shown by "core show help <command>".
	Usage string
	// MinArgs and MaxArgs bound the number of arguments after Words;
	// MaxArgs < 0 means no upper bound.
	MinArgs, MaxArgs int
	// Run executes the command, writing its output to w. args are the
	// words after Words.
	Run func(ctx context.Context, w io.Writer, args []string) error
}

// Name returns the command's words joined by spaces.
func (c *Command) Name() string { return strings.Join(c.Words, " ") }

// ErrNoSuchCommand is wrapped by the error Run returns for a line that names
// no command.
var ErrNoSuchCommand = errors.New("no such command")

// ErrShowUsage is returned by a command (or by the table when the argument
// count is wrong) to have the command's usage printed, as Asterisk's
// CLI_SHOWUSAGE does.
var ErrShowUsage = errors.New("show usage")

// Registry is a table of commands, safe for concurrent use.
type Registry struct {
	mu   sync.RWMutex
	cmds []*Command
}

// NewRegistry returns a table holding the built-in help commands.
func NewRegistry() *Registry {
	r := &Registry{}
	r.MustRegister(&Command{
		Words:   []string{"core", "show", "help"},
		Args:    "[command]",
		Summary: "Display help list, or specific help on a command",
		Usage:   "Usage: core show help [topic]\n       When called with a topic as an argument, displays usage\n       information on the given command.  If called without a\n       topic, it provides a list of commands.\n",
		MaxArgs: -1,
		Run:     r.help,
	})
	return r
}

// Register adds a command. Two commands may not share the same words.
func (r *Registry) Register(c *Command) error {
	if len(c.Words) == 0 || c.Run == nil {
		return fmt.Errorf("cli: command %q: needs words and Run", c.Name())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.cmds {
		if sameWords(o.Words, c.Words) {
			return fmt.Errorf("cli: command %q registered twice", c.Name())
		}
	}
	r.cmds = append(r.cmds, c)
	sort.Slice(r.cmds, func(i, j int) bool { return r.cmds[i].Name() < r.cmds[j].Name() })
	return nil
}

// MustRegister is Register for built-in commands, whose words are known
// good: it panics on a programming error.
func (r *Registry) MustRegister(cs ...*Command) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Commands returns the registered commands, sorted by name.
func (r *Registry) Commands() []*Command {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]*Command(nil), r.cmds...)
}

func sameWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Split breaks a command line into words. Double quotes group words and a
// backslash escapes the next byte, as in Asterisk's parse_args.
func Split(line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted, escaped := false, false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case c == '\\':
			escaped, inWord = true, true
		case c == '"':
			quoted = !quoted
			inWord = true
		case (c == ' ' || c == '\t') && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// find returns the command whose words are the longest prefix of words.
func (r *Registry) find(words []string) *Command {
	var best *Command
	for _, c := range r.cmds {
		if len(c.Words) <= len(words) && sameWords(c.Words, words[:len(c.Words)]) {
			if best == nil || len(c.Words) > len(best.Words) {
				best = c
			}
		}
	}
	return best
}

// bestPrefix mimics Asterisk's find_best: it extends the prefix word by word
// while some command of exactly that many words matches all but the last
// one, and names the prefix at which that stops, so that the suggestion in
// "No such command" is the one Asterisk would print.
func (r *Registry) bestPrefix(words []string) string {
	n := 0
	for n < len(words) {
		n++
		if n == 1 {
			continue // Asterisk always has one-word commands.
		}
		found := false
		for _, c := range r.cmds {
			if len(c.Words) == n && sameWords(c.Words[:n-1], words[:n-1]) {
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	return strings.Join(words[:n], " ")
}

// Run executes line, writing the command's output to w. A line naming no
// command writes Asterisk's "No such command" text and returns an error
// wrapping ErrNoSuchCommand; a command's own failure is returned as is.
func (r *Registry) Run(ctx context.Context, line string, w io.Writer) error {
	words := Split(line)
	r.mu.RLock()
	c := r.find(words)
	var hint string
	if c == nil {
		hint = r.bestPrefix(words)
	}
	r.mu.RUnlock()
	if c == nil {
		fmt.Fprintf(w, "No such command '%s' (type 'core show help %s' for other possible commands)\n", line, hint)
		return fmt.Errorf("cli: %q: %w", line, ErrNoSuchCommand)
	}
	args := words[len(c.Words):]
	err := ErrShowUsage
	if len(args) >= c.MinArgs && (c.MaxArgs < 0 || len(args) <= c.MaxArgs) {
		err = c.Run(ctx, w, args)
	}
	if errors.Is(err, ErrShowUsage) {
		io.WriteString(w, c.usage())
	}
	return err
}

func (c *Command) usage() string {
	if c.Usage != "" {
		return c.Usage
	}
	u := "Usage: " + c.Name()
	if c.Args != "" {
		u += " " + c.Args
	}
	return u + "\n       " + c.Summary + "\n"
}

func (r *Registry) help(_ context.Context, w io.Writer, args []string) error {
	if len(args) > 0 {
		r.mu.RLock()
		c := r.find(args)
		r.mu.RUnlock()
		if c == nil || len(c.Words) != len(args) {
			fmt.Fprintf(w, "No such command '%s'.\n", strings.Join(args, " "))
			return fmt.Errorf("cli: help %q: %w", strings.Join(args, " "), ErrNoSuchCommand)
		}
		io.WriteString(w, c.usage())
		return nil
	}
	for _, c := range r.Commands() {
		name := c.Name()
		if c.Args != "" {
			name += " " + c.Args
		}
		fmt.Fprintf(w, "%-30s -- %s\n", name, c.Summary)
	}
	return nil
}
