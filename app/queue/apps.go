package queue

import (
	"errors"
	"strconv"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/pbx"
)

func itoa(n int) string { return strconv.Itoa(n) }

// appAdd is AddQueueMember(queuename[,interface[,penalty[,options[,membername[,stateinterface[,wrapuptime]]]]]]):
// AQMSTATUS ADDED, MEMBERALREADY or NOSUCHQUEUE. The interface defaults
// to the channel's device.
func (e *Engine) appAdd(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	name := arg(args, 0)
	if name == "" {
		e.log.Warn("AddQueueMember requires an argument (queuename[,interface[,penalty[,options[,membername[,stateinterface][,wrapuptime]]]]])", "channel", ch.Name())
		return errors.New("queue: AddQueueMember without a queue")
	}
	iface := arg(args, 1)
	if iface == "" {
		iface = pbx.DeviceName(ch.Name())
	}
	mc := MemberConfig{Interface: iface, Penalty: max(atoi(arg(args, 2)), 0), Name: arg(args, 4),
		StateInterface: arg(args, 5), Wrapup: max(atoi(arg(args, 6)), 0)}
	switch err := e.Add(name, mc, false); {
	case err == nil:
		ch.SetVar("AQMSTATUS", "ADDED")
	case errors.Is(err, ErrAlreadyThere):
		e.log.Warn("Unable to add interface to queue: Already there", "interface", iface, "queue", name)
		ch.SetVar("AQMSTATUS", "MEMBERALREADY")
	case errors.Is(err, ErrBadInterface):
		e.log.Warn("Unable to add interface to queue: malformed interface", "interface", iface, "queue", name)
		ch.SetVar("AQMSTATUS", "NOSUCHQUEUE")
	default:
		e.log.Warn("Unable to add interface to queue: No such queue", "interface", iface, "queue", name)
		ch.SetVar("AQMSTATUS", "NOSUCHQUEUE")
	}
	return nil
}

// appRemove is RemoveQueueMember(queuename[,interface]): RQMSTATUS
// REMOVED, NOTINQUEUE, NOSUCHQUEUE or NOTDYNAMIC.
func (e *Engine) appRemove(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	name := arg(args, 0)
	if name == "" {
		e.log.Warn("RemoveQueueMember requires an argument (queuename[,interface])", "channel", ch.Name())
		return errors.New("queue: RemoveQueueMember without a queue")
	}
	iface := arg(args, 1)
	if iface == "" {
		iface = pbx.DeviceName(ch.Name())
	}
	st := "REMOVED"
	switch err := e.Remove(name, iface); {
	case err == nil:
	case errors.Is(err, ErrNotThere):
		st = "NOTINQUEUE"
	case errors.Is(err, ErrNotDynamic):
		st = "NOTDYNAMIC"
	default:
		st = "NOSUCHQUEUE"
	}
	ch.SetVar("RQMSTATUS", st)
	return nil
}

// appPause is PauseQueueMember([queuename],interface[,options[,reason]])
// and UnpauseQueueMember: PQMSTATUS PAUSED or NOTFOUND (UPQMSTATUS
// UNPAUSED or NOTFOUND). An empty queue name pauses the interface in
// every queue.
func (e *Engine) appPause(ch *pbx.Channel, data string, paused bool) error {
	args := dialplan.AppArgs(data)
	iface := arg(args, 1)
	varName, ok := "PQMSTATUS", "PAUSED"
	if !paused {
		varName, ok = "UPQMSTATUS", "UNPAUSED"
	}
	if iface == "" {
		e.log.Warn("PauseQueueMember requires an argument ([queuename],interface[,options][,reason])", "channel", ch.Name())
		return errors.New("queue: (Un)PauseQueueMember without an interface")
	}
	if err := e.Pause(arg(args, 0), iface, paused, arg(args, 3)); err != nil {
		ch.SetVar(varName, "NOTFOUND")
		return nil
	}
	ch.SetVar(varName, ok)
	return nil
}

// appDocs document the applications (Asterisk 20's synopses).
var appDocs = []pbx.Doc{
	{
		Name:     "Queue",
		Synopsis: "Queue a call for a call queue.",
		Syntax:   "Queue(queuename,[options,[URL,[announceoverride,[timeout,[AGI,[gosub,[rule,[position]]]]]]]])",
		Description: "In addition to transferring the call, a call may be parked and then picked up by another user.\n\n" +
			"This application will return to the dialplan if the queue does not exist, or any of the join options " +
			"cause the caller to not enter the queue.\n\n" +
			"This application sets the following channel variables upon completion: QUEUESTATUS (TIMEOUT, FULL, " +
			"JOINEMPTY, LEAVEEMPTY, JOINUNAVAIL, LEAVEUNAVAIL, CONTINUE, WITHDRAW), ABANDONED, QUEUEPOSITION.",
		Arguments: []pbx.DocArg{
			{Name: "queuename", Text: "The queue (a section of queues.conf)."},
			{Name: "options", Text: "c: continue in the dialplan if the callee hangs up.\nn: no retries on the timeout; will exit this application and go to the next step.\nr: ring instead of playing MOH.\nm(class): music on hold class."},
			{Name: "URL", Text: "Ignored by Asterism."},
			{Name: "announceoverride", Text: "Ignored by Asterism."},
			{Name: "timeout", Text: "Seconds the caller may wait in the queue before QUEUESTATUS=TIMEOUT."},
		},
		SeeAlso: []string{"AddQueueMember", "RemoveQueueMember", "PauseQueueMember", "UnpauseQueueMember"},
	},
	{
		Name:     "AddQueueMember",
		Synopsis: "Dynamically adds queue members.",
		Syntax:   "AddQueueMember(queuename,[interface,[penalty,[options,[membername,[stateinterface,[wrapuptime]]]]]])",
		Description: "Dynamically adds interface to an existing queue. If the interface is already in the queue it " +
			"will return an error.\n\nThis application sets AQMSTATUS: ADDED, MEMBERALREADY, NOSUCHQUEUE.",
		Arguments: []pbx.DocArg{{Name: "queuename"}, {Name: "interface", Text: "Defaults to the channel's device."},
			{Name: "penalty"}, {Name: "options"}, {Name: "membername"}, {Name: "stateinterface"}, {Name: "wrapuptime"}},
		SeeAlso: []string{"Queue", "RemoveQueueMember", "PauseQueueMember"},
	},
	{
		Name:        "RemoveQueueMember",
		Synopsis:    "Dynamically removes queue members.",
		Syntax:      "RemoveQueueMember(queuename,[interface])",
		Description: "If the interface is NOT in the queue it will return an error.\n\nThis application sets RQMSTATUS: REMOVED, NOTINQUEUE, NOSUCHQUEUE, NOTDYNAMIC.",
		Arguments:   []pbx.DocArg{{Name: "queuename"}, {Name: "interface", Text: "Defaults to the channel's device."}},
		SeeAlso:     []string{"Queue", "AddQueueMember"},
	},
	{
		Name:     "PauseQueueMember",
		Synopsis: "Pauses a queue member.",
		Syntax:   "PauseQueueMember([queuename],interface,[options,[reason]])",
		Description: "Pauses (blocks calls for) a queue member. The given interface will be paused in the given queue, " +
			"or in all queues when none is given.\n\nThis application sets PQMSTATUS: PAUSED, NOTFOUND.",
		Arguments: []pbx.DocArg{{Name: "queuename"}, {Name: "interface"}, {Name: "options"}, {Name: "reason"}},
		SeeAlso:   []string{"Queue", "UnpauseQueueMember"},
	},
	{
		Name:     "UnpauseQueueMember",
		Synopsis: "Unpauses a queue member.",
		Syntax:   "UnpauseQueueMember([queuename],interface,[options,[reason]])",
		Description: "Unpauses (resumes calls to) a queue member. This is the counterpart to PauseQueueMember() and " +
			"operates exactly the same way.\n\nThis application sets UPQMSTATUS: UNPAUSED, NOTFOUND.",
		Arguments: []pbx.DocArg{{Name: "queuename"}, {Name: "interface"}, {Name: "options"}, {Name: "reason"}},
		SeeAlso:   []string{"Queue", "PauseQueueMember"},
	},
}
