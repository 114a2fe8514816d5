package manager

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/ami"
)

// actionLogin is Asterisk's action_login/authenticate: plain Secret or
// Challenge+MD5 Key, ACLs, allowmultiplelogin, then the Events mask.
func (m *Manager) actionLogin(_ context.Context, s *Session, req *ami.Message) error {
	if s.authed.Load() {
		s.Ack(req, "Already authenticated")
		return nil
	}
	s.loggingIn.Store(true)
	defer s.loggingIn.Store(false)
	cfg := m.cfg.Load()
	name := req.Get("Username")
	u := cfg.Users[strings.ToLower(name)]
	// A user's allowmultiplelogin defaults to [general]'s and overrides it.
	if u != nil && !u.AllowMultipleLogin && m.userLoggedIn(u.Name) {
		s.securityEvent("SessionLimit", "Error", 1)
		m.log.Info("AMI login refused: user already logged in", "user", u.Name, "remote", s.remote)
		return s.failLogin(req, "Login Already In Use")
	}
	if name == "" {
		return s.failLogin(req, "Authentication failed")
	}
	ok := false
	switch {
	case u == nil:
		s.securityEvent("InvalidAccountID", "Error", 1, ami.Header{Key: "AccountID", Value: name})
		m.log.Info("AMI login for a user that does not exist", "user", name, "remote", s.remote)
	case u.ACL != nil && !u.ACL.Allowed(s.remoteAddr()):
		s.securityEvent("FailedACL", "Error", 1, ami.Header{Key: "AccountID", Value: name},
			ami.Header{Key: "ACLName", Value: "manager_user_acl"})
		m.log.Info("AMI login refused by the user's ACL", "user", name, "remote", s.remote)
	case equalFold(req.Get("AuthType"), "MD5"):
		key := req.Get("Key")
		if key != "" && s.challenge != "" && u.Secret != "" {
			sum := md5.Sum([]byte(s.challenge + u.Secret))
			want := hex.EncodeToString(sum[:])
			if subtle.ConstantTimeCompare([]byte(want), []byte(key)) == 1 {
				ok = true
			} else {
				// Asterisk puts the expected key in this event
				// (ExpectedResponse); it is a secret-derived value and
				// is left out here.
				s.securityEvent("ChallengeResponseFailed", "Error", 1,
					ami.Header{Key: "AccountID", Value: ""},
					ami.Header{Key: "Challenge", Value: s.challenge},
					ami.Header{Key: "Response", Value: key})
			}
		}
	case u.Secret != "":
		if subtle.ConstantTimeCompare([]byte(req.Get("Secret")), []byte(u.Secret)) == 1 {
			ok = true
		} else {
			s.securityEvent("InvalidPassword", "Error", 2, ami.Header{Key: "AccountID", Value: name})
		}
	}
	if !ok {
		m.log.Info("AMI authentication failed", "user", name, "remote", s.remote)
		return s.failLogin(req, "Authentication failed")
	}

	s.user.Store(u)
	s.writeTimeout.Store(int64(u.WriteTimeout))
	if u.WriteTimeout <= 0 {
		s.writeTimeout.Store(int64(100 * time.Millisecond))
	}
	if u.Filters != nil {
		s.filters.Store(u.Filters.Clone())
	}
	if mask, ok := ParseEventMask(req.Get("Events")); ok {
		s.eventMask.Store(uint32(mask))
	}
	s.readMask.Store(uint32(u.Read) & s.eventMask.Load())
	s.conn.SetReadDeadline(time.Time{})
	s.authed.Store(true)
	m.logins.Add(1)
	if u.DisplayConnects {
		m.log.Info("Manager logged on", "user", u.Name, "remote", s.remote)
	}
	// On the event list before the answer goes out: a client that hears
	// "accepted" must get every event published after that.
	m.loggedIn(s)
	s.Ack(req, "Authentication accepted")
	// The answer goes out in a write of its own: goami2 and amigo read it
	// with a single Read and choke on an event glued behind it.
	s.flushOwn()
	if Perm(s.readMask.Load())&PermSystem != 0 {
		// FullyBooted goes to this session alone, right after the answer;
		// panoramisk waits for it.
		now := m.now()
		s.appendOut(func(b []byte) []byte {
			b = ami.AppendHeader(b, "Event", "FullyBooted")
			b = ami.AppendHeader(b, "Privilege", PermSystem.String())
			b = ami.AppendHeader(b, "Uptime", strconv.FormatInt(int64(now.Sub(m.started)/time.Second), 10))
			b = ami.AppendHeader(b, "LastReload", strconv.FormatInt(int64(now.Sub(m.LastReload())/time.Second), 10))
			b = ami.AppendHeader(b, "Status", "Fully Booted")
			return append(b, '\r', '\n')
		})
	}
	s.securityEvent("SuccessfulAuth", "Informational", 1,
		ami.Header{Key: "AccountID", Value: u.Name},
		ami.Header{Key: "UsingPassword", Value: "0"})
	return nil
}

// failLogin answers a failed login after Asterisk's one-second pause and
// ends the session.
func (s *Session) failLogin(req *ami.Message, message string) error {
	s.m.loginFails.Add(1)
	s.loggingIn.Store(false)
	select {
	case <-time.After(authFailureDelay):
	case <-s.ctx.Done():
	}
	s.Error(req, message)
	return errEndSession
}

func (m *Manager) userLoggedIn(name string) bool {
	for _, s := range m.Sessions() {
		if equalFold(s.Username(), name) {
			return true
		}
	}
	return false
}

// remoteAddr returns the peer's IP for ACL checks.
func (s *Session) remoteAddr() netip.Addr {
	if ap, err := netip.ParseAddrPort(s.conn.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// actionChallenge hands out the MD5 challenge: a random decimal number that
// stays the same for the whole session, as in Asterisk.
func (m *Manager) actionChallenge(_ context.Context, s *Session, req *ami.Message) error {
	if !equalFold(req.Get("AuthType"), "MD5") {
		s.Error(req, "Must specify AuthType")
		return nil
	}
	if s.challenge == "" {
		n, err := rand.Int(rand.Reader, big.NewInt(1<<31))
		if err != nil {
			return err
		}
		s.challenge = n.String()
		s.securityEvent("ChallengeSent", "Informational", 1,
			ami.Header{Key: "AccountID", Value: req.Get("Username")},
			ami.Header{Key: "Challenge", Value: s.challenge})
	}
	s.Respond(req, "Success", "Challenge", s.challenge)
	return nil
}

func (m *Manager) actionLogoff(_ context.Context, s *Session, req *ami.Message) error {
	s.Respond(req, "Goodbye", "Message", "Thanks for all the fish.")
	return errEndSession
}

// securityEvent publishes one of Asterisk's security events (class
// security) about this session. Extra headers go after RemoteAddress;
// AccountID, when among them, takes its Asterisk place after EventVersion.
func (s *Session) securityEvent(name, severity string, version int, extra ...ami.Header) {
	m := s.m
	if m.subscribers() == 0 {
		return
	}
	now := m.now()
	account := s.Username()
	hs := make([]ami.Header, 0, 10+len(extra))
	hs = append(hs,
		ami.Header{Key: "EventTV", Value: eventTV(now)},
		ami.Header{Key: "Severity", Value: severity},
		ami.Header{Key: "Service", Value: "AMI"},
		ami.Header{Key: "EventVersion", Value: strconv.Itoa(version)},
	)
	for _, h := range extra {
		if h.Key == "AccountID" {
			account = h.Value
		}
	}
	hs = append(hs,
		ami.Header{Key: "AccountID", Value: account},
		ami.Header{Key: "SessionID", Value: s.sessionIDString()},
		ami.Header{Key: "LocalAddress", Value: securityAddr(s.conn.LocalAddr())},
		ami.Header{Key: "RemoteAddress", Value: securityAddr(s.conn.RemoteAddr())},
	)
	for _, h := range extra {
		if h.Key != "AccountID" {
			hs = append(hs, h)
		}
	}
	sessionTV := time.Unix(0, 0)
	if s.authed.Load() {
		sessionTV = s.start
	}
	hs = append(hs, ami.Header{Key: "SessionTV", Value: eventTV(sessionTV)})
	m.Publish(&Event{Name: name, Class: PermSecurity, Headers: hs})
}

// eventTV formats a time as Asterisk's security events do:
// 2026-11-27T10:23:27.680+0000.
func eventTV(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000-0700")
}

// securityAddr renders an address as Asterisk's security events do:
// IPV4/TCP/127.0.0.1/5039.
func securityAddr(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String()
	}
	fam := "IPV6"
	if ap.Addr().Unmap().Is4() {
		fam = "IPV4"
	}
	return fam + "/TCP/" + ap.Addr().Unmap().String() + "/" + strconv.Itoa(int(ap.Port()))
}
