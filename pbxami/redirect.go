package pbxami

import (
	"context"
	"strconv"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// redirect is action_redirect: Channel (and ExtraChannel, with the Extra*
// place or else the same one) leave what they do, their bridge included,
// and run the dialplan at Context, Exten, Priority.
func (a *Adapter) redirect(_ context.Context, s *manager.Session, req *ami.Message) error {
	name, name2 := req.Get("Channel"), req.Get("ExtraChannel")
	dpContext, exten, prio := req.Get("Context"), req.Get("Exten"), req.Get("Priority")
	switch {
	case name == "":
		s.Error(req, "Channel not specified")
		return nil
	case dpContext == "":
		s.Error(req, "Context not specified")
		return nil
	case exten == "":
		s.Error(req, "Exten not specified")
		return nil
	case prio == "":
		s.Error(req, "Priority not specified")
		return nil
	}
	pi, err := strconv.Atoi(prio)
	if err != nil || pi < 1 {
		s.Error(req, "Priority is invalid")
		return nil
	}
	ch, ok := a.lookup(name)
	if !ok {
		s.Error(req, "Channel does not exist: "+name)
		return nil
	}
	if ch.HangupRequested() {
		s.Error(req, "Redirect failed, channel not up.")
		return nil
	}
	if name2 == "" {
		if err := ch.AsyncGoto(dpContext, exten, pi); err != nil {
			s.Error(req, "Redirect failed")
			return nil
		}
		s.Ack(req, "Redirect successful")
		return nil
	}
	ch2, ok := a.lookup(name2)
	if !ok {
		s.Error(req, "ExtraChannel does not exist: "+name2)
		return nil
	}
	if ch2.HangupRequested() {
		s.Error(req, "Redirect failed, extra channel not up.")
		return nil
	}
	// The extra channel goes to the Extra* place, each part defaulting
	// to the first channel's.
	ctx2, exten2, pi2 := req.Get("ExtraContext"), req.Get("ExtraExten"), pi
	if ctx2 == "" {
		ctx2 = dpContext
	}
	if exten2 == "" {
		exten2 = exten
	}
	if p := req.Get("ExtraPriority"); p != "" {
		if pi2, err = strconv.Atoi(p); err != nil || pi2 < 1 {
			s.Error(req, "Priority is invalid")
			return nil
		}
	}
	if err := pbx.AsyncGotoAll(pbx.Goto{Channel: ch, Context: dpContext, Exten: exten, Priority: pi},
		pbx.Goto{Channel: ch2, Context: ctx2, Exten: exten2, Priority: pi2}); err != nil {
		s.Error(req, "Redirect failed")
		return nil
	}
	s.Ack(req, "Dual Redirect successful")
	return nil
}
