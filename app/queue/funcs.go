package queue

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/pbx"
)

// queueFunc is one of the queue dialplan functions.
type queueFunc struct {
	syntax, synopsis string
	read             func(args []string) (string, error)
}

func (f *queueFunc) Syntax() string   { return f.syntax }
func (f *queueFunc) Synopsis() string { return f.synopsis }
func (f *queueFunc) Read(_ dialplan.Vars, args string) (string, error) {
	return f.read(dialplan.AppArgs(args))
}

// RegisterFunctions registers QUEUE_EXISTS, QUEUE_WAITING_COUNT and
// QUEUE_MEMBER on the core.
func (e *Engine) RegisterFunctions() error {
	fs := map[string]*queueFunc{
		"QUEUE_EXISTS": {"QUEUE_EXISTS([queuename])", "Check if a named queue exists on this server", e.fnExists},
		"QUEUE_WAITING_COUNT": {"QUEUE_WAITING_COUNT([queuename])",
			"Count number of calls currently waiting in a queue.", e.fnWaiting},
		"QUEUE_MEMBER": {"QUEUE_MEMBER([queuename],option[,interface])",
			"Provides a count of queue members based on the provided criteria, or updates a queue member's settings.", e.fnMember},
	}
	for _, name := range []string{"QUEUE_EXISTS", "QUEUE_WAITING_COUNT", "QUEUE_MEMBER"} {
		if err := e.core.Funcs().RegisterFunction(name, fs[name]); err != nil {
			return fmt.Errorf("queue: %w", err)
		}
	}
	return nil
}

var errFuncUsage = fmt.Errorf("queue function: %w", dialplan.ErrUsage)

func (e *Engine) fnExists(args []string) (string, error) {
	name := arg(args, 0)
	if name == "" {
		return "", fmt.Errorf("QUEUE_EXISTS requires an argument: queuename: %w", errFuncUsage)
	}
	if e.Exists(name) {
		return "1", nil
	}
	return "0", nil
}

func (e *Engine) fnWaiting(args []string) (string, error) {
	name := arg(args, 0)
	if name == "" {
		return "", fmt.Errorf("QUEUE_WAITING_COUNT requires an argument: queuename: %w", errFuncUsage)
	}
	st := e.Status(name)
	if len(st) == 0 {
		e.log.Warn("queue: QUEUE_WAITING_COUNT of a queue that does not exist", "queue", name)
		return "0", nil
	}
	return strconv.Itoa(len(st[0].Callers)), nil
}

// fnMember is QUEUE_MEMBER's read: logged, free, ready and count count
// members (func_queue_member_read); penalty, paused and ringinuse read
// one member's setting.
func (e *Engine) fnMember(args []string) (string, error) {
	name, opt, iface := arg(args, 0), strings.ToLower(arg(args, 1)), arg(args, 2)
	if opt == "" {
		return "", fmt.Errorf("QUEUE_MEMBER requires an option: %w", errFuncUsage)
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.findLocked(name)
	switch opt {
	case "logged", "free", "ready", "count":
		if q == nil {
			e.log.Warn("queue: QUEUE_MEMBER of a queue that does not exist", "queue", name)
			return "0", nil
		}
		n := 0
		for _, m := range q.members {
			logged := m.Status != pbx.DeviceUnavailable && m.Status != pbx.DeviceInvalid
			free := logged && (m.Status == pbx.DeviceNotInUse || m.Status == pbx.DeviceUnknown) && !m.Paused
			switch {
			case opt == "count",
				opt == "logged" && logged,
				opt == "free" && free,
				opt == "ready" && free && !inWrapup(&q.Params, m, now):
				n++
			}
		}
		return strconv.Itoa(n), nil
	case "penalty", "paused", "ringinuse":
		if iface == "" {
			return "", fmt.Errorf("QUEUE_MEMBER(%s) needs an interface: %w", opt, errFuncUsage)
		}
		if q == nil {
			return "", fmt.Errorf("QUEUE_MEMBER: %w: %q", ErrNoSuchQueue, name)
		}
		m := q.memberLocked(iface)
		if m == nil {
			return "", fmt.Errorf("QUEUE_MEMBER: %w: %q", ErrNotThere, iface)
		}
		switch opt {
		case "penalty":
			return strconv.Itoa(m.Penalty), nil
		case "paused":
			return boolDigit(m.Paused), nil
		default:
			return boolDigit(m.RingInUse), nil
		}
	}
	return "", fmt.Errorf("QUEUE_MEMBER: unknown option %q: %w", opt, errFuncUsage)
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
