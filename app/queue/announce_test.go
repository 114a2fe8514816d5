package queue

import (
	"fmt"
	"strings"
	"testing"

	"github.com/asterism-pbx/asterism/conf"
)

func render(items []spoken) string {
	var out []string
	for _, it := range items {
		if it.isNum {
			out = append(out, fmt.Sprint(it.number))
		} else {
			out = append(out, it.file)
		}
	}
	return strings.Join(out, " ")
}

// TestPositionFiles checks what say_position says for the settings of
// announce-position and announce-holdtime.
func TestPositionFiles(t *testing.T) {
	for _, tc := range []struct {
		conf              string
		pos, hold, waited int
		first             bool
		want              string
	}{
		{"", 1, 0, 0, true, "queue-youarenext queue-thankyou"},
		{"", 3, 0, 0, true, "queue-thereare 3 queue-callswaiting queue-thankyou"},
		{"announce-position = no", 3, 0, 0, true, "queue-thankyou"},
		{"announce-position = limit\nannounce-position-limit = 2", 3, 0, 0, true, "queue-thankyou"},
		{"announce-position = limit\nannounce-position-limit = 2", 2, 0, 0, true, "queue-thereare 2 queue-callswaiting queue-thankyou"},
		{"announce-position = more\nannounce-position-limit = 2", 5, 0, 0, true, "queue-quantity1 2 queue-quantity2 queue-thankyou"},
		{"announce-position = more\nannounce-position-limit = 9", 5, 0, 0, true, "queue-thereare 5 queue-callswaiting queue-thankyou"},
		// 200 s average, 20 s waited: (200+30-20)/60 = 3 minutes.
		{"announce-holdtime = yes", 2, 200, 20, false, "queue-thereare 2 queue-callswaiting queue-holdtime 3 queue-minutes queue-thankyou"},
		{"announce-holdtime = yes", 2, 70, 10, false, "queue-thereare 2 queue-callswaiting queue-holdtime 1 queue-minute queue-thankyou"},
		{"announce-holdtime = once", 2, 200, 20, false, "queue-thereare 2 queue-callswaiting queue-thankyou"},
		{"announce-holdtime = once", 2, 200, 20, true, "queue-thereare 2 queue-callswaiting queue-holdtime 3 queue-minutes queue-thankyou"},
		// Under a minute left: no estimate, and with no position no thanks.
		{"announce-holdtime = yes\nannounce-position = no", 2, 10, 0, true, ""},
		// Rounded seconds: 100 s left is 1 minute 40 s, said as 100 seconds.
		{"announce-holdtime = yes\nannounce-round-seconds = 20\nannounce-position = no", 2, 70, 0, true, "queue-holdtime 1 queue-minute 100 queue-seconds queue-thankyou"},
		{"queue-thereare = there\nqueue-callswaiting = waiting\nqueue-thankyou = ty", 4, 0, 0, true, "there 4 waiting ty"},
	} {
		f, err := conf.Parse("queues.conf", strings.NewReader("[q]\n"+tc.conf+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := Parse(f, nil)
		got := render(positionFiles(&cfg.Queues[0], tc.pos, tc.hold, tc.waited, tc.first))
		if got != tc.want {
			t.Errorf("%q pos %d hold %d waited %d first %v: %q, want %q", tc.conf, tc.pos, tc.hold, tc.waited, tc.first, got, tc.want)
		}
	}
}

// TestAnnounceConfig checks the parsing of the announcement options.
func TestAnnounceConfig(t *testing.T) {
	f, err := conf.Parse("queues.conf", strings.NewReader("[d]\n[q]\nperiodic-announce = a, b ,c\nperiodic-announce-frequency = 30\n"+
		"announce-round-seconds = 7\nannounce-to-first-user = yes\nrelative-periodic-announce = yes\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Parse(f, nil)
	d, q := cfg.Queues[0], cfg.Queues[1]
	if d.MinAnnounceFreq != 15 || d.AnnouncePosition != AnnouncePositionYes || d.AnnouncePositionLimit != 10 ||
		strings.Join(d.PeriodicAnnounce, ",") != "queue-periodic-announce" || d.Sounds != defaultSounds {
		t.Errorf("defaults: %+v", d)
	}
	if strings.Join(q.PeriodicAnnounce, ",") != "a,b,c" || q.PeriodicAnnounceFreq != 30 || q.RoundingSeconds != 0 ||
		!q.AnnounceToFirstUser || !q.RelativePeriodic {
		t.Errorf("parsed: %+v", q)
	}
}
