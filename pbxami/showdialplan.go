package pbxami

import (
	"context"
	"strconv"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/manager"
)

// showDialPlanAction is the ShowDialPlan action, with the class and
// synopsis of Asterisk 20's ListCommands.
func (a *Adapter) showDialPlanAction() *manager.Action {
	return &manager.Action{Name: "ShowDialPlan", Perm: manager.PermConfig | manager.PermReporting,
		Synopsis: "Show dialplan contexts and extensions", Handler: a.showDialPlan}
}

// showDialPlan is Asterisk 20's manager_show_dialplan: a list of
// ListDialplan events, one per priority, include, ignore pattern and
// switch, optionally only of one context and/or one extension.
//
// As in Asterisk, the "will follow" answer is sent before the first item,
// and the error for an unknown context or extension is decided only after
// the walk: items already found for the other parts of a context (an
// ignore pattern, a switch) go out before that error.
func (a *Adapter) showDialPlan(_ context.Context, s *manager.Session, req *ami.Message) error {
	context, exten := req.Get("Context"), req.Get("Extension")
	var r dialplan.ListResult
	if dp := a.core.Load().Dialplan(); dp != nil {
		r = dp.List(context, exten)
	}
	const ack = "DialPlan list will follow"
	if len(r.Items) > 0 {
		s.StartList(req, ack)
	}
	id := req.ActionID()
	for i := range r.Items {
		s.Send(&ami.Message{Headers: listDialplanHeaders(&r.Items[i], id)})
	}
	switch {
	case context != "" && !r.ContextFound:
		s.Error(req, "Did not find context "+context)
		return nil
	case exten != "" && !r.ExtensionFound:
		if context != "" {
			s.Error(req, "Did not find extension "+exten+"@"+context)
		} else {
			s.Error(req, "Did not find extension "+exten+" in any context")
		}
		return nil
	}
	if len(r.Items) == 0 {
		s.StartList(req, ack)
	}
	s.CompleteList(req, "ShowDialPlanComplete", len(r.Items),
		"ListExtensions", strconv.Itoa(r.Extensions),
		"ListPriorities", strconv.Itoa(r.Priorities),
		"ListContexts", strconv.Itoa(r.Contexts))
	return nil
}

// listDialplanHeaders renders one ListDialplan event: the ActionID right
// after Event, then the item's own headers and its Registrar.
func listDialplanHeaders(it *dialplan.ListItem, actionID string) []ami.Header {
	h := make([]ami.Header, 0, 9)
	h = append(h, ami.Header{Key: "Event", Value: "ListDialplan"})
	if actionID != "" {
		h = append(h, ami.Header{Key: "ActionID", Value: actionID})
	}
	h = append(h, ami.Header{Key: "Context", Value: it.Context})
	switch {
	case it.IncludeContext != "":
		h = append(h, ami.Header{Key: "IncludeContext", Value: it.IncludeContext})
	case it.IgnorePattern != "":
		h = append(h, ami.Header{Key: "IgnorePattern", Value: it.IgnorePattern})
	case it.Switch != "":
		h = append(h, ami.Header{Key: "Switch", Value: it.Switch})
	default:
		h = append(h, ami.Header{Key: "Extension", Value: it.Extension})
		if it.Label != "" {
			h = append(h, ami.Header{Key: "ExtensionLabel", Value: it.Label})
		}
		if it.Priority == dialplan.PriorityHint {
			h = append(h, ami.Header{Key: "Priority", Value: "hint"},
				ami.Header{Key: "Application", Value: it.App})
		} else {
			h = append(h, ami.Header{Key: "Priority", Value: strconv.Itoa(it.Priority)},
				ami.Header{Key: "Application", Value: it.App},
				ami.Header{Key: "AppData", Value: it.AppData})
		}
	}
	return append(h, ami.Header{Key: "Registrar", Value: it.Registrar})
}
