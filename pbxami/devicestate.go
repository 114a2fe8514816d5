package pbxami

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// startDeviceStates starts device and extension state: the Custom: device
// store (restoring the states kept from the last run), the DEVICE_STATE
// function, the hints (rebuilt on every dialplan reload), the actions
// ExtensionState, ExtensionStateList and DeviceStateList, and the CLI
// commands "core show hints", "devstate change" and "devstate list".
func startDeviceStates(p *PBX, m *manager.Manager, cfg Config, log *slog.Logger) error {
	core := p.Core
	store := openCustomStore(cfg.VarLibDir, log)
	// Asterisk's func_devstate announces the kept states when it loads.
	for _, e := range store.entries() {
		core.SetDeviceState(customPrefix+e.name, pbx.ParseDeviceState(e.value))
	}
	ds := &devStates{core: core, store: store, log: log}
	if err := core.Funcs().RegisterFunction("DEVICE_STATE", deviceStateFunc{ds}); err != nil {
		return fmt.Errorf("device state: %w", err)
	}
	core.LoadHints()
	p.Dialplan.OnReload(core.LoadHints)
	for _, a := range ds.actions() {
		if err := m.Register(a); err != nil {
			return fmt.Errorf("device state: %w", err)
		}
	}
	for _, c := range ds.commands() {
		if err := m.CLI().Register(c); err != nil {
			return fmt.Errorf("device state: %w", err)
		}
	}
	return nil
}

// devStates serves the device and extension state actions and commands.
type devStates struct {
	core  *pbx.Core
	store *customStore
	log   *slog.Logger
}

// setCustom sets Custom:name to the state named value, keeps it and
// announces it, as func_devstate's devstate_write does. The store's lock
// is held throughout so that the kept state and the announced one follow
// the same order when two writers race.
func (d *devStates) setCustom(name, value string) {
	st := pbx.ParseDeviceState(value)
	d.store.mu.Lock()
	defer d.store.mu.Unlock()
	if err := d.store.putLocked(name, value); err != nil {
		// astdb failures do not stop Asterisk's write either: the
		// state is announced, it just will not survive a restart.
		d.log.Warn("custom device state not kept", "device", customPrefix+name, "err", err)
	}
	d.core.SetDeviceState(customPrefix+name, st)
}

// customPrefix starts the names of the devices DEVICE_STATE may set.
const customPrefix = "Custom:"

// isCustom reports whether device starts with "Custom:", in any case, as
// func_devstate checks with strncasecmp.
func isCustom(device string) bool {
	return len(device) >= len(customPrefix) && strings.EqualFold(device[:len(customPrefix)], customPrefix)
}

// deviceStateFunc is DEVICE_STATE(device): the state of any device; only
// Custom: devices may be written (func_devstate.c).
type deviceStateFunc struct{ d *devStates }

func (deviceStateFunc) Syntax() string { return "DEVICE_STATE(device)" }
func (deviceStateFunc) Synopsis() string {
	return "Get or Set a device state."
}

func (f deviceStateFunc) Read(_ dialplan.Vars, args string) (string, error) {
	return f.d.core.DeviceState(args).String(), nil
}

func (f deviceStateFunc) Write(_ dialplan.Vars, args, value string) error {
	if !isCustom(args) {
		return fmt.Errorf("the DEVICE_STATE function can only be used to set 'Custom:' device state")
	}
	name := args[len(customPrefix):]
	if name == "" {
		return fmt.Errorf("DEVICE_STATE function called with no custom device name")
	}
	if pbx.ParseDeviceState(value) == pbx.DeviceUnknown {
		return fmt.Errorf("DEVICE_STATE function given invalid state value %q", value)
	}
	f.d.setCustom(name, value)
	return nil
}

// actions returns the AMI actions, with Asterisk 20's synopses and
// classes.
func (d *devStates) actions() []*manager.Action {
	perm := manager.PermCall | manager.PermReporting
	return []*manager.Action{
		{Name: "ExtensionState", Perm: perm, Synopsis: "Check Extension Status.", Handler: d.extensionState},
		{Name: "ExtensionStateList", Perm: perm, Synopsis: "List the current known extension states.", Handler: d.extensionStateList},
		{Name: "DeviceStateList", Perm: perm, Synopsis: "List the current known device states.", Handler: d.deviceStateList},
	}
}

// extensionState is manager.c's action_extensionstate: the state is
// computed now; an unknown extension or context is a Success with
// Status -1.
func (d *devStates) extensionState(_ context.Context, s *manager.Session, req *ami.Message) error {
	exten := req.Get("Exten")
	if exten == "" {
		s.Error(req, "Extension not specified")
		return nil
	}
	ctx := req.Get("Context")
	if ctx == "" {
		ctx = "default"
	}
	hint, st := d.core.ExtensionState(ctx, exten)
	s.Respond(req, "Success", "Message", "Extension Status", "Exten", exten, "Context", ctx,
		"Hint", hint, "Status", st.Code(), "StatusText", st.String())
	return nil
}

// devListItem builds a list item with the ActionID right after Event, as
// Asterisk's ExtensionStateList and DeviceStateList write theirs.
func devListItem(req *ami.Message, event string, kv ...string) *ami.Message {
	h := make([]ami.Header, 0, 2+len(kv)/2)
	h = append(h, ami.Header{Key: "Event", Value: event})
	if id := req.ActionID(); id != "" {
		h = append(h, ami.Header{Key: "ActionID", Value: id})
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, ami.Header{Key: kv[i], Value: kv[i+1]})
	}
	return &ami.Message{Headers: h}
}

// extensionStateList is pbx.c's action_extensionstatelist: every hint
// (patterns left out) with the state last announced for it.
func (d *devStates) extensionStateList(_ context.Context, s *manager.Session, req *ami.Message) error {
	hints := d.core.Hints()
	s.StartList(req, "Extension Statuses will follow")
	for _, h := range hints {
		s.Send(devListItem(req, "ExtensionStatus", "Exten", h.Exten, "Context", h.Context, "Hint", h.Hint,
			"Status", h.State.Code(), "StatusText", h.State.String()))
	}
	s.CompleteList(req, "ExtensionStateListComplete", len(hints))
	return nil
}

// deviceStateList is devicestate.c's action_devicestatelist: every device
// state kept (Asterisk's cache), sorted by name.
func (d *devStates) deviceStateList(_ context.Context, s *manager.Session, req *ami.Message) error {
	devs := d.core.DeviceStates()
	s.StartList(req, "Device State Changes will follow")
	for _, e := range devs {
		s.Send(devListItem(req, "DeviceStateChange", "Device", e.Device, "State", e.State.String()))
	}
	s.CompleteList(req, "DeviceStateListComplete", len(devs))
	return nil
}

// Usage texts of func_devstate's and pbx.c's commands.
const (
	devstateChangeUsage = "Usage: devstate change <device> <state>\n" +
		"       Change a custom device to a new state.\n" +
		"       The possible values for the state are:\n" +
		"UNKNOWN | NOT_INUSE | INUSE | BUSY | INVALID | UNAVAILABLE | RINGING\n" +
		"RINGINUSE | ONHOLD\n" +
		"\n" +
		"Examples:\n" +
		"       devstate change Custom:mystate1 INUSE\n" +
		"       devstate change Custom:mystate1 NOT_INUSE\n" +
		"       \n"
	devstateListUsage = "Usage: devstate list\n" +
		"       List all custom device states that have been set by using\n" +
		"       the DEVICE_STATE dialplan function.\n"
	showHintsUsage = "Usage: core show hints\n" +
		"       List registered hints.\n" +
		"       Hint details are shown in five columns. In order from left to right, they are:\n" +
		"       1. Hint extension URI.\n" +
		"       2. List of mapped device or presence state identifiers.\n" +
		"       3. Current extension state. The aggregate of mapped device states.\n" +
		"       4. Current presence state for the mapped presence state provider.\n" +
		"       5. Watchers - number of subscriptions and other entities watching this hint.\n"
)

// commands returns the CLI commands.
func (d *devStates) commands() []*cli.Command {
	return []*cli.Command{
		{Words: []string{"devstate", "change"}, Args: "<device> <state>", MinArgs: 2, MaxArgs: 2,
			Summary: "Change a custom device state", Usage: devstateChangeUsage, Run: d.cliChange},
		{Words: []string{"devstate", "list"}, Summary: "List currently known custom device states",
			Usage: devstateListUsage, Run: d.cliList},
		{Words: []string{"core", "show", "hints"}, Summary: "Show dialplan hints",
			Usage: showHintsUsage, Run: d.cliShowHints},
	}
}

// cliChange is func_devstate's handle_cli_devstate_change.
func (d *devStates) cliChange(_ context.Context, w io.Writer, args []string) error {
	dev, state := args[0], args[1]
	if !isCustom(dev) {
		fmt.Fprint(w, "The devstate command can only be used to set 'Custom:' device state!\n")
		return fmt.Errorf("devstate change %s: not a Custom: device", dev)
	}
	name := dev[len(customPrefix):]
	if name == "" || pbx.ParseDeviceState(state) == pbx.DeviceUnknown {
		return cli.ErrShowUsage
	}
	fmt.Fprintf(w, "Changing %s to %s\n", name, state)
	d.setCustom(name, state)
	return nil
}

// cliList is func_devstate's handle_cli_devstate_list: the kept values as
// they were written, sorted by name as astdb lists them.
func (d *devStates) cliList(_ context.Context, w io.Writer, _ []string) error {
	var b strings.Builder
	b.WriteString("\n" +
		"---------------------------------------------------------------------\n" +
		"--- Custom Device States --------------------------------------------\n" +
		"---------------------------------------------------------------------\n" +
		"---\n")
	for _, e := range d.store.entries() {
		fmt.Fprintf(&b, "--- Name: 'Custom:%s'  State: '%s'\n---\n", e.name, e.value)
	}
	b.WriteString("---------------------------------------------------------------------\n" +
		"---------------------------------------------------------------------\n" +
		"\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// cliShowHints is pbx.c's handle_show_hints in Asterisk 20's layout. No
// presence provider is supported, so Presence is "not_set"; the manager
// watches every hint through one global callback, which Asterisk does
// not count, so Watchers is 0.
func (d *devStates) cliShowHints(_ context.Context, w io.Writer, _ []string) error {
	hints := d.core.Hints()
	if len(hints) == 0 {
		_, err := io.WriteString(w, "There are no registered dialplan hints\n")
		return err
	}
	var b strings.Builder
	b.WriteString("\n    -= Registered Asterisk Dial Plan Hints =-\n")
	for _, h := range hints {
		fmt.Fprintf(&b, "%-20.20s: %-20.20s  State:%-15.15s Presence:%-15.15s Watchers %2d\n",
			h.Exten+"@"+h.Context, h.Hint, h.State.String(), "not_set", 0)
	}
	b.WriteString("----------------\n")
	fmt.Fprintf(&b, "- %d hints registered\n", len(hints))
	_, err := io.WriteString(w, b.String())
	return err
}
