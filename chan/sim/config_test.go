package sim

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/conf"
)

func TestParse(t *testing.T) {
	const text = `
[general]
[100]
answer=500ms
play=tone:1000
hangupafter=10s
[101]
answer=noanswer
play=dtmf:12#
[102]
busy=yes
play=file:beep
[103]
answer=250
play=echo
[bad]
answer=soon
play=tone:9000
colour=blue
`
	f, err := conf.Parse("sim.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg := Parse(f, slog.New(slog.NewTextHandler(&logs, nil)))
	if len(cfg.Phones) != 5 {
		t.Fatalf("%d phones", len(cfg.Phones))
	}
	p, _ := cfg.Phone("100")
	if p.Mode != ModeAnswer || p.AnswerAfter != 500*time.Millisecond || p.Play != PlayTone || p.ToneFreq != 1000 || p.HangupAfter != 10*time.Second {
		t.Errorf("100: %+v", p)
	}
	p, _ = cfg.Phone("101")
	if p.Mode != ModeNoAnswer || p.Play != PlayDTMF || p.Digits != "12#" {
		t.Errorf("101: %+v", p)
	}
	p, _ = cfg.Phone("102")
	if p.Mode != ModeBusy || p.Play != PlayFile || p.File != "beep" {
		t.Errorf("102: %+v", p)
	}
	p, _ = cfg.Phone("103")
	if p.AnswerAfter != 250*time.Millisecond || p.Play != PlayEcho {
		t.Errorf("103: %+v", p)
	}
	for _, w := range []string{"answer", "tone frequency", "colour"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("no warning about %s in:\n%s", w, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "line=") {
		t.Errorf("warnings lack line numbers:\n%s", logs.String())
	}
}
