package cdr

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Names and modes of the CSV backend's files.
const (
	// CSVDir is the directory, under the log directory, that cdr_csv
	// writes to.
	CSVDir = "cdr-csv"

	// MasterFile holds every record.
	MasterFile = "Master.csv"

	// fileMode is for files the backend creates: billing data is for the
	// PBX's own user and group, not for everyone on the machine.
	fileMode fs.FileMode = 0o640

	// maxAccountCodeLen bounds the account code used as a file name, so
	// that "<code>.csv" fits the 255-byte name limit of common file
	// systems. Asterisk's own limit (AST_MAX_ACCOUNT_CODE) is 80.
	maxAccountCodeLen = 200
)

// ErrUnsafeAccountCode is returned (wrapped) for a record whose account code
// cannot be used as a file name without risk of writing outside the CSV
// directory. The record is still written to [MasterFile].
var ErrUnsafeAccountCode = errors.New("account code unsafe as a file name")

// CSV is cdr_csv: it appends each record as one line to
// <logdir>/cdr-csv/Master.csv and, with AccountLogs, to <accountcode>.csv
// beside it.
//
// Writes are made to survive a crash with whole records only: each record
// (or each batch given to [CSV.LogBatch]) is appended with a single write(2)
// on a file opened O_APPEND, then fsync'ed, before Log returns; a write or
// fsync that fails is taken back, so a record is either wholly in the file
// or not at all. Like cdr_csv, the file is opened and closed for every
// record, so that a log rotator can move it away at any time. A mutex makes
// the records of one CSV follow each other; several writers (or processes)
// appending to the same file still produce whole lines, because each line
// is one O_APPEND write.
type CSV struct {
	dir string
	cfg CSVConfig

	mu  sync.Mutex // serialises the writes and guards buf
	buf []byte
}

// NewCSV returns the backend writing to <logDir>/cdr-csv, creating that
// directory if need be (cdr_csv expects it made at install time). Whether
// to have a CSV backend at all is the caller's decision: Asterisk has one
// only when cfg.Enabled.
func NewCSV(logDir string, cfg CSVConfig) (*CSV, error) {
	dir := filepath.Join(logDir, CSVDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("cdr csv: creating %s: %w", dir, err)
	}
	return &CSV{dir: dir, cfg: cfg}, nil
}

// Dir returns the directory the backend writes to.
func (c *CSV) Dir() string { return c.dir }

// AppendCSV appends r to dst as one line of cdr_csv's Master.csv, newline
// included: accountcode, src, dst, dcontext, clid, channel, dstchannel,
// lastapp, lastdata, start, answer, end, duration, billsec, disposition,
// amaflags, then uniqueid (LogUniqueID), userfield (LogUserField), and
// peeraccount, linkedid, sequence (NewCDRColumns). Text fields are in double
// quotes with inner quotes doubled; times are "%Y-%m-%d %H:%M:%S", local or
// UTC (UseGMTime), in quotes, and an unset time is an empty field without
// quotes; numbers are bare.
func AppendCSV(dst []byte, r *Record, cfg CSVConfig) []byte {
	loc := time.Local
	if cfg.UseGMTime {
		loc = time.UTC
	}
	dst = appendQuoted(dst, r.AccountCode)
	dst = appendQuoted(append(dst, ','), r.Src)
	dst = appendQuoted(append(dst, ','), r.Dst)
	dst = appendQuoted(append(dst, ','), r.DContext)
	dst = appendQuoted(append(dst, ','), r.CLID)
	dst = appendQuoted(append(dst, ','), r.Channel)
	dst = appendQuoted(append(dst, ','), r.DstChannel)
	dst = appendQuoted(append(dst, ','), r.LastApp)
	dst = appendQuoted(append(dst, ','), r.LastData)
	dst = appendCSVTime(append(dst, ','), r.Start, loc)
	dst = appendCSVTime(append(dst, ','), r.Answer, loc)
	dst = appendCSVTime(append(dst, ','), r.End, loc)
	dst = strconv.AppendInt(append(dst, ','), r.Duration, 10)
	dst = strconv.AppendInt(append(dst, ','), r.BillSec, 10)
	dst = appendQuoted(append(dst, ','), r.Disposition.String())
	dst = appendQuoted(append(dst, ','), r.AMAFlags.String())
	if cfg.LogUniqueID {
		dst = appendQuoted(append(dst, ','), r.UniqueID)
	}
	if cfg.LogUserField {
		dst = appendQuoted(append(dst, ','), r.UserField)
	}
	if cfg.NewCDRColumns {
		dst = appendQuoted(append(dst, ','), r.PeerAccount)
		dst = appendQuoted(append(dst, ','), r.LinkedID)
		dst = strconv.AppendInt(append(dst, ','), int64(r.Sequence), 10)
	}
	return append(dst, '\n')
}

// appendQuoted appends s in double quotes, doubling the quotes inside. The
// text stops at a NUL byte, where Asterisk's C string would have ended.
func appendQuoted(dst []byte, s string) []byte {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	dst = append(dst, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendCSVTime appends t as cdr_csv does: quoted, or nothing at all when
// unset.
func appendCSVTime(dst []byte, t time.Time, loc *time.Location) []byte {
	if isZeroTime(t) {
		return dst
	}
	dst = append(dst, '"')
	dst = appendTime(dst, t, loc)
	return append(dst, '"')
}

// AccountFile returns the name of the per-account file for code,
// "<code>.csv", or an error wrapping [ErrUnsafeAccountCode] when code could
// name something outside the CSV directory or be mistaken for something
// else: empty, too long, or holding a slash, a backslash, "..", a NUL or
// another control character, or starting with a dot (which cdr_csv refuses
// too, since it would also hide the file).
func AccountFile(code string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %q: %s", ErrUnsafeAccountCode, code, why)
	}
	switch {
	case code == "":
		return bad("empty")
	case len(code) > maxAccountCodeLen:
		return bad("too long")
	case code[0] == '.':
		return bad("starts with a dot")
	case strings.Contains(code, ".."):
		return bad(`contains ".."`)
	case strings.ContainsAny(code, `/\`):
		return bad("contains a path separator")
	}
	for i := 0; i < len(code); i++ {
		if code[i] < 0x20 || code[i] == 0x7f {
			return bad("contains a control character")
		}
	}
	name := code + ".csv"
	if !filepath.IsLocal(name) || filepath.Base(name) != name {
		return bad("not a plain file name here")
	}
	return name, nil
}

// Log appends r to Master.csv and, when AccountLogs is set and r has an
// account code, to that account's file. The record is on disk when Log
// returns nil. An unsafe account code (see [AccountFile]) does not stop the
// Master.csv write; the error then wraps [ErrUnsafeAccountCode].
func (c *CSV) Log(r *Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = AppendCSV(c.buf[:0], r, c.cfg)
	err := c.writeMaster(c.buf)
	if c.cfg.AccountLogs && r.AccountCode != "" {
		err = errors.Join(err, c.writeAccount(r.AccountCode, c.buf))
	}
	return err
}

// LogBatch appends records as [CSV.Log] does, but with one write and one
// fsync per file for the whole batch, which is then on disk entirely or not
// at all. The batch size is the caller's to bound (cdr.conf's size, at most
// [MaxBatchSize]); records lost if the process dies before LogBatch are the
// price of batch mode, as in Asterisk.
func (c *CSV) LogBatch(records []*Record) error {
	if len(records) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = c.buf[:0]
	var accounts []string
	perAccount := map[string][]byte{}
	for _, r := range records {
		start := len(c.buf)
		c.buf = AppendCSV(c.buf, r, c.cfg)
		if c.cfg.AccountLogs && r.AccountCode != "" {
			if _, ok := perAccount[r.AccountCode]; !ok {
				accounts = append(accounts, r.AccountCode)
			}
			perAccount[r.AccountCode] = append(perAccount[r.AccountCode], c.buf[start:]...)
		}
	}
	err := c.writeMaster(c.buf)
	for _, a := range accounts {
		err = errors.Join(err, c.writeAccount(a, perAccount[a]))
	}
	return err
}

func (c *CSV) writeMaster(data []byte) error {
	if err := appendDurably(dirOpener(c.dir), MasterFile, data); err != nil {
		return fmt.Errorf("cdr csv: %s: %w", filepath.Join(c.dir, MasterFile), err)
	}
	return nil
}

func (c *CSV) writeAccount(code string, data []byte) error {
	name, err := AccountFile(code)
	if err != nil {
		return fmt.Errorf("cdr csv: %w", err)
	}
	// The account code comes from call data; os.Root also refuses a
	// symbolic link (or anything else) that would lead out of the
	// directory. Master.csv is opened by path instead: its name is fixed,
	// and an administrator may have made it a link on purpose.
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return fmt.Errorf("cdr csv: opening %s: %w", c.dir, err)
	}
	defer root.Close()
	if err := appendDurably(root, name, data); err != nil {
		return fmt.Errorf("cdr csv: %s: %w", filepath.Join(c.dir, name), err)
	}
	return nil
}

// opener opens files in one directory: an *os.Root or a dirOpener.
type opener interface {
	OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error)
	Open(name string) (*os.File, error)
}

// dirOpener opens files by path under a directory.
type dirOpener string

func (d dirOpener) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(filepath.Join(string(d), name), flag, perm)
}

func (d dirOpener) Open(name string) (*os.File, error) {
	return os.Open(filepath.Join(string(d), name))
}

// appendDurably appends data to the file name in dir with one O_APPEND
// write, then fsyncs it, and takes the bytes back if either fails.
func appendDurably(dir opener, name string, data []byte) (err error) {
	f, err := dir.OpenFile(name, os.O_RDWR|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
	}
	if size := fi.Size(); size > 0 {
		// A crash in the middle of an earlier write can leave a torn last
		// line; start on a line of our own so that this record stays
		// whole and readable.
		var last [1]byte
		if _, err := f.ReadAt(last[:], size-1); err == nil && last[0] != '\n' {
			data = append([]byte{'\n'}, data...)
		}
	}
	n, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if werr != nil {
		if rerr := takeBack(f, int64(n)); rerr != nil {
			return fmt.Errorf("%w (and taking the partial record back failed: %v)", werr, rerr)
		}
		return werr
	}
	if fi.Size() == 0 {
		// The file may be new: its directory entry must be durable too,
		// or the record could vanish with it after a crash.
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("syncing the directory: %w", err)
		}
	}
	return nil
}

// takeBack removes the last n bytes this process appended to f, if nothing
// has been appended after them, so that a failed write leaves no partial
// record.
func takeBack(f *os.File, n int64) error {
	if n == 0 {
		return nil
	}
	// With O_APPEND the offset is the end of what we wrote.
	end, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != end {
		return errors.New("another writer appended after the partial record")
	}
	if err := f.Truncate(end - n); err != nil {
		return err
	}
	return f.Sync()
}

func syncDir(dir opener) error {
	d, err := dir.Open(".")
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
