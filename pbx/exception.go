package pbx

import (
	"strconv"
	"strings"

	"github.com/asterism-pbx/asterism/dialplan"
)

// exception is what sent a channel to the e extension of its context, as
// EXCEPTION() reads it: the reason and where the channel was.
type exception struct {
	reason, context, exten string
	priority               int
}

// exceptionTarget records reason as the channel's exception and returns
// the context whose e extension it must go to, as Asterisk's
// raise_exception does; ok is false, and nothing is recorded, when the
// current context has no e. The caller moves the channel there (the pbx
// loop between priorities, an application with jumpTo).
func (ch *Channel) exceptionTarget(reason string) (dpCtx string, ok bool) {
	dp := ch.core.Dialplan()
	dpCtx, exten, prio := ch.Location()
	cid, _ := ch.CallerID()
	if dp == nil || !dp.Exists(dpCtx, "e", cid, 1) {
		return "", false
	}
	ch.mu.Lock()
	ch.exc = &exception{reason: reason, context: dpCtx, exten: exten, priority: prio}
	ch.mu.Unlock()
	return dpCtx, true
}

// appRaiseException is RaiseException(reason): to the e extension, or the
// end of the dialplan when there is none (Asterisk's returns -1).
func appRaiseException(ch *Channel, data string) error {
	reason := strings.TrimSpace(data)
	if reason == "" {
		ch.core.log.Warn("pbx: RaiseException requires an argument (reason)", "channel", ch.Name())
		return errEndDialplan
	}
	dpCtx, ok := ch.exceptionTarget(reason)
	if !ok {
		return errEndDialplan
	}
	ch.jumpTo(dpCtx, "e", 1)
	return nil
}

// exceptionFunc is EXCEPTION(reason|context|exten|priority), read only.
type exceptionFunc struct{}

func (exceptionFunc) Syntax() string { return "EXCEPTION(field)" }
func (exceptionFunc) Synopsis() string {
	return "Retrieve the details of the current dialplan exception."
}

func (exceptionFunc) Read(vars dialplan.Vars, args string) (string, error) {
	ch, ok := vars.(*Channel)
	if !ok {
		return "", errNoChannel
	}
	ch.mu.Lock()
	exc := ch.exc
	ch.mu.Unlock()
	if exc == nil {
		return "", nil
	}
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "reason":
		return exc.reason, nil
	case "context":
		return exc.context, nil
	case "exten":
		return exc.exten, nil
	case "priority":
		return strconv.Itoa(exc.priority), nil
	}
	return "", dialplan.ErrUsage
}
