package pbxami

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// actions returns the call actions, with Asterisk 20's synopses and classes
// (ListCommands of Asterisk 20.20.1).
func (a *Adapter) actions() []*manager.Action {
	return []*manager.Action{
		{Name: "Hangup", Perm: manager.PermSystem | manager.PermCall,
			Synopsis: "Hangup channel.", Handler: a.hangup},
		{Name: "Status", Perm: manager.PermSystem | manager.PermCall | manager.PermReporting,
			Synopsis: "List channel status.", Handler: a.status},
		{Name: "CoreShowChannels", Perm: manager.PermSystem | manager.PermReporting,
			Synopsis: "List currently active channels.", Handler: a.coreShowChannels},
		{Name: "AbsoluteTimeout", Perm: manager.PermSystem | manager.PermCall,
			Synopsis: "Set absolute timeout.", Handler: a.absoluteTimeout},
		{Name: "Redirect", Perm: manager.PermCall,
			Synopsis: "Redirect (transfer) a call.", Handler: a.redirect},
		{Name: "Getvar", Perm: manager.PermCall | manager.PermReporting,
			Synopsis: "Gets a channel variable or function value.", Handler: a.getvar},
		{Name: "Setvar", Perm: manager.PermCall,
			Synopsis: "Sets a channel variable or function value.", Handler: a.setvar},
		// Slow: a synchronous Originate answers once the call is answered
		// or has failed, and the session's events are not held back
		// meanwhile (Asterisk holds them until the response).
		{Name: "Originate", Perm: manager.PermOriginate,
			Synopsis: "Originate a call.", Handler: a.originate, Slow: true},
		a.showDialPlanAction(),
	}
}

// writePerm returns the write classes of the session's user.
func writePerm(s *manager.Session) manager.Perm {
	if u := s.User(); u != nil {
		return u.Write
	}
	return 0
}

// functionAllowed is Asterisk's function_capable_string_allowed_with_auths:
// SHELL() and EVAL() reach a shell, so only users with the system class may
// name them.
func functionAllowed(s string, perm manager.Perm) bool {
	if perm&manager.PermSystem != 0 {
		return true
	}
	return !strings.Contains(s, "SHELL(") && !strings.Contains(s, "EVAL(")
}

// localFollower reports whether name is a Local ;2 whose ;1 is in found.
func localFollower(name string, found map[string]bool) bool {
	base, ok := strings.CutSuffix(name, ";2")
	return ok && strings.HasPrefix(name, "Local/") && found[base+";1"]
}

// hangup is action_hangup: one channel by name, or every channel whose name
// matches /regex/, listed with ChannelHungup events.
func (a *Adapter) hangup(_ context.Context, s *manager.Session, req *ami.Message) error {
	name := req.Get("Channel")
	if name == "" {
		s.Error(req, "No channel specified")
		return nil
	}
	cause := 0
	if c := strings.TrimSpace(req.Get("Cause")); c != "" {
		if n, ok := pbx.ParseCause(c); ok && n <= 127 {
			cause = n
		}
	}
	core := a.core.Load()
	if len(name) < 2 || name[0] != '/' || name[len(name)-1] != '/' {
		if err := core.Hangup(name, cause); err != nil {
			s.Error(req, "No such channel")
			return nil
		}
		s.Ack(req, "Channel Hungup")
		return nil
	}
	re, err := regexp.Compile(name[1 : len(name)-1])
	if err != nil {
		s.Error(req, "Invalid regex")
		return nil
	}
	s.StartList(req, "Channels hung up will follow")
	var matched []string
	found := make(map[string]bool)
	for _, ch := range a.channels() {
		if nm := ch.Name(); re.MatchString(nm) {
			matched = append(matched, nm)
			found[nm] = true
		}
	}
	n := 0
	for _, nm := range matched {
		// Every channel that matched is listed, as Asterisk lists the
		// channels it found. A Local ;2 whose ;1 matched too is left to
		// follow its ;1 (which tells it with a HangupRequest), so that
		// which half of the pair gets the HangupRequest does not depend
		// on which of two dialplans, both asked to end, ends first.
		if !localFollower(nm, found) {
			core.Hangup(nm, cause)
		}
		msg := ami.NewMessage("Event", "ChannelHungup", "Channel", nm)
		if id := req.ActionID(); id != "" {
			msg.Add("ActionID", id)
		}
		s.Send(msg)
		n++
	}
	s.CompleteList(req, "ChannelsHungupListComplete", n)
	return nil
}

// lookup returns the live channel called name.
func (a *Adapter) lookup(name string) (*pbx.Channel, bool) {
	core := a.core.Load()
	if core == nil {
		return nil, false
	}
	return core.Channel(name)
}

// status is action_status: a Status event per channel (or for one), then
// StatusComplete.
func (a *Adapter) status(_ context.Context, s *manager.Session, req *ami.Message) error {
	vars := req.Get("Variables")
	if !functionAllowed(vars, writePerm(s)) {
		s.Error(req, "Status Access Forbidden: Variables")
		return nil
	}
	all := isTrue(req.Get("AllVariables"))
	var chs []*pbx.Channel
	if name := req.Get("Channel"); name != "" && !strings.EqualFold(name, "all") {
		ch, ok := a.lookup(name)
		if !ok {
			s.Error(req, "No such channel")
			return nil
		}
		chs = []*pbx.Channel{ch}
	} else {
		chs = a.channels()
	}
	var names []string
	if vars != "" {
		for _, v := range strings.Split(vars, ",") {
			if v = strings.TrimSpace(v); v != "" {
				names = append(names, v)
			}
		}
	}
	s.StartList(req, "Channel status will follow")
	now := a.now()
	for _, ch := range chs {
		snap := ch.Snapshot()
		ci := a.info(ch)
		h := make([]ami.Header, 0, 48)
		h = append(h, ami.Header{Key: "Event", Value: "Status"}, ami.Header{Key: "Privilege", Value: "Call"})
		h = a.snapshotHeaders(h, &snap, ch)
		tech, _, _ := strings.Cut(snap.Name, "/")
		h = append(h,
			ami.Header{Key: "Type", Value: tech},
			ami.Header{Key: "DNID", Value: ""},
			ami.Header{Key: "EffectiveConnectedLineNum", Value: orUnknown(snap.ConnectedLineNum)},
			ami.Header{Key: "EffectiveConnectedLineName", Value: orUnknown(snap.ConnectedLineName)},
			ami.Header{Key: "TimeToHangup", Value: timeToHangup(ch.HangupAt())},
			ami.Header{Key: "BridgeID", Value: ch.BridgeID()},
			ami.Header{Key: "Application", Value: ci.app},
			ami.Header{Key: "Data", Value: ci.data},
			ami.Header{Key: "Nativeformats", Value: "(slin)"},
			ami.Header{Key: "Readformat", Value: "slin"},
			ami.Header{Key: "Readtrans", Value: ""},
			ami.Header{Key: "Writeformat", Value: "slin"},
			ami.Header{Key: "Writetrans", Value: ""},
			ami.Header{Key: "Callgroup", Value: "0"},
			ami.Header{Key: "Pickupgroup", Value: "0"},
			ami.Header{Key: "Seconds", Value: strconv.Itoa(int(now.Sub(ci.created) / time.Second))},
		)
		if all {
			for _, kv := range ch.Vars() {
				h = append(h, ami.Header{Key: "Variable", Value: kv[0] + "=" + kv[1]})
			}
		} else {
			for _, n := range names {
				h = append(h, ami.Header{Key: "Variable", Value: n + "=" + a.readVar(ch, n)})
			}
		}
		if id := req.ActionID(); id != "" {
			h = append(h, ami.Header{Key: "ActionID", Value: id})
		}
		s.Send(&ami.Message{Headers: h})
	}
	n := strconv.Itoa(len(chs))
	s.CompleteList(req, "StatusComplete", len(chs), "Items", n)
	return nil
}

// coreShowChannels is action_coreshowchannels.
func (a *Adapter) coreShowChannels(_ context.Context, s *manager.Session, req *ami.Message) error {
	chs := a.channels()
	s.StartList(req, "Channels will follow")
	now := a.now()
	for _, ch := range chs {
		snap := ch.Snapshot()
		ci := a.info(ch)
		h := make([]ami.Header, 0, 24)
		h = append(h, ami.Header{Key: "Event", Value: "CoreShowChannel"})
		if id := req.ActionID(); id != "" {
			h = append(h, ami.Header{Key: "ActionID", Value: id})
		}
		h = a.snapshotHeaders(h, &snap, ch)
		h = append(h,
			ami.Header{Key: "Application", Value: ci.app},
			ami.Header{Key: "ApplicationData", Value: ci.data},
			ami.Header{Key: "Duration", Value: hms(now.Sub(ci.created))},
			ami.Header{Key: "BridgeId", Value: ch.BridgeID()},
		)
		s.Send(&ami.Message{Headers: h})
	}
	s.CompleteList(req, "CoreShowChannelsComplete", len(chs))
	return nil
}

// timeToHangup is Status's TimeToHangup: the absolute timeout's deadline in
// seconds since the epoch, 0 when none is set.
func timeToHangup(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// hms formats d as Asterisk's channel durations: "00:00:02".
func hms(d time.Duration) string {
	sec := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

// absoluteTimeout is action_timeout.
func (a *Adapter) absoluteTimeout(_ context.Context, s *manager.Session, req *ami.Message) error {
	name := req.Get("Channel")
	if name == "" {
		s.Error(req, "No channel specified")
		return nil
	}
	ch, ok := a.lookup(name)
	if !ok {
		s.Error(req, "No such channel")
		return nil
	}
	secs := atoi(req.Get("Timeout"))
	ch.SetAbsoluteTimeout(time.Duration(secs) * time.Second)
	s.Ack(req, "Timeout Set")
	return nil
}

// atoi reads a leading decimal number as C's atoi does (0 if none).
func atoi(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// isTrue is Asterisk's ast_true.
func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}

// getvar is action_getvar: a channel variable or function, or a global
// variable when no channel is named.
func (a *Adapter) getvar(_ context.Context, s *manager.Session, req *ami.Message) error {
	name := req.Get("Variable")
	if name == "" {
		s.Error(req, "No variable specified")
		return nil
	}
	if !functionAllowed(name, writePerm(s)) {
		s.Error(req, "GetVar Access Forbidden: Variable")
		return nil
	}
	core := a.core.Load()
	var vars dialplan.Vars = core
	if cn := req.Get("Channel"); cn != "" {
		ch, ok := core.Channel(cn)
		if !ok {
			s.Error(req, "No such channel")
			return nil
		}
		vars = ch
	}
	var value string
	if strings.HasSuffix(name, ")") {
		value, _ = core.Funcs().Read(vars, name)
	} else {
		value, _ = vars.Get(name)
	}
	s.Respond(req, "Success", "Variable", name, "Value", value)
	return nil
}

// setvar is action_setvar: a channel variable or function, or a global
// variable when no channel is named.
func (a *Adapter) setvar(_ context.Context, s *manager.Session, req *ami.Message) error {
	name := req.Get("Variable")
	if name == "" {
		s.Error(req, "No variable specified")
		return nil
	}
	cn := req.Get("Channel")
	if cn == "" {
		core := a.core.Load()
		if strings.HasSuffix(name, ")") {
			// A function with no channel: those that need one
			// (CALLERID …) refuse, others (DEVICE_STATE) work, as
			// pbx_builtin_setvar_helper(NULL, …) does.
			if err := core.Funcs().Write(core, name, req.Get("Value")); err != nil {
				a.opts.Logger.Warn("pbxami: Setvar", "variable", name, "err", err)
				s.Error(req, "Variable not set")
				return nil
			}
			s.Ack(req, "Variable Set")
			return nil
		}
		core.SetGlobal(name, req.Get("Value"))
		s.Ack(req, "Variable Set")
		return nil
	}
	ch, ok := a.lookup(cn)
	if !ok {
		s.Error(req, "No such channel")
		return nil
	}
	value := req.Get("Value")
	if strings.HasSuffix(name, ")") {
		if err := ch.Core().Funcs().Write(ch, name, value); err != nil {
			s.Error(req, "Variable not set")
			return nil
		}
	} else {
		ch.SetVar(name, value)
	}
	s.Ack(req, "Variable Set")
	return nil
}
