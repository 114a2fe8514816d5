package pbxami

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/app/monitor"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// startMonitor starts call recording: the applications Monitor,
// StopMonitor, ChangeMonitor, PauseMonitor, UnpauseMonitor, MixMonitor and
// StopMixMonitor, their AMI actions and events (res_monitor and
// app_mixmonitor of Asterisk 20), recording under cfg.SpoolDir's monitor/.
// Shutdown completes the files of the recordings still running.
func startMonitor(p *PBX, m *manager.Manager, cfg Config, log *slog.Logger) error {
	svc := monitor.New(monitor.Options{
		SpoolDir: cfg.SpoolDir,
		Reporter: &monitorReporter{a: p.Adapter, m: m},
		Logger:   log,
	})
	p.closers = append(p.closers, svc.Close)
	p.Monitor = svc
	if err := svc.Register(p.Core); err != nil {
		return err
	}
	for _, act := range monitorActions(p.Core, svc) {
		if err := m.Register(act); err != nil {
			return err
		}
	}
	return nil
}

// monitorReporter renders the recording events: the channel snapshot and
// nothing else, class call, as Asterisk's stasis messages for them are.
type monitorReporter struct {
	a *Adapter
	m *manager.Manager
}

func (r *monitorReporter) publish(name string, ch *pbx.Channel) {
	s := ch.Snapshot()
	h := r.a.snapshotHeaders(make([]ami.Header, 0, 16), &s, ch)
	r.m.Publish(&manager.Event{Name: name, Class: manager.PermCall, Headers: h})
}

// MonitorStart is the MonitorStart event.
func (r *monitorReporter) MonitorStart(ch *pbx.Channel) { r.publish("MonitorStart", ch) }

// MonitorStop is the MonitorStop event.
func (r *monitorReporter) MonitorStop(ch *pbx.Channel) { r.publish("MonitorStop", ch) }

// MixMonitorStart is the MixMonitorStart event.
func (r *monitorReporter) MixMonitorStart(ch *pbx.Channel) { r.publish("MixMonitorStart", ch) }

// MixMonitorStop is the MixMonitorStop event.
func (r *monitorReporter) MixMonitorStop(ch *pbx.Channel) { r.publish("MixMonitorStop", ch) }

// badNameMessage explains a refused file name; Asterisk has no such
// check, so its generic message gets the reason appended.
func badNameMessage(prefix string, err error) string {
	switch {
	case errors.Is(err, monitor.ErrBadFileName):
		return prefix + ": the file name must be relative and stay in the monitor directory"
	case errors.Is(err, monitor.ErrFormat):
		return prefix + ": only the wav format is supported"
	}
	return prefix
}

// monitorActions returns the recording actions with Asterisk 20's
// synopses and classes (ListCommands of Asterisk 20.20.1), answering as
// res_monitor's and app_mixmonitor's handlers do.
func monitorActions(core *pbx.Core, svc *monitor.Service) []*manager.Action {
	// channel finds the request's Channel, answering the errors
	// Asterisk's handlers give; nil when it answered.
	channel := func(s *manager.Session, req *ami.Message) *pbx.Channel {
		name := req.Get("Channel")
		if name == "" {
			s.Error(req, "No channel specified")
			return nil
		}
		ch, ok := core.Channel(name)
		if !ok {
			s.Error(req, "No such channel")
			return nil
		}
		return ch
	}
	return []*manager.Action{
		{Name: "Monitor", Perm: manager.PermCall, Synopsis: "Monitor a channel.",
			Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				ch := channel(s, req)
				if ch == nil {
					return nil
				}
				mix := isTrue(req.Get("Mix"))
				acked := false
				ack := func() { acked = true; s.Ack(req, "Started monitoring channel") }
				err := svc.Monitor(ch, req.Get("File"), monitor.MonitorOptions{Format: req.Get("Format"), Mix: mix, Ack: ack})
				if errors.Is(err, monitor.ErrAlreadyMonitored) {
					// start_monitor_action: a monitored channel gets the
					// new file name (the channel's own when none is given).
					name := req.Get("File")
					if name == "" {
						name = strings.ReplaceAll(ch.Name(), "/", "-")
					}
					err = svc.ChangeMonitor(ch, name)
					if err == nil && mix {
						err = svc.SetMix(ch, true)
					}
					if err == nil {
						ack()
					}
				}
				if err != nil && !acked {
					s.Error(req, badNameMessage("Could not start monitoring channel", err))
				}
				return nil
			}},
		{Name: "StopMonitor", Perm: manager.PermCall, Synopsis: "Stop monitoring a channel.",
			Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				ch := channel(s, req)
				if ch == nil {
					return nil
				}
				ack := func() { s.Ack(req, "Stopped monitoring channel") }
				if err := svc.StopMonitor(ch, ack); err != nil {
					// Not monitored: ast_monitor_stop succeeds doing nothing.
					ack()
				}
				return nil
			}},
		{Name: "ChangeMonitor", Perm: manager.PermCall, Synopsis: "Change monitoring filename of a channel.",
			Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				if req.Get("Channel") == "" {
					s.Error(req, "No channel specified")
					return nil
				}
				if req.Get("File") == "" {
					s.Error(req, "No filename specified")
					return nil
				}
				ch := channel(s, req)
				if ch == nil {
					return nil
				}
				err := svc.ChangeMonitor(ch, req.Get("File"))
				if err != nil && !errors.Is(err, monitor.ErrNotMonitored) {
					// Not monitored: ast_monitor_change_fname only warns.
					s.Error(req, badNameMessage("Could not change monitored filename of channel", err))
					return nil
				}
				s.Ack(req, "Changed monitor filename")
				return nil
			}},
		{Name: "PauseMonitor", Perm: manager.PermCall, Synopsis: "Pause monitoring of a channel.",
			Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				if ch := channel(s, req); ch != nil {
					// do_pause_or_unpause acknowledges whatever the
					// channel's monitor state.
					_ = svc.PauseMonitor(ch, true)
					s.Ack(req, "Paused monitoring of the channel")
				}
				return nil
			}},
		{Name: "UnpauseMonitor", Perm: manager.PermCall, Synopsis: "Unpause monitoring of a channel.",
			Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				if ch := channel(s, req); ch != nil {
					_ = svc.PauseMonitor(ch, false)
					s.Ack(req, "Unpaused monitoring of the channel")
				}
				return nil
			}},
		{Name: "MixMonitor", Perm: manager.PermSystem,
			Synopsis: "Record a call and mix the audio during the recording.  Use of StopMixMonitor is required to guarantee the audio file is available for processing during dialplan execution.",
			Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				ch := channel(s, req)
				if ch == nil {
					return nil
				}
				o, err := monitor.ParseMixOptions(req.Get("Options"))
				if err != nil {
					s.Error(req, "Could not start monitoring channel: "+err.Error())
					return nil
				}
				if req.Get("Command") != "" {
					// AST-2014-006: never a shell from the network.
					s.Error(req, "Could not start monitoring channel: Command is not supported")
					return nil
				}
				o.Ack = func(id string) {
					if o.IDVar != "" {
						s.Respond(req, "Success", "MixMonitorID", id)
						return
					}
					s.Respond(req, "Success")
				}
				if _, err := svc.MixMonitor(ch, req.Get("File"), o); err != nil {
					s.Error(req, badNameMessage("Could not start monitoring channel", err))
				}
				return nil
			}},
		{Name: "StopMixMonitor", Perm: manager.PermSystem | manager.PermCall,
			Synopsis: "Stop recording a call through MixMonitor, and free the recording's file handle.",
			Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				ch := channel(s, req)
				if ch == nil {
					return nil
				}
				ack := func() { s.Respond(req, "Success") }
				if err := svc.StopMixMonitor(ch, req.Get("MixMonitorID"), ack); err != nil {
					s.Error(req, "Could not stop monitoring channel")
				}
				return nil
			}},
	}
}
