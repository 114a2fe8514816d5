package pbxami

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/pbx"
)

// commands returns the CLI commands of the PBX.
func (a *Adapter) commands() []*cli.Command {
	cs := []*cli.Command{
		{Words: []string{"core", "show", "channels"}, Args: "[concise|verbose|count]", MaxArgs: 1,
			Summary: "Display information on channels",
			Usage: "Usage: core show channels [concise|verbose|count]\n" +
				"       Lists currently defined channels and some information about them. If\n" +
				"       'concise' is specified, the format is abridged and in a more easily\n" +
				"       machine parsable format. If 'verbose' is specified, the output includes\n" +
				"       more and longer fields. If 'count' is specified only the channel and call\n" +
				"       count is output.\n",
			Run: a.cliShowChannels},
		{Words: []string{"core", "show", "channel"}, Args: "<channel>", MinArgs: 1, MaxArgs: 1,
			Summary: "Display information on a specific channel",
			Usage:   "Usage: core show channel <channel>\n       Shows lots of information about the specified channel.\n",
			Run:     a.cliShowChannel},
		{Words: []string{"channel", "request", "hangup"}, Args: "<channel>|<all>", MinArgs: 1, MaxArgs: 1,
			Summary: "Request a hangup on a given channel",
			Usage:   "Usage: channel request hangup <channel>|<all>\n       Request that a channel be hung up. The hangup takes effect\n       the next time the driver reads or writes from the channel.\n       If 'all' is specified instead of a channel name, all channels\n       will see the hangup request.\n",
			Run:     a.cliRequestHangup},
		{Words: []string{"dialplan", "show"}, Args: "[[exten@]context]", MaxArgs: 1,
			Summary: "Show dialplan",
			Usage:   "Usage: dialplan show [[exten@]context]\n       Show dialplan\n",
			Run:     a.cliDialplanShow},
	}
	cs = append(cs, a.docCommands()...)
	cs = append(cs, a.originateCommands()...)
	if a.opts.Dialplan != nil {
		cs = append(cs, &cli.Command{Words: []string{"dialplan", "reload"},
			Summary: "Reload extensions and *only* extensions",
			Usage:   "Usage: dialplan reload\n       reload extensions.conf without reloading any other\n       modules.  This command does not delete global variables\n       unless clearglobalvars is set to yes in extensions.conf\n",
			Run: func(_ context.Context, w io.Writer, _ []string) error {
				if err := a.opts.Dialplan.Reload(); err != nil {
					return err
				}
				fmt.Fprint(w, "Dialplan reloaded.\n")
				return nil
			}})
	}
	if a.opts.Sim != nil {
		cs = append(cs, &cli.Command{Words: []string{"sim", "show", "phones"},
			Summary: "List the simulated phones",
			Usage:   "Usage: sim show phones\n       Lists the phones of sim.conf and how each takes a call.\n",
			Run:     a.cliSimPhones})
	}
	return cs
}

// The formats of Asterisk 20's "core show channels" (main/cli.c).
const (
	chanFormat    = "%-64.64s %-32.32s %-7.7s %-30.30s\n"
	verboseFormat = "%-80.80s %-24.24s %-24.24s %4.4s %-7.7s %-12.12s %-25.25s %-15.15s %8.8s %-11.11s %-11.11s %-20.20s\n"
)

// ess is Asterisk's ESS(): "s" unless n is 1.
func ess(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// cliShowChannels is Asterisk 20's handle_chanlist: a table, the concise
// "!"-separated lines, the verbose table, or the counts alone.
func (a *Adapter) cliShowChannels(_ context.Context, w io.Writer, args []string) error {
	mode := ""
	if len(args) == 1 {
		mode = strings.ToLower(args[0])
		if mode != "concise" && mode != "verbose" && mode != "count" {
			return cli.ErrShowUsage
		}
	}
	chs := a.channels()
	now := a.now()
	var b strings.Builder
	switch mode {
	case "":
		fmt.Fprintf(&b, chanFormat, "Channel", "Location", "State", "Application(Data)")
	case "verbose":
		fmt.Fprintf(&b, verboseFormat, "Channel", "Context", "Extension", "Priority", "State", "Application",
			"Data", "CallerID", "Duration", "Accountcode", "PeerAccount", "BridgeID")
	}
	for _, ch := range chs {
		if mode == "count" {
			break
		}
		s := ch.Snapshot()
		ci := a.info(ch)
		app, data := ci.app, ci.data
		if app == "" {
			app = "(None)"
		}
		switch mode {
		case "":
			loc, appdata := "(None)", "(None)"
			if s.Context != "" && s.Exten != "" {
				loc = fmt.Sprintf("%s@%s:%d", s.Exten, s.Context, s.Priority)
			}
			if ci.app != "" {
				appdata = ci.app + "(" + data + ")"
			}
			fmt.Fprintf(&b, chanFormat, s.Name, loc, s.State.String(), appdata)
		case "concise":
			// The 11th field is the AMA flags: 3, DOCUMENTATION, the
			// default of every channel.
			fmt.Fprintf(&b, "%s!%s!%s!%d!%s!%s!%s!%s!%s!%s!%d!%d!%s!%s\n", s.Name, s.Context, s.Exten,
				s.Priority, s.State.String(), app, data, s.CallerIDNum, s.AccountCode, "", 3,
				int(now.Sub(ci.created)/time.Second), ch.BridgeID(), s.Uniqueid)
		case "verbose":
			if data == "" {
				data = "(Empty)"
			}
			fmt.Fprintf(&b, verboseFormat, s.Name, s.Context, s.Exten, strconv.Itoa(s.Priority), s.State.String(),
				app, data, s.CallerIDNum, hms(now.Sub(ci.created)), s.AccountCode, "", ch.BridgeID())
		}
	}
	if mode != "concise" {
		n, calls, done := len(chs), a.CurrentCalls(), a.ProcessedCalls()
		fmt.Fprintf(&b, "%d active channel%s\n", n, ess(n))
		fmt.Fprintf(&b, "%d active call%s\n", calls, ess(calls))
		fmt.Fprintf(&b, "%d call%s processed\n", done, ess(done))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cliShowChannel is Asterisk 20's handle_showchan. Asterism's channels have
// no codecs, groups, call identifiers or DNID, so those lines show what
// Asterisk shows for a channel without them.
func (a *Adapter) cliShowChannel(_ context.Context, w io.Writer, args []string) error {
	ch, ok := a.lookup(args[0])
	if !ok {
		fmt.Fprintf(w, "%s is not a known channel\n", args[0])
		return nil
	}
	s := ch.Snapshot()
	ci := a.info(ch)
	elapsed := int(a.now().Sub(ci.created) / time.Second)
	var hangupAt int64
	if t := ch.HangupAt(); !t.IsZero() {
		hangupAt = t.Unix()
	}
	app, data := ci.app, ci.data
	if app == "" {
		app = "(N/A)"
	}
	if data == "" {
		data = "(Empty)"
	}
	var b strings.Builder
	b.WriteString(" -- General --\n")
	fmt.Fprintf(&b, "           Name: %s\n", s.Name)
	fmt.Fprintf(&b, "           Type: %s\n", techOf(s.Name))
	fmt.Fprintf(&b, "       UniqueID: %s\n", s.Uniqueid)
	fmt.Fprintf(&b, "       LinkedID: %s\n", s.Linkedid)
	fmt.Fprintf(&b, "      Caller ID: %s\n", orNA(s.CallerIDNum))
	fmt.Fprintf(&b, " Caller ID Name: %s\n", orNA(s.CallerIDName))
	fmt.Fprintf(&b, "Connected Line ID: %s\n", orNA(s.ConnectedLineNum))
	fmt.Fprintf(&b, "Connected Line ID Name: %s\n", orNA(s.ConnectedLineName))
	fmt.Fprintf(&b, "Eff. Connected Line ID: %s\n", orNA(s.ConnectedLineNum))
	fmt.Fprintf(&b, "Eff. Connected Line ID Name: %s\n", orNA(s.ConnectedLineName))
	b.WriteString("    DNID Digits: (N/A)\n")
	fmt.Fprintf(&b, "       Language: %s\n", s.Language)
	fmt.Fprintf(&b, "          State: %s (%d)\n", s.State.String(), int(s.State))
	b.WriteString("  NativeFormats: (slin)\n    WriteFormat: slin\n     ReadFormat: slin\n")
	b.WriteString(" WriteTranscode: No \n  ReadTranscode: No \n")
	fmt.Fprintf(&b, " Time to Hangup: %d\n", hangupAt)
	fmt.Fprintf(&b, "   Elapsed Time: %dh%dm%ds\n", elapsed/3600, elapsed%3600/60, elapsed%60)
	if id := ch.BridgeID(); id != "" {
		fmt.Fprintf(&b, "      Bridge ID: %s\n", id)
	} else {
		b.WriteString("      Bridge ID: (Not bridged)\n")
	}
	b.WriteString(" --   PBX   --\n")
	fmt.Fprintf(&b, "        Context: %s\n", s.Context)
	fmt.Fprintf(&b, "      Extension: %s\n", s.Exten)
	fmt.Fprintf(&b, "       Priority: %d\n", s.Priority)
	b.WriteString("     Call Group: 0\n   Pickup Group: 0\n")
	fmt.Fprintf(&b, "    Application: %s\n", app)
	fmt.Fprintf(&b, "           Data: %s\n", data)
	b.WriteString(" Call Identifer: (None)\n")
	b.WriteString("      Variables:\n")
	for _, kv := range ch.Vars() {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// techOf is the technology of a channel name: "Local" of
// "Local/600@default-00000000;1".
func techOf(name string) string {
	tech, _, _ := strings.Cut(name, "/")
	return tech
}

// orNA is Asterisk's S_COR(valid, s, "(N/A)") for a caller ID part, which
// Asterism keeps empty when it is not set.
func orNA(s string) string {
	if s == "" {
		return "(N/A)"
	}
	return s
}

func (a *Adapter) cliRequestHangup(_ context.Context, w io.Writer, args []string) error {
	core := a.core.Load()
	if strings.EqualFold(args[0], "all") {
		for _, ch := range core.Channels() {
			_ = core.Hangup(ch.Name(), 0)
		}
		fmt.Fprint(w, "Requested Hangup on all channels\n")
		return nil
	}
	if err := core.Hangup(args[0], 0); err != nil {
		fmt.Fprintf(w, "%s is not a known channel\n", args[0])
		return nil
	}
	fmt.Fprintf(w, "Requested Hangup on channel '%s'\n", args[0])
	return nil
}

func (a *Adapter) cliDialplanShow(_ context.Context, w io.Writer, args []string) error {
	var ctx, exten string
	if len(args) == 1 {
		ctx = args[0]
		if e, c, ok := strings.Cut(ctx, "@"); ok {
			exten, ctx = e, c
		}
	}
	dp := a.core.Load().Dialplan()
	if dp == nil {
		fmt.Fprint(w, "There is no existence of any context\n")
		return nil
	}
	text, _ := dp.ShowDialplan(ctx, exten)
	fmt.Fprint(w, text)
	return nil
}

func (a *Adapter) cliSimPhones(_ context.Context, w io.Writer, _ []string) error {
	const format = "%-12.12s %-10.10s %-8.8s %-20.20s %s\n"
	fmt.Fprintf(w, format, "Phone", "Mode", "Answer", "Play", "Hangup after")
	phones := a.opts.Sim.Phones()
	for _, p := range phones {
		ans, hup := "-", "never"
		if p.Mode == sim.ModeAnswer {
			ans = p.AnswerAfter.String()
		}
		if p.HangupAfter > 0 {
			hup = p.HangupAfter.String()
		}
		fmt.Fprintf(w, format, p.Name, modeName(p.Mode), ans, playName(p), hup)
	}
	fmt.Fprintf(w, "%d phone%s\n", len(phones), ess(len(phones)))
	return nil
}

func modeName(m sim.Mode) string {
	switch m {
	case sim.ModeAnswer:
		return "answer"
	case sim.ModeNoAnswer:
		return "noanswer"
	case sim.ModeBusy:
		return "busy"
	case sim.ModeCongestion:
		return "congestion"
	case sim.ModeReject:
		return "reject"
	}
	return "?"
}

func playName(p *sim.Phone) string {
	switch p.Play {
	case sim.PlayTone:
		return fmt.Sprintf("tone %g Hz", p.ToneFreq)
	case sim.PlayEcho:
		return "echo"
	case sim.PlayDTMF:
		return "dtmf " + p.Digits
	case sim.PlayFile:
		return "file " + p.File
	}
	return "silence"
}

var _ pbx.EventSink = (*Adapter)(nil)
