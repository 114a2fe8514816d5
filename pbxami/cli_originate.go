package pbxami

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/cli"
)

// cliOriginateTimeout is how long a call originated from the CLI rings
// (res_clioriginate's TIMEOUT).
const cliOriginateTimeout = 30 * time.Second

// cliOriginateUsage is res_clioriginate's usage text, word for word, since
// it is what a wrong command line prints.
const cliOriginateUsage = "  There are two ways to use this command. A call can be originated between a\n" +
	"channel and a specific application, or between a channel and an extension in\n" +
	"the dialplan. This is similar to call files or the manager originate action.\n" +
	"Calls originated with this command are given a timeout of 30 seconds.\n\n" +
	"Usage1: channel originate <tech/data> application <appname> [appdata]\n" +
	"  This will originate a call between the specified channel tech/data and the\n" +
	"given application. Arguments to the application are optional. If the given\n" +
	"arguments to the application include spaces, all of the arguments to the\n" +
	"application need to be placed in quotation marks.\n\n" +
	"Usage2: channel originate <tech/data> extension [exten@][context]\n" +
	"  This will originate a call between the specified channel tech/data and the\n" +
	"given extension. If no context is specified, the 'default' context will be\n" +
	"used. If no extension is given, the 's' extension will be used.\n"

// originateCommands are "channel originate" and its old name "originate"
// (Asterisk 1.4), kept for scripts that still type it.
func (a *Adapter) originateCommands() []*cli.Command {
	cmd := func(words ...string) *cli.Command {
		return &cli.Command{Words: words, Args: "<tech/data> {application|extension} ...", MaxArgs: -1,
			Summary: "Originate a call", Usage: cliOriginateUsage, Run: a.cliOriginate}
	}
	return []*cli.Command{cmd("channel", "originate"), cmd("originate")}
}

// cliOriginate is res_clioriginate's handle_orig. As there, the command
// does not wait for the call: it answers at once with no output, and a
// call that fails (unknown technology, no answer) is only logged.
func (a *Adapter) cliOriginate(_ context.Context, w io.Writer, args []string) error {
	if len(args) < 2 || args[0] == "" || args[1] == "" {
		return cli.ErrShowUsage
	}
	o := &originateReq{dial: args[0], timeout: cliOriginateTimeout}
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch strings.ToLower(args[1]) {
	case "application":
		o.app, o.data = arg(2), arg(3)
		if o.app == "" {
			return cli.ErrShowUsage
		}
	case "extension":
		// "600" is 600@default, "@ctx" is s@ctx, as strsep splits them.
		o.exten, o.context, _ = strings.Cut(arg(2), "@")
		if o.exten == "" {
			o.exten = "s"
		}
		if o.context == "" {
			o.context = "default"
		}
		o.priority = 1
	default:
		return cli.ErrShowUsage
	}
	if !strings.Contains(o.dial, "/") {
		if _, err := io.WriteString(w, "*** No data provided after channel type! ***\n"); err != nil {
			return err
		}
		return cli.ErrShowUsage
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if r := a.dial(o); !r.answered() {
			a.opts.Logger.Warn("pbxami: channel originate failed", "channel", o.dial, "reason", r.reason)
		}
	}()
	return nil
}
