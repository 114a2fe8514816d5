package pbxami

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

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
	// SystemName is asterisk.conf's systemname.
	SystemName string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// PBX is a running core wired to a manager.
type PBX struct {
	Core     *pbx.Core
	Adapter  *Adapter
	Dialplan *Dialplan
	Sim      *sim.Tech
}

// Start loads cfg.Dir's extensions.conf and sim.conf, builds the core with
// an Adapter as its event sink, registers the Local and Sim technologies and
// attaches the actions and CLI commands to m ("dialplan reload", and Reload
// of the pbx_config module, re-read extensions.conf).
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
	core := pbx.New(pbx.Options{
		SystemName: cfg.SystemName,
		Sink:       ad,
		Dialplan:   dp.Current,
		Sounds:     lib,
		Logger:     log,
	})
	simTech := sim.New(simCfg, lib)
	if err := core.Register(local.New()); err != nil {
		return nil, err
	}
	if err := core.Register(simTech); err != nil {
		return nil, err
	}
	if err := ad.Attach(core, Options{Dialplan: dp, Sim: simTech, Logger: log}); err != nil {
		return nil, err
	}
	return &PBX{Core: core, Adapter: ad, Dialplan: dp, Sim: simTech}, nil
}

// Shutdown hangs up every channel and waits for the dialplans and the
// asynchronous Originates to end, or for ctx.
func (p *PBX) Shutdown(ctx context.Context) error {
	err := p.Core.Shutdown(ctx)
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
