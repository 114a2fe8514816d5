package pbx

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/conf"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/sounds"
)

// MOHConfigFile is the name of the music-on-hold configuration file.
const MOHConfigFile = "musiconhold.conf"

// DefaultMOHClass is the class played when none is asked for, or when the
// one asked for does not exist (as Asterisk's ast_moh_start falls back).
const DefaultMOHClass = "default"

// mohFallbackTone is what music on hold plays when its class has nothing
// playable (no class, no files, a mode Asterism does not run): a soft
// rising C-major arpeggio and a pause, so that a caller on hold hears
// that the call is alive.
const mohFallbackTone = "523/300,0/100,659/300,0/100,784/300,0/1400"

// mohFallbackAmplitude keeps the fallback gentle: about a quarter of
// Asterisk's tone amplitude.
const mohFallbackAmplitude = 2000

// MOHClass is one class of musiconhold.conf.
type MOHClass struct {
	Name string
	// Mode is "files" or "playlist" (the modes Asterism plays), or another
	// of Asterisk's (custom, mp3 …), which plays the fallback tone.
	Mode string
	// Directory is the absolute directory of a files class.
	Directory string
	// Sort is "", "alpha", "random" or "randstart".
	Sort string
	// Files are the sounds played in turn, absolute names without
	// extension, as sounds.Library opens them.
	Files []string
}

// MusicOnHold is a loaded musiconhold.conf: its classes by name (matched
// ignoring case, as Asterisk's class container does).
type MusicOnHold struct {
	classes map[string]*MOHClass
	order   []*MOHClass
}

// Class returns the class called name.
func (m *MusicOnHold) Class(name string) (*MOHClass, bool) {
	if m == nil {
		return nil, false
	}
	c, ok := m.classes[strings.ToLower(name)]
	return c, ok
}

// Classes returns the classes in file order.
func (m *MusicOnHold) Classes() []*MOHClass {
	if m == nil {
		return nil
	}
	return slices.Clone(m.order)
}

// mohModes are the modes of Asterisk 20's res_musiconhold; Asterism plays
// files and playlist, the others (external programs, streams) fall back
// to the built-in tone.
var mohModes = map[string]bool{
	"files": true, "playlist": true,
	"custom": false, "mp3": false, "quietmp3": false, "mp3nb": false, "quietmp3nb": false, "httpmp3": false,
}

// mohOptions are the class options res_musiconhold knows besides mode,
// directory, entry and sort, accepted and not used.
var mohOptions = map[string]bool{
	"application": true, "digit": true, "announcement": true, "format": true,
	"kill_escalation_delay": true, "kill_method": true, "random": true,
	"answeredonly": true, "loop_last": true,
}

// LoadMusicOnHold reads musiconhold.conf from the configuration directory
// confDir; relative directories in it are under dataDir (asterisk.conf's
// astdatadir). A missing file gives an error matching fs.ErrNotExist.
func LoadMusicOnHold(confDir, dataDir string, log *slog.Logger) (*MusicOnHold, error) {
	f, err := conf.Load(confDir, MOHConfigFile)
	if err != nil {
		return nil, fmt.Errorf("pbx: music on hold: %w", err)
	}
	return ParseMusicOnHold(f, dataDir, log), nil
}

// ParseMusicOnHold builds the classes of a parsed musiconhold.conf,
// scanning the directories of files classes now (as Asterisk does when it
// loads a class). Unknown options, unknown modes and unreadable
// directories are logged and do not stop the load.
func ParseMusicOnHold(f *conf.File, dataDir string, log *slog.Logger) *MusicOnHold {
	if log == nil {
		log = slog.Default()
	}
	m := &MusicOnHold{classes: make(map[string]*MOHClass)}
	for _, sec := range f.Sections {
		if strings.EqualFold(sec.Name, "general") {
			continue
		}
		c := &MOHClass{Name: sec.Name}
		var entries []string
		for _, e := range sec.Entries {
			key, value := strings.ToLower(strings.TrimSpace(e.Key)), strings.TrimSpace(e.Value)
			switch key {
			case "mode":
				c.Mode = strings.ToLower(value)
				if _, known := mohModes[c.Mode]; !known {
					log.Warn("musiconhold.conf: unknown mode", "mode", value, "class", sec.Name, "file", e.File, "line", e.Line)
				}
			case "directory":
				c.Directory = value
			case "entry":
				entries = append(entries, value)
			case "sort":
				switch v := strings.ToLower(value); v {
				case "alpha", "random", "randstart":
					c.Sort = v
				default:
					log.Warn("musiconhold.conf: unknown sort", "sort", value, "class", sec.Name, "file", e.File, "line", e.Line)
				}
			default:
				if !mohOptions[key] {
					log.Warn("musiconhold.conf: unknown option", "option", e.Key, "class", sec.Name, "file", e.File, "line", e.Line)
				}
			}
		}
		if c.Mode == "" {
			c.Mode = "files"
		}
		switch c.Mode {
		case "files":
			c.Directory = mohDir(c.Directory, dataDir)
			files, err := scanMOHDir(c.Directory)
			if err != nil {
				log.Warn("musiconhold.conf: cannot read the class's directory", "class", sec.Name, "directory", c.Directory, "err", err)
			}
			c.Files = files
		case "playlist":
			for _, e := range entries {
				c.Files = append(c.Files, stripExt(e))
			}
		default:
			if playable, known := mohModes[c.Mode]; known && !playable {
				log.Warn("musiconhold.conf: mode not supported, the class plays a built-in tone", "mode", c.Mode, "class", sec.Name)
			}
		}
		if old, dup := m.classes[strings.ToLower(c.Name)]; dup {
			*old = *c
			continue
		}
		m.classes[strings.ToLower(c.Name)] = c
		m.order = append(m.order, c)
	}
	return m
}

// mohDir resolves a class's directory: relative ones (Asterisk's default
// is "moh") are under the data directory.
func mohDir(dir, dataDir string) string {
	if dir == "" {
		dir = "moh"
	}
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	return filepath.Join(dataDir, dir)
}

// stripExt removes a file name's extension, as the names of sounds are
// written without one.
func stripExt(name string) string {
	base := filepath.Base(name)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return name[:len(name)-len(base)+i]
	}
	return name
}

// scanMOHDir lists the sounds of a directory, alphabetically, each once
// whatever formats it comes in (moh_scan_files), keeping those Asterism can
// play.
func scanMOHDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	lib := sounds.NewDir("")
	var out []string
	seen := make(map[string]bool)
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		abs := stripExt(filepath.Join(dir, name))
		if seen[abs] {
			continue
		}
		seen[abs] = true
		if lib.Exists(filepath.ToSlash(abs), "") {
			out = append(out, abs)
		}
	}
	slices.Sort(out)
	return out, nil
}

// SetMusicOnHold installs the music-on-hold classes the core plays
// (MusicOnHold, WaitExten's m option). Without it the core has one class,
// default, of the files in <astdatadir>/moh when its sound library has a
// data directory ([sounds.Dir]), as Debian's asterisk-moh-opsound packages
// install them, and the built-in tone otherwise.
func (c *Core) SetMusicOnHold(m *MusicOnHold) { c.moh.Store(m) }

// MusicOnHold returns the core's music-on-hold classes.
func (c *Core) MusicOnHold() *MusicOnHold {
	if m := c.moh.Load(); m != nil {
		return m
	}
	m := &MusicOnHold{classes: make(map[string]*MOHClass)}
	if dataDir := soundsDataDir(c.opts.Sounds); dataDir != "" {
		dir := mohDir("", dataDir)
		files, _ := scanMOHDir(dir) // no directory: no files, the tone
		def := &MOHClass{Name: DefaultMOHClass, Mode: "files", Directory: dir, Files: files}
		m.classes[DefaultMOHClass] = def
		m.order = append(m.order, def)
	}
	c.SetMusicOnHold(m)
	return m
}

// soundsDataDir finds the data directory of the first sounds.Dir of lib.
func soundsDataDir(lib sounds.Library) string {
	switch l := lib.(type) {
	case *sounds.Dir:
		return filepath.Dir(l.SoundsDir())
	case sounds.Layers:
		for _, sub := range l {
			if d := soundsDataDir(sub); d != "" {
				return d
			}
		}
	}
	return ""
}

// mohSource produces the frames of a class: its files in turn, forever,
// or the fallback tone when none of them plays.
type mohSource struct {
	lib   sounds.Library
	files []string
	next  int
	cur   sounds.Stream
	tone  *media.TonePlayer
}

func newMOHSource(c *MOHClass) *mohSource {
	s := &mohSource{lib: sounds.NewDir("")}
	if c != nil && (c.Mode == "files" || c.Mode == "playlist") {
		s.files = slices.Clone(c.Files)
		switch c.Sort {
		case "random":
			rand.Shuffle(len(s.files), func(i, j int) { s.files[i], s.files[j] = s.files[j], s.files[i] })
		case "randstart":
			if len(s.files) > 0 {
				s.next = rand.IntN(len(s.files))
			}
		}
	}
	if len(s.files) == 0 {
		s.startTone()
	}
	return s
}

func (s *mohSource) startTone() {
	list, _ := media.ParseToneList(mohFallbackTone)
	s.tone = media.NewTonePlayer(list, mohFallbackAmplitude)
}

// read makes f the next frame; it always has one.
func (s *mohSource) read(f *media.Frame) bool {
	if s.tone != nil {
		return s.tone.ReadFrame(f)
	}
	// Files that open but give no frame are counted, so that a class of
	// empty or broken files ends in the tone rather than a busy loop.
	for barren := 0; barren <= len(s.files); {
		if s.cur == nil {
			name := s.files[s.next]
			s.next = (s.next + 1) % len(s.files)
			st, err := s.lib.Open(filepath.ToSlash(name), "")
			if err != nil {
				barren++
				continue
			}
			s.cur = st
		}
		if err := s.cur.ReadFrame(f); err == nil {
			return true
		}
		s.close()
		barren++
	}
	s.startTone()
	return s.tone.ReadFrame(f)
}

func (s *mohSource) close() {
	if s.cur != nil {
		s.cur.Close()
		s.cur = nil
	}
}

// startMOH starts music on hold of class (the default class when empty
// or unknown) on the channel as its generator, replacing any other.
func (ch *Channel) startMOH(class string) {
	m := ch.core.MusicOnHold()
	c, ok := m.Class(class)
	if !ok {
		if class != "" && !strings.EqualFold(class, DefaultMOHClass) {
			ch.core.log.Warn("pbx: music on hold class not found, using the default", "class", class, "channel", ch.Name())
		}
		c, _ = m.Class(DefaultMOHClass)
	}
	ch.setGenerator(newSourceGenerator(ch, newMOHSource(c)))
}

// newSourceGenerator is newGenerator for a source holding an open file,
// closed when the generator ends.
func newSourceGenerator(ch *Channel, src *mohSource) *generator {
	g := &generator{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		defer src.close()
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		var f media.Frame
		for src.read(&f) {
			if ch.Write(f) != nil {
				return
			}
			select {
			case <-tick.C:
			case <-g.quit:
				return
			}
		}
	}()
	return g
}

// mohForever is how long MusicOnHold without a duration sleeps at a time
// (its loop of ast_safe_sleep(10000)).
const mohForever = 10 * time.Second

// appMusicOnHold is MusicOnHold([class[,duration]]): music on hold of
// class (the default one when empty or unknown) for duration seconds, or
// until hangup. The channel is not answered.
func appMusicOnHold(ch *Channel, data string) error {
	args := dialplan.AppArgs(data)
	var dur time.Duration
	if a := appArg(args, 1); a != "" {
		if n, ok := atoiPrefix(a); ok {
			dur = time.Duration(n) * time.Second
		} else {
			ch.core.log.Warn("pbx: invalid MusicOnHold duration, will wait indefinitely", "duration", a, "channel", ch.Name())
		}
	}
	ch.startMOH(strings.TrimSpace(appArg(args, 0)))
	defer ch.setGenerator(nil)
	if dur > 0 {
		return ch.Sleep(dur)
	}
	for {
		if err := ch.Sleep(mohForever); err != nil {
			return err
		}
	}
}
