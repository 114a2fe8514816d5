package cdr

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/conf"
)

// Batch limits of Asterisk's main/cdr.c.
const (
	// MaxBatchSize is the largest accepted [general] size (MAX_BATCH_SIZE).
	MaxBatchSize = 1000

	// MaxBatchTime is the longest accepted [general] time
	// (MAX_BATCH_TIME, 86400 s).
	MaxBatchTime = 24 * time.Hour
)

// Config is cdr.conf: the engine's [general] section and cdr_csv's [csv].
type Config struct {
	General General
	CSV     CSVConfig
}

// General is cdr.conf's [general] section, which steers the CDR engine.
type General struct {
	// Enable turns CDRs on at all ("enable", default yes).
	Enable bool
	// Debug logs the engine's work ("debug", default no).
	Debug bool
	// ChannelDefaultEnabled makes new channels keep CDRs unless told not
	// to ("channeldefaultenabled", default yes).
	ChannelDefaultEnabled bool
	// IgnoreStateChanges and IgnoreDialChanges stop channel state and
	// dial updates from splitting records ("ignorestatechanges",
	// "ignoredialchanges", default no).
	IgnoreStateChanges bool
	IgnoreDialChanges  bool
	// Unanswered posts unanswered calls that have no party B
	// ("unanswered", default no); see [General.Keep].
	Unanswered bool
	// Congestion reports congested calls as CONGESTION rather than FAILED
	// ("congestion", default no).
	Congestion bool
	// EndBeforeHExten ends a record before the h extension and hangup
	// handlers run ("endbeforehexten", default yes).
	EndBeforeHExten bool
	// InitiatedSeconds counts a billable second of which half or more was
	// used ("initiatedseconds", default no); see [BillSec].
	InitiatedSeconds bool

	// Batch holds records and posts them in groups of up to BatchSize, or
	// every BatchTime ("batch", "size", "time"; default no, 100, 300 s).
	// Records held when the process dies are lost, as in Asterisk: up to
	// BatchSize records or BatchTime of calls.
	Batch     bool
	BatchSize int
	BatchTime time.Duration
	// SchedulerOnly posts batches on the scheduler rather than on a
	// thread of their own ("scheduleronly", default no).
	SchedulerOnly bool
	// SafeShutdown posts held records before shutting down
	// ("safeshutdown", default yes).
	SafeShutdown bool
}

// CSVConfig is cdr.conf's [csv] section, read by cdr_csv.
type CSVConfig struct {
	// Enabled is set when [csv] exists and has at least one entry:
	// without one, cdr_csv declines to load and no CSV file is written.
	Enabled bool
	// UseGMTime writes times in UTC rather than local time ("usegmtime").
	UseGMTime bool
	// LogUniqueID and LogUserField add the uniqueid and userfield columns
	// ("loguniqueid", "loguserfield").
	LogUniqueID  bool
	LogUserField bool
	// AccountLogs also writes each record with an account code to
	// <accountcode>.csv ("accountlogs", default yes).
	AccountLogs bool
	// NewCDRColumns adds the peeraccount, linkedid and sequence columns
	// ("newcdrcolumns").
	NewCDRColumns bool
}

// DefaultConfig returns the settings Asterisk uses when cdr.conf says
// nothing.
func DefaultConfig() *Config {
	return &Config{
		General: General{
			Enable:                true,
			ChannelDefaultEnabled: true,
			EndBeforeHExten:       true,
			BatchSize:             100,
			BatchTime:             300 * time.Second,
			SafeShutdown:          true,
		},
		CSV: CSVConfig{AccountLogs: true},
	}
}

// Keep reports whether the engine posts r to the backends, as Asterisk's
// post_cdr decides: never when CDRs are disabled, and, unless Unanswered is
// set, not for a call that was not answered (nor congested) and lacks a
// party A or party B channel.
func (g *General) Keep(r *Record) bool {
	if !g.Enable {
		return false
	}
	if !g.Unanswered && r.Disposition.Code() < DispositionAnswered.Code() &&
		(r.Channel == "" || r.DstChannel == "") {
		return false
	}
	return true
}

// backendSections are the cdr.conf sections the engine leaves to backends
// (main/cdr.c's skip_category). Asterism has only csv; the others are
// accepted without a word, since a stock cdr.conf carries them.
var backendSections = []string{"custom", "manager", "odbc", "pgsql", "radius", "sqlite", "tds", "mysql"}

// LoadConfig reads dir/cdr.conf (and what it includes). A missing file gives
// the defaults, as Asterisk's engine uses; note that it also leaves the CSV
// backend off, since cdr_csv needs a [csv] section. The parser's warnings
// and every setting that is ignored are logged on log with their file:line.
func LoadConfig(dir string, log *slog.Logger) (*Config, error) {
	if log == nil {
		log = slog.Default()
	}
	f, err := conf.Load(dir, "cdr.conf")
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultConfig(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading cdr.conf: %w", err)
	}
	for _, w := range f.Warnings {
		log.Warn("cdr.conf: "+w.Msg, "pos", fmt.Sprintf("%s:%d", w.File, w.Line))
	}
	return ParseConfig(f, log), nil
}

// ParseConfig builds the configuration from a parsed cdr.conf. Nothing in it
// is fatal: an unknown section or key is logged and ignored, a bad value is
// logged and the default kept. A nil f gives the defaults.
func ParseConfig(f *conf.File, log *slog.Logger) *Config {
	if log == nil {
		log = slog.Default()
	}
	c := DefaultConfig()
	if f == nil {
		return c
	}
	p := &settings{log: log, file: "cdr.conf"}
	seen := map[string]bool{}
	for _, s := range f.Sections {
		name := strings.ToLower(s.Name)
		switch {
		case name == "general" || name == "csv":
			if seen[name] {
				p.warnSection(s, "only the first ["+name+"] section is read; this one is ignored")
				continue
			}
			seen[name] = true
			if name == "general" {
				p.general(s, &c.General)
			} else {
				p.csv(s, &c.CSV)
			}
		case contains(backendSections, name):
			// A backend Asterism does not have: Asterisk's engine skips it
			// too, and the stock file has such sections, so no warning.
		default:
			p.warnSection(s, "unknown section, ignored")
		}
	}
	return c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// settings reads the entries of one file, logging what it cannot use.
type settings struct {
	log  *slog.Logger
	file string
}

func (p *settings) warn(msg string, e conf.Entry, args ...any) {
	p.log.Warn(p.file+": "+msg, append([]any{"pos", fmt.Sprintf("%s:%d", e.File, e.Line), "key", e.Key}, args...)...)
}

func (p *settings) warnSection(s *conf.Section, msg string) {
	p.log.Warn(p.file+": "+msg, "pos", fmt.Sprintf("%s:%d", s.File, s.Line), "section", s.Name)
}

// boolValue is Asterisk's ast_true, warning about values that are neither
// true nor false (which Asterisk takes as false).
func (p *settings) boolValue(e conf.Entry) bool {
	switch strings.ToLower(strings.TrimSpace(e.Value)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	case "no", "false", "n", "f", "0", "off":
		return false
	}
	p.warn("not a boolean, taken as no", e, "value", e.Value)
	return false
}

// uintValue reads an unsigned number in [lo, hi]. Asterisk rejects the whole
// file for a value out of range; here only that value is dropped, with a
// warning, and ok is false.
func (p *settings) uintValue(e conf.Entry, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(e.Value))
	if err != nil || n < lo || n > hi {
		p.warn(fmt.Sprintf("not a number from %d to %d, default kept", lo, hi), e, "value", e.Value)
		return 0, false
	}
	return n, true
}

func (p *settings) general(s *conf.Section, g *General) {
	bools := map[string]*bool{
		"enable":                &g.Enable,
		"debug":                 &g.Debug,
		"channeldefaultenabled": &g.ChannelDefaultEnabled,
		"ignorestatechanges":    &g.IgnoreStateChanges,
		"ignoredialchanges":     &g.IgnoreDialChanges,
		"unanswered":            &g.Unanswered,
		"congestion":            &g.Congestion,
		"endbeforehexten":       &g.EndBeforeHExten,
		"initiatedseconds":      &g.InitiatedSeconds,
		"batch":                 &g.Batch,
		"scheduleronly":         &g.SchedulerOnly,
		"safeshutdown":          &g.SafeShutdown,
	}
	for _, e := range s.Entries {
		key := strings.ToLower(e.Key)
		if b, ok := bools[key]; ok {
			*b = p.boolValue(e)
			continue
		}
		switch key {
		case "size":
			if n, ok := p.uintValue(e, 0, MaxBatchSize); ok {
				g.BatchSize = n
			}
		case "time":
			if n, ok := p.uintValue(e, 0, int(MaxBatchTime/time.Second)); ok {
				g.BatchTime = time.Duration(n) * time.Second
			}
		default:
			p.warn("unknown option in [general], ignored", e)
		}
	}
}

func (p *settings) csv(s *conf.Section, c *CSVConfig) {
	c.Enabled = len(s.Entries) > 0
	bools := map[string]*bool{
		"usegmtime":     &c.UseGMTime,
		"loguniqueid":   &c.LogUniqueID,
		"loguserfield":  &c.LogUserField,
		"accountlogs":   &c.AccountLogs,
		"newcdrcolumns": &c.NewCDRColumns,
	}
	for _, e := range s.Entries {
		if b, ok := bools[strings.ToLower(e.Key)]; ok {
			*b = p.boolValue(e)
			continue
		}
		p.warn("unknown option in [csv], ignored", e)
	}
}

// ManagerConfig is cdr_manager.conf, which turns on the AMI Cdr event.
type ManagerConfig struct {
	// Enabled sends a Cdr event for each posted record ([general]
	// enabled; off when the file is missing, as cdr_manager declines to
	// load then).
	Enabled bool
	// Mappings are extra headers appended to the event, in file order.
	Mappings []Mapping
}

// Mapping is one line of cdr_manager.conf's [mappings]: "field => Header"
// adds "Header: ${CDR(field)}" to the event.
type Mapping struct {
	Field  string
	Header string
}

// LoadManagerConfig reads dir/cdr_manager.conf. A missing file leaves the
// event off. Problems are logged on log with their file:line.
func LoadManagerConfig(dir string, log *slog.Logger) (*ManagerConfig, error) {
	if log == nil {
		log = slog.Default()
	}
	f, err := conf.Load(dir, "cdr_manager.conf")
	if errors.Is(err, fs.ErrNotExist) {
		return &ManagerConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading cdr_manager.conf: %w", err)
	}
	for _, w := range f.Warnings {
		log.Warn("cdr_manager.conf: "+w.Msg, "pos", fmt.Sprintf("%s:%d", w.File, w.Line))
	}
	return ParseManagerConfig(f, log), nil
}

// ParseManagerConfig builds the configuration from a parsed
// cdr_manager.conf, as cdr_manager's load_config does: [general] enabled and
// the [mappings] lines; anything else is logged and ignored.
func ParseManagerConfig(f *conf.File, log *slog.Logger) *ManagerConfig {
	if log == nil {
		log = slog.Default()
	}
	c := &ManagerConfig{}
	if f == nil {
		return c
	}
	p := &settings{log: log, file: "cdr_manager.conf"}
	for _, s := range f.Sections {
		switch strings.ToLower(s.Name) {
		case "general":
			for _, e := range s.Entries {
				if strings.EqualFold(e.Key, "enabled") {
					c.Enabled = p.boolValue(e)
				} else {
					p.warn("unknown option in [general], ignored", e)
				}
			}
		case "mappings":
			if c.Mappings != nil {
				// cdr_manager starts its list afresh at each [mappings].
				p.warnSection(s, "a later [mappings] section replaces the earlier one")
			}
			c.Mappings = []Mapping{}
			for _, e := range s.Entries {
				if e.Key == "" || e.Value == "" {
					p.warn("mapping with an empty field or header, ignored", e)
					continue
				}
				c.Mappings = append(c.Mappings, Mapping{Field: e.Key, Header: e.Value})
			}
		default:
			p.warnSection(s, "unknown section, ignored")
		}
	}
	return c
}
