package dialplan

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/conf"
)

// parseString builds a dialplan from extensions.conf text, returning it
// and the log output.
func parseString(t *testing.T, text string) (*Dialplan, string) {
	t.Helper()
	f, err := conf.Parse("extensions.conf", strings.NewReader(text))
	if err != nil {
		t.Fatalf("conf.Parse: %v", err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := Parse(f, log)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d, buf.String()
}

// warningsText joins the dialplan's warnings, one "file:line: msg" per
// line.
func warningsText(d *Dialplan) string {
	var b strings.Builder
	for _, w := range d.Warnings() {
		b.WriteString(w.String())
		b.WriteByte('\n')
	}
	return b.String()
}
