package monitor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/pbx"
)

// Register registers the applications Monitor, StopMonitor,
// ChangeMonitor, PauseMonitor, UnpauseMonitor, MixMonitor and
// StopMixMonitor on core.
func (s *Service) Register(core *pbx.Core) error {
	for _, d := range appDocs {
		pbx.RegisterAppDoc(d)
	}
	core.RegisterApp("Monitor", s.appMonitor)
	core.RegisterApp("StopMonitor", func(ch *pbx.Channel, _ string) error {
		if err := s.StopMonitor(ch, nil); err != nil && !errors.Is(err, ErrNotMonitored) {
			return err
		}
		return nil
	})
	core.RegisterApp("ChangeMonitor", func(ch *pbx.Channel, data string) error {
		if data == "" {
			s.log.Warn("ChangeMonitor requires an argument (the new filename)", "channel", ch.Name())
			return nil
		}
		if err := s.ChangeMonitor(ch, data); err != nil {
			s.log.Warn("ChangeMonitor", "channel", ch.Name(), "err", err)
		}
		return nil
	})
	core.RegisterApp("PauseMonitor", func(ch *pbx.Channel, _ string) error {
		return s.PauseMonitor(ch, true)
	})
	core.RegisterApp("UnpauseMonitor", func(ch *pbx.Channel, _ string) error {
		return s.PauseMonitor(ch, false)
	})
	core.RegisterApp("MixMonitor", s.appMixMonitor)
	core.RegisterApp("StopMixMonitor", func(ch *pbx.Channel, data string) error {
		if err := s.StopMixMonitor(ch, strings.TrimSpace(data), nil); err != nil {
			s.log.Warn("StopMixMonitor", "channel", ch.Name(), "err", err)
		}
		return nil
	})
	return nil
}

// appMonitor is Monitor([format[:urlbase]],[fname_base],[options]); on a
// channel that has a Monitor it changes the file name, as
// start_monitor_exec does.
func (s *Service) appMonitor(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	format, _, _ := strings.Cut(arg(0), ":")
	var o MonitorOptions
	o.Format = format
	for _, c := range arg(2) {
		switch c {
		case 'm':
			o.Mix = true
		case 'b':
			o.BridgedOnly = true
		case 'i':
			o.NoIn = true
		case 'o':
			o.NoOut = true
		}
	}
	err := s.Monitor(ch, arg(1), o)
	if errors.Is(err, ErrAlreadyMonitored) {
		name := arg(1)
		if name == "" {
			return nil
		}
		err = s.ChangeMonitor(ch, name)
	}
	if err != nil {
		return fmt.Errorf("Monitor: %w", err)
	}
	return nil
}

// appMixMonitor is MixMonitor(file.ext[,options[,command]]). The command
// Asterisk would run through the shell afterwards is not run: a recording
// must never be a way to a shell (AST-2014-006); it is logged instead.
func (s *Service) appMixMonitor(ch *pbx.Channel, data string) error {
	args := dialplan.AppArgs(data)
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	o, err := ParseMixOptions(arg(1))
	if err != nil {
		s.log.Warn("MixMonitor", "channel", ch.Name(), "err", err)
	}
	if arg(2) != "" {
		s.log.Warn("MixMonitor: post-recording commands are not run", "channel", ch.Name(), "command", arg(2))
	}
	if _, err := s.MixMonitor(ch, arg(0), o); err != nil {
		// Asterisk logs and goes on with the dialplan.
		s.log.Warn("MixMonitor", "channel", ch.Name(), "err", err)
	}
	return nil
}

var appDocs = []pbx.Doc{
	{
		Name:     "Monitor",
		Synopsis: "Monitor a channel.",
		Syntax:   "Monitor([file_format[:urlbase]],[fname_base],[options])",
		Description: "Records the audio of the current channel: what its far end says to <fname_base>-in.wav and what it hears to " +
			"<fname_base>-out.wav, in the monitor directory (astspooldir/monitor). Without fname_base the channel's name is used, " +
			"with '/' replaced by '-'. File names that are absolute or leave the monitor directory are refused. The files appear " +
			"complete when monitoring stops (StopMonitor, hangup or shutdown). If the channel is already monitored, the file name " +
			"is changed instead. The channel variable MONITORED is set to true.",
		Arguments: []pbx.DocArg{
			{Name: "file_format", Text: "Only wav is written."},
			{Name: "fname_base", Text: "The base of the file names, relative to the monitor directory."},
			{Name: "options", Text: "m: join the two files into <fname_base>.wav when monitoring stops, and remove them.\n" +
				"b: record only while the channel is bridged.\ni: skip the -in file.\no: skip the -out file."},
		},
		SeeAlso: []string{"StopMonitor", "ChangeMonitor", "PauseMonitor", "UnpauseMonitor", "MixMonitor"},
	},
	{
		Name:        "StopMonitor",
		Synopsis:    "Stop monitoring a channel.",
		Syntax:      "StopMonitor()",
		Description: "Stops monitoring a channel, which completes its files. Has no effect if the channel is not monitored.",
		SeeAlso:     []string{"Monitor"},
	},
	{
		Name:        "ChangeMonitor",
		Synopsis:    "Change monitoring filename of a channel.",
		Syntax:      "ChangeMonitor(filename_base)",
		Description: "Changes the base of the monitoring file names of the channel; the files are renamed when monitoring stops.",
		Arguments:   []pbx.DocArg{{Name: "filename_base", Text: "The new base, relative to the monitor directory."}},
		SeeAlso:     []string{"Monitor"},
	},
	{
		Name:        "PauseMonitor",
		Synopsis:    "Pause monitoring of a channel.",
		Syntax:      "PauseMonitor()",
		Description: "Pauses monitoring of a channel until it is unpaused with UnpauseMonitor.",
		SeeAlso:     []string{"UnpauseMonitor", "Monitor"},
	},
	{
		Name:        "UnpauseMonitor",
		Synopsis:    "Unpause monitoring of a channel.",
		Syntax:      "UnpauseMonitor()",
		Description: "Unpauses monitoring of a channel on which monitoring had previously been paused with PauseMonitor.",
		SeeAlso:     []string{"PauseMonitor", "Monitor"},
	},
	{
		Name:     "MixMonitor",
		Synopsis: "Record a call and mix the audio during the recording.  Use of StopMixMonitor is required to guarantee the audio file is available for processing during dialplan execution.",
		Syntax:   "MixMonitor(filename.extension,[options],[command])",
		Description: "Records the audio on the current channel to the specified file, both directions mixed as the call goes. " +
			"Relative names are in the monitor directory (astspooldir/monitor); absolute names and names that leave it are refused. " +
			"Only the wav format is written (no extension: .wav is added). The file appears complete when the recording stops " +
			"(StopMixMonitor, hangup or shutdown).\n\n" +
			"This application will set the following channel variable:\n" +
			"MIXMONITOR_FILENAME - The filename used by MixMonitor for the recording.",
		Arguments: []pbx.DocArg{
			{Name: "filename", Text: "The file to record to, relative to the monitor directory."},
			{Name: "options", Text: "a: append to the file instead of overwriting it.\nb: record only while the channel is bridged.\n" +
				"v(x): adjust the heard volume by a factor of 2^x (x from -4 to 4).\nV(x): adjust the spoken volume likewise.\n" +
				"W(x): adjust both volumes likewise.\nr(file): also record the audio received from the channel alone.\n" +
				"t(file): also record the audio transmitted to the channel alone.\ni(chanvar): store the MixMonitorID in chanvar."},
			{Name: "command", Text: "Not run: Asterism never passes a recording to the shell. It is logged."},
		},
		SeeAlso: []string{"StopMixMonitor", "Monitor"},
	},
	{
		Name:        "StopMixMonitor",
		Synopsis:    "Stop recording a call through MixMonitor, and free the recording's file handle.",
		Syntax:      "StopMixMonitor([MixMonitorID])",
		Description: "Stops the audio recording that was started with a call to MixMonitor() on the current channel, which completes its files.",
		Arguments:   []pbx.DocArg{{Name: "MixMonitorID", Text: "The recording to stop (from MixMonitor's i option); without it, the first one started."}},
		SeeAlso:     []string{"MixMonitor"},
	},
}
