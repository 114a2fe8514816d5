// Package system reads asterisk.conf, the file that tells Asterisk (and
// Asterism) where its other files live and what the system is called:
// [directories] and [options] systemname. Every feature that touches the
// disk takes its paths from here.
package system

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/asterism-pbx/asterism/conf"
)

// Settings are the process-wide settings of asterisk.conf.
type Settings struct {
	// ConfigDir is the directory the configuration was read from
	// (astetcdir).
	ConfigDir string
	// SpoolDir holds voicemail, outgoing call files and monitor
	// recordings (astspooldir).
	SpoolDir string
	// DataDir holds sounds/ and moh/ (astdatadir).
	DataDir   string
	LogDir    string // astlogdir
	RunDir    string // astrundir
	VarLibDir string // astvarlibdir
	// SystemName, when set, prefixes Uniqueids and adds SystemName to
	// AMI events.
	SystemName string
}

// Defaults returns Asterisk's compiled-in directories for a configuration
// read from configDir.
func Defaults(configDir string) Settings {
	return Settings{
		ConfigDir: configDir,
		SpoolDir:  "/var/spool/asterisk",
		DataDir:   "/usr/share/asterisk",
		LogDir:    "/var/log/asterisk",
		RunDir:    "/var/run/asterisk",
		VarLibDir: "/var/lib/asterisk",
	}
}

// Load reads configDir/asterisk.conf. A missing file gives the defaults;
// directories given relative are taken relative to configDir.
func Load(configDir string, log *slog.Logger) (Settings, error) {
	s := Defaults(configDir)
	if _, err := os.Stat(filepath.Join(configDir, "asterisk.conf")); errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	f, err := conf.Load(configDir, "asterisk.conf")
	if err != nil {
		return s, fmt.Errorf("asterisk.conf: %w", err)
	}
	dirs := map[string]*string{
		"astetcdir":    &s.ConfigDir,
		"astspooldir":  &s.SpoolDir,
		"astdatadir":   &s.DataDir,
		"astlogdir":    &s.LogDir,
		"astrundir":    &s.RunDir,
		"astvarlibdir": &s.VarLibDir,
	}
	// Asterisk's stock asterisk.conf marks [directories](!) a template;
	// Asterisk reads it all the same.
	secs := append(append([]*conf.Section(nil), f.Sections...), f.Templates...)
	for _, sec := range secs {
		switch sec.Name {
		case "directories":
			for _, e := range sec.Entries {
				if p, ok := dirs[e.Key]; ok {
					v := e.Value
					if !filepath.IsAbs(v) {
						v = filepath.Join(configDir, v)
					}
					*p = v
				}
			}
		case "options":
			for _, e := range sec.Entries {
				if e.Key == "systemname" {
					s.SystemName = e.Value
				}
			}
		}
	}
	if s.ConfigDir != configDir && log != nil {
		log.Info("asterisk.conf names another astetcdir; reading configuration from the directory given", "astetcdir", s.ConfigDir, "dir", configDir)
		s.ConfigDir = configDir
	}
	return s, nil
}
