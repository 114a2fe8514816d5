package system

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadWithoutAsteriskConf(t *testing.T) {
	dir := t.TempDir()
	s, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s != Defaults(dir) || s.SpoolDir != "/var/spool/asterisk" {
		t.Fatalf("got %+v", s)
	}
}

func TestLoadDirectoriesAndSystemName(t *testing.T) {
	dir := t.TempDir()
	conf := `[directories](!)
astspooldir => /srv/spool
astdatadir => data
astlogdir = /srv/log

[options]
verbose = 3
systemname = refast
`
	if err := os.WriteFile(filepath.Join(dir, "asterisk.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.SpoolDir != "/srv/spool" || s.DataDir != filepath.Join(dir, "data") || s.LogDir != "/srv/log" || s.SystemName != "refast" {
		t.Fatalf("got %+v", s)
	}
	if s.ConfigDir != dir {
		t.Fatalf("ConfigDir = %q", s.ConfigDir)
	}
}

func TestLoadReportsBrokenFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "asterisk.conf"), []byte("astspooldir = /x\n"), 0o644)
	if _, err := Load(dir, nil); err == nil {
		t.Fatal("a key outside any section was accepted")
	}
}
