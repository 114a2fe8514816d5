package voicemail

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/media"
)

// MaxMsgLimit is app_voicemail's MAXMSGLIMIT: message numbers run from 0
// to 9998.
const MaxMsgLimit = 9999

// Errors of the spool.
var (
	ErrLockTimeout = errors.New("voicemail: timed out locking the folder")
	ErrFolderFull  = errors.New("voicemail: folder full")
)

const (
	dirMode  = 0o777 // VOICEMAIL_DIR_MODE, less the umask
	fileMode = 0o666 // VOICEMAIL_FILE_MODE, less the umask
	// lockTimeout is how long a folder lock is waited for (Asterisk's
	// ast_lock_path gives up after a few seconds too).
	lockTimeout = 5 * time.Second
	// staleLock is the age after which a .lock left by a crashed process is
	// broken. Asterisk never breaks one, so a crash there stops deposits
	// into that folder until the file is removed by hand.
	staleLock = 2 * time.Minute
)

// Spool is the voicemail spool: <astspooldir>/voicemail.
type Spool struct {
	root string

	mu     sync.Mutex
	dirMu  map[string]*sync.Mutex // by folder path
	inproc map[Box]int            // recordings in progress, per box
}

// NewSpool returns the spool rooted at root (<astspooldir>/voicemail). The
// directory is created on demand.
func NewSpool(root string) (*Spool, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("voicemail: spool %q: %w", root, err)
	}
	return &Spool{root: filepath.Clean(abs), dirMu: make(map[string]*sync.Mutex), inproc: make(map[Box]int)}, nil
}

// Root returns the spool's directory.
func (s *Spool) Root() string { return s.root }

// BoxDir returns <root>/<context>/<mailbox> after checking both names and
// that the result lies inside the spool.
func (s *Spool) BoxDir(b Box) (string, error) {
	if !ValidName(b.Context) || !ValidName(b.Mailbox) {
		return "", fmt.Errorf("%w: mailbox %q", ErrInvalidName, b.String())
	}
	p := filepath.Join(s.root, b.Context, b.Mailbox)
	if !strings.HasPrefix(p, s.root+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: mailbox %q leaves the spool", ErrInvalidName, b.String())
	}
	return p, nil
}

// FolderDir returns the directory of a folder of b (any of [Folders], or
// "tmp").
func (s *Spool) FolderDir(b Box, folder string) (string, error) {
	if folder != "tmp" {
		f, err := FolderName(folder)
		if err != nil {
			return "", err
		}
		folder = f
	}
	d, err := s.BoxDir(b)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, folder), nil
}

// isMsgTxt is __has_voicemail's test: "msg" then, at offset 8, "txt",
// both in any case.
func isMsgTxt(name string) bool {
	return len(name) >= 11 && strings.EqualFold(name[:3], "msg") && strings.EqualFold(name[8:11], "txt")
}

// isMsg matches any file of a message (the short-circuit test of
// has_voicemail).
func isMsg(name string) bool {
	return len(name) >= 3 && strings.EqualFold(name[:3], "msg")
}

// scan counts the names in dir that match; a missing directory counts 0.
// With first it stops at the first match. Names are read in batches, with
// no stat and no sort, so a folder of 10,000 messages costs one pass.
func scan(dir string, match func(string) bool, first bool) (int, error) {
	f, err := os.Open(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("voicemail: %w", err)
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(1024)
		for _, name := range names {
			if match(name) {
				n++
				if first {
					return n, nil
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, fmt.Errorf("voicemail: reading %s: %w", dir, err)
		}
	}
}

// Count returns the number of messages (msgNNNN.txt) in a folder of b.
func (s *Spool) Count(b Box, folder string) (int, error) {
	d, err := s.FolderDir(b, folder)
	if err != nil {
		return 0, err
	}
	return scan(d, isMsgTxt, false)
}

// Counts returns the urgent, new (INBOX only) and old message counts of b,
// as inboxcount2 does for MailboxCount. An invalid name counts nothing.
func (s *Spool) Counts(b Box) (urgent, new, old int, err error) {
	if urgent, err = s.Count(b, FolderUrgent); err != nil {
		return 0, 0, 0, err
	}
	if new, err = s.Count(b, FolderInbox); err != nil {
		return 0, 0, 0, err
	}
	if old, err = s.Count(b, FolderOld); err != nil {
		return 0, 0, 0, err
	}
	return urgent, new, old, nil
}

// HasWaiting is has_voicemail: whether INBOX or Urgent holds any file
// whose name starts with "msg".
func (s *Spool) HasWaiting(b Box) (bool, error) {
	for _, folder := range []string{FolderInbox, FolderUrgent} {
		d, err := s.FolderDir(b, folder)
		if err != nil {
			return false, err
		}
		n, err := scan(d, isMsg, true)
		if err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// State returns b's counts and has_voicemail's answer in one pass over
// each folder: the poller's recount.
func (s *Spool) State(b Box) (urgent, new, old int, waiting bool, err error) {
	dirs := [3]string{}
	for i, f := range []string{FolderUrgent, FolderInbox, FolderOld} {
		if dirs[i], err = s.FolderDir(b, f); err != nil {
			return 0, 0, 0, false, err
		}
	}
	var anyU, anyN bool
	if urgent, anyU, err = scanState(dirs[0]); err != nil {
		return 0, 0, 0, false, err
	}
	if new, anyN, err = scanState(dirs[1]); err != nil {
		return 0, 0, 0, false, err
	}
	if old, err = scan(dirs[2], isMsgTxt, false); err != nil {
		return 0, 0, 0, false, err
	}
	return urgent, new, old, anyU || anyN, nil
}

// scanState counts the msgNNNN.txt of dir and reports whether any msg*
// file is there.
func scanState(dir string) (n int, any bool, err error) {
	_, err = scan(dir, func(name string) bool {
		if isMsg(name) {
			any = true
			if isMsgTxt(name) {
				n++
			}
		}
		return false
	}, false)
	return n, any, err
}

// msgNumber returns NNNN of "msgNNNN.txt", or -1.
func msgNumber(name string) int {
	if len(name) != 11 || name[:3] != "msg" || name[7:] != ".txt" {
		return -1
	}
	n, err := strconv.Atoi(name[3:7])
	if err != nil || n < 0 || n >= MaxMsgLimit {
		return -1
	}
	return n
}

// Messages returns the numbers of the messages in a folder, ascending.
func (s *Spool) Messages(b Box, folder string) ([]int, error) {
	d, err := s.FolderDir(b, folder)
	if err != nil {
		return nil, err
	}
	return messages(d)
}

func messages(dir string) ([]int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	var out []int
	for _, e := range ents {
		if n := msgNumber(e.Name()); n >= 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// lastIndex is last_message_index: the highest message number in dir, -1
// for none.
func lastIndex(dir string) (int, error) {
	ms, err := messages(dir)
	if err != nil || len(ms) == 0 {
		return -1, err
	}
	return ms[len(ms)-1], nil
}

// MsgPath returns the path of message n of a folder, without extension
// (what VM_MESSAGEFILE holds).
func MsgPath(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("msg%04d", n))
}

// msgFiles returns the files of message n in dir (its .txt last, so that
// renaming in that order keeps the message uncounted until it is whole).
func msgFiles(dir string, n int) ([]string, error) {
	prefix := fmt.Sprintf("msg%04d.", n)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	var out []string
	txt := ""
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		if name == prefix+"txt" {
			txt = name
			continue
		}
		out = append(out, name)
	}
	if txt != "" {
		out = append(out, txt)
	}
	return out, nil
}

// dirMutex returns the in-process mutex of a folder.
func (s *Spool) dirMutex(dir string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.dirMu[dir]
	if m == nil {
		m = new(sync.Mutex)
		s.dirMu[dir] = m
	}
	return m
}

// Lock locks a folder against other writers, in this process and in
// others (Asterisk included): an in-process mutex, then Asterisk's
// lockfile method, a hard link of a private file to <dir>/.lock. The
// directory is created if need be. Call the returned function to unlock.
func (s *Spool) Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("voicemail: creating %s: %w", dir, err)
	}
	m := s.dirMutex(dir)
	m.Lock()
	lockPath := filepath.Join(dir, ".lock")
	mine := filepath.Join(dir, fmt.Sprintf(".lock-%d-%x", os.Getpid(), rand.Uint32()))
	if err := os.WriteFile(mine, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		m.Unlock()
		return nil, fmt.Errorf("voicemail: locking %s: %w", dir, err)
	}
	defer os.Remove(mine)
	deadline := time.Now().Add(lockTimeout)
	for {
		err := os.Link(mine, lockPath)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			m.Unlock()
			return nil, fmt.Errorf("voicemail: locking %s: %w", dir, err)
		}
		if fi, serr := os.Stat(lockPath); serr == nil && time.Since(fi.ModTime()) > staleLock {
			_ = os.Remove(lockPath) // left by a crashed process; see staleLock
			continue
		}
		if time.Now().After(deadline) {
			m.Unlock()
			return nil, fmt.Errorf("%w: %s", ErrLockTimeout, dir)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return func() {
		_ = os.Remove(lockPath)
		m.Unlock()
	}, nil
}

// lockPair locks two folders in a fixed order, so that two moves in
// opposite directions cannot deadlock.
func (s *Spool) lockPair(a, b string) (func(), error) {
	if a == b {
		return s.Lock(a)
	}
	if b < a {
		a, b = b, a
	}
	ua, err := s.Lock(a)
	if err != nil {
		return nil, err
	}
	ub, err := s.Lock(b)
	if err != nil {
		ua()
		return nil, err
	}
	return func() { ub(); ua() }, nil
}

// TmpDir returns b's tmp/ directory, created if need be: recordings are
// made there and renamed into a folder when complete.
func (s *Spool) TmpDir(b Box) (string, error) {
	d, err := s.FolderDir(b, "tmp")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(d, dirMode); err != nil {
		return "", fmt.Errorf("voicemail: creating %s: %w", d, err)
	}
	return d, nil
}

// BeginRecording reserves a slot in b for a recording in progress and
// reports whether the box, with what is being recorded, still has room
// for maxmsg messages (inprocess_count): two callers cannot both take the
// last slot. EndRecording must follow a true result.
func (s *Spool) BeginRecording(b Box, maxmsg int) (bool, error) {
	n, err := s.Count(b, FolderInbox)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n+s.inproc[b] >= maxmsg {
		return false, nil
	}
	s.inproc[b]++
	return true, nil
}

// EndRecording releases the slot BeginRecording took.
func (s *Spool) EndRecording(b Box) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inproc[b]--; s.inproc[b] <= 0 {
		delete(s.inproc, b)
	}
}

// writeFileSync writes data to a new file in dir, fsyncs it and returns
// its name.
func writeFileSync(dir string, data []byte) (string, error) {
	// Not os.CreateTemp: its 0600 would hide the message from an
	// Asterisk running as another user; fileMode is filtered by the umask.
	var (
		f    *os.File
		name string
		err  error
	)
	for range 100 {
		name = filepath.Join(dir, fmt.Sprintf("txt%x", rand.Uint64()))
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("voicemail: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("voicemail: writing %s: %w", name, err)
	}
	return name, nil
}

// Deposit puts a recorded message into a folder of b: audio is a complete
// WAV file in b's tmp/ (fsynced), info its metadata. Under the folder's
// lock the message takes the number after the highest one, the audio is
// renamed in, then the .txt (written to tmp/ and fsynced first), then the
// directory is fsynced. It returns the message's path without extension.
func (s *Spool) Deposit(b Box, folder string, info *MessageInfo, audio string) (string, error) {
	dir, err := s.FolderDir(b, folder)
	if err != nil {
		return "", err
	}
	tmp, err := s.TmpDir(b)
	if err != nil {
		return "", err
	}
	data, err := info.MarshalText()
	if err != nil {
		return "", err
	}
	txt, err := writeFileSync(tmp, data)
	if err != nil {
		return "", err
	}
	defer os.Remove(txt) // renamed away on success
	unlock, err := s.Lock(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	last, err := lastIndex(dir)
	if err != nil {
		return "", err
	}
	n := last + 1
	if n >= MaxMsgLimit {
		return "", fmt.Errorf("%w: %s", ErrFolderFull, dir)
	}
	base := MsgPath(dir, n)
	if audio != "" {
		if err := os.Rename(audio, base+".wav"); err != nil {
			return "", fmt.Errorf("voicemail: %w", err)
		}
	}
	if err := os.Rename(txt, base+".txt"); err != nil {
		return "", fmt.Errorf("voicemail: %w", err)
	}
	if err := media.SyncDir(dir); err != nil {
		return base, fmt.Errorf("voicemail: message %s in place, but syncing its folder: %w", base, err)
	}
	return base, nil
}

// Move moves message n of folder from into folder to (save_to_folder),
// where it takes the number after the highest one. It returns the new
// number.
func (s *Spool) Move(b Box, from string, n int, to string) (int, error) {
	src, err := s.FolderDir(b, from)
	if err != nil {
		return 0, err
	}
	dst, err := s.FolderDir(b, to)
	if err != nil {
		return 0, err
	}
	unlock, err := s.lockPair(src, dst)
	if err != nil {
		return 0, err
	}
	defer unlock()
	last, err := lastIndex(dst)
	if err != nil {
		return 0, err
	}
	if last+1 >= MaxMsgLimit {
		return 0, fmt.Errorf("%w: %s", ErrFolderFull, dst)
	}
	if err := renameMsg(src, n, dst, last+1); err != nil {
		return 0, err
	}
	return last + 1, nil
}

// renameMsg renames every file of message n in src to number m in dst,
// the .txt last, then fsyncs the directories.
func renameMsg(src string, n int, dst string, m int) error {
	files, err := msgFiles(src, n)
	if err != nil {
		return err
	}
	from, to := fmt.Sprintf("msg%04d.", n), fmt.Sprintf("msg%04d.", m)
	for _, f := range files {
		if err := os.Rename(filepath.Join(src, f), filepath.Join(dst, to+strings.TrimPrefix(f, from))); err != nil {
			return fmt.Errorf("voicemail: %w", err)
		}
	}
	if err := media.SyncDir(dst); err != nil {
		return fmt.Errorf("voicemail: syncing %s: %w", dst, err)
	}
	if src != dst {
		if err := media.SyncDir(src); err != nil {
			return fmt.Errorf("voicemail: syncing %s: %w", src, err)
		}
	}
	return nil
}

// Remove deletes message n of a folder: its .txt first, so that it stops
// counting before its audio goes.
func (s *Spool) Remove(b Box, folder string, n int) error {
	dir, err := s.FolderDir(b, folder)
	if err != nil {
		return err
	}
	unlock, err := s.Lock(dir)
	if err != nil {
		return err
	}
	defer unlock()
	files, err := msgFiles(dir, n)
	if err != nil {
		return err
	}
	slices.Reverse(files)
	for _, f := range files {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("voicemail: %w", err)
		}
	}
	return media.SyncDir(dir)
}

// Resequence renumbers the messages of a folder 0..n-1 in their order
// (resequence_mailbox), as VoiceMailMain does when it leaves a folder.
func (s *Spool) Resequence(b Box, folder string) error {
	dir, err := s.FolderDir(b, folder)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := s.Lock(dir)
	if err != nil {
		return err
	}
	defer unlock()
	ms, err := messages(dir)
	if err != nil {
		return err
	}
	for i, n := range ms {
		if n != i {
			if err := renameMsg(dir, n, dir, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReadInfo reads the msgNNNN.txt of message n of a folder.
func (s *Spool) ReadInfo(b Box, folder string, n int) (*MessageInfo, error) {
	dir, err := s.FolderDir(b, folder)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(MsgPath(dir, n) + ".txt")
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	defer f.Close()
	return ParseMessageInfo(f)
}

// Sweep removes what crashed recordings left in b's tmp/ (files older
// than age; younger ones may belong to a recording in progress, here or
// in another program sharing the spool).
func (s *Spool) Sweep(b Box, age time.Duration) error {
	d, err := s.FolderDir(b, "tmp")
	if err != nil {
		return err
	}
	ents, err := os.ReadDir(d)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("voicemail: %w", err)
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || fi.IsDir() || time.Since(fi.ModTime()) < age {
			continue
		}
		_ = os.Remove(filepath.Join(d, e.Name()))
	}
	return nil
}
