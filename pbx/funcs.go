package pbx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/dialplan"
)

// registerFuncs adds the channel functions to fs. They find the channel by
// type-asserting the Vars they are given, so one registry serves any
// number of cores; a name already registered is left as it is.
func registerFuncs(fs *dialplan.Funcs) {
	for name, f := range map[string]dialplan.Function{
		"CALLERID":  callerIDFunc{},
		"CHANNEL":   channelFunc{},
		"TIMEOUT":   timeoutFunc{},
		"EXCEPTION": exceptionFunc{},
	} {
		if err := fs.RegisterFunction(name, f); err != nil && !errors.Is(err, dialplan.ErrFunctionExists) {
			panic(err)
		}
	}
}

var errNoChannel = errors.New("function needs a channel")

// callerIDFunc is CALLERID(num|name|all): read and write.
type callerIDFunc struct{}

func (callerIDFunc) Syntax() string   { return "CALLERID(datatype[,CID])" }
func (callerIDFunc) Synopsis() string { return "Gets or sets Caller*ID data on the channel." }

func (callerIDFunc) Read(vars dialplan.Vars, args string) (string, error) {
	ch, ok := vars.(*Channel)
	if !ok {
		return "", errNoChannel
	}
	num, name := ch.CallerID()
	switch strings.ToLower(strings.TrimSpace(dialplan.AppArgs(args)[0])) {
	case "num", "number":
		return num, nil
	case "name":
		return name, nil
	case "all":
		if name == "" {
			return num, nil
		}
		return "\"" + name + "\" <" + num + ">", nil
	}
	return "", dialplan.ErrUsage
}

func (callerIDFunc) Write(vars dialplan.Vars, args, value string) error {
	ch, ok := vars.(*Channel)
	if !ok {
		return errNoChannel
	}
	num, name := ch.CallerID()
	switch strings.ToLower(strings.TrimSpace(dialplan.AppArgs(args)[0])) {
	case "num", "number":
		num = value
	case "name":
		name = value
	case "all":
		name, num = parseCallerID(value)
	default:
		return dialplan.ErrUsage
	}
	ch.SetCallerID(num, name)
	return nil
}

// parseCallerID splits `"Name" <num>` (or a bare number or name) as
// ast_callerid_split does, in its common cases.
func parseCallerID(s string) (name, num string) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			num = strings.TrimSpace(s[i+1 : i+j])
			name = strings.Trim(strings.TrimSpace(s[:i]), "\"")
			return name, num
		}
	}
	if s != "" && strings.Trim(s, "0123456789*#+") == "" {
		return "", s
	}
	return strings.Trim(s, "\""), ""
}

// ParseCallerID splits a caller ID as `"Name" <num>` into its name and
// number (Originate's CallerID).
func ParseCallerID(s string) (name, num string) { return parseCallerID(s) }

// channelFunc is CHANNEL(item): state, name, language (writable),
// uniqueid, linkedid, context, exten, accountcode.
type channelFunc struct{}

func (channelFunc) Syntax() string { return "CHANNEL(item)" }
func (channelFunc) Synopsis() string {
	return "Gets/sets various pieces of information about the channel."
}

func (channelFunc) Read(vars dialplan.Vars, args string) (string, error) {
	ch, ok := vars.(*Channel)
	if !ok {
		return "", errNoChannel
	}
	s := ch.Snapshot()
	switch strings.TrimSpace(args) {
	case "state":
		return s.State.String(), nil
	case "name":
		return s.Name, nil
	case "language":
		return s.Language, nil
	case "uniqueid":
		return s.Uniqueid, nil
	case "linkedid":
		return s.Linkedid, nil
	case "context":
		return s.Context, nil
	case "exten":
		return s.Exten, nil
	case "accountcode":
		return s.AccountCode, nil
	}
	return "", dialplan.ErrUsage
}

func (channelFunc) Write(vars dialplan.Vars, args, value string) error {
	ch, ok := vars.(*Channel)
	if !ok {
		return errNoChannel
	}
	switch strings.TrimSpace(args) {
	case "language":
		ch.SetLanguage(value)
		return nil
	}
	return dialplan.ErrNotWritable
}

// timeoutFunc is TIMEOUT(absolute|digit|response), read and written in
// seconds with a fraction. absolute is the channel's absolute timeout
// ([Channel.SetAbsoluteTimeout]; reading gives the seconds left, "0" when
// none); response and digit are what WaitExten, Background and Read wait
// for a first and a next digit, and exist while a dialplan runs. Only the
// first letter of the type counts, as in Asterisk's func_timeout.
type timeoutFunc struct{}

func (timeoutFunc) Syntax() string { return "TIMEOUT(timeouttype)" }
func (timeoutFunc) Synopsis() string {
	return "Gets or sets timeouts on the channel. Timeout values are in seconds."
}

func (timeoutFunc) Read(vars dialplan.Vars, args string) (string, error) {
	ch, ok := vars.(*Channel)
	if !ok {
		return "", errNoChannel
	}
	args = strings.TrimSpace(args)
	if args == "" {
		return "", fmt.Errorf("%w: must specify type of timeout to get", dialplan.ErrUsage)
	}
	switch args[0] {
	case 'a', 'A':
		at := ch.HangupAt()
		if at.IsZero() {
			return "0", nil
		}
		return seconds3(time.Until(at).Truncate(time.Millisecond)), nil
	case 'r', 'R', 'd', 'D':
		if !ch.hasPBX() {
			return "", nil
		}
		response, digit := ch.promptTimeouts()
		if args[0] == 'r' || args[0] == 'R' {
			return seconds3(response), nil
		}
		return seconds3(digit), nil
	}
	return "", fmt.Errorf("%w: unknown timeout type %q", dialplan.ErrUsage, args)
}

// seconds3 formats d as seconds with three decimals ("%.3f").
func seconds3(d time.Duration) string {
	return fmt.Sprintf("%.3f", float64(d.Milliseconds())/1000)
}

func (timeoutFunc) Write(vars dialplan.Vars, args, value string) error {
	ch, ok := vars.(*Channel)
	if !ok {
		return errNoChannel
	}
	args = strings.TrimSpace(args)
	if args == "" {
		return fmt.Errorf("%w: must specify type of timeout to set", dialplan.ErrUsage)
	}
	d := parseTimeoutValue(value)
	switch args[0] {
	case 'a', 'A':
		ch.SetAbsoluteTimeout(d)
	case 'r', 'R', 'd', 'D':
		if ch.hasPBX() {
			ch.setPromptTimeout(args[0] == 'r' || args[0] == 'R', d.Truncate(time.Millisecond))
		}
	default:
		return fmt.Errorf("%w: unknown timeout type %q", dialplan.ErrUsage, args)
	}
	return nil
}

// maxTimeoutSeconds bounds a TIMEOUT value (a year), so that the
// duration cannot overflow.
const maxTimeoutSeconds = 365 * 24 * 3600

// parseTimeoutValue reads a TIMEOUT value as func_timeout's
// sscanf("%ld%lf") does: whole seconds, then a fraction ("1.5"); nothing
// readable or a negative number is 0.
func parseTimeoutValue(v string) time.Duration {
	s := strings.TrimLeft(v, " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	sec, ok := atoiPrefix(s[:end])
	if !ok || sec < 0 {
		return 0
	}
	d := time.Duration(min(sec, maxTimeoutSeconds)) * time.Second
	if frac, err := strconv.ParseFloat(floatPrefix(s[end:]), 64); err == nil && frac > 0 && frac < maxTimeoutSeconds {
		d += time.Duration(frac * float64(time.Second))
	}
	return d
}
