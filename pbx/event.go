package pbx

import "strconv"

// State is a channel's state, numbered as Asterisk's enum ast_channel_state
// so that ChannelState headers carry the same numbers.
type State int

// The channel states.
const (
	StateDown           State = 0 // channel is down and available
	StateRsrvd          State = 1 // channel is down, but reserved
	StateOffHook        State = 2 // channel is off hook
	StateDialing        State = 3 // digits (or equivalent) have been dialed
	StateRing           State = 4 // line is ringing
	StateRinging        State = 5 // remote end is ringing
	StateUp             State = 6 // line is up
	StateBusy           State = 7 // line is busy
	StateDialingOffhook State = 8 // digits dialed while off hook
	StatePreRing        State = 9 // channel has detected an incoming call and waits for ring
)

var stateNames = [...]string{"Down", "Rsrvd", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring"}

// String returns the description Asterisk's ast_state2str gives the state
// ("Up", "Dialing Offhook" …), or "Unknown (n)" for a number it does not know.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "Unknown (" + strconv.Itoa(int(s)) + ")"
}

// EventKind says what an Event reports. The names are the AMI event names.
type EventKind int

// The event kinds.
const (
	EventNewchannel EventKind = iota + 1
	EventNewstate
	EventNewexten
	EventVarSet
	EventNewCallerid
	EventHangupRequest
	EventSoftHangupRequest
	EventHangup
	EventNewConnectedLine
	EventNewAccountCode
	EventDialBegin
	EventDialState
	EventDialEnd
	EventBridgeCreate
	EventBridgeEnter
	EventBridgeLeave
	EventBridgeDestroy
	EventUserEvent
	EventDeviceStateChange
	EventLocalBridge
	EventExtensionStatus
)

var kindNames = [...]string{"", "Newchannel", "Newstate", "Newexten", "VarSet", "NewCallerid", "HangupRequest", "SoftHangupRequest", "Hangup", "NewConnectedLine", "NewAccountCode",
	"DialBegin", "DialState", "DialEnd", "BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy", "UserEvent",
	"DeviceStateChange", "LocalBridge", "ExtensionStatus"}

// String returns the AMI name of the event ("Newchannel" …).
func (k EventKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Snapshot is a channel as it was when an event happened: the block of
// headers every channel event of Asterisk carries.
type Snapshot struct {
	Name              string
	State             State
	CallerIDNum       string
	CallerIDName      string
	ConnectedLineNum  string
	ConnectedLineName string
	Language          string
	AccountCode       string
	Context           string
	Exten             string
	Priority          int
	Uniqueid          string
	Linkedid          string
}

// Event is one thing that happened to a channel. Channel is its snapshot
// taken when it happened; the other fields are set by the kinds that have
// them.
type Event struct {
	Kind    EventKind
	Channel Snapshot

	// Newexten: the application and its data after substitution.
	App     string
	AppData string

	// VarSet: the variable as written (leading underscores kept) and
	// its value. Global is set for a global variable ([Core.SetGlobal]):
	// the event then has no channel (Channel is the zero Snapshot).
	Variable string
	Value    string
	Global   bool

	// NewAccountCode: the account code before the change.
	OldAccountCode string

	// HangupRequest, SoftHangupRequest, Hangup: the cause code;
	// Hangup also has its text ("Normal Clearing").
	Cause     int
	CauseText string

	// DialBegin, DialState, DialEnd: Channel is the caller, Dest the
	// channel called; DialString is the resource dialled ("100" of
	// "Sim/100"); DialStatus is DialState's and DialEnd's status
	// (RINGING, ANSWER, BUSY …). When no channel calls (an Originate),
	// Channel is the zero Snapshot.
	Dest       *Snapshot
	DialString string
	DialStatus string

	// Bridge*: the bridge as it is after the change. BridgeCreate and
	// BridgeDestroy have no channel (Channel is the zero Snapshot).
	Bridge *BridgeSnapshot

	// DeviceStateChange: the device and its new state; the event has
	// no channel (Channel is the zero Snapshot).
	Device      string
	DeviceState DeviceState

	// LocalBridge: Channel is a Local pair's ;1 and Peer its ;2; the
	// pair's extension and context, and whether the pair may be
	// optimised away (no /n option).
	Peer              *Snapshot
	LocalContext      string
	LocalExten        string
	LocalOptimization bool

	// UserEvent (the dialplan application): the event's name and the
	// key/value pairs of its body, in order.
	UserEvent   string
	UserHeaders [][2]string

	// ExtensionStatus: the hinted extension and its context, the hint
	// ("Sim/100&Custom:100") and the extension's new state; the event
	// has no channel (Channel is the zero Snapshot).
	HintExten   string
	HintContext string
	Hint        string
	ExtState    ExtState
}

// EventSink receives the core's events. HandleEvent is called
// synchronously, in order for each channel, from whichever goroutine
// changed the channel; it must not block for long (queue and return) and
// must not call back into methods that change the same channel. Reading
// a channel's getters is allowed.
type EventSink interface {
	HandleEvent(Event)
}

// EventSinkFunc adapts a function to EventSink.
type EventSinkFunc func(Event)

// HandleEvent calls f.
func (f EventSinkFunc) HandleEvent(e Event) { f(e) }
