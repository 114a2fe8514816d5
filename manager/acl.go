package manager

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ACL is a manager user's access control list, built from its permit=,
// deny= and acl= lines the way Asterisk's main/acl.c builds an
// ast_acl_list, and applied the same way:
//
//   - The permit= and deny= lines form one unnamed list of rules, in the
//     order written, whatever acl= lines come between them. Each acl= name
//     adds a separate named list.
//   - Each list starts by allowing the address; every rule whose network
//     contains it then decides in turn, so the last matching rule wins.
//   - The address is allowed only if every list allows it. A named list
//     that could not be found denies everyone.
//   - IPv4 rules apply to IPv4 and IPv4-mapped IPv6 addresses only, IPv6
//     rules to other IPv6 addresses only. So "deny = 0.0.0.0/0" alone does
//     not stop an IPv6 client: that is Asterisk's behaviour, kept on
//     purpose, and the configuration loader warns about it.
//
// A nil *ACL allows everything. An ACL is not modified after it has been
// built, so it may be shared by concurrent sessions.
type ACL struct {
	rules []aclRule
	named []namedACL
}

type namedACL struct {
	name    string
	rules   []aclRule
	invalid bool
}

// aclRule is one network, stored already masked, as ast_ha is.
type aclRule struct {
	addr  [16]byte // network address; the first 4 bytes for IPv4
	mask  [16]byte
	v4    bool
	allow bool
}

// Permit adds the networks in spec as allowed: a comma-separated list of
// "addr", "addr/bits" or "addr/netmask", IPv4 or IPv6, each optionally
// prefixed with '!' to deny instead (ast_append_ha). A bare address is a
// single host. Nothing is added if any item is invalid.
func (a *ACL) Permit(spec string) error { return a.add(true, spec) }

// Deny adds the networks in spec as denied; see [ACL.Permit]. With '!' an
// item is allowed instead.
func (a *ACL) Deny(spec string) error { return a.add(false, spec) }

func (a *ACL) add(allow bool, spec string) error {
	rules, err := parseRules(allow, spec)
	if err != nil {
		return err
	}
	a.rules = append(a.rules, rules...)
	return nil
}

// AddNamed adds a named list (an acl= line naming a section of acl.conf).
// rules holds the permit and deny rules of that section; nil means the name
// could not be found, and then the ACL denies everyone, as Asterisk does
// for an invalid named ACL. Only the permit/deny rules of rules are used.
// Naming the same list twice is an error (Asterisk then drops the user).
func (a *ACL) AddNamed(name string, rules *ACL) error {
	for _, n := range a.named {
		if strings.EqualFold(n.name, name) {
			return fmt.Errorf("named ACL %q is already included", name)
		}
	}
	n := namedACL{name: name, invalid: rules == nil}
	if rules != nil {
		n.rules = append([]aclRule(nil), rules.rules...)
	}
	a.named = append(a.named, n)
	return nil
}

// Allowed reports whether a client at ip may log in. It does not allocate.
// An invalid ip is refused unless a is nil.
func (a *ACL) Allowed(ip netip.Addr) bool {
	if a == nil {
		return true
	}
	if !ip.IsValid() {
		return false
	}
	v4 := ip.Is4() || ip.Is4In6()
	var b [16]byte
	if v4 {
		b4 := ip.Unmap().As4()
		copy(b[:4], b4[:])
	} else {
		b = ip.As16()
	}
	if !applyRules(a.rules, b, v4) {
		return false
	}
	for i := range a.named {
		if a.named[i].invalid || !applyRules(a.named[i].rules, b, v4) {
			return false
		}
	}
	return true
}

// applyRules is ast_apply_ha: allow, then let every matching rule decide.
func applyRules(rules []aclRule, b [16]byte, v4 bool) bool {
	allow := true
	n := 16
	if v4 {
		n = 4
	}
	for i := range rules {
		r := &rules[i]
		if r.v4 != v4 {
			continue
		}
		match := true
		for j := 0; j < n; j++ {
			if b[j]&r.mask[j] != r.addr[j] {
				match = false
				break
			}
		}
		if match {
			allow = r.allow
		}
	}
	return allow
}

// families reports whether the ACL has IPv4 and IPv6 permit/deny rules.
func (a *ACL) families() (v4, v6 bool) {
	if a == nil {
		return false, false
	}
	all := a.rules
	for _, n := range a.named {
		all = append(all[:len(all):len(all)], n.rules...)
	}
	for _, r := range all {
		if r.v4 {
			v4 = true
		} else {
			v6 = true
		}
	}
	return v4, v6
}

// String lists the rules, for logs and "manager show user".
func (a *ACL) String() string {
	if a == nil {
		return "<none>"
	}
	var parts []string
	for _, r := range a.rules {
		parts = append(parts, r.String())
	}
	for _, n := range a.named {
		if n.invalid {
			parts = append(parts, "acl "+n.name+" (invalid: denies all)")
		} else {
			parts = append(parts, "acl "+n.name)
		}
	}
	return strings.Join(parts, "; ")
}

func (r aclRule) String() string {
	sense := "deny"
	if r.allow {
		sense = "permit"
	}
	if r.v4 {
		return fmt.Sprintf("%s %s/%s", sense, netip.AddrFrom4([4]byte(r.addr[:4])), netip.AddrFrom4([4]byte(r.mask[:4])))
	}
	return fmt.Sprintf("%s %s/%s", sense, netip.AddrFrom16(r.addr), netip.AddrFrom16(r.mask))
}

var errEmptyACL = errors.New("empty address")

// parseRules parses a permit/deny value: comma-separated items, each
// "[!]addr[/mask]".
func parseRules(allow bool, spec string) ([]aclRule, error) {
	var rules []aclRule
	for _, item := range strings.Split(spec, ",") {
		r, err := parseRule(allow, strings.TrimSpace(item))
		if err != nil {
			return nil, fmt.Errorf("invalid ACL item %q: %w", item, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseRule(allow bool, item string) (aclRule, error) {
	addrStr, maskStr, hasMask := strings.Cut(item, "/")
	r := aclRule{allow: allow}
	if strings.HasPrefix(addrStr, "!") {
		r.allow = !allow
		addrStr = addrStr[1:]
	}
	addr, err := parseACLAddr(addrStr)
	if err != nil {
		return r, fmt.Errorf("address: %w", err)
	}
	r.v4 = addr.Is4()
	var mask [16]byte
	switch {
	case !hasMask:
		if r.v4 {
			mask = prefixMask(32, true)
		} else {
			mask = prefixMask(128, false)
		}
	case strings.ContainsAny(maskStr, ".:"):
		m, err := parseACLAddr(maskStr)
		if err != nil {
			return r, fmt.Errorf("netmask: %w", err)
		}
		if m.Is4() != r.v4 {
			return r, errors.New("address and netmask are not of the same family")
		}
		if r.v4 {
			m4 := m.As4()
			copy(mask[:4], m4[:])
		} else {
			mask = m.As16()
		}
	default:
		bits, ok := scanInt(maskStr)
		maxBits := 128
		if r.v4 {
			maxBits = 32
		}
		if !ok || bits < 0 || bits > maxBits {
			return r, fmt.Errorf("invalid CIDR netmask %q", maskStr)
		}
		mask = prefixMask(bits, r.v4)
	}
	if r.v4 {
		a4 := addr.As4()
		copy(r.addr[:4], a4[:])
	} else {
		r.addr = addr.As16()
	}
	for i := range r.addr {
		r.addr[i] &= mask[i]
	}
	r.mask = mask
	return r, nil
}

// parseACLAddr parses a numeric address as ast_sockaddr_parse does with
// PARSE_PORT_FORBID: IPv4, IPv6 with or without brackets; an IPv4-mapped
// IPv6 address becomes IPv4 (Asterisk converts such rules too). Zones are
// dropped. Unlike glibc, short IPv4 forms such as "10.1" are refused.
func parseACLAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, errEmptyACL
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return a.WithZone("").Unmap(), nil
}

// prefixMask returns a mask of bits leading ones over 4 (IPv4) or 16 bytes.
func prefixMask(bits int, v4 bool) [16]byte {
	var m [16]byte
	n := 16
	if v4 {
		n = 4
	}
	for i := 0; i < n && bits > 0; i++ {
		if bits >= 8 {
			m[i] = 0xff
			bits -= 8
		} else {
			m[i] = byte(0xff << (8 - bits))
			bits = 0
		}
	}
	return m
}

// scanInt reads a decimal integer the way sscanf("%d") does: leading
// blanks, an optional sign, at least one digit; anything after is ignored.
func scanInt(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n, digits := 0, 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		if n < 1<<20 {
			n = n*10 + int(s[digits]-'0')
		}
		digits++
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}
