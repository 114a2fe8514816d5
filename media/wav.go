package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// WAV files are read and written here rather than with a library: the
// candidates on the module proxy (github.com/go-audio/wav is the best
// kept) decode PCM only, not the µ-law and A-law tags Asterisk's
// voicemail files may carry; read a sample per call into []int; trust the
// header's sizes; and write through an io.WriteSeeker with no notion of a
// temporary file, fsync or rename. What Asterisk needs is a 44-byte header
// and a chunk walk, which is shorter to write carefully than to wrap.

// WAV limits. A header is bounded before any of it is trusted, so a
// hostile file costs at most these to reject.
const (
	// maxWAVChunks is the number of chunks read before "data".
	maxWAVChunks = 64
	// maxWAVSkip is the total size of the chunks skipped before "data"
	// (LIST, fact, bext …): real telephony files have a few hundred bytes.
	maxWAVSkip = 1 << 20
	// maxFmtRead is the part of a "fmt " chunk that is read: the 40
	// bytes of WAVE_FORMAT_EXTENSIBLE; the rest is skipped.
	maxFmtRead = 40
	// maxWAVData is the largest data chunk the 32-bit RIFF sizes can
	// describe with the 36 header bytes before it: about 74 hours of
	// 16-bit audio at 8 kHz.
	maxWAVData = 0xFFFFFFFF - 36 - 1
	// wavHeaderSize is the size of the canonical header WAVWriter writes.
	wavHeaderSize = 44
)

// WAV format tags.
const (
	wavPCM        = 1
	wavALaw       = 6
	wavMuLaw      = 7
	wavExtensible = 0xFFFE
)

// Errors from reading and writing WAV files. They are wrapped with detail;
// test with errors.Is.
var (
	// ErrNotWAV reports data that is not a RIFF WAVE file.
	ErrNotWAV = errors.New("media: not a WAV file")
	// ErrBadWAV reports a WAV file whose structure is damaged or exceeds
	// the reader's limits.
	ErrBadWAV = errors.New("media: malformed WAV file")
	// ErrUnsupportedWAV reports a well-formed WAV file in an encoding the
	// package does not play: anything but 8 kHz mono 16-bit PCM, µ-law or
	// A-law.
	ErrUnsupportedWAV = errors.New("media: unsupported WAV encoding")
	// ErrTruncatedWAV reports a data chunk shorter than its header says.
	// The samples before the cut have been delivered. It matches
	// io.ErrUnexpectedEOF too.
	ErrTruncatedWAV = fmt.Errorf("media: WAV data cut short: %w", io.ErrUnexpectedEOF)
	// ErrWAVTooLong reports audio that does not fit: past the 4 GiB a WAV
	// file can describe when writing, past the caller's limit when
	// reading a whole file.
	ErrWAVTooLong = errors.New("media: WAV audio too long")
	// ErrWAVClosed reports use of a WAVWriter after Close or Abort.
	ErrWAVClosed = fmt.Errorf("media: WAV writer: %w", os.ErrClosed)
)

// WAVReader streams the audio of a WAV file as signed-linear samples. It
// reads 8 kHz mono files in 16-bit PCM (Asterisk's "wav"), µ-law (tag 7)
// or A-law (tag 6), plain or WAVE_FORMAT_EXTENSIBLE, and needs no Seek.
//
// The header is untrusted: chunks are walked with bounded counts and
// sizes, an odd trailing byte is ignored, a data size of 0 or 0xFFFFFFFF
// (left by writers that stream or crash) means "until end of file", and a
// data chunk shorter than declared delivers what is there and then
// [ErrTruncatedWAV]. Nothing in a file makes the reader allocate more than
// its fixed buffer.
type WAVReader struct {
	r        *bufio.Reader
	enc      Format // encoding of the samples in the file
	declared int64  // data bytes the header declares, -1 for "until EOF"
	left     int64  // data bytes not yet read, -1 for "until EOF"
	err      error  // sticky end: io.EOF or the error that ended reading
	buf      [2 * FrameSamples]byte
}

// NewWAVReader reads the header of the WAV file in r up to its audio and
// returns a reader of that audio. Errors wrap [ErrNotWAV], [ErrBadWAV] or
// [ErrUnsupportedWAV], or are the underlying reader's.
func NewWAVReader(r io.Reader) (*WAVReader, error) {
	br := bufio.NewReaderSize(r, 4096)
	var hdr [12]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: reading RIFF header: %w", ErrNotWAV, unexpected(err))
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: starts with %q", ErrNotWAV, hdr[:])
	}

	var (
		fmtSeen bool
		enc     Format
		skipped int64
	)
	for chunks := 0; ; chunks++ {
		if chunks == maxWAVChunks {
			return nil, fmt.Errorf("%w: no data chunk in the first %d chunks", ErrBadWAV, maxWAVChunks)
		}
		var ch [8]byte
		if _, err := io.ReadFull(br, ch[:]); err != nil {
			return nil, fmt.Errorf("%w: no data chunk: %w", ErrBadWAV, unexpected(err))
		}
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if fmtSeen {
				return nil, fmt.Errorf("%w: second fmt chunk", ErrBadWAV)
			}
			fmtSeen = true
			if size < 16 {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrBadWAV, size)
			}
			var body [maxFmtRead]byte
			n := min(size, maxFmtRead)
			if _, err := io.ReadFull(br, body[:n]); err != nil {
				return nil, fmt.Errorf("%w: reading fmt chunk: %w", ErrBadWAV, unexpected(err))
			}
			var err error
			if enc, err = parseFmt(body[:n]); err != nil {
				return nil, err
			}
			rest := size - n + size&1
			if skipped += rest; skipped > maxWAVSkip {
				return nil, fmt.Errorf("%w: more than %d bytes before the data", ErrBadWAV, maxWAVSkip)
			}
			if err := discard(br, rest); err != nil {
				return nil, err
			}
		case "data":
			if !fmtSeen {
				return nil, fmt.Errorf("%w: data chunk before fmt chunk", ErrBadWAV)
			}
			w := &WAVReader{r: br, enc: enc, declared: size, left: size}
			if size == 0 || size == 0xFFFFFFFF {
				w.declared, w.left = -1, -1
			}
			return w, nil
		default:
			skip := size + size&1 // chunks are padded to even sizes
			if skipped += skip; skipped > maxWAVSkip {
				return nil, fmt.Errorf("%w: more than %d bytes before the data", ErrBadWAV, maxWAVSkip)
			}
			if err := discard(br, skip); err != nil {
				return nil, err
			}
		}
	}
}

// parseFmt checks a fmt chunk body (at least 16 bytes) and returns the
// encoding of the samples.
func parseFmt(b []byte) (Format, error) {
	tag := binary.LittleEndian.Uint16(b[0:2])
	channels := binary.LittleEndian.Uint16(b[2:4])
	rate := binary.LittleEndian.Uint32(b[4:8])
	align := binary.LittleEndian.Uint16(b[12:14])
	bits := binary.LittleEndian.Uint16(b[14:16])
	if tag == wavExtensible {
		// The real tag is the first two bytes of the sub-format GUID.
		if len(b) < 26 {
			return 0, fmt.Errorf("%w: extensible fmt chunk of %d bytes", ErrBadWAV, len(b))
		}
		tag = binary.LittleEndian.Uint16(b[24:26])
	}
	var enc Format
	switch tag {
	case wavPCM:
		enc = SLIN
	case wavMuLaw:
		enc = ULAW
	case wavALaw:
		enc = ALAW
	default:
		return 0, fmt.Errorf("%w: format tag %#x (want PCM 1, A-law 6 or µ-law 7)", ErrUnsupportedWAV, tag)
	}
	if channels != 1 {
		return 0, fmt.Errorf("%w: %d channels (want mono)", ErrUnsupportedWAV, channels)
	}
	if rate != SampleRate {
		return 0, fmt.Errorf("%w: %d Hz (want %d)", ErrUnsupportedWAV, rate, SampleRate)
	}
	if want := 8 * enc.BytesPerSample(); int(bits) != want || int(align) != enc.BytesPerSample() {
		return 0, fmt.Errorf("%w: %v with %d bits a sample and block align %d (want %d and %d)",
			ErrUnsupportedWAV, enc, bits, align, want, enc.BytesPerSample())
	}
	return enc, nil
}

// discard skips n bytes of r.
func discard(r *bufio.Reader, n int64) error {
	if _, err := io.CopyN(io.Discard, r, n); err != nil {
		return fmt.Errorf("%w: skipping a chunk: %w", ErrBadWAV, unexpected(err))
	}
	return nil
}

// unexpected turns io.EOF inside a structure into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Encoding returns the encoding of the samples in the file; [WAVReader.Read]
// converts them to signed linear whatever it is.
func (w *WAVReader) Encoding() Format { return w.enc }

// DeclaredSamples returns the number of samples the header announces, and
// false when it announces none (a data size of 0 or 0xFFFFFFFF). The file
// may hold fewer.
func (w *WAVReader) DeclaredSamples() (int64, bool) {
	if w.declared < 0 {
		return 0, false
	}
	return w.declared / int64(w.enc.BytesPerSample()), true
}

// Read reads up to len(dst) samples into dst as signed linear and returns
// how many it read. At the end of the audio it returns 0 and io.EOF, or
// [ErrTruncatedWAV] when the file ends before its declared size.
func (w *WAVReader) Read(dst []int16) (int, error) {
	total := 0
	for total < len(dst) && w.err == nil {
		n := w.readSome(dst[total:])
		total += n
	}
	if total > 0 {
		return total, nil
	}
	if len(dst) == 0 && w.err == nil {
		return 0, nil
	}
	return 0, w.err
}

// readSome reads at most one buffer of samples, setting w.err at the end.
func (w *WAVReader) readSome(dst []int16) int {
	bps := w.enc.BytesPerSample()
	want := int64(min(len(dst), len(w.buf)/bps) * bps)
	if w.left >= 0 {
		want = min(want, w.left-w.left%int64(bps))
		if want == 0 {
			w.err = io.EOF
			return 0
		}
	}
	got, err := io.ReadFull(w.r, w.buf[:want])
	got -= got % bps // a sample cut by the end of the file is dropped
	if w.left >= 0 {
		w.left -= int64(got)
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if w.left > int64(bps-1) {
			w.err = ErrTruncatedWAV
		} else {
			w.err = io.EOF
		}
	default:
		w.err = fmt.Errorf("media: reading WAV data: %w", err)
	}
	n := got / bps
	switch w.enc {
	case SLIN:
		for i := range n {
			dst[i] = int16(binary.LittleEndian.Uint16(w.buf[2*i:]))
		}
	case ULAW:
		DecodeULaw(dst[:n], w.buf[:n])
	case ALAW:
		DecodeALaw(dst[:n], w.buf[:n])
	}
	return n
}

// ReadFrame makes f a signed-linear voice frame of the next samples: a
// full frame, or fewer at the end of the file. At the end it returns the
// error Read would, leaving f unchanged.
func (w *WAVReader) ReadFrame(f *Frame) error {
	var buf [FrameSamples]int16
	n, err := w.Read(buf[:])
	if n == 0 {
		return err
	}
	return f.SetSamples(SLIN, buf[:n])
}

// ReadWAVFile reads the whole audio of the WAV file name as signed-linear
// samples, refusing files of more than maxSamples samples with
// [ErrWAVTooLong]. Memory grows with the samples actually read, never with
// what the header claims.
func ReadWAVFile(name string, maxSamples int) ([]int16, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	defer f.Close()
	r, err := NewWAVReader(f)
	if err != nil {
		return nil, fmt.Errorf("media: %s: %w", name, err)
	}
	initial := 1 << 14
	if n, ok := r.DeclaredSamples(); ok {
		initial = int(min(n, int64(initial)))
	}
	out := make([]int16, 0, initial)
	var buf [4 * FrameSamples]int16
	for {
		n, err := r.Read(buf[:])
		if len(out)+n > maxSamples {
			return nil, fmt.Errorf("%w: %s holds more than %d samples", ErrWAVTooLong, name, maxSamples)
		}
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("media: %s: %w", name, err)
		}
	}
}

// WAVWriter records signed-linear audio into an 8 kHz mono 16-bit PCM WAV
// file, Asterisk's "wav" format, so that the file never exists half
// written under its name: the audio goes to a temporary file in the same
// directory (".NAME.RANDOM.tmp", which voicemail's and the monitor's file
// scans ignore), and [WAVWriter.Close] writes the final sizes into the
// header, fsyncs the file, renames it over name and fsyncs the directory.
// [WAVWriter.Abort] throws the recording away. A crash leaves only a
// temporary file, whose header's zero data size readers such as
// [WAVReader] take as "until end of file".
//
// A WAVWriter is not safe for concurrent use.
type WAVWriter struct {
	name, tmp string
	f         *os.File
	bw        *bufio.Writer
	data      int64 // audio bytes written
	err       error // sticky write error
	done      bool  // closed or aborted
	buf       [2 * FrameSamples]byte
}

// CreateWAV starts a recording that [WAVWriter.Close] will put at name.
// The file gets permissions perm less the umask, as with os.WriteFile.
// The directory of name must exist; an existing file at name is replaced
// only on Close.
func CreateWAV(name string, perm fs.FileMode) (*WAVWriter, error) {
	dir, base := filepath.Split(name)
	if base == "" {
		return nil, fmt.Errorf("media: create WAV %q: no file name", name)
	}
	if dir == "" {
		dir = "."
	}
	var (
		f   *os.File
		tmp string
		err error
	)
	for range 100 {
		tmp = filepath.Join(dir, "."+base+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("media: create WAV: %w", err)
	}
	w := &WAVWriter{name: name, tmp: tmp, f: f, bw: bufio.NewWriterSize(f, 8192)}
	var hdr [wavHeaderSize]byte
	putWAVHeader(hdr[:], 0)
	if _, err := w.bw.Write(hdr[:]); err != nil {
		_ = w.Abort()
		return nil, fmt.Errorf("media: create WAV %s: %w", name, err)
	}
	return w, nil
}

// putWAVHeader writes the canonical 44-byte header for data bytes of
// 16-bit mono PCM at 8 kHz.
func putWAVHeader(b []byte, data uint32) {
	le := binary.LittleEndian
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], 36+data)
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)           // fmt chunk size
	le.PutUint16(b[20:], wavPCM)       // format tag
	le.PutUint16(b[22:], 1)            // channels
	le.PutUint32(b[24:], SampleRate)   // sample rate
	le.PutUint32(b[28:], SampleRate*2) // byte rate
	le.PutUint16(b[32:], 2)            // block align
	le.PutUint16(b[34:], 16)           // bits per sample
	copy(b[36:], "data")
	le.PutUint32(b[40:], data)
}

// Name returns the name the recording gets on Close.
func (w *WAVWriter) Name() string { return w.name }

// Samples returns the number of samples written so far.
func (w *WAVWriter) Samples() int64 { return w.data / 2 }

// WriteSamples appends samples to the recording. A write that would take
// the file past the size WAV can describe is refused whole with
// [ErrWAVTooLong], and the recording stays valid up to there; an I/O error
// is returned again by every later call, and Close then discards the
// file.
func (w *WAVWriter) WriteSamples(samples []int16) error {
	if w.done {
		return ErrWAVClosed
	}
	if w.err != nil {
		return w.err
	}
	if w.data+2*int64(len(samples)) > maxWAVData {
		return fmt.Errorf("%w: %s would pass %d bytes of audio", ErrWAVTooLong, w.name, int64(maxWAVData))
	}
	for len(samples) > 0 {
		n := min(len(samples), len(w.buf)/2)
		for i, x := range samples[:n] {
			binary.LittleEndian.PutUint16(w.buf[2*i:], uint16(x))
		}
		if _, err := w.bw.Write(w.buf[:2*n]); err != nil {
			w.err = fmt.Errorf("media: writing WAV %s: %w", w.name, err)
			return w.err
		}
		w.data += 2 * int64(n)
		samples = samples[n:]
	}
	return nil
}

// WriteFrame appends a voice frame in any format, converted to signed
// linear; frames that carry no audio are ignored.
func (w *WAVWriter) WriteFrame(f *Frame) error {
	if f.Type != FrameVoice {
		if w.done {
			return ErrWAVClosed
		}
		return nil
	}
	var buf [FrameSamples]int16
	return w.WriteSamples(f.AppendSamples(buf[:0]))
}

// Close completes the recording: it writes the sizes into the header,
// fsyncs the file, renames it to its name and fsyncs the directory, so
// that once Close returns nil the recording survives a crash. On error the
// temporary file is removed and nothing appears under the name (unless
// only the final directory fsync failed: the file is then in place, but
// the rename may not survive a power loss). Close after Close or Abort
// returns [ErrWAVClosed].
func (w *WAVWriter) Close() error {
	if w.done {
		return ErrWAVClosed
	}
	w.done = true
	err := w.err
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		var sizes [4]byte
		binary.LittleEndian.PutUint32(sizes[:], uint32(36+w.data))
		_, err = w.f.WriteAt(sizes[:], 4)
		if err == nil {
			binary.LittleEndian.PutUint32(sizes[:], uint32(w.data))
			_, err = w.f.WriteAt(sizes[:], 40)
		}
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp, w.name)
	}
	if err != nil {
		_ = os.Remove(w.tmp)
		return fmt.Errorf("media: closing WAV %s: %w", w.name, err)
	}
	if err := SyncDir(filepath.Dir(w.name)); err != nil {
		return fmt.Errorf("media: WAV %s in place, but syncing its directory: %w", w.name, err)
	}
	return nil
}

// Abort discards the recording: the temporary file is closed and removed
// and nothing appears under the name. Abort after Close or Abort does
// nothing and returns nil, so `defer w.Abort()` is a safe guard on every
// path that does not reach Close.
func (w *WAVWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	_ = w.f.Close() // the file is going away; only its removal matters
	if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: aborting WAV %s: %w", w.name, err)
	}
	return nil
}

// SyncDir fsyncs a directory so that a rename in it is durable. It is
// exported for the packages that file recordings by renaming them (the
// voicemail spool, Monitor), so that there is one copy of it.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
