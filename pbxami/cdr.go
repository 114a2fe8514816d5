package pbxami

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/cdr"
	"github.com/asterism-pbx/asterism/cdr/cdrengine"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
	"github.com/asterism-pbx/asterism/system"
)

// CDR is the PBX's call detail recording: the engine fed by the core's
// events and the backends it posts to (cdr_manager's Cdr event, cdr_csv's
// Master.csv).
type CDR struct {
	Engine *cdrengine.Engine
	// CSV is nil when cdr.conf has no [csv] section (cdr_csv declines to
	// load then) or the log directory is unusable.
	CSV *CSVWriter
}

// startCDR reads cdr.conf and cdr_manager.conf from cfg.Dir and builds the
// engine and its backends. It returns nil when cdr.conf disables CDRs.
// core is called for the core once it exists (the engine looks channels up
// in it).
func startCDR(m *manager.Manager, cfg Config, log *slog.Logger, core func() *pbx.Core) (*CDR, error) {
	conf, err := cdr.LoadConfig(cfg.Dir, log)
	if err != nil {
		return nil, err
	}
	if !conf.General.Enable {
		return nil, nil
	}
	mconf, err := cdr.LoadManagerConfig(cfg.Dir, log)
	if err != nil {
		return nil, err
	}
	c := &CDR{}
	var backends []cdrengine.Backend
	if mconf.Enabled {
		mappings := mconf.Mappings
		backends = append(backends, cdrengine.BackendFunc(func(r *cdr.Record) {
			// cdr_manager formats times in the local time zone.
			m.Publish(&manager.Event{Name: cdr.EventName, Class: manager.PermCDR,
				Headers: cdr.EventHeaders(r, time.Local, mappings...)})
		}))
	}
	if conf.CSV.Enabled {
		logDir := cfg.LogDir
		if logDir == "" {
			sys, err := system.Load(cfg.Dir, log)
			if err != nil {
				return nil, fmt.Errorf("cdr: finding the log directory: %w", err)
			}
			logDir = sys.LogDir
		}
		if csv, err := cdr.NewCSV(logDir, conf.CSV); err != nil {
			// cdr_csv keeps running and fails each write; one warning
			// now says the same without flooding the log.
			log.Error("cdr: CSV backend disabled", "err", err)
		} else {
			c.CSV = newCSVWriter(csv, log)
			backends = append(backends, c.CSV)
		}
	}
	c.Engine = cdrengine.New(cdrengine.Options{General: &conf.General, Backends: backends, Logger: log,
		Channel: func(id string) (*pbx.Channel, bool) {
			if c := core(); c != nil {
				return c.ChannelByID(id)
			}
			return nil, false
		}})
	return c, nil
}

// register adds the CDR() function to the core's function table.
func (c *CDR) register(core *pbx.Core) error {
	if err := c.Engine.RegisterFuncs(core.Funcs()); err != nil {
		return fmt.Errorf("pbx: %w", err)
	}
	return nil
}

// close stops the CSV writer once it has written what it holds.
func (c *CDR) close() {
	if c != nil && c.CSV != nil {
		c.CSV.Close()
	}
}

// teeSink hands every event to the manager's adapter, then to the CDR
// engine, so that a channel's Cdr event follows its Hangup event.
type teeSink struct {
	ad  *Adapter
	eng *cdrengine.Engine
}

func (t teeSink) HandleEvent(ev pbx.Event) {
	t.ad.HandleEvent(ev)
	t.eng.HandleEvent(ev)
}

// maxCSVBatch bounds the records written with one write(2) and fsync.
const maxCSVBatch = cdr.MaxBatchSize

// CSVWriter appends the posted records to Master.csv from a goroutine of
// its own, so that a channel's hangup never waits for the disk.
//
// Durability: the records queued while a write is in progress are written
// next, together, with one O_APPEND write(2) of whole lines followed by
// fsync ([cdr.CSV.LogBatch]); a line is thus never half-written, and a
// record is on disk at most one fsync after it was posted. What a crash
// loses is the records posted but not yet written: the queue, which
// [CSVWriter.Flush] and [CSVWriter.Close] drain. Posting never blocks and
// never drops: the queue grows while the disk is slow.
type CSVWriter struct {
	csv *cdr.CSV
	log *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond // signalled when queue grows, written grows or closed is set
	queue   []*cdr.Record
	posted  uint64 // records ever queued
	written uint64 // records handled by the writer (written or failed)
	closed  bool
	done    chan struct{}
}

func newCSVWriter(csv *cdr.CSV, log *slog.Logger) *CSVWriter {
	w := &CSVWriter{csv: csv, log: log, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// Dir returns the directory Master.csv is in.
func (w *CSVWriter) Dir() string { return w.csv.Dir() }

// Post queues r for writing. Records posted after Close are written at
// once, on the caller's goroutine.
func (w *CSVWriter) Post(r *cdr.Record) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		if err := w.csv.Log(r); err != nil {
			w.log.Error("cdr: writing the record", "channel", r.Channel, "err", err)
		}
		return
	}
	w.queue = append(w.queue, r)
	w.posted++
	w.cond.Broadcast()
	w.mu.Unlock()
}

// Flush waits until every record posted before it was called has been
// written (or failed, which is logged).
func (w *CSVWriter) Flush() {
	w.mu.Lock()
	target := w.posted
	for w.written < target {
		w.cond.Wait()
	}
	w.mu.Unlock()
}

// Close writes what is queued and stops the writer.
func (w *CSVWriter) Close() {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	<-w.done
}

// csvCommitEvery spaces the writes (each an fsync) of the CSV writer under
// load: the records of the meantime go in one batch, so that thousands of
// calls a second cost tens of fsyncs, not thousands; an idle writer writes
// a record at once.
const csvCommitEvery = 50 * time.Millisecond

func (w *CSVWriter) run() {
	defer close(w.done)
	var batch []*cdr.Record
	var last time.Time
	for {
		if wait := csvCommitEvery - time.Since(last); wait > 0 {
			time.Sleep(wait)
		}
		w.mu.Lock()
		for len(w.queue) == 0 && !w.closed {
			w.cond.Wait()
		}
		if len(w.queue) == 0 {
			w.mu.Unlock()
			return
		}
		n := min(len(w.queue), maxCSVBatch)
		batch = append(batch[:0], w.queue[:n]...)
		w.queue = w.queue[n:]
		if len(w.queue) == 0 {
			w.queue = nil // let a burst's backing array go
		}
		w.mu.Unlock()

		last = time.Now()
		if err := w.csv.LogBatch(batch); err != nil {
			w.log.Error("cdr: writing records", "records", len(batch), "err", err)
		}
		clear(batch)
		w.mu.Lock()
		w.written += uint64(n)
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}
