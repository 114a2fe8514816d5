package manager

import (
	"bytes"
	"context"
	"errors"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/cli"
)

// registerCore fills the table with the session and core actions. Synopses
// and classes are Asterisk 20's (ListCommands shows them).
func (m *Manager) registerCore() {
	m.MustRegister(
		&Action{Name: "Login", Synopsis: "Login Manager.", Handler: m.actionLogin,
			Description: "Login Manager. Username, Secret, or AuthType MD5 with Key after a Challenge; Events sets the event mask."},
		&Action{Name: "Logoff", Synopsis: "Logoff Manager.", Handler: m.actionLogoff,
			Description: "Logoff the current manager session."},
		&Action{Name: "Challenge", Synopsis: "Generate Challenge for MD5 Auth.", Handler: m.actionChallenge,
			Description: "Generate a challenge for MD5 authentication (AuthType: MD5)."},
		&Action{Name: "Ping", Light: true, Synopsis: "Keepalive command.", Handler: actionPing,
			Description: "A 'Ping' action will elicit a 'Pong' response. Used to keep the manager connection open."},
		&Action{Name: "Events", Synopsis: "Control Event Flow.", Handler: m.actionEvents,
			Description: "Enable/Disable sending of events to this manager client. EventMask: on, off, a class list or a number."},
		&Action{Name: "ListCommands", Synopsis: "List available manager commands.", Handler: m.actionListCommands,
			Description: "Returns the action name and synopsis for every action that is available to the user."},
		&Action{Name: "Command", Perm: PermCommand, Synopsis: "Execute Asterisk CLI Command.", Handler: m.actionCommand,
			Description: "Run a CLI command. Output: one header per line of output."},
		&Action{Name: "UserEvent", Perm: PermUser, Synopsis: "Send an arbitrary event.", Handler: m.actionUserEvent,
			Description: "Send an event to manager sessions. UserEvent names it; every other header is passed on."},
		&Action{Name: "WaitEvent", Slow: true, Synopsis: "Wait for an event to occur.", Handler: m.actionWaitEvent,
			Description: "Wait up to Timeout seconds for an event to be delivered to this session."},
		&Action{Name: "Filter", Perm: PermSystem, Synopsis: "Dynamically add filters for the current manager session.", Handler: m.actionFilter,
			Description: "Operation: Add, Filter: <expression>, MatchCriteria: optional advanced criteria."},
		&Action{Name: "CoreSettings", Perm: PermSystem | PermReporting, Synopsis: "Show PBX core settings (version etc).", Handler: m.actionCoreSettings,
			Description: "Query for core PBX settings."},
		&Action{Name: "CoreStatus", Perm: PermSystem | PermReporting, Synopsis: "Show PBX core status variables.", Handler: m.actionCoreStatus,
			Description: "Query for core PBX status."},
		&Action{Name: "Reload", Perm: PermSystem | PermConfig, Synopsis: "Send a reload event.", Handler: m.actionReload,
			Description: "Reload a module (Module: manager), or everything when Module is absent."},
	)
}

// actionPing renders straight into the output buffer: it is the action load
// tools and keepalives hammer.
func actionPing(_ context.Context, s *Session, req *ami.Message) error {
	now := s.m.now()
	s.appendOut(func(b []byte) []byte {
		b = appendResponse(b, "Success", req)
		b = append(b, "Ping: Pong\r\n"...)
		b = appendTimestamp(b, now)
		return append(b, '\r', '\n')
	})
	return nil
}

func (m *Manager) actionEvents(_ context.Context, s *Session, req *ami.Message) error {
	mask, ok := ParseEventMask(req.Get("EventMask"))
	if !ok {
		s.Error(req, "Invalid event mask")
		return nil
	}
	s.setEventMask(mask)
	state := "Off"
	if mask != 0 {
		state = "On"
	}
	s.Respond(req, "Success", "Events", state)
	return nil
}

// setEventMask sets the mask a client asked for; what passes is still
// limited by the user's read classes.
func (s *Session) setEventMask(mask Perm) {
	s.eventMask.Store(uint32(mask))
	if u := s.user.Load(); u != nil {
		s.readMask.Store(uint32(u.Read & mask))
	}
}

func (m *Manager) actionListCommands(_ context.Context, s *Session, req *ami.Message) error {
	u := s.user.Load()
	acts := m.Actions()
	s.appendOut(func(b []byte) []byte {
		b = appendResponse(b, "Success", req)
		for _, a := range acts {
			if u == nil || !u.Write.CanRun(a.Perm) {
				continue
			}
			// Asterisk's synopses end in a space: hence two before "(Priv:".
			b = ami.AppendHeader(b, a.Name, a.Synopsis+"  (Priv: "+a.Perm.String()+")")
		}
		return append(b, '\r', '\n')
	})
	return nil
}

// commandBlacklist are the CLI commands Asterisk refuses through AMI.
var commandBlacklist = [][]string{
	{"module", "load"},
	{"module", "unload"},
	{"restart", "gracefully"},
}

func blacklisted(line string) bool {
	words := cli.Split(line)
next:
	for _, bl := range commandBlacklist {
		if len(words) < len(bl) {
			continue
		}
		for i, w := range bl {
			if !strings.EqualFold(words[i], w) {
				continue next
			}
		}
		return true
	}
	return false
}

// actionCommand runs a CLI command and answers in Asterisk 14+ form: one
// Output header per line, Response: Error when the command failed.
func (m *Manager) actionCommand(ctx context.Context, s *Session, req *ami.Message) error {
	line := req.Get("Command")
	if line == "" {
		s.Error(req, "No command provided")
		return nil
	}
	if blacklisted(line) {
		s.Error(req, "Command blacklisted")
		return nil
	}
	var out bytes.Buffer
	err := m.cli.Run(ctx, line, &out)
	resp := "Success"
	if err != nil {
		resp = "Error"
	}
	text := strings.TrimSuffix(out.String(), "\n")
	s.appendOut(func(b []byte) []byte {
		b = appendResponse(b, resp, req)
		b = ami.AppendHeader(b, "Message", "Command output follows")
		for line := range strings.SplitSeq(text, "\n") {
			b = ami.AppendHeader(b, "Output", line)
		}
		return append(b, '\r', '\n')
	})
	return nil
}

// actionUserEvent passes every header but Action and UserEvent on, in
// order, after "UserEvent: <name>"; the answer goes first, as in Asterisk.
func (m *Manager) actionUserEvent(_ context.Context, s *Session, req *ami.Message) error {
	hs := make([]ami.Header, 0, len(req.Headers))
	hs = append(hs, ami.Header{Key: "UserEvent", Value: req.Get("UserEvent")})
	for _, h := range req.Headers {
		if equalFold(h.Key, "UserEvent") || equalFold(h.Key, "Action") {
			continue
		}
		hs = append(hs, h)
	}
	s.Ack(req, "Event Sent")
	m.Publish(&Event{Name: "UserEvent", Class: PermUser, Headers: hs})
	return nil
}

// maxWaitEvent caps WaitEvent's Timeout so that a session cannot park its
// reader forever.
const maxWaitEvent = time.Hour

// actionWaitEvent waits until an event reaches this session or Timeout
// seconds pass. Over TCP events flow anyway; the action exists for clients
// written for HTTP sessions.
func (m *Manager) actionWaitEvent(ctx context.Context, s *Session, req *ami.Message) error {
	timeout := maxWaitEvent
	if v := req.Get("Timeout"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			timeout = min(time.Duration(n)*time.Second, maxWaitEvent)
		}
	}
	wake := make(chan struct{}, 1)
	s.mu.Lock()
	s.waiter = wake
	s.mu.Unlock()
	t := time.NewTimer(timeout)
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	s.mu.Lock()
	s.waiter = nil
	s.mu.Unlock()
	s.Ack(req, "Waiting for Event completed.")
	s.appendOut(func(b []byte) []byte {
		b = ami.AppendHeader(b, "Event", "WaitEventComplete")
		if id := req.ActionID(); id != "" {
			b = ami.AppendHeader(b, "ActionID", id)
		}
		return append(b, '\r', '\n')
	})
	return nil
}

func (m *Manager) actionFilter(_ context.Context, s *Session, req *ami.Message) error {
	if !equalFold(req.Get("Operation"), "Add") {
		s.Error(req, "Unknown operation")
		return nil
	}
	key := "eventfilter"
	if c := req.Get("MatchCriteria"); c != "" {
		key += "(" + c + ")"
	}
	f, err := ParseFilter(key, req.Get("Filter"))
	if err != nil {
		s.Error(req, FilterErrorMessage(err))
		return nil
	}
	fs := s.filters.Load().Clone()
	fs.Add(f)
	s.filters.Store(fs)
	s.Ack(req, "Success")
	return nil
}

func (m *Manager) actionCoreSettings(_ context.Context, s *Session, req *ami.Message) error {
	runUser, runGroup := "", ""
	if u, err := user.Current(); err == nil {
		runUser = u.Username
		if g, err := user.LookupGroupId(u.Gid); err == nil {
			runGroup = g.Name
		}
	}
	s.Respond(req, "Success",
		"AMIversion", AMIVersion,
		"AsteriskVersion", AsteriskVersion,
		"SystemName", m.systemName,
		"CoreMaxCalls", "0",
		"CoreMaxLoadAvg", "0.000000",
		"CoreRunUser", runUser,
		"CoreRunGroup", runGroup,
		"CoreMaxFilehandles", "0",
		"CoreRealTimeEnabled", "No",
		"CoreCDRenabled", "No",
		"CoreHTTPenabled", "No",
		"SoundsSearchCustomDir", "No",
		"AsterismVersion", AsterismVersion,
	)
	return nil
}

// Calls counts calls for CoreStatus and "core show channels"; the PBX core
// sets it. Zero values report no calls.
type Calls interface {
	CurrentCalls() int
	ProcessedCalls() int
}

func (m *Manager) actionCoreStatus(_ context.Context, s *Session, req *ami.Message) error {
	cur, done := 0, 0
	if c := m.calls.Load(); c != nil {
		cur, done = (*c).CurrentCalls(), (*c).ProcessedCalls()
	}
	reload := m.LastReload()
	s.Respond(req, "Success",
		"CoreStartupDate", m.started.Format("2006-01-02"),
		"CoreStartupTime", m.started.Format("15:04:05"),
		"CoreReloadDate", reload.Format("2006-01-02"),
		"CoreReloadTime", reload.Format("15:04:05"),
		"CoreCurrentCalls", strconv.Itoa(cur),
		"CoreProcessedCalls", strconv.Itoa(done),
	)
	return nil
}

// SetCalls tells the manager where call counts come from.
func (m *Manager) SetCalls(c Calls) { m.calls.Store(&c) }

// ReloadFunc reloads one module's configuration.
type ReloadFunc func() error

// RegisterReload makes a module reloadable by the Reload action and
// "module reload <name>".
func (m *Manager) RegisterReload(name string, f ReloadFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reloaders == nil {
		m.reloaders = make(map[string]ReloadFunc)
	}
	m.reloaders[strings.ToLower(name)] = f
}

// errNoModule is returned by ReloadModule for an unknown module name.
var errNoModule = errors.New("no such module")

// ReloadModule reloads one module, or all of them for "".
func (m *Manager) ReloadModule(name string) error {
	m.mu.Lock()
	rs := make(map[string]ReloadFunc, len(m.reloaders)+1)
	for k, f := range m.reloaders {
		rs[k] = f
	}
	m.mu.Unlock()
	rs["manager"] = m.Reload
	name = strings.TrimSuffix(strings.ToLower(name), ".so")
	if name == "" {
		var first error
		for _, f := range rs {
			if err := f(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	f, ok := rs[name]
	if !ok {
		return errNoModule
	}
	return f()
}

func (m *Manager) actionReload(_ context.Context, s *Session, req *ami.Message) error {
	switch err := m.ReloadModule(req.Get("Module")); {
	case err == nil:
		s.Ack(req, "Module Reloaded")
	case errors.Is(err, errNoModule):
		s.Error(req, "No such module")
	default:
		s.Error(req, "An unknown error occurred")
	}
	return nil
}
