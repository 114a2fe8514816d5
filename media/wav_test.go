package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// chunk is one RIFF chunk for building test files.
type chunk struct {
	id   string
	body []byte
	size int64 // declared size; -1: len(body)
}

// riff builds a WAVE file from chunks, padding odd bodies.
func riff(chunks ...chunk) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		b.WriteString(c.id)
		size := c.size
		if size < 0 {
			size = int64(len(c.body))
		}
		_ = binary.Write(&b, binary.LittleEndian, uint32(size))
		b.Write(c.body)
		if len(c.body)%2 == 1 && c.size < 0 {
			b.WriteByte(0)
		}
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// fmtBody returns a fmt chunk body.
func fmtBody(tag, channels uint16, rate uint32, bits uint16) []byte {
	b := make([]byte, 16)
	align := channels * bits / 8
	binary.LittleEndian.PutUint16(b[0:], tag)
	binary.LittleEndian.PutUint16(b[2:], channels)
	binary.LittleEndian.PutUint32(b[4:], rate)
	binary.LittleEndian.PutUint32(b[8:], rate*uint32(align))
	binary.LittleEndian.PutUint16(b[12:], align)
	binary.LittleEndian.PutUint16(b[14:], bits)
	return b
}

func c(id string, body []byte) chunk { return chunk{id: id, body: body, size: -1} }

func slinBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, x := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
	}
	return b
}

func readAll(t *testing.T, data []byte) ([]int16, error) {
	t.Helper()
	r, err := NewWAVReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []int16
	buf := make([]int16, 97) // not a divisor of anything
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		if n == 0 {
			t.Fatal("Read returned 0, nil")
		}
	}
}

func testSamples(n int) []int16 {
	g := NewToneGen(9000, 1000, 1633)
	s := make([]int16, n)
	g.Read(s)
	return s
}

func TestWAVWriterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "msg0000.wav")
	w, err := CreateWAV(name, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	want := testSamples(1000)
	// Frames in every format, and raw samples.
	var f Frame
	_ = f.SetSamples(SLIN, want[:160])
	if err := w.WriteFrame(&f); err != nil {
		t.Fatal(err)
	}
	_ = f.SetSamples(SLIN, want[160:320])
	_ = f.Convert(ULAW)
	ctl := ControlFrame(ControlHold)
	if err := w.WriteFrame(&ctl); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(&f); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSamples(want[320:]); err != nil {
		t.Fatal(err)
	}
	want = slices.Clone(want)
	DecodeULaw(want[160:320], f.Payload()) // what µ-law kept
	if w.Samples() != 1000 || w.Name() != name {
		t.Errorf("Samples %d Name %q", w.Samples(), w.Name())
	}

	// Not visible under its name until Close; only a hidden temp file.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), ".msg0000.wav.") || !strings.HasSuffix(entries[0].Name(), ".tmp") {
		t.Fatalf("before Close the directory holds %v", entries)
	}
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Fatal("recording visible before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "msg0000.wav" {
		t.Fatalf("after Close the directory holds %v", entries)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm()&^0o640 != 0 {
		t.Errorf("mode %v", fi.Mode())
	}

	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	// The canonical header with the final sizes.
	var hdr [44]byte
	putWAVHeader(hdr[:], 2000)
	if !bytes.Equal(data[:44], hdr[:]) || len(data) != 44+2000 {
		t.Fatalf("header % x, length %d", data[:44], len(data))
	}
	if binary.LittleEndian.Uint32(data[4:]) != 36+2000 || binary.LittleEndian.Uint32(data[40:]) != 2000 {
		t.Error("sizes not fixed up")
	}
	got, err := ReadWAVFile(name, 1000)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("read back %d samples, err %v; equal %v", len(got), err, slices.Equal(got, want))
	}
	if _, err := ReadWAVFile(name, 999); !errors.Is(err, ErrWAVTooLong) {
		t.Errorf("limit 999: %v", err)
	}

	// After Close: everything refuses, Abort is a harmless no-op.
	if err := w.WriteSamples(want); !errors.Is(err, ErrWAVClosed) || !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after Close: %v", err)
	}
	if err := w.WriteFrame(&ctl); !errors.Is(err, ErrWAVClosed) {
		t.Errorf("WriteFrame after Close: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrWAVClosed) {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Close: %v", err)
	}
	if _, err := os.Stat(name); err != nil {
		t.Error("Abort after Close removed the recording")
	}
}

func TestWAVWriterReplacesAndAborts(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "rec.wav")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := CreateWAV(name, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.WriteSamples(testSamples(100))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(name); string(data) != "old" {
		t.Error("Abort touched the existing file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Abort left %v", entries)
	}
	if err := w.WriteSamples(nil); !errors.Is(err, ErrWAVClosed) {
		t.Errorf("write after Abort: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrWAVClosed) {
		t.Errorf("Close after Abort: %v", err)
	}

	// An empty recording is a valid empty file that replaces the old one.
	w, _ = CreateWAV(name, 0o644)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadWAVFile(name, 10); err != nil || len(got) != 0 {
		t.Errorf("empty recording: %v, %v", got, err)
	}

	if _, err := CreateWAV(filepath.Join(dir, "missing", "x.wav"), 0o644); err == nil {
		t.Error("created in a missing directory")
	}
	if _, err := CreateWAV(dir+"/", 0o644); err == nil {
		t.Error("created with no file name")
	}
}

// TestWAVTempFileIsReadable: a recording cut by a crash leaves a temp file
// whose header still says "size 0", which the reader plays to its end.
func TestWAVTempFileIsReadable(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateWAV(filepath.Join(dir, "crash.wav"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	want := testSamples(500)
	_ = w.WriteSamples(want)
	_ = w.bw.Flush() // what the kernel would have after a crash
	got, err := ReadWAVFile(w.tmp, 1000)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("temp file: %d samples, %v", len(got), err)
	}
}

func TestWAVReadG711AndExtensible(t *testing.T) {
	want := testSamples(321)
	ulaw := make([]byte, len(want))
	EncodeULaw(ulaw, want)
	alaw := make([]byte, len(want))
	EncodeALaw(alaw, want)
	wantU, wantA := make([]int16, len(want)), make([]int16, len(want))
	DecodeULaw(wantU, ulaw)
	DecodeALaw(wantA, alaw)

	ext := func(tag uint16, bits uint16) []byte {
		b := fmtBody(wavExtensible, 1, 8000, bits)
		b = binary.LittleEndian.AppendUint16(b, 22)   // cbSize
		b = binary.LittleEndian.AppendUint16(b, bits) // valid bits
		b = binary.LittleEndian.AppendUint32(b, 4)    // channel mask
		b = binary.LittleEndian.AppendUint16(b, tag)  // sub-format GUID …
		return append(b, "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71"...)
	}
	fact := c("fact", []byte{0x41, 1, 0, 0})
	for name, tc := range map[string]struct {
		file []byte
		enc  Format
		want []int16
	}{
		"µ-law with fact (odd data, padded)": {riff(c("fmt ", append(fmtBody(7, 1, 8000, 8), 0, 0)), fact, c("data", ulaw)), ULAW, wantU},
		"A-law":                              {riff(c("fmt ", fmtBody(6, 1, 8000, 8)), c("data", alaw)), ALAW, wantA},
		"extensible PCM":                     {riff(c("fmt ", ext(1, 16)), c("data", slinBytes(want))), SLIN, want},
		"extensible µ-law":                   {riff(c("fmt ", ext(7, 8)), c("data", ulaw)), ULAW, wantU},
		"LIST before and after data": {riff(c("fmt ", fmtBody(1, 1, 8000, 16)), c("LIST", []byte("INFOISFT\x03\x00\x00\x00abc")),
			c("data", slinBytes(want)), c("LIST", []byte("trailing junk"))), SLIN, want},
		"unknown size 0, read to EOF":       {riff(c("fmt ", fmtBody(1, 1, 8000, 16)), chunk{"data", slinBytes(want), 0}), SLIN, want},
		"unknown size 0xFFFFFFFF (stream)":  {riff(c("fmt ", fmtBody(1, 1, 8000, 16)), chunk{"data", slinBytes(want), 0xFFFFFFFF}), SLIN, want},
		"odd data size: last byte ignored":  {riff(c("fmt ", fmtBody(1, 1, 8000, 16)), c("data", append(slinBytes(want), 9))), SLIN, want},
		"declared shorter than file: obeys": {riff(c("fmt ", fmtBody(1, 1, 8000, 16)), chunk{"data", slinBytes(want), 200}), SLIN, want[:100]},
	} {
		r, err := NewWAVReader(bytes.NewReader(tc.file))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Encoding() != tc.enc {
			t.Errorf("%s: encoding %v", name, r.Encoding())
		}
		got, err := readAll(t, tc.file)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %d samples (want %d), %v", name, len(got), len(tc.want), err)
		}
	}

	// ReadFrame gives full slin frames and a short last one.
	r, _ := NewWAVReader(bytes.NewReader(riff(c("fmt ", fmtBody(7, 1, 8000, 8)), c("data", ulaw))))
	if n, ok := r.DeclaredSamples(); !ok || n != 321 {
		t.Errorf("DeclaredSamples = %d, %v", n, ok)
	}
	var lens []int
	var f Frame
	for r.ReadFrame(&f) == nil {
		lens = append(lens, f.Len())
		if f.Format != SLIN {
			t.Fatal("ReadFrame not slin")
		}
	}
	if !slices.Equal(lens, []int{160, 160, 1}) {
		t.Errorf("frame lengths %v", lens)
	}
	if err := r.ReadFrame(&f); err != io.EOF {
		t.Errorf("ReadFrame at end: %v", err)
	}
}

func TestWAVTruncated(t *testing.T) {
	want := testSamples(300)
	file := riff(c("fmt ", fmtBody(1, 1, 8000, 16)), c("data", slinBytes(want)))
	file = file[:len(file)-101] // 50 samples and half of one gone
	got, err := readAll(t, file)
	if !errors.Is(err, ErrTruncatedWAV) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err %v", err)
	}
	if !slices.Equal(got, want[:249]) {
		t.Errorf("got %d samples before the cut, want 249", len(got))
	}
}

// TestWAVHostileHeaders: damaged and hostile headers give clear errors of
// the right kind and never read or allocate what the header claims.
func TestWAVHostileHeaders(t *testing.T) {
	pcm := c("fmt ", fmtBody(1, 1, 8000, 16))
	data := c("data", make([]byte, 10))
	many := []chunk{pcm}
	for range maxWAVChunks {
		many = append(many, c("junk", nil))
	}
	for name, tc := range map[string]struct {
		file []byte
		want error
	}{
		"empty":                 {nil, ErrNotWAV},
		"short":                 {[]byte("RIFF\x00"), ErrNotWAV},
		"RIFX (big-endian)":     {append([]byte("RIFX\x00\x00\x00\x00WAVE"), riff(pcm, data)[12:]...), ErrNotWAV},
		"AVI":                   {append([]byte("RIFF\x00\x00\x00\x00AVI "), riff(pcm, data)[12:]...), ErrNotWAV},
		"no chunks":             {riff(), ErrBadWAV},
		"no data chunk":         {riff(pcm), ErrBadWAV},
		"data before fmt":       {riff(data, pcm), ErrBadWAV},
		"two fmt chunks":        {riff(pcm, pcm, data), ErrBadWAV},
		"fmt of 8 bytes":        {riff(c("fmt ", make([]byte, 8)), data), ErrBadWAV},
		"fmt claims 4 GiB":      {riff(chunk{"fmt ", fmtBody(1, 1, 8000, 16), 0xFFFFFFF0}, data), ErrBadWAV},
		"fmt cut short":         {riff(pcm)[:30], ErrBadWAV},
		"junk claims 4 GiB":     {riff(pcm, chunk{"junk", []byte("x"), 0xFFFFFFFF}, data), ErrBadWAV},
		"junk beyond the limit": {riff(pcm, c("junk", make([]byte, maxWAVSkip+2)), data), ErrBadWAV},
		"junk cut short":        {riff(pcm, chunk{"junk", []byte("xy"), 100}), ErrBadWAV},
		"too many chunks":       {riff(append(many, data)...), ErrBadWAV},
		"extensible too short":  {riff(c("fmt ", fmtBody(wavExtensible, 1, 8000, 16)), data), ErrBadWAV},
		"stereo":                {riff(c("fmt ", fmtBody(1, 2, 8000, 16)), data), ErrUnsupportedWAV},
		"16 kHz (wav16)":        {riff(c("fmt ", fmtBody(1, 1, 16000, 16)), data), ErrUnsupportedWAV},
		"8-bit PCM":             {riff(c("fmt ", fmtBody(1, 1, 8000, 8)), data), ErrUnsupportedWAV},
		"16-bit µ-law":          {riff(c("fmt ", fmtBody(7, 1, 8000, 16)), data), ErrUnsupportedWAV},
		"GSM (wav49)":           {riff(c("fmt ", fmtBody(0x31, 1, 8000, 0)), data), ErrUnsupportedWAV},
		"float":                 {riff(c("fmt ", fmtBody(3, 1, 8000, 32)), data), ErrUnsupportedWAV},
		"zero channels":         {riff(c("fmt ", fmtBody(1, 0, 8000, 16)), data), ErrUnsupportedWAV},
	} {
		_, err := NewWAVReader(bytes.NewReader(tc.file))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", name, err, tc.want)
		}
	}
	// A data chunk claiming 4 GiB in a small file reads what is there.
	file := riff(pcm, chunk{"data", make([]byte, 100), 0xFFFFFFF0})
	got, err := readAll(t, file)
	if len(got) != 50 || !errors.Is(err, ErrTruncatedWAV) {
		t.Errorf("4 GiB data claim: %d samples, %v", len(got), err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func TestWAVReaderIOError(t *testing.T) {
	file := riff(c("fmt ", fmtBody(1, 1, 8000, 16)), c("data", make([]byte, 1000)))
	r, err := NewWAVReader(io.MultiReader(bytes.NewReader(file[:100]), &failingReader{}))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, 1000)
	n, err := r.Read(buf)
	if n != 28 || err != nil {
		t.Errorf("first read %d, %v", n, err)
	}
	if _, err := r.Read(buf); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("second read: %v", err)
	}
	if n, err := r.Read(nil); n != 0 || err == nil {
		t.Error("error not sticky")
	}
	if _, err := NewWAVReader(&failingReader{n: 5}); err == nil || !errors.Is(err, ErrNotWAV) {
		t.Errorf("header read error: %v", err)
	}
	if _, err := ReadWAVFile(filepath.Join(t.TempDir(), "none.wav"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestWAVWriterTooLong(t *testing.T) {
	w, err := CreateWAV(filepath.Join(t.TempDir(), "long.wav"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.data = maxWAVData - 2 // as if 74 hours had been written
	if err := w.WriteSamples([]int16{1, 2}); !errors.Is(err, ErrWAVTooLong) {
		t.Errorf("past 4 GiB: %v", err)
	}
	if err := w.WriteSamples([]int16{1}); err != nil {
		t.Errorf("last sample that fits: %v", err)
	}
}
