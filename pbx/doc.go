// Package pbx is Asterism's PBX core: channels, the technologies that
// create them, and the dialplan goroutine that runs each channel's
// extensions.
//
// A [Core] holds the registered technologies ([Technology]: Local, Sim …)
// and dialplan applications, and the live channels by name and uniqueid.
// [Core.Request] creates a channel of a technology; [Channel.Dial] calls it
// and waits for the answer; [Core.StartPBX] runs its dialplan in a goroutine
// of its own, which hangs the channel up when the dialplan ends;
// [Core.RunApp] runs a single application the same way (an Originate with
// Application). Global variables ([Core.SetGlobal], [Core.Global]) start
// from the dialplan's [globals] and change at run time. Frames from
// the far end wait in a bounded per-channel queue ([Channel.Queue], which
// never blocks a technology) until read with [Channel.Read]; frames to the
// far end go through [Channel.Write].
//
// The Dial application calls destinations in parallel (DialBegin, DialEnd)
// and joins the caller with the one that answers in a two-party
// [Core.Bridge] (BridgeCreate, BridgeEnter, BridgeLeave, BridgeDestroy).
// [AsyncGotoAll] redirects several channels at once, so that both legs of a
// bridge leave it for the dialplan (AMI Redirect with ExtraChannel).
//
// Each device (a channel name without its -seq suffix: "Sim/100",
// "Local/300@default") has a state aggregated from its channels as
// Asterisk's devicestate.c does, or reported by its technology
// ([DeviceStateProvider]); [Core.DeviceState] reads it and a change is
// announced as a DeviceStateChange event.
//
// The core knows nothing of AMI text. Everything that happens to a channel
// is reported as a typed [Event] carrying a [Snapshot] of the channel, to
// one [EventSink]; the manager renders them. The events of one channel reach
// the sink in the order the changes happened: Newchannel first, Hangup
// last, nothing after it.
//
// Hangup causes and states use Asterisk's numbers and texts
// (include/asterisk/causes.h, main/channel.c), so that the rendered events
// match Asterisk 20's.
//
// # Locks
//
// Lock order: Channel.evMu, then Channel.mu, then Core.mu (a leaf).
// The device-state stripes (devices.order, see devstate.go) are taken with
// no channel lock held, before Channel.mu and Core.mu; devices.mu is a leaf.
// Core.globalMu orders the changes of global variables and their events;
// it is taken with no channel lock held, before Core.mu.
// Channel.writeMu serialises writes to a channel's endpoint and is never
// held with another channel's locks. evMu is held while an event is built
// and delivered; the sink is called with it held, so a sink must not change
// the channel it is told about (reading it is fine). No lock of a channel is
// held while its endpoint is called, so an endpoint may act on other
// channels (Local's halves queue frames and hangups on each other).
package pbx
