package pbxami_test

import "testing"

// Codecs is accepted as Asterisk accepts it: known names, unknown ones
// skipped; the call goes ahead either way.
func TestOriginateCodecs(t *testing.T) {
	srv := start(t)
	c := dial(t, srv)
	for _, codecs := range []string{"ulaw,alaw", "ulaw, nosuchcodec", "all"} {
		r := c.do("Originate", "Channel", "Sim/101", "Application", "Wait", "Data", "0.05", "Codecs", codecs)
		if r.Get("Response") != "Success" || r.Get("Message") != "Originate successfully queued" {
			t.Errorf("Codecs %q: %v", codecs, r)
		}
	}
	waitIdle(t, srv)
}
