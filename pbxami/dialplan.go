package pbxami

import (
	"errors"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/asterism-pbx/asterism/dialplan"
)

// Dialplan holds the dialplan in force, read from a configuration directory's
// extensions.conf, and swaps in a fresh one on reload: calls already running
// keep the priorities they hold.
type Dialplan struct {
	dir string
	log *slog.Logger
	cur atomic.Pointer[dialplan.Dialplan]

	hmu   sync.Mutex // guards hooks
	hooks []func()
}

// OnReload has fn called after each successful Reload, once the new
// dialplan is in force: the core rebuilds its hints then.
func (d *Dialplan) OnReload(fn func()) {
	d.hmu.Lock()
	d.hooks = append(d.hooks, fn)
	d.hmu.Unlock()
}

// reloaded calls the OnReload hooks.
func (d *Dialplan) reloaded() {
	d.hmu.Lock()
	hooks := append([]func(){}, d.hooks...)
	d.hmu.Unlock()
	for _, fn := range hooks {
		fn()
	}
}

// LoadDialplan reads dir/extensions.conf. A missing file gives an empty
// dialplan (nil from Current), as Asterisk runs without one.
func LoadDialplan(dir string, log *slog.Logger) (*Dialplan, error) {
	if log == nil {
		log = slog.Default()
	}
	d := &Dialplan{dir: dir, log: log}
	if err := d.Reload(); err != nil {
		return nil, err
	}
	return d, nil
}

// Current returns the dialplan in force; it is what pbx.Options.Dialplan
// wants.
func (d *Dialplan) Current() *dialplan.Dialplan { return d.cur.Load() }

// Reload re-reads extensions.conf and puts it in force. On error the old
// dialplan stays.
func (d *Dialplan) Reload() error {
	dp, err := dialplan.Load(d.dir, d.log)
	if errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("no extensions.conf: the dialplan is empty", "dir", d.dir)
		d.cur.Store(nil)
		d.reloaded()
		return nil
	}
	if err != nil {
		return err
	}
	d.cur.Store(dp)
	d.reloaded()
	return nil
}
