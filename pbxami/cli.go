package pbxami

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/pbx"
)

// commands returns the CLI commands of the PBX.
func (a *Adapter) commands() []*cli.Command {
	cs := []*cli.Command{
		{Words: []string{"core", "show", "channels"}, Args: "[concise|verbose]", MaxArgs: 1,
			Summary: "Display information on channels",
			Usage:   "Usage: core show channels [concise|verbose]\n       Lists currently defined channels and some information about them.\n",
			Run:     a.cliShowChannels},
		{Words: []string{"core", "show", "channel"}, Args: "<channel>", MinArgs: 1, MaxArgs: 1,
			Summary: "Display information on a specific channel",
			Usage:   "Usage: core show channel <channel>\n       Shows lots of information about the specified channel.\n",
			Run:     a.cliShowChannel},
		{Words: []string{"channel", "request", "hangup"}, Args: "<channel>|<all>", MinArgs: 1, MaxArgs: 1,
			Summary: "Request a hangup on a given channel",
			Usage:   "Usage: channel request hangup <channel>|<all>\n       Request that a channel be hung up. The hangup takes effect\n       the next time the driver reads or writes from the channel.\n       If 'all' is specified instead of a channel name, all channels\n       will see the hangup request.\n",
			Run:     a.cliRequestHangup},
		{Words: []string{"core", "show", "applications"}, MaxArgs: 0,
			Summary: "Shows registered dialplan applications",
			Usage:   "Usage: core show applications\n       List applications which are currently available.\n",
			Run:     a.cliShowApplications},
		{Words: []string{"core", "show", "application"}, Args: "<application> [<application> [<application> [...]]]", MinArgs: 1, MaxArgs: -1,
			Summary: "Describe a specific dialplan application",
			Usage:   "Usage: core show application <application> [<application> [<application> [...]]]\n       Describes a particular application.\n",
			Run:     a.cliShowApplication},
		{Words: []string{"dialplan", "show"}, Args: "[[exten@]context]", MaxArgs: 1,
			Summary: "Show dialplan",
			Usage:   "Usage: dialplan show [[exten@]context]\n       Show dialplan\n",
			Run:     a.cliDialplanShow},
	}
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
	verboseFormat = "%-80.80s %-24.24s %-24.24s %4.4s %7.7s %-12.12s %-25.25s %-15.15s %8.8s %-11.11s %-11.11s %-20.20s\n"
)

// ess is Asterisk's ESS(): "s" unless n is 1.
func ess(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (a *Adapter) cliShowChannels(_ context.Context, w io.Writer, args []string) error {
	mode := ""
	if len(args) == 1 {
		mode = strings.ToLower(args[0])
		if mode != "concise" && mode != "verbose" {
			return cli.ErrShowUsage
		}
	}
	chs := a.channels()
	now := a.now()
	switch mode {
	case "":
		fmt.Fprintf(w, chanFormat, "Channel", "Location", "State", "Application(Data)")
	case "verbose":
		fmt.Fprintf(w, verboseFormat, "Channel", "Context", "Extension", "Prio", "State", "Application",
			"Data", "CallerID", "Duration", "Accountcode", "PeerAccount", "BridgeID")
	}
	for _, ch := range chs {
		s := ch.Snapshot()
		ci := a.info(ch)
		dur := hms(now.Sub(ci.created))
		switch mode {
		case "":
			loc := ""
			if s.Context != "" || s.Exten != "" {
				loc = fmt.Sprintf("%s@%s:%d", s.Exten, s.Context, s.Priority)
			}
			app := "(None)"
			if ci.app != "" {
				app = ci.app + "(" + ci.data + ")"
			}
			fmt.Fprintf(w, chanFormat, s.Name, loc, s.State.String(), app)
		case "concise":
			fmt.Fprintf(w, "%s!%s!%s!%d!%s!%s!%s!%s!%s!%s!%d!%d!%s!%s\n", s.Name, s.Context, s.Exten,
				s.Priority, s.State.String(), ci.app, ci.data, s.CallerIDNum, s.AccountCode, "", 3,
				int(now.Sub(ci.created)/time.Second), "", s.Uniqueid)
		case "verbose":
			fmt.Fprintf(w, verboseFormat, s.Name, s.Context, s.Exten, fmt.Sprint(s.Priority), s.State.String(),
				ci.app, ci.data, s.CallerIDNum, dur, s.AccountCode, "", "")
		}
	}
	if mode != "concise" {
		n, calls, done := len(chs), a.CurrentCalls(), a.ProcessedCalls()
		fmt.Fprintf(w, "%d active channel%s\n", n, ess(n))
		fmt.Fprintf(w, "%d active call%s\n", calls, ess(calls))
		fmt.Fprintf(w, "%d call%s processed\n", done, ess(done))
	}
	return nil
}

func (a *Adapter) cliShowChannel(_ context.Context, w io.Writer, args []string) error {
	ch, ok := a.lookup(args[0])
	if !ok {
		fmt.Fprintf(w, "%s is not a known channel\n", args[0])
		return nil
	}
	s := ch.Snapshot()
	ci := a.info(ch)
	fmt.Fprintf(w, " -- General --\n")
	fmt.Fprintf(w, "           Name: %s\n", s.Name)
	fmt.Fprintf(w, "           Type: %s\n", strings.SplitN(s.Name, "/", 2)[0])
	fmt.Fprintf(w, "       UniqueID: %s\n", s.Uniqueid)
	fmt.Fprintf(w, "       LinkedID: %s\n", s.Linkedid)
	fmt.Fprintf(w, "      Caller ID: %s\n", orUnknown(s.CallerIDNum))
	fmt.Fprintf(w, " Caller ID Name: %s\n", orUnknown(s.CallerIDName))
	fmt.Fprintf(w, "Connected Line ID: %s\n", orUnknown(s.ConnectedLineNum))
	fmt.Fprintf(w, "Connected Line ID Name: %s\n", orUnknown(s.ConnectedLineName))
	fmt.Fprintf(w, "    DNID Digits: (N/A)\n")
	fmt.Fprintf(w, "       Language: %s\n", s.Language)
	fmt.Fprintf(w, "          State: %s (%d)\n", s.State.String(), int(s.State))
	fmt.Fprintf(w, "   Elapsed Time: %s\n", hms(a.now().Sub(ci.created)))
	fmt.Fprintf(w, "    Accountcode: %s\n", s.AccountCode)
	fmt.Fprintf(w, " --   PBX   --\n")
	fmt.Fprintf(w, "        Context: %s\n", s.Context)
	fmt.Fprintf(w, "      Extension: %s\n", s.Exten)
	fmt.Fprintf(w, "       Priority: %d\n", s.Priority)
	app := "(N/A)"
	if ci.app != "" {
		app = ci.app
	}
	fmt.Fprintf(w, "    Application: %s\n", app)
	fmt.Fprintf(w, "           Data: %s\n", ci.data)
	fmt.Fprintf(w, "      Variables:\n")
	for _, kv := range ch.Vars() {
		fmt.Fprintf(w, "%s=%s\n", kv[0], kv[1])
	}
	return nil
}

// cliShowApplications is Asterisk's handle_show_applications without a
// filter.
func (a *Adapter) cliShowApplications(_ context.Context, w io.Writer, _ []string) error {
	apps := a.core.Load().Apps()
	fmt.Fprint(w, "    -= Registered Asterisk Applications =-\n")
	for _, app := range apps {
		fmt.Fprintf(w, "  %20s: %s\n", app.Name, synopsis(app))
	}
	fmt.Fprintf(w, "    -= %d Applications Registered =-\n", len(apps))
	return nil
}

func synopsis(app pbx.AppInfo) string {
	if app.Synopsis == "" {
		return "<Synopsis not available>"
	}
	return app.Synopsis
}

// cliShowApplication is Asterisk's handle_show_application, with the
// synopsis alone (Asterism has no XML documentation).
func (a *Adapter) cliShowApplication(_ context.Context, w io.Writer, args []string) error {
	found := 0
	for _, name := range args {
		app, ok := a.core.Load().App(name)
		if !ok {
			continue
		}
		found++
		fmt.Fprintf(w, "\n  -= Info about application '%s' =- \n\n[Synopsis]\n%s\n\n", app.Name, synopsis(app))
	}
	if found == 0 {
		fmt.Fprint(w, "Your application(s) is (are) not registered\n")
	}
	return nil
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
