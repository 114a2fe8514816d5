// Package pbxami connects the PBX core to the AMI server: it renders the core's
// typed events as AMI events and registers the call actions and CLI commands.
//
// The manager package knows nothing of channels and the pbx package nothing of
// AMI text; this package is the only one that knows both. An [Adapter] is the
// core's [pbx.EventSink]; once the core exists, [Adapter.Attach] registers the
// actions (Originate, Hangup, Status, CoreShowChannels, AbsoluteTimeout,
// Getvar, Setvar) and the CLI commands (core show channels, dialplan show …)
// on the manager, and tells the manager where call counts come from.
//
// # Locks
//
// Adapter.mu guards the per-channel bookkeeping (creation time, current
// application) and is a leaf: it is taken inside the core's channel locks,
// while an event is delivered, and never held while calling the core or the
// manager.
package pbxami

import (
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// Adapter renders the core's events for the manager and serves the call
// actions. Make one with [New], pass it to [pbx.New] as the Sink, then call
// [Adapter.Attach] with the core.
type Adapter struct {
	m    *manager.Manager
	core atomic.Pointer[pbx.Core]
	opts Options
	now  func() time.Time

	mu        sync.Mutex
	chans     map[string]*chanInfo // by uniqueid, live channels
	processed int                  // calls begun (channels whose uniqueid is their linkedid)

	wg sync.WaitGroup // async Originates in flight
}

// chanInfo is what the AMI needs of a channel that the core does not keep
// (when it was created), with the application it runs now, filled in by
// [Adapter.info].
type chanInfo struct {
	ch       *pbx.Channel // nil until the core lists it
	created  time.Time
	linkedid string
	app      string
	data     string
}

// Options are what Attach needs besides the core.
type Options struct {
	// Dialplan, when set, is reloaded by "dialplan reload" and the
	// Reload action's pbx_config module.
	Dialplan *Dialplan
	// Sim, when set, is listed by "sim show phones".
	Sim *sim.Tech
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// New returns an Adapter that publishes on m.
func New(m *manager.Manager) *Adapter {
	return &Adapter{m: m, chans: make(map[string]*chanInfo), now: time.Now}
}

// Attach registers the call actions and CLI commands on the manager, for the
// channels of core, and makes core the source of CoreStatus's call counts.
func (a *Adapter) Attach(core *pbx.Core, opts Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a.opts = opts
	a.core.Store(core)
	for _, act := range a.actions() {
		if err := a.m.Register(act); err != nil {
			return err
		}
	}
	for _, c := range a.commands() {
		if err := a.m.CLI().Register(c); err != nil {
			return err
		}
	}
	if opts.Dialplan != nil {
		a.m.RegisterReload("pbx_config", opts.Dialplan.Reload)
		a.m.RegisterReload("dialplan", opts.Dialplan.Reload)
	}
	a.m.SetCalls(a)
	return nil
}

// Wait waits until the asynchronous Originates in flight have finished.
func (a *Adapter) Wait() { a.wg.Wait() }

// CurrentCalls implements manager.Calls: the calls (distinct linkedids) with
// a live channel.
func (a *Adapter) CurrentCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := make(map[string]struct{}, len(a.chans))
	for _, ci := range a.chans {
		seen[ci.linkedid] = struct{}{}
	}
	return len(seen)
}

// ProcessedCalls implements manager.Calls: the calls begun since start.
func (a *Adapter) ProcessedCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.processed
}

// info returns what the adapter knows of ch (a zero chanInfo if nothing).
func (a *Adapter) info(ch *pbx.Channel) chanInfo {
	a.mu.Lock()
	ci := chanInfo{created: a.now()}
	if c := a.chans[ch.Uniqueid()]; c != nil {
		ci = *c
	}
	a.mu.Unlock()
	ci.app, ci.data = ch.Application()
	return ci
}

// channels returns the live channels sorted by uniqueid sequence, oldest first.
func (a *Adapter) channels() []*pbx.Channel {
	core := a.core.Load()
	if core == nil {
		return nil
	}
	chs := core.Channels()
	a.mu.Lock()
	created := make(map[*pbx.Channel]time.Time, len(chs))
	for _, ch := range chs {
		if ci := a.chans[ch.Uniqueid()]; ci != nil {
			created[ch] = ci.created
		}
	}
	a.mu.Unlock()
	sort.SliceStable(chs, func(i, j int) bool {
		ti, tj := created[chs[i]], created[chs[j]]
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return chs[i].Name() < chs[j].Name()
	})
	return chs
}
