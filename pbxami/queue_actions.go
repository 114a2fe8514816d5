package pbxami

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/app/queue"
	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// queueAMI is the queues' actions and CLI commands.
type queueAMI struct {
	eng *queue.Engine
	a   *Adapter
	dir string // where queues.conf is
	log *slog.Logger
}

func (qa *queueAMI) actions() []*manager.Action {
	return []*manager.Action{
		{Name: "QueueStatus", Synopsis: "Show queue status.", Handler: qa.status},
		{Name: "QueueSummary", Synopsis: "Show queue summary.", Handler: qa.summary},
		{Name: "QueueAdd", Perm: manager.PermAgent, Synopsis: "Add interface to queue.", Handler: qa.add},
		{Name: "QueueRemove", Perm: manager.PermAgent, Synopsis: "Remove interface from queue.", Handler: qa.remove},
		{Name: "QueuePause", Perm: manager.PermAgent, Synopsis: "Makes a queue member temporarily unavailable.", Handler: qa.pause},
		{Name: "QueuePenalty", Perm: manager.PermAgent, Synopsis: "Set the penalty for a queue member.", Handler: qa.penalty},
		{Name: "QueueReset", Synopsis: "Reset queue statistics.", Handler: qa.reset},
		{Name: "QueueMemberRingInUse", Perm: manager.PermAgent, Synopsis: "Set the ringinuse value for a queue member.", Handler: qa.ringInUse},
		{Name: "QueueReload", Synopsis: "Reload a queue, queues, or any sub-section of a queue or queues.", Handler: qa.reloadAction},
		// Asterisk 15 removed Queues; Asterism keeps Asterisk 14's text
		// answer for the clients of those versions (see the README).
		{Name: "Queues", Synopsis: "Queues.", Handler: qa.legacyQueues,
			Description: "Shows the queues as the CLI's \"queue show\" does, as raw text with no Response line (Asterisk <= 14)."},
	}
}

func hdr(h []ami.Header, k, v string) []ami.Header { return append(h, ami.Header{Key: k, Value: v}) }

// status is QueueStatus: QueueParams, QueueMember and QueueEntry items
// (ActionID last), filtered by Queue and Member.
func (qa *queueAMI) status(_ context.Context, s *manager.Session, req *ami.Message) error {
	qname, member := req.Get("Queue"), req.Get("Member")
	id := req.ActionID()
	s.StartList(req, "Queue status will follow")
	items := 0
	send := func(h []ami.Header) {
		if id != "" {
			h = hdr(h, "ActionID", id)
		}
		s.Send(&ami.Message{Headers: h})
		items++
	}
	for _, q := range qa.eng.Status(qname) {
		sl, sl2 := serviceLevels(&q)
		send([]ami.Header{{Key: "Event", Value: "QueueParams"}, {Key: "Queue", Value: q.Name},
			{Key: "Max", Value: strconv.Itoa(q.MaxLen)}, {Key: "Strategy", Value: q.Strategy.String()},
			{Key: "Calls", Value: strconv.Itoa(len(q.Callers))}, {Key: "Holdtime", Value: strconv.Itoa(q.HoldTime)},
			{Key: "TalkTime", Value: strconv.Itoa(q.TalkTime)}, {Key: "Completed", Value: strconv.Itoa(q.Completed)},
			{Key: "Abandoned", Value: strconv.Itoa(q.Abandoned)}, {Key: "ServiceLevel", Value: strconv.Itoa(q.ServiceLevel)},
			{Key: "ServicelevelPerf", Value: sl}, {Key: "ServicelevelPerf2", Value: sl2},
			{Key: "Weight", Value: strconv.Itoa(q.Weight)}})
		for i := range q.Members {
			m := &q.Members[i]
			if member != "" && m.Interface != member && m.Name != member {
				continue
			}
			h := []ami.Header{{Key: "Event", Value: "QueueMember"}, {Key: "Queue", Value: q.Name},
				{Key: "Name", Value: m.Name}, {Key: "Location", Value: m.Interface},
				{Key: "StateInterface", Value: m.StateInterface}, {Key: "Membership", Value: membership(m)}}
			h = appendMemberNumbers(h, m)
			send(hdr(h, "Wrapuptime", strconv.Itoa(m.Wrapup)))
		}
		for _, c := range q.Callers {
			sn := c.Channel.Snapshot()
			send([]ami.Header{{Key: "Event", Value: "QueueEntry"}, {Key: "Queue", Value: q.Name},
				{Key: "Position", Value: strconv.Itoa(c.Position)}, {Key: "Channel", Value: sn.Name},
				{Key: "Uniqueid", Value: sn.Uniqueid}, {Key: "CallerIDNum", Value: orLower(sn.CallerIDNum)},
				{Key: "CallerIDName", Value: orLower(sn.CallerIDName)}, {Key: "ConnectedLineNum", Value: orLower(sn.ConnectedLineNum)},
				{Key: "ConnectedLineName", Value: orLower(sn.ConnectedLineName)},
				{Key: "Wait", Value: strconv.FormatInt(int64(c.Wait/time.Second), 10)},
				{Key: "Priority", Value: strconv.Itoa(c.Priority)}})
		}
	}
	s.CompleteList(req, "QueueStatusComplete", items)
	return nil
}

// orLower is S_OR(x, "unknown"): QueueEntry's empty caller ID.
func orLower(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// serviceLevels are ServicelevelPerf and ServicelevelPerf2 ("%2.1f").
func serviceLevels(q *queue.QueueStatus) (string, string) {
	sl, sl2 := 0.0, 0.0
	if q.Completed > 0 {
		sl = 100 * float64(q.CompletedInSL) / float64(q.Completed)
	}
	if n := q.Abandoned + q.Completed; n > 0 {
		sl2 = 100 * float64(q.AbandInSL+q.CompletedInSL) / float64(n)
	}
	return strconv.FormatFloat(sl, 'f', 1, 64), strconv.FormatFloat(sl2, 'f', 1, 64)
}

// summary is QueueSummary: one item per queue (ActionID last).
func (qa *queueAMI) summary(_ context.Context, s *manager.Session, req *ami.Message) error {
	s.StartList(req, "Queue summary will follow")
	id := req.ActionID()
	n := 0
	for _, q := range qa.eng.Status(req.Get("Queue")) {
		logged, avail := 0, 0
		for i := range q.Members {
			m := &q.Members[i]
			if m.Status == pbx.DeviceUnavailable || m.Status == pbx.DeviceInvalid {
				continue
			}
			logged++
			if (m.Status == pbx.DeviceNotInUse || m.Status == pbx.DeviceUnknown) && !m.Paused {
				avail++
			}
		}
		var longest time.Duration
		for _, c := range q.Callers {
			longest = max(longest, c.Wait)
		}
		h := []ami.Header{{Key: "Event", Value: "QueueSummary"}, {Key: "Queue", Value: q.Name},
			{Key: "LoggedIn", Value: strconv.Itoa(logged)}, {Key: "Available", Value: strconv.Itoa(avail)},
			{Key: "Callers", Value: strconv.Itoa(len(q.Callers))}, {Key: "HoldTime", Value: strconv.Itoa(q.HoldTime)},
			{Key: "TalkTime", Value: strconv.Itoa(q.TalkTime)},
			{Key: "LongestHoldTime", Value: strconv.Itoa(int(longest / time.Second))}}
		if id != "" {
			h = hdr(h, "ActionID", id)
		}
		s.Send(&ami.Message{Headers: h})
		n++
	}
	s.CompleteList(req, "QueueSummaryComplete", n)
	return nil
}

// add is QueueAdd.
func (qa *queueAMI) add(_ context.Context, s *manager.Session, req *ami.Message) error {
	qname, iface := req.Get("Queue"), req.Get("Interface")
	switch {
	case qname == "":
		s.Error(req, "'Queue' not specified.")
		return nil
	case iface == "":
		s.Error(req, "'Interface' not specified.")
		return nil
	}
	pen, _ := strconv.Atoi(strings.TrimSpace(req.Get("Penalty")))
	mc := queue.MemberConfig{Interface: iface, Penalty: max(pen, 0), Name: req.Get("MemberName"),
		StateInterface: req.Get("StateInterface")}
	if w, err := strconv.Atoi(strings.TrimSpace(req.Get("Wrapuptime"))); err == nil && w > 0 {
		mc.Wrapup = w
	}
	switch err := qa.eng.Add(qname, mc, isTrueValue(req.Get("Paused"))); {
	case err == nil:
		s.Ack(req, "Added interface to queue")
	case errors.Is(err, queue.ErrAlreadyThere):
		s.Error(req, "Unable to add interface: Already there")
	case errors.Is(err, queue.ErrBadInterface):
		// Asterisk takes any text; Asterism refuses what cannot be dialled.
		s.Error(req, "Unable to add interface to queue: Invalid interface")
	default:
		s.Error(req, "Unable to add interface to queue: No such queue")
	}
	return nil
}

// remove is QueueRemove.
func (qa *queueAMI) remove(_ context.Context, s *manager.Session, req *ami.Message) error {
	qname, iface := req.Get("Queue"), req.Get("Interface")
	if qname == "" || iface == "" {
		s.Error(req, "Need 'Queue' and 'Interface' parameters.")
		return nil
	}
	switch err := qa.eng.Remove(qname, iface); {
	case err == nil:
		s.Ack(req, "Removed interface from queue")
	case errors.Is(err, queue.ErrNotThere):
		s.Error(req, "Unable to remove interface: Not there")
	case errors.Is(err, queue.ErrNotDynamic):
		s.Error(req, "Member not dynamic")
	default:
		s.Error(req, "Unable to remove interface from queue: No such queue")
	}
	return nil
}

// pause is QueuePause.
func (qa *queueAMI) pause(_ context.Context, s *manager.Session, req *ami.Message) error {
	iface, paused := req.Get("Interface"), req.Get("Paused")
	if iface == "" || paused == "" {
		s.Error(req, "Need 'Interface' and 'Paused' parameters.")
		return nil
	}
	p := isTrueValue(paused)
	if err := qa.eng.Pause(req.Get("Queue"), iface, p, req.Get("Reason")); err != nil {
		s.Error(req, "Interface not found")
		return nil
	}
	if p {
		s.Ack(req, "Interface paused successfully")
	} else {
		s.Ack(req, "Interface unpaused successfully")
	}
	return nil
}

// penalty is QueuePenalty.
func (qa *queueAMI) penalty(_ context.Context, s *manager.Session, req *ami.Message) error {
	iface, pen := req.Get("Interface"), req.Get("Penalty")
	if iface == "" || pen == "" {
		s.Error(req, "Need 'Interface' and 'Penalty' parameters.")
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(pen))
	if err != nil {
		n = 0
	}
	if err := qa.eng.SetPenalty(req.Get("Queue"), iface, n); err != nil {
		s.Error(req, "Invalid interface, queuename or penalty")
		return nil
	}
	s.Ack(req, "Interface penalty set successfully")
	return nil
}

// ringInUse is QueueMemberRingInUse: the member's ringinuse in Queue, or
// in every queue that has it.
func (qa *queueAMI) ringInUse(_ context.Context, s *manager.Session, req *ami.Message) error {
	iface, v := req.Get("Interface"), req.Get("RingInUse")
	if iface == "" || v == "" {
		s.Error(req, "Need 'Interface' and 'RingInUse' parameters.")
		return nil
	}
	var on bool
	switch {
	case isTrueValue(v):
		on = true
	case isFalseValue(v):
	default:
		s.Error(req, "'RingInUse' parameter must be a truth value (yes/no, on/off, 0/1)")
		return nil
	}
	if err := qa.eng.SetRingInUse(req.Get("Queue"), iface, on); err != nil {
		// Asterisk's text ends with a newline inside the Message
		// header; Asterism leaves it out (a bare LF would break the
		// message's framing for strict clients).
		s.Error(req, "Invalid interface, queuename, or ringinuse value")
		return nil
	}
	s.Ack(req, "Interface ringinuse set successfully")
	return nil
}

// reloadAction is QueueReload: Members, Rules and Parameters (yes) choose
// what is reloaded, all when none is given; Queue restricts it to one
// queue. Asterism has no queue rules, so Rules alone reloads nothing.
func (qa *queueAMI) reloadAction(_ context.Context, s *manager.Session, req *ami.Message) error {
	yes := func(k string) bool { return strings.EqualFold(req.Get(k), "yes") }
	mask := queue.ReloadMask{Queue: req.Get("Queue"), Members: yes("Members"), Parameters: yes("Parameters")}
	if !mask.Members && !mask.Parameters && !yes("Rules") {
		mask.Members, mask.Parameters = true, true
	}
	if err := qa.reloadMasked(mask); err != nil {
		s.Error(req, "Error encountered while reloading queue")
		return nil
	}
	s.Ack(req, "Queue reloaded successfully")
	return nil
}

// reset is QueueReset. Asterisk's clear_stats resets the queues whose
// name matches and succeeds whether or not one did, so an unknown queue
// gets the same Success.
func (qa *queueAMI) reset(_ context.Context, s *manager.Session, req *ami.Message) error {
	_ = qa.eng.Reset(req.Get("Queue")) // only ErrNoSuchQueue, answered as Asterisk does
	s.Ack(req, "Queue stats reset successfully")
	return nil
}

// legacyQueues is Asterisk 14's Queues: the text of "queue show" with
// CRLF line ends, then an empty line, and no Response or ActionID.
func (qa *queueAMI) legacyQueues(_ context.Context, s *manager.Session, _ *ami.Message) error {
	var sb strings.Builder
	qa.showQueues(&sb, "", "\r\n")
	sb.WriteString("\r\n\r\n")
	s.SendRaw(sb.String())
	return nil
}

func isTrueValue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}

// isFalseValue is ast_false.
func isFalseValue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "no", "false", "n", "f", "0", "off":
		return true
	}
	return false
}

// devstateText is ast_devstate2str.
var devstateText = [...]string{"Unknown", "Not in use", "In use", "Busy", "Invalid", "Unavailable", "Ringing", "Ring+Inuse", "On Hold"}

func devText(s pbx.DeviceState) string {
	if int(s) >= 0 && int(s) < len(devstateText) {
		return devstateText[s]
	}
	return "Unknown"
}

// showQueues writes print_queue's text for every queue (sorted by name)
// or the one named; it reports whether anything matched.
func (qa *queueAMI) showQueues(w io.Writer, name, nl string) bool {
	qs := qa.eng.Status(name)
	sort.SliceStable(qs, func(i, j int) bool { return strings.ToLower(qs[i].Name) < strings.ToLower(qs[j].Name) })
	if len(qs) == 0 {
		if name != "" {
			fmt.Fprintf(w, "No such queue: %s.%s", name, nl)
		} else {
			fmt.Fprintf(w, "No queues.%s", nl)
		}
		return false
	}
	now := time.Now()
	ago := func(t time.Time) int64 { return int64(now.Sub(t) / time.Second) }
	for i := range qs {
		q := &qs[i]
		maxs := "unlimited"
		if q.MaxLen > 0 {
			maxs = strconv.Itoa(q.MaxLen)
		}
		sl, sl2 := serviceLevels(q)
		fmt.Fprintf(w, "%s has %d calls (max %s) in '%s' strategy (%ds holdtime, %ds talktime), W:%d, C:%d, A:%d, SL:%s%%, SL2:%s%% within %ds%s",
			q.Name, len(q.Callers), maxs, q.Strategy, q.HoldTime, q.TalkTime, q.Weight, q.Completed, q.Abandoned, sl, sl2, q.ServiceLevel, nl)
		if len(q.Members) == 0 {
			fmt.Fprintf(w, "   No Members%s", nl)
		} else {
			fmt.Fprintf(w, "   Members: %s", nl)
			for j := range q.Members {
				m := &q.Members[j]
				var b strings.Builder
				b.WriteString("      " + m.Name)
				if !strings.EqualFold(m.Name, m.Interface) {
					b.WriteString(" (" + m.Interface)
					if m.StateInterface != "" && m.StateInterface != m.Interface {
						b.WriteString(" from " + m.StateInterface)
					}
					b.WriteString(")")
				}
				if m.Penalty != 0 {
					fmt.Fprintf(&b, " with penalty %d", m.Penalty)
				}
				if m.RingInUse {
					b.WriteString(" (ringinuse enabled)")
				} else {
					b.WriteString(" (ringinuse disabled)")
				}
				if m.Dynamic {
					b.WriteString(" (dynamic)")
				}
				if m.InCall {
					b.WriteString(" (in call)")
				}
				if m.Paused {
					if m.PausedReason != "" {
						fmt.Fprintf(&b, " (paused:%s was %d secs ago)", m.PausedReason, ago(m.LastPause))
					} else {
						fmt.Fprintf(&b, " (paused was %d secs ago)", ago(m.LastPause))
					}
				}
				fmt.Fprintf(&b, " (%s)", devText(m.Status))
				if m.Calls > 0 {
					fmt.Fprintf(&b, " has taken %d calls (last was %d secs ago)", m.Calls, ago(m.LastCall))
				} else {
					b.WriteString(" has taken no calls yet")
				}
				fmt.Fprintf(&b, " (login was %d secs ago)", ago(m.LoginTime))
				fmt.Fprintf(w, "%s%s", b.String(), nl)
			}
		}
		if len(q.Callers) == 0 {
			fmt.Fprintf(w, "   No Callers%s", nl)
		} else {
			fmt.Fprintf(w, "   Callers: %s", nl)
			for _, c := range q.Callers {
				secs := int64(c.Wait / time.Second)
				fmt.Fprintf(w, "      %d. %s (wait: %d:%02d, prio: %d)%s", c.Position, c.Channel.Name(), secs/60, secs%60, c.Priority, nl)
			}
		}
		fmt.Fprint(w, nl)
	}
	return true
}

// commands are the queue CLI commands.
func (qa *queueAMI) commands(dir string, log *slog.Logger) []*cli.Command {
	return []*cli.Command{
		{Words: []string{"queue", "show"}, Args: "[<queuename>]", Summary: "Show status of a specified queue",
			Usage: "Usage: queue show\n       Provides summary information on a specified queue.\n", MinArgs: 0, MaxArgs: 1,
			Run: func(_ context.Context, w io.Writer, args []string) error {
				name := ""
				if len(args) > 0 {
					name = args[0]
				}
				qa.showQueues(w, name, "\n")
				return nil
			}},
		{Words: []string{"queue", "add", "member"}, Args: "<dev> to <q> [penalty <p> [as <name> [state_interface <interface>]]]",
			Summary: "Add a channel to a specified queue",
			Usage:   "Usage: queue add member <dial string> to <queue> [penalty <penalty> [as <membername> [state_interface <interface>]]]\n",
			MinArgs: 3, MaxArgs: 9, Run: qa.cliAdd},
		{Words: []string{"queue", "remove", "member"}, Args: "<channel> from <queue>",
			Summary: "Removes a channel from a specified queue",
			Usage:   "Usage: queue remove member <channel> from <queue>\n", MinArgs: 3, MaxArgs: 3, Run: qa.cliRemove},
		{Words: []string{"queue", "reload"}, Args: "[all|members|parameters|rules]", Summary: "Reload queues, members, queue rules, or parameters",
			Usage: "Usage: queue reload\n       Reloads queues.conf.\n", MinArgs: 0, MaxArgs: 2,
			Run: func(_ context.Context, w io.Writer, _ []string) error {
				if err := qa.reload(dir, log); err != nil {
					return err
				}
				fmt.Fprintln(w, "Queue reloaded successfully")
				return nil
			}},
	}
}

// errUsage makes the CLI print the command's usage.
var errUsage = cli.ErrShowUsage

func (qa *queueAMI) cliAdd(_ context.Context, w io.Writer, args []string) error {
	// <iface> to <queue> [penalty <n> [as <name> [state_interface <si>]]]
	if len(args) != 3 && len(args) != 5 && len(args) != 7 && len(args) != 9 || args[1] != "to" ||
		len(args) >= 5 && args[3] != "penalty" || len(args) >= 7 && args[5] != "as" || len(args) == 9 && args[7] != "state_interface" {
		return errUsage
	}
	mc := queue.MemberConfig{Interface: args[0]}
	if len(args) >= 5 {
		n, err := strconv.Atoi(args[4])
		if err != nil || n < 0 {
			fmt.Fprintf(w, "Penalty must be an integer >= 0\n")
			n = 0
		}
		mc.Penalty = n
	}
	if len(args) >= 7 {
		mc.Name = args[6]
	}
	if len(args) == 9 {
		mc.StateInterface = args[8]
	}
	q := args[2]
	switch err := qa.eng.Add(q, mc, false); {
	case err == nil:
		fmt.Fprintf(w, "Added interface '%s' to queue '%s'\n", args[0], q)
	case errors.Is(err, queue.ErrAlreadyThere):
		fmt.Fprintf(w, "Unable to add interface '%s' to queue '%s': Already there\n", args[0], q)
	case errors.Is(err, queue.ErrBadInterface):
		fmt.Fprintf(w, "Unable to add interface '%s' to queue '%s': Invalid interface\n", args[0], q)
	default:
		fmt.Fprintf(w, "Unable to add interface to queue '%s': No such queue\n", q)
	}
	return nil
}

func (qa *queueAMI) cliRemove(_ context.Context, w io.Writer, args []string) error {
	if args[1] != "from" {
		return errUsage
	}
	iface, q := args[0], args[2]
	switch err := qa.eng.Remove(q, iface); {
	case err == nil:
		fmt.Fprintf(w, "Removed interface %s from queue '%s'\n", iface, q)
	case errors.Is(err, queue.ErrNotThere):
		fmt.Fprintf(w, "Unable to remove interface '%s' from queue '%s': Not there\n", iface, q)
	case errors.Is(err, queue.ErrNotDynamic):
		fmt.Fprintf(w, "Unable to remove interface '%s' from queue '%s': Member is not dynamic\n", iface, q)
	default:
		fmt.Fprintf(w, "Unable to remove interface from queue '%s': No such queue\n", q)
	}
	return nil
}

// reload re-reads queues.conf (queue reload, module reload app_queue).
func (qa *queueAMI) reload(dir string, log *slog.Logger) error {
	cfg, err := queue.Load(dir, log)
	if err != nil {
		return fmt.Errorf("queue reload: %w", err)
	}
	qa.eng.Reload(cfg)
	return nil
}

// reloadMasked re-reads queues.conf for QueueReload. Unlike a module
// reload, a missing queues.conf is an error, as reload_queues fails when
// it cannot load the file.
func (qa *queueAMI) reloadMasked(mask queue.ReloadMask) error {
	if _, err := os.Stat(filepath.Join(qa.dir, queue.ConfigFile)); err != nil {
		qa.log.Info("No call queueing config file (queues.conf), so no call queues")
		return fmt.Errorf("queue reload: %w", err)
	}
	cfg, err := queue.Load(qa.dir, qa.log)
	if err != nil {
		return fmt.Errorf("queue reload: %w", err)
	}
	qa.eng.ReloadMasked(cfg, mask)
	return nil
}
