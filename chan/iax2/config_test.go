package iax2

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/conf"
)

func TestParseConfig(t *testing.T) {
	f, err := conf.Parse("iax.conf", strings.NewReader(`[general]
bindaddr = 127.0.0.1
bindport = 4600
disallow = all
allow = ulaw
[a]
type = peer
host = 10.0.0.1
port = 4570
auth = plaintext,md5
qualify = 300
qualifyfreqok = 1000
context = from-a
frobnicate = yes
[b]
type = user
secret = x
allow = alaw
`))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c := Parse(f, slog.New(slog.NewTextHandler(&logs, nil)))
	if c.BindAddr.String() != "127.0.0.1" || c.BindPort != 4600 || len(c.Peers) != 2 {
		t.Fatalf("%+v", c)
	}
	a := c.Peer("a")
	if a.Type != "peer" || a.Dynamic || a.Host.String() != "10.0.0.1" || a.Port != 4570 || a.Auth != AuthMD5|AuthPlaintext ||
		a.QualifyMax != 300*time.Millisecond || a.FreqOK != time.Second || a.Context != "from-a" || strings.Join(a.Codecs, ",") != "ulaw" {
		t.Fatalf("a: %+v", a)
	}
	b := c.Peer("b")
	if b.IsPeer() || b.Auth != AuthMD5 || strings.Join(b.Codecs, ",") != "ulaw,alaw" {
		t.Fatalf("b: %+v", b)
	}
	if !strings.Contains(logs.String(), "frobnicate") {
		t.Fatalf("no warning for an unknown option: %s", logs.String())
	}
}

func TestStatusText(t *testing.T) {
	for _, c := range []struct {
		limit time.Duration
		last  int
		want  string
	}{
		{0, 5, "Unmonitored"}, {2 * time.Second, 0, "UNKNOWN"}, {2 * time.Second, -1, "UNREACHABLE"},
		{2 * time.Second, 7, "OK (7 ms)"}, {2 * time.Second, 2500, "LAGGED (2500 ms)"},
	} {
		if got := statusText(c.limit, c.last); got != c.want {
			t.Errorf("statusText(%v, %d) = %q, want %q", c.limit, c.last, got, c.want)
		}
	}
}
