package pbx

import (
	"errors"
	"strings"

	"github.com/asterism-pbx/asterism/dialplan"
)

// registerFuncs adds the channel functions to fs. They find the channel by
// type-asserting the Vars they are given, so one registry serves any
// number of cores; a name already registered is left as it is.
func registerFuncs(fs *dialplan.Funcs) {
	for name, f := range map[string]dialplan.Function{
		"CALLERID": callerIDFunc{},
		"CHANNEL":  channelFunc{},
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
