package pbxami

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

const (
	// DefaultOriginateTimeout is how long Originate waits for an answer
	// when the request gives no Timeout (Asterisk's 30000 ms).
	DefaultOriginateTimeout = 30 * time.Second
	// MaxPublicUniqueID is the longest ChannelId or OtherChannelId
	// accepted (Asterisk's AST_MAX_PUBLIC_UNIQUEID).
	MaxPublicUniqueID = 149
)

// The Reason of OriginateResponse: the last control frame Asterisk saw
// (enum ast_control_frame_type), 0 when the call never got that far.
const (
	reasonNone       = 0
	reasonHangup     = 1
	reasonRinging    = 3
	reasonAnswer     = 4
	reasonBusy       = 5
	reasonCongestion = 8
)

// blacklistedApps are matched as case-insensitive substrings of an
// Originate's Application; they need the system class (Asterisk's
// originate_app_permissions, anchors §2).
var blacklistedApps = []string{"agi", "dbdeltree", "exec", "externalivr", "mixmonitor", "originate", "reload", "system"}

// blacklistedData are matched case-sensitively in an Originate's Data.
var blacklistedData = []string{"CURL", "DB", "EVAL", "FILE", "ODBC", "REALTIME", "SHELL"}

// originateAllowed reports whether a user with perm may originate to app
// with data, as Asterisk's originate_app_permissions decides.
func originateAllowed(app, data string, perm manager.Perm) bool {
	if perm&manager.PermSystem != 0 {
		return true
	}
	lapp := strings.ToLower(app)
	for _, b := range blacklistedApps {
		if strings.Contains(lapp, b) {
			return false
		}
	}
	// Queue with an AGI argument (the 7th) needs agi or system.
	if strings.Contains(lapp, "queue") {
		args := strings.Split(data, ",")
		if len(args) > 6 && strings.TrimSpace(args[6]) != "" && perm&manager.PermAGI == 0 {
			return false
		}
	}
	for _, b := range blacklistedData {
		if strings.Contains(data, b) {
			return false
		}
	}
	return true
}

// originateReq is a checked Originate request.
type originateReq struct {
	actionID        string
	dial            string // "Tech/resource" as given
	context, exten  string
	priority        int
	app, data       string
	timeout         time.Duration
	cidNum, cidName string
	vars            [][2]string // in the order to set them
	// account, channelID and otherID are Account, ChannelId and
	// OtherChannelId.
	account, channelID, otherID string
}

// originate is action_originate.
func (a *Adapter) originate(_ context.Context, s *manager.Session, req *ami.Message) error {
	o, msg := a.parseOriginate(s, req)
	if msg != "" {
		s.Error(req, msg)
		return nil
	}
	if isTrue(req.Get("Async")) {
		s.Ack(req, "Originate successfully queued")
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.m.Publish(a.dial(o).event(o))
		}()
		return nil
	}
	if r := a.dial(o); !r.answered() {
		s.Error(req, "Originate failed")
		return nil
	}
	s.Ack(req, "Originate successfully queued")
	return nil
}

// knownCodecs are the format names of Asterisk 20 (main/codec_builtin.c)
// that an Originate's Codecs may list.
var knownCodecs = map[string]bool{
	"ulaw": true, "alaw": true, "gsm": true, "g722": true, "g723": true, "g726": true, "g726aal2": true,
	"g729": true, "ilbc": true, "lpc10": true, "speex": true, "speex16": true, "speex32": true,
	"opus": true, "slin": true, "slin12": true, "slin16": true, "slin24": true, "slin32": true,
	"slin44": true, "slin48": true, "slin96": true, "slin192": true, "adpcm": true, "siren7": true,
	"siren14": true, "testlaw": true, "g719": true, "codec2": true,
	"h261": true, "h263": true, "h263p": true, "h264": true, "h265": true, "mpeg4": true, "vp8": true, "vp9": true,
	"red": true, "t140": true, "t38": true, "jpeg": true, "png": true,
}

// parseOriginate checks req as action_originate does, in its order, and
// returns the error message Asterisk would give, if any.
func (a *Adapter) parseOriginate(s *manager.Session, req *ami.Message) (*originateReq, string) {
	o := &originateReq{
		actionID:  req.ActionID(),
		dial:      req.Get("Channel"),
		context:   req.Get("Context"),
		exten:     req.Get("Exten"),
		app:       req.Get("Application"),
		data:      req.Get("Data"),
		timeout:   DefaultOriginateTimeout,
		account:   req.Get("Account"),
		channelID: req.Get("ChannelId"),
		otherID:   req.Get("OtherChannelId"),
	}
	if o.dial == "" {
		return nil, "Channel not specified"
	}
	// Codecs narrows the formats offered to the channel. Asterism's
	// channels all carry signed linear inside and convert G.711 at their
	// edge, so the list is only checked: Asterisk too skips names it does
	// not know with a warning (ast_format_cap_update_by_allow_disallow).
	for _, name := range strings.Split(req.Get("Codecs"), ",") {
		if name = strings.ToLower(strings.TrimSpace(name)); name != "" && name != "all" && !knownCodecs[name] {
			a.opts.Logger.Warn("pbxami: Originate: unknown codec", "codec", name)
		}
	}
	core := a.core.Load()
	if p := strings.TrimSpace(req.Get("Priority")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			n = 0
			if dp := core.Dialplan(); dp != nil {
				if pr, ok := dp.FindLabel(o.context, o.exten, "", p); ok {
					n = pr.Number
				}
			}
			if n < 1 {
				return nil, "Invalid priority"
			}
		}
		o.priority = n
	}
	if t := strings.TrimSpace(req.Get("Timeout")); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return nil, "Invalid timeout"
		}
		o.timeout = time.Duration(n) * time.Millisecond
	}
	if !strings.Contains(o.dial, "/") {
		return nil, "Invalid channel"
	}
	if o.app != "" && !originateAllowed(o.app, o.data, writePerm(s)) {
		return nil, "Originate Access Forbidden: app or data blacklisted"
	}
	if len(o.channelID) > MaxPublicUniqueID || len(o.otherID) > MaxPublicUniqueID {
		return nil, fmt.Sprintf("Uniqueid length exceeds maximum of %d", MaxPublicUniqueID)
	}
	if o.app == "" {
		if o.exten == "" || o.context == "" || o.priority < 1 {
			return nil, "Originate with 'Exten' requires 'Context' and 'Priority'"
		}
		if dp := core.Dialplan(); dp == nil || !dp.Exists(o.context, o.exten, "", o.priority) {
			return nil, "Extension does not exist."
		}
	}
	if cid := req.Get("CallerID"); cid != "" {
		o.cidName, o.cidNum = pbx.ParseCallerID(cid)
	}
	// The user's setvar= values first, then the request's, which win.
	// Asterisk sets each list last to first (it builds them by prepending).
	var list []string
	if u := s.User(); u != nil {
		list = append(list, u.SetVars...)
	}
	var own []string
	for _, v := range req.Values("Variable") {
		// man_do_variable_value: split as an application's arguments
		// (commas in quotes or parentheses do not split, quotes are
		// removed) into at most 64 pairs, the last taking the rest.
		own = append(own, dialplan.SplitArgs(strings.TrimLeft(v, " \t"), ',', 64)...)
	}
	for i := len(list) - 1; i >= 0; i-- {
		o.addVar(list[i])
	}
	for i := len(own) - 1; i >= 0; i-- {
		o.addVar(own[i])
	}
	return o, ""
}

func (o *originateReq) addVar(kv string) {
	name, value, ok := strings.Cut(kv, "=")
	if name = strings.TrimSpace(name); !ok || name == "" {
		return
	}
	o.vars = append(o.vars, [2]string{name, value})
}

// dialResult is how an Originate's call went.
type dialResult struct {
	reason int
	snap   pbx.Snapshot // the channel as answered
}

// dial requests the channel, calls it and, once it answers, starts its
// dialplan at the requested place, or runs the requested application on it.
// On failure nothing is left running.
func (a *Adapter) dial(o *originateReq) dialResult {
	core := a.core.Load()
	ch, err := core.RequestDialWith(o.dial, nil, pbx.RequestOptions{
		AccountCode: o.account, Uniqueid: o.channelID, OtherUniqueid: o.otherID})
	if err != nil {
		return dialResult{reason: reasonNone}
	}
	ch.SetOutgoing(pbx.AppOriginateOutgoing)
	for _, kv := range o.vars {
		ch.SetVar(kv[0], kv[1])
	}
	if o.cidNum != "" || o.cidName != "" {
		// Asterisk's originate gives the caller ID as the connected line
		// too (__ast_request_and_dial).
		ch.SetCallerID(o.cidNum, o.cidName)
		ch.SetConnectedLine(o.cidNum, o.cidName)
	}
	if err := ch.DialAlone(context.Background(), o.timeout); err != nil {
		// A call that never got anywhere hangs up without a cause, as
		// in Asterisk (Cause: 0).
		reason, cause := failReason(err), 0
		if reason != reasonNone {
			cause = pbx.CauseOf(err)
		}
		ch.Hangup(cause)
		return dialResult{reason: reason}
	}
	snap := ch.Snapshot()
	if o.app != "" {
		err = core.RunApp(ch, o.app, o.data)
		if errors.Is(err, pbx.ErrNoApp) {
			// Asterisk finds out only once the call is answered
			// (pbx_outgoing_exec): the Originate succeeded and the
			// channel hangs up.
			a.opts.Logger.Warn("pbxami: originate: no such application", "channel", snap.Name, "app", o.app)
			ch.Hangup(pbx.CauseNormalClearing)
			return dialResult{reason: reasonAnswer, snap: snap}
		}
	} else {
		err = core.StartPBX(ch, o.context, o.exten, o.priority)
	}
	if err != nil {
		a.opts.Logger.Warn("pbxami: originate", "channel", snap.Name, "err", err)
		ch.Hangup(pbx.CauseNormalClearing)
		return dialResult{reason: reasonHangup}
	}
	return dialResult{reason: reasonAnswer, snap: snap}
}

// answered reports whether the call was answered: the Originate
// succeeded, even if what it was to run could not start.
func (r dialResult) answered() bool { return r.reason == reasonAnswer }

// failReason maps a Dial error to OriginateResponse's Reason.
func failReason(err error) int {
	switch {
	case errors.Is(err, pbx.ErrBusy):
		return reasonBusy
	case errors.Is(err, pbx.ErrCongestion):
		return reasonCongestion
	case errors.Is(err, pbx.ErrNoAnswer):
		return reasonRinging
	case errors.Is(err, pbx.ErrHangup):
		return reasonHangup
	}
	return reasonNone
}

// event renders the OriginateResponse of an asynchronous Originate.
func (r dialResult) event(o *originateReq) *manager.Event {
	h := make([]ami.Header, 0, 10)
	if o.actionID != "" {
		h = append(h, ami.Header{Key: "ActionID", Value: o.actionID})
	}
	resp, channel, uid := "Failure", o.dial, unknown
	num, name := orUnknown(o.cidNum), orUnknown(o.cidName)
	if r.answered() {
		resp, channel, uid = "Success", r.snap.Name, r.snap.Uniqueid
		num, name = orUnknown(r.snap.CallerIDNum), orUnknown(r.snap.CallerIDName)
	}
	h = append(h, ami.Header{Key: "Response", Value: resp}, ami.Header{Key: "Channel", Value: channel})
	if o.app != "" {
		h = append(h, ami.Header{Key: "Application", Value: o.app}, ami.Header{Key: "Data", Value: o.data})
	} else {
		h = append(h, ami.Header{Key: "Context", Value: o.context}, ami.Header{Key: "Exten", Value: o.exten})
	}
	h = append(h,
		ami.Header{Key: "Reason", Value: strconv.Itoa(r.reason)},
		ami.Header{Key: "Uniqueid", Value: uid},
		ami.Header{Key: "CallerIDNum", Value: num},
		ami.Header{Key: "CallerIDName", Value: name},
	)
	return &manager.Event{Name: "OriginateResponse", Class: manager.PermCall, Headers: h}
}
