package pbxami

import (
	"fmt"
	"log/slog"

	"github.com/asterism-pbx/asterism/app/queue"
	"github.com/asterism-pbx/asterism/manager"
)

// startQueues starts queues: queues.conf, Queue, QueueStatus, QueueSummary, the queue events.
// A missing queues.conf gives no queues; the applications, actions and
// CLI commands are there all the same, as app_queue's are.
func startQueues(p *PBX, m *manager.Manager, cfg Config, log *slog.Logger) error {
	qc, err := queue.Load(cfg.Dir, log)
	if err != nil {
		return fmt.Errorf("queues: %w", err)
	}
	eng := queue.New(p.Core, qc, &queueReporter{a: p.Adapter, m: m}, queue.Options{Logger: log})
	p.Queues = eng
	p.closers = append(p.closers, eng.Close)
	eng.RegisterApps()
	if err := eng.RegisterFunctions(); err != nil {
		return fmt.Errorf("queues: %w", err)
	}
	qa := &queueAMI{eng: eng, a: p.Adapter, dir: cfg.Dir, log: log}
	for _, act := range qa.actions() {
		if err := m.Register(act); err != nil {
			return fmt.Errorf("queues: %w", err)
		}
	}
	for _, c := range qa.commands(cfg.Dir, log) {
		if err := m.CLI().Register(c); err != nil {
			return fmt.Errorf("queues: %w", err)
		}
	}
	m.RegisterReload("app_queue", func() error { return qa.reload(cfg.Dir, log) })
	return nil
}
