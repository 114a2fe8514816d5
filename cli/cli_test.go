package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func table(t *testing.T) *Registry {
	t.Helper()
	r := NewRegistry()
	echo := func(_ context.Context, w io.Writer, args []string) error {
		fmt.Fprintf(w, "args=%q\n", args)
		return nil
	}
	r.MustRegister(
		&Command{Words: []string{"core", "show", "version"}, Summary: "Display version info", Run: echo},
		&Command{Words: []string{"core", "reload"}, Summary: "Global reload", Run: echo},
		&Command{Words: []string{"manager", "show", "user"}, Args: "<username>", MinArgs: 1, MaxArgs: 1, Summary: "Show a user", Run: echo},
	)
	return r
}

// The wording of an unknown command is Asterisk 20's, recorded in
// testdata/asterisk-20.20.1/command.txt.
func TestNoSuchCommandWording(t *testing.T) {
	r := table(t)
	for line, want := range map[string]string{
		"core show nosuchthing":  "No such command 'core show nosuchthing' (type 'core show help core show nosuchthing' for other possible commands)\n",
		"no such command at all": "No such command 'no such command at all' (type 'core show help no such' for other possible commands)\n",
	} {
		var out strings.Builder
		err := r.Run(context.Background(), line, &out)
		if !errors.Is(err, ErrNoSuchCommand) {
			t.Errorf("%q: err = %v", line, err)
		}
		if out.String() != want {
			t.Errorf("%q:\n got %q\nwant %q", line, out.String(), want)
		}
	}
}

func TestRunMatchesWholeWordsAnyCase(t *testing.T) {
	r := table(t)
	var out strings.Builder
	if err := r.Run(context.Background(), "CORE Show version", &out); err != nil || out.String() != "args=[]\n" {
		t.Fatalf("got %q, %v", out.String(), err)
	}
	out.Reset()
	if err := r.Run(context.Background(), `manager show user "jo smith"`, &out); err != nil || out.String() != "args=[\"jo smith\"]\n" {
		t.Fatalf("got %q, %v", out.String(), err)
	}
	out.Reset()
	if err := r.Run(context.Background(), "core show vers", &out); !errors.Is(err, ErrNoSuchCommand) {
		t.Fatalf("an abbreviation ran: %q, %v", out.String(), err)
	}
}

func TestWrongArgumentCountShowsUsage(t *testing.T) {
	r := table(t)
	var out strings.Builder
	err := r.Run(context.Background(), "manager show user", &out)
	if !errors.Is(err, ErrShowUsage) || !strings.HasPrefix(out.String(), "Usage: manager show user <username>") {
		t.Fatalf("got %q, %v", out.String(), err)
	}
}

func TestHelp(t *testing.T) {
	r := table(t)
	var out strings.Builder
	if err := r.Run(context.Background(), "core show help", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "core show version              -- Display version info\n") {
		t.Fatalf("help list:\n%s", out.String())
	}
	out.Reset()
	if err := r.Run(context.Background(), "core show help core reload", &out); err != nil || !strings.Contains(out.String(), "Global reload") {
		t.Fatalf("help on a command: %q, %v", out.String(), err)
	}
	if err := r.Register(&Command{Words: []string{"Core", "Reload"}, Run: func(context.Context, io.Writer, []string) error { return nil }}); err == nil {
		t.Fatal("registered the same words twice")
	}
}

func TestSplit(t *testing.T) {
	for in, want := range map[string][]string{
		"  core   show  version ": {"core", "show", "version"},
		`a "b c" d\ e`:            {"a", "b c", "d e"},
		`""`:                      {""},
		"":                        nil,
	} {
		if got := Split(in); fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
			t.Errorf("Split(%q) = %q, want %q", in, got, want)
		}
	}
}
