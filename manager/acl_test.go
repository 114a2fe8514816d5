package manager

import (
	"net/netip"
	"strings"
	"testing"
)

type aclLine struct{ sense, spec string }

func buildACL(t *testing.T, lines []aclLine) *ACL {
	t.Helper()
	a := &ACL{}
	for _, l := range lines {
		var err error
		if l.sense == "permit" {
			err = a.Permit(l.spec)
		} else {
			err = a.Deny(l.spec)
		}
		if err != nil {
			t.Fatalf("%s = %s: %v", l.sense, l.spec, err)
		}
	}
	return a
}

func TestACLAllowed(t *testing.T) {
	// The users of the reference manager.conf.
	localOnly := []aclLine{{"deny", "0.0.0.0/0.0.0.0"}, {"permit", "127.0.0.1/255.255.255.255"}}
	tests := []struct {
		name  string
		lines []aclLine
		allow []string
		deny  []string
	}{
		{"no rules", nil, []string{"1.2.3.4", "::1"}, nil},
		{"local only", localOnly,
			[]string{"127.0.0.1", "::ffff:127.0.0.1",
				// IPv4 rules do not apply to IPv6 clients (Asterisk's ast_apply_ha).
				"::1", "2001:db8::1"},
			[]string{"127.0.0.2", "10.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "255.255.255.255"}},
		{"cidr zero is everything (AST-2010-003)", []aclLine{{"deny", "0.0.0.0/0"}},
			[]string{"::1"}, []string{"1.2.3.4", "0.0.0.0", "255.255.255.255", "::ffff:8.8.8.8"}},
		{"any address with /0", []aclLine{{"deny", "10.20.30.40/0"}}, nil, []string{"1.2.3.4"}},
		{"last match wins", []aclLine{{"permit", "10.0.0.0/8"}, {"deny", "10.1.0.0/16"}},
			[]string{"10.2.0.1", "11.0.0.1"}, []string{"10.1.2.3"}},
		{"last match wins reversed", []aclLine{{"deny", "10.1.0.0/16"}, {"permit", "10.0.0.0/8"}},
			[]string{"10.1.2.3", "10.2.0.1"}, nil},
		{"default permit", []aclLine{{"deny", "192.168.0.0/16"}}, []string{"10.0.0.1"}, []string{"192.168.44.1"}},
		{"bang inverts deny", []aclLine{{"deny", "0.0.0.0/0"}, {"deny", "!192.168.1.0/24"}},
			[]string{"192.168.1.5"}, []string{"192.168.2.5"}},
		{"bang inverts permit", []aclLine{{"permit", "!10.0.0.0/8"}}, []string{"11.0.0.1"}, []string{"10.9.9.9"}},
		{"comma list", []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "10.0.0.1, 10.0.0.2,10.0.0.3/32"}},
			[]string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, []string{"10.0.0.4"}},
		{"address is masked", []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "10.1.2.3/8"}},
			[]string{"10.200.0.1"}, []string{"11.1.2.3"}},
		{"dotted mask", []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "192.168.0.0/255.255.0.0"}},
			[]string{"192.168.200.1"}, []string{"192.169.0.1"}},
		{"non-contiguous mask", []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "10.0.0.1/255.0.0.255"}},
			[]string{"10.9.9.1", "10.0.0.1"}, []string{"10.9.9.2", "11.0.0.1"}},
		{"odd cidr", []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "172.16.0.0/12"}},
			[]string{"172.16.0.1", "172.31.255.255"}, []string{"172.32.0.1", "172.15.255.255"}},
		{"ipv6", []aclLine{{"deny", "::/0"}, {"permit", "2001:db8::/32"}},
			[]string{"2001:db8::5", "2001:db8:ffff::1",
				// IPv6 rules do not apply to IPv4 or IPv4-mapped clients.
				"127.0.0.1", "::ffff:10.0.0.1"},
			[]string{"2001:dead::1", "::1", "fe80::1"}},
		{"ipv6 host", []aclLine{{"deny", "::/0"}, {"permit", "::1"}}, []string{"::1"}, []string{"::2"}},
		{"ipv6 brackets", []aclLine{{"deny", "::/0"}, {"permit", "[::1]/128"}}, []string{"::1"}, []string{"::2"}},
		{"ipv6 mask", []aclLine{{"deny", "::/0"}, {"permit", "2001:db8::/ffff:ffff::"}},
			[]string{"2001:db8:1::1"}, []string{"2001:db9::1"}},
		{"ipv6 zone ignored", []aclLine{{"deny", "::/0"}, {"permit", "fe80::1%eth0"}},
			[]string{"fe80::1", "fe80::1%eth1"}, []string{"fe80::2"}},
		{"ipv4-mapped rule becomes ipv4", []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "::ffff:10.0.0.0/8"}},
			[]string{"10.1.1.1", "::ffff:10.1.1.1"}, []string{"11.1.1.1"}},
		{"ipv4-mapped mask", []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "10.0.0.0/::ffff:255.0.0.0"}},
			[]string{"10.1.1.1"}, []string{"11.1.1.1"}},
		{"both families", []aclLine{{"deny", "0.0.0.0/0.0.0.0"}, {"deny", "::/0"}, {"permit", "127.0.0.1"}, {"permit", "::1"}},
			[]string{"127.0.0.1", "::1", "::ffff:127.0.0.1"}, []string{"10.0.0.1", "2001:db8::1"}},
		{"cidr as sscanf", []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "10.0.0.0/ 8junk"}},
			[]string{"10.5.5.5"}, []string{"11.5.5.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := buildACL(t, tt.lines)
			for _, s := range tt.allow {
				if !a.Allowed(netip.MustParseAddr(s)) {
					t.Errorf("%s denied, want allowed (%s)", s, a)
				}
			}
			for _, s := range tt.deny {
				if a.Allowed(netip.MustParseAddr(s)) {
					t.Errorf("%s allowed, want denied (%s)", s, a)
				}
			}
		})
	}
}

func TestACLInvalid(t *testing.T) {
	for _, spec := range []string{
		"", "10.0.0.1,", ",10.0.0.1", "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/", "10.0.0.1/x",
		"300.1.1.1", "10.1", "host.example.com", "10.0.0.1/255.255.0.0.0",
		"10.0.0.1/ffff::", "::1/255.0.0.0", "1.2.3.4:5060", "[::1]:5060", "::1/129", "!",
		"::ffff:10.0.0.0/104",
	} {
		a := &ACL{}
		if err := a.Permit(spec); err == nil {
			t.Errorf("Permit(%q) accepted: %s", spec, a)
		}
		if len(a.rules) != 0 {
			t.Errorf("Permit(%q) added rules despite the error", spec)
		}
	}
}

func TestACLNamed(t *testing.T) {
	trusted := buildACL(t, []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "10.0.0.0/8"}})

	a := buildACL(t, []aclLine{{"deny", "10.9.0.0/16"}})
	if err := a.AddNamed("trusted", trusted); err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{"10.1.1.1": true, "10.9.1.1": false, "192.168.1.1": false} {
		if got := a.Allowed(netip.MustParseAddr(ip)); got != want {
			t.Errorf("%s: %v, want %v", ip, got, want)
		}
	}
	if err := a.AddNamed("TRUSTED", trusted); err == nil {
		t.Error("the same named ACL twice accepted")
	}

	// A named ACL that could not be found refuses everyone.
	b := &ACL{}
	if err := b.AddNamed("missing", nil); err != nil {
		t.Fatal(err)
	}
	if b.Allowed(netip.MustParseAddr("127.0.0.1")) || b.Allowed(netip.MustParseAddr("::1")) {
		t.Error("invalid named ACL allowed an address")
	}
	if !strings.Contains(b.String(), "invalid") {
		t.Errorf("String = %q", b.String())
	}
}

func TestACLNilAndInvalidAddr(t *testing.T) {
	var a *ACL
	if !a.Allowed(netip.MustParseAddr("1.2.3.4")) || !a.Allowed(netip.Addr{}) {
		t.Error("nil ACL refused")
	}
	if (&ACL{}).Allowed(netip.Addr{}) {
		t.Error("invalid address allowed")
	}
	if a.String() != "<none>" {
		t.Errorf("String = %q", a.String())
	}
}

func TestACLString(t *testing.T) {
	a := buildACL(t, []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "10.1.2.3/8"}, {"permit", "2001:db8::/32"}})
	want := "deny 0.0.0.0/0.0.0.0; permit 10.0.0.0/255.0.0.0; permit 2001:db8::/ffff:ffff::"
	if got := a.String(); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestACLAllowedAllocs(t *testing.T) {
	a := buildACL(t, []aclLine{{"deny", "0.0.0.0/0"}, {"permit", "127.0.0.1"}, {"deny", "::/0"}})
	_ = a.AddNamed("x", buildACL(t, []aclLine{{"permit", "10.0.0.0/8"}}))
	ip := netip.MustParseAddr("::ffff:127.0.0.1")
	if n := testing.AllocsPerRun(100, func() { a.Allowed(ip) }); n != 0 {
		t.Errorf("Allowed allocates %v times", n)
	}
}
