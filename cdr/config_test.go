package cdr

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/conf"
)

const referenceEtc = "../testdata/asterisk-20.20.1/etc"

func testLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

func TestLoadConfigMissingFile(t *testing.T) {
	log, logs := testLogger()
	c, err := LoadConfig(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, DefaultConfig()) {
		t.Errorf("missing cdr.conf gave %+v, want the defaults", c)
	}
	if c.CSV.Enabled {
		t.Error("CSV enabled without a [csv] section")
	}
	if logs.Len() != 0 {
		t.Errorf("unexpected log: %s", logs)
	}
}

func TestDefaults(t *testing.T) {
	g := DefaultConfig().General
	if !g.Enable || g.Unanswered || g.Congestion || !g.EndBeforeHExten || g.InitiatedSeconds ||
		g.Batch || g.BatchSize != 100 || g.BatchTime != 300*time.Second || g.SchedulerOnly || !g.SafeShutdown ||
		!g.ChannelDefaultEnabled {
		t.Errorf("defaults differ from Asterisk's: %+v", g)
	}
	if c := DefaultConfig().CSV; !c.AccountLogs || c.UseGMTime || c.LogUniqueID || c.LogUserField || c.NewCDRColumns {
		t.Errorf("csv defaults differ from cdr_csv's: %+v", c)
	}
}

func TestLoadConfigReference(t *testing.T) {
	log, logs := testLogger()
	c, err := LoadConfig(referenceEtc, log)
	if err != nil {
		t.Fatal(err)
	}
	if !c.General.Enable || c.CSV.Enabled {
		t.Errorf("reference cdr.conf: %+v", c)
	}
	if logs.Len() != 0 {
		t.Errorf("unexpected log: %s", logs)
	}
	m, err := LoadManagerConfig(referenceEtc, log)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Enabled || len(m.Mappings) != 0 {
		t.Errorf("reference cdr_manager.conf: %+v", m)
	}
}

func TestParseConfig(t *testing.T) {
	const text = `[general]
enable = yes
debug = on
unanswered = yes
congestion = true
endbeforehexten = no
initiatedseconds = 1
batch = yes
size = 250
time = 60
scheduleronly = yes
safeshutdown = no
channeldefaultenabled = no
ignorestatechanges = yes
ignoredialchanges = yes
nosuchoption = 1

[csv]
usegmtime = yes
loguniqueid = yes
loguserfield = yes
accountlogs = no
newcdrcolumns = yes
bogus = yes

[radius]
radiuscfg => /etc/radiusclient.conf

[nosuchsection]
x = 1
`
	f, err := conf.Parse("cdr.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	log, logs := testLogger()
	c := ParseConfig(f, log)
	want := &Config{
		General: General{
			Enable: true, Debug: true, Unanswered: true, Congestion: true, EndBeforeHExten: false,
			InitiatedSeconds: true, Batch: true, BatchSize: 250, BatchTime: time.Minute,
			SchedulerOnly: true, SafeShutdown: false, ChannelDefaultEnabled: false,
			IgnoreStateChanges: true, IgnoreDialChanges: true,
		},
		CSV: CSVConfig{Enabled: true, UseGMTime: true, LogUniqueID: true, LogUserField: true, AccountLogs: false, NewCDRColumns: true},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	out := logs.String()
	for _, w := range []string{
		`pos=cdr.conf:16 key=nosuchoption`,
		`pos=cdr.conf:24 key=bogus`,
		`pos=cdr.conf:29 section=nosuchsection`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("log lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "radius") {
		t.Errorf("a backend section was warned about:\n%s", out)
	}
}

func TestParseConfigBadValues(t *testing.T) {
	const text = `[general]
enable = maybe
size = 1001
time = -1
batch = yes
[general]
enable = no
[csv]
`
	f, err := conf.Parse("cdr.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	log, logs := testLogger()
	c := ParseConfig(f, log)
	if c.General.Enable || c.General.BatchSize != 100 || c.General.BatchTime != 300*time.Second || !c.General.Batch {
		t.Errorf("got %+v", c.General)
	}
	if c.CSV.Enabled {
		t.Error("an empty [csv] enabled the CSV backend; cdr_csv declines then")
	}
	out := logs.String()
	for _, w := range []string{"pos=cdr.conf:2 key=enable", "pos=cdr.conf:3 key=size", "pos=cdr.conf:4 key=time", "pos=cdr.conf:6 section=general"} {
		if !strings.Contains(out, w) {
			t.Errorf("log lacks %q:\n%s", w, out)
		}
	}
}

func TestLoadConfigBroken(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cdr.conf"), []byte("enable = yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(dir, nil); err == nil || !strings.Contains(err.Error(), "cdr.conf") {
		t.Errorf("an entry before any section: err = %v", err)
	}
}

func TestParseManagerConfig(t *testing.T) {
	const text = `[general]
enabled = yes
other = 1
[mappings]
rate => Rate
carrier => Carrier
[mappings]
userfield => UF
[elsewhere]
`
	f, err := conf.Parse("cdr_manager.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	log, logs := testLogger()
	m := ParseManagerConfig(f, log)
	if !m.Enabled || !reflect.DeepEqual(m.Mappings, []Mapping{{"userfield", "UF"}}) {
		t.Errorf("got %+v", m)
	}
	for _, w := range []string{"pos=cdr_manager.conf:3 key=other", "pos=cdr_manager.conf:7 section=mappings", "pos=cdr_manager.conf:9 section=elsewhere"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, logs)
		}
	}
	m, err = LoadManagerConfig(t.TempDir(), nil)
	if err != nil || m.Enabled {
		t.Errorf("missing cdr_manager.conf: %+v, %v", m, err)
	}
}
