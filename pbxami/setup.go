package pbxami

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/asterism-pbx/asterism/app/conference"
	"github.com/asterism-pbx/asterism/app/monitor"
	"github.com/asterism-pbx/asterism/app/queue"
	"github.com/asterism-pbx/asterism/app/voicemail"
	"github.com/asterism-pbx/asterism/chan/iax2"
	"github.com/asterism-pbx/asterism/chan/local"
	"github.com/asterism-pbx/asterism/chan/sim"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/sounds"
)

// Config says where a PBX finds its files.
type Config struct {
	// Dir is the configuration directory: extensions.conf and sim.conf
	// are read from it (either may be missing).
	Dir string
	// DataDir is asterisk.conf's astdatadir; its sounds/ come before the
	// embedded ones. Empty: the embedded sounds only.
	DataDir string
	// LogDir is asterisk.conf's astlogdir: cdr_csv writes
	// cdr-csv/Master.csv under it (when cdr.conf has a [csv] section).
	// Empty: Dir's asterisk.conf is read for it (Asterisk's
	// /var/log/asterisk without one).
	LogDir string
	// VarLibDir is asterisk.conf's astvarlibdir: the states of Custom:
	// devices are kept in customdevstate.json under it, as Asterisk keeps
	// them in its astdb, so that they survive a restart. Empty: they
	// are not kept.
	VarLibDir string
	// SpoolDir is asterisk.conf's astspooldir: voicemail keeps its
	// messages under its voicemail/. Empty: /var/spool/asterisk.
	SpoolDir string
	// SystemName is asterisk.conf's systemname.
	SystemName string
	// IAXAddr overrides iax.conf's bindaddr:bindport for the IAX2
	// endpoint ("127.0.0.1:0" in tests); empty: iax.conf's.
	IAXAddr string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// PBX is a running core wired to a manager.
type PBX struct {
	Core     *pbx.Core
	Adapter  *Adapter
	Dialplan *Dialplan
	Sim      *sim.Tech
	// CDR is nil when cdr.conf disables CDRs.
	CDR *CDR
	// Queues are the call queues of queues.conf (app_queue).
	Queues *queue.Engine
	// Voicemail is app_voicemail: voicemail.conf and the spool.
	Voicemail *voicemail.Service
	// Monitor records calls (res_monitor and app_mixmonitor).
	Monitor *monitor.Service
	// IAX2 is chan_iax2's endpoint; nil without iax.conf.
	IAX2 *iax2.Tech
	// Conferences are MeetMe and ConfBridge (app/conference).
	Conferences *conference.Engine

	closers []func() // see Start
}

// Start loads cfg.Dir's extensions.conf and sim.conf, builds the core with
// an Adapter as its event sink, registers the Local and Sim technologies and
// attaches the actions and CLI commands to m ("dialplan reload", and Reload
// of the pbx_config module, re-read extensions.conf). Unless cdr.conf
// disables them, a CDR engine sees every event too (after the Adapter) and
// posts records as cdr_manager's Cdr event (per cdr_manager.conf) and to
// cfg.LogDir's Master.csv (per cdr.conf's [csv]); the CDR() function is
// registered on the core.
func Start(m *manager.Manager, cfg Config) (*PBX, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	dp, err := LoadDialplan(cfg.Dir, log)
	if err != nil {
		return nil, err
	}
	simCfg, err := sim.Load(cfg.Dir, log)
	if errors.Is(err, fs.ErrNotExist) {
		simCfg, err = &sim.Config{}, nil
	}
	if err != nil {
		return nil, err
	}
	lib := sounds.Layers{sounds.Embedded()}
	if cfg.DataDir != "" {
		lib = sounds.Layers{sounds.NewDir(cfg.DataDir), sounds.Embedded()}
	}
	ad := New(m)
	var core *pbx.Core // set below, before any channel exists
	cdrs, err := startCDR(m, cfg, log, func() *pbx.Core { return core })
	if err != nil {
		return nil, err
	}
	var sink pbx.EventSink = ad
	if cdrs != nil {
		sink = teeSink{ad: ad, eng: cdrs.Engine}
	}
	core = pbx.New(pbx.Options{
		SystemName: cfg.SystemName,
		Sink:       sink,
		Dialplan:   dp.Current,
		Sounds:     lib,
		Logger:     log,
	})
	simTech := sim.New(simCfg, lib)
	fail := func(err error) (*PBX, error) {
		cdrs.close()
		return nil, err
	}
	moh, err := pbx.LoadMusicOnHold(cfg.Dir, cfg.DataDir, log)
	switch {
	case err == nil:
		core.SetMusicOnHold(moh)
	case !errors.Is(err, fs.ErrNotExist):
		return fail(err)
	}
	if err := core.Register(local.New()); err != nil {
		return fail(err)
	}
	if err := core.Register(simTech); err != nil {
		return fail(err)
	}
	if cdrs != nil {
		if err := cdrs.register(core); err != nil {
			return fail(err)
		}
	}
	if err := ad.Attach(core, Options{Dialplan: dp, Sim: simTech, Logger: log}); err != nil {
		return fail(err)
	}
	p := &PBX{Core: core, Adapter: ad, Dialplan: dp, Sim: simTech, CDR: cdrs}
	// The features built on the core: each loads its configuration,
	// registers its applications, functions, actions and CLI commands,
	// and adds what Shutdown must close to p.closers.
	for _, start := range []func(*PBX, *manager.Manager, Config, *slog.Logger) error{
		startDeviceStates,
		startVoicemail,
		startQueues,
		startIAX2,
		startConferences,
		startMonitor,
	} {
		if err := start(p, m, cfg, log); err != nil {
			p.close()
			return fail(err)
		}
	}
	return p, nil
}

// close runs the closers of the features, last started first.
func (p *PBX) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	p.closers = nil
}

// Shutdown hangs up every channel and waits for the dialplans and the
// asynchronous Originates to end, or for ctx; then the CDRs still queued
// are written.
func (p *PBX) Shutdown(ctx context.Context) error {
	err := p.Core.Shutdown(ctx)
	defer p.CDR.close()
	defer p.close()
	done := make(chan struct{})
	go func() {
		p.Adapter.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}
