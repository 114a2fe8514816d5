package client

import (
	"context"
	"errors"

	"github.com/asterism-pbx/asterism/ami"
)

// Command runs a CLI command through "Action: Command" and returns its
// output, one string per line, as "asterisk -rx" would print it.
//
// Both reply forms are understood: Asterisk 14 and later (and Asterism)
// send one "Output:" header per line; older servers sent "Response:
// Follows", raw text and "--END COMMAND--", which the client's reader turns
// into Output headers. A failing CLI command ("No such command …") gives
// its output together with an *[ActionError]. Empty output is nil, although
// Asterisk sends it as one empty Output header.
func (c *Client) Command(ctx context.Context, cmd string) ([]string, error) {
	resp, err := c.Do(ctx, ami.NewMessage("Action", "Command", "Command", cmd))
	if ae, ok := errors.AsType[*ActionError](err); ok {
		return outputLines(ae.Response), err
	}
	if err != nil {
		return nil, err
	}
	return outputLines(resp.Message), nil
}

func outputLines(m *ami.Message) []string {
	out := m.Values("Output")
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}
