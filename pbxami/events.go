package pbxami

import (
	"strconv"
	"strings"
	"sync"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// unknown is how Asterisk writes an empty caller ID or connected line.
const unknown = "<unknown>"

// callingPres is the CID-CallingPres of NewCallerid: Asterism has no
// presentation settings, so it is always Asterisk's default.
const callingPres = "0 (Presentation Allowed, Not Screened)"

// HandleEvent implements pbx.EventSink: it renders ev as the AMI event
// Asterisk 20 sends and publishes it.
func (a *Adapter) HandleEvent(ev pbx.Event) {
	if ev.Global {
		// A global variable: Asterisk names no channel.
		a.m.Publish(&manager.Event{Name: ev.Kind.String(), Class: manager.PermDialplan, Headers: []ami.Header{
			{Key: "Channel", Value: "none"}, {Key: "Uniqueid", Value: "none"},
			{Key: "Variable", Value: ev.Variable}, {Key: "Value", Value: ev.Value}}})
		return
	}
	switch {
	case ev.Kind == pbx.EventDeviceStateChange:
		a.m.Publish(&manager.Event{Name: ev.Kind.String(), Class: manager.PermCall, Headers: []ami.Header{
			{Key: "Device", Value: ev.Device}, {Key: "State", Value: ev.DeviceState.String()}}})
		return
	case ev.Kind == pbx.EventExtensionStatus:
		// manager.c manager_state_cb, with the header order of
		// extensionstate.txt.
		a.m.Publish(&manager.Event{Name: ev.Kind.String(), Class: manager.PermCall, Headers: []ami.Header{
			{Key: "Exten", Value: ev.HintExten}, {Key: "Context", Value: ev.HintContext},
			{Key: "Hint", Value: ev.Hint}, {Key: "Status", Value: ev.ExtState.Code()},
			{Key: "StatusText", Value: ev.ExtState.String()}}})
		return
	case ev.Dest != nil && ev.Channel.Uniqueid == "":
		// A dial no channel makes (Originate): the Dest block alone.
		h := a.destHeaders(make([]ami.Header, 0, 16), ev.Dest)
		if ev.Kind == pbx.EventDialBegin {
			h = append(h, ami.Header{Key: "DialString", Value: ev.DialString})
		} else {
			h = append(h, ami.Header{Key: "DialStatus", Value: ev.DialStatus})
		}
		a.m.Publish(&manager.Event{Name: ev.Kind.String(), Class: manager.PermCall, Headers: h})
		return
	}
	if ev.Bridge != nil && ev.Channel.Uniqueid == "" {
		// BridgeCreate, BridgeDestroy: the bridge alone.
		a.m.Publish(&manager.Event{Name: ev.Kind.String(), Class: manager.PermCall,
			Headers: bridgeHeaders(make([]ami.Header, 0, 7), ev.Bridge)})
		return
	}
	ch := a.track(ev)
	s := &ev.Channel
	class := manager.PermCall
	hp := headerBufs.Get().(*[]ami.Header)
	h := (*hp)[:0]
	switch ev.Kind {
	case pbx.EventBridgeEnter, pbx.EventBridgeLeave:
		h = bridgeHeaders(h, ev.Bridge)
		h = a.snapshotHeaders(h, s, ch)
	case pbx.EventDialState, pbx.EventDialEnd:
		// Asterisk's DialState and DialEnd: the caller, then the Dest block.
		h = a.snapshotHeaders(h, s, ch)
		h = a.destHeaders(h, ev.Dest)
		h = append(h, ami.Header{Key: "DialStatus", Value: ev.DialStatus})
	case pbx.EventDialBegin:
		h = a.snapshotHeaders(h, s, ch)
		h = a.destHeaders(h, ev.Dest)
		h = append(h, ami.Header{Key: "DialString", Value: ev.DialString})
	case pbx.EventLocalBridge:
		// chan_local's LocalBridge: both halves, then the pair.
		h = a.prefixedHeaders(h, "LocalOne", s, ch)
		h = a.prefixedHeaders(h, "LocalTwo", ev.Peer, nil)
		opt := "No"
		if ev.LocalOptimization {
			opt = "Yes"
		}
		h = append(h, ami.Header{Key: "Context", Value: ev.LocalContext},
			ami.Header{Key: "Exten", Value: ev.LocalExten},
			ami.Header{Key: "LocalOptimization", Value: opt})
	default:
		h = a.snapshotHeaders(h, s, ch)
	}
	switch ev.Kind {
	case pbx.EventNewexten:
		class = manager.PermDialplan
		h = append(h, ami.Header{Key: "Extension", Value: s.Exten},
			ami.Header{Key: "Application", Value: ev.App},
			ami.Header{Key: "AppData", Value: ev.AppData})
	case pbx.EventVarSet:
		class = manager.PermDialplan
		h = append(h, ami.Header{Key: "Variable", Value: ev.Variable},
			ami.Header{Key: "Value", Value: ev.Value})
	case pbx.EventNewCallerid:
		h = append(h, ami.Header{Key: "CID-CallingPres", Value: callingPres})
	case pbx.EventUserEvent:
		// app_userevent: class user, the channel, then the name and body.
		class = manager.PermUser
		h = append(h, ami.Header{Key: "UserEvent", Value: ev.UserEvent})
		for _, kv := range ev.UserHeaders {
			h = append(h, ami.Header{Key: kv[0], Value: kv[1]})
		}
	case pbx.EventNewAccountCode:
		h = append(h, ami.Header{Key: "OldAccountCode", Value: ev.OldAccountCode})
	case pbx.EventHangupRequest, pbx.EventSoftHangupRequest:
		h = append(h, ami.Header{Key: "Cause", Value: strconv.Itoa(ev.Cause)})
	case pbx.EventHangup:
		text := ev.CauseText
		if text == "" {
			text = pbx.CauseText(ev.Cause)
		}
		h = append(h, ami.Header{Key: "Cause", Value: strconv.Itoa(ev.Cause)},
			ami.Header{Key: "Cause-txt", Value: text})
	}
	a.m.Publish(&manager.Event{Name: ev.Kind.String(), Class: class, Headers: h})
	// Publish rendered the headers and keeps nothing of them.
	clear(h)
	*hp = h[:0]
	headerBufs.Put(hp)
}

// headerBufs recycles the header lists of channel events, one of which
// is built for every event of every call.
var headerBufs = sync.Pool{New: func() any { h := make([]ami.Header, 0, 40); return &h }}

// track keeps the per-channel bookkeeping up to date with ev and returns the
// channel, if the core knows it.
func (a *Adapter) track(ev pbx.Event) *pbx.Channel {
	id := ev.Channel.Uniqueid
	a.mu.Lock()
	ci := a.chans[id]
	if ci == nil && ev.Kind != pbx.EventHangup {
		ci = &chanInfo{created: a.now(), linkedid: ev.Channel.Linkedid}
		a.chans[id] = ci
		if id == ev.Channel.Linkedid {
			a.processed++
		}
	}
	var ch *pbx.Channel
	if ci != nil {
		ch = ci.ch
		if ev.Kind == pbx.EventHangup {
			delete(a.chans, id)
		}
	}
	a.mu.Unlock()
	if ch == nil && ci != nil {
		if core := a.core.Load(); core != nil {
			if c, ok := core.ChannelByID(id); ok {
				ch = c
				a.mu.Lock()
				ci.ch = c
				a.mu.Unlock()
			}
		}
	}
	return ch
}

// orUnknown returns s, or "<unknown>" when it is empty.
func orUnknown(s string) string {
	if s == "" {
		return unknown
	}
	return s
}

// snapshotHeaders appends the channel snapshot block (Asterisk's
// ast_manager_build_channel_state_string) and a ChanVariable line per
// manager.conf channelvars entry, read from ch (empty when ch is nil).
func (a *Adapter) snapshotHeaders(h []ami.Header, s *pbx.Snapshot, ch *pbx.Channel) []ami.Header {
	h = append(h,
		ami.Header{Key: "Channel", Value: s.Name},
		ami.Header{Key: "ChannelState", Value: strconv.Itoa(int(s.State))},
		ami.Header{Key: "ChannelStateDesc", Value: s.State.String()},
		ami.Header{Key: "CallerIDNum", Value: orUnknown(s.CallerIDNum)},
		ami.Header{Key: "CallerIDName", Value: orUnknown(s.CallerIDName)},
		ami.Header{Key: "ConnectedLineNum", Value: orUnknown(s.ConnectedLineNum)},
		ami.Header{Key: "ConnectedLineName", Value: orUnknown(s.ConnectedLineName)},
		ami.Header{Key: "Language", Value: s.Language},
		ami.Header{Key: "AccountCode", Value: s.AccountCode},
		ami.Header{Key: "Context", Value: s.Context},
		ami.Header{Key: "Exten", Value: s.Exten},
		ami.Header{Key: "Priority", Value: strconv.Itoa(s.Priority)},
		ami.Header{Key: "Uniqueid", Value: s.Uniqueid},
		ami.Header{Key: "Linkedid", Value: s.Linkedid},
	)
	for _, name := range a.m.Config().ChannelVars {
		h = append(h, ami.Header{Key: "ChanVariable", Value: name + "=" + a.readVar(ch, name)})
	}
	return h
}

// readVar reads a variable or, when name ends in ')', a function, as
// channelvars and Status's Variables do. A nil ch reads nothing.
func (a *Adapter) readVar(ch *pbx.Channel, name string) string {
	if ch == nil {
		return ""
	}
	if strings.HasSuffix(name, ")") {
		v, err := ch.Core().Funcs().Read(ch, name)
		if err != nil {
			return ""
		}
		return v
	}
	v, _ := ch.Get(name)
	return v
}

// bridgeHeaders appends the bridge block (Asterisk's
// ast_manager_build_bridge_state_string); an empty creator or name is
// written "<unknown>".
func bridgeHeaders(h []ami.Header, b *pbx.BridgeSnapshot) []ami.Header {
	return append(h,
		ami.Header{Key: "BridgeUniqueid", Value: b.Uniqueid},
		ami.Header{Key: "BridgeType", Value: b.Type},
		ami.Header{Key: "BridgeTechnology", Value: b.Technology},
		ami.Header{Key: "BridgeCreator", Value: orUnknown(b.Creator)},
		ami.Header{Key: "BridgeName", Value: orUnknown(b.Name)},
		ami.Header{Key: "BridgeNumChannels", Value: strconv.Itoa(b.NumChannels)},
		ami.Header{Key: "BridgeVideoSourceMode", Value: b.VideoSourceMode},
	)
}

// destHeaders appends the snapshot block of a dialled channel with the
// prefix "Dest" and its ChanVariable lines as "DestChanVariable".
func (a *Adapter) destHeaders(h []ami.Header, d *pbx.Snapshot) []ami.Header {
	return a.prefixedHeaders(h, "Dest", d, nil)
}

// prefixedHeaders appends the snapshot block of d with every key
// prefixed (Asterisk's ast_manager_build_channel_state_string_prefix);
// its ChanVariable lines are read from ch, or from the live channel d
// names when ch is nil.
func (a *Adapter) prefixedHeaders(h []ami.Header, prefix string, d *pbx.Snapshot, ch *pbx.Channel) []ami.Header {
	if d == nil {
		return h
	}
	if ch == nil {
		if core := a.core.Load(); core != nil {
			ch, _ = core.ChannelByID(d.Uniqueid)
		}
	}
	start := len(h)
	h = a.snapshotHeaders(h, d, ch)
	for i := start; i < len(h); i++ {
		h[i].Key = prefix + h[i].Key
	}
	return h
}
