package ami

import (
	"bufio"
	"bytes"
	"errors"
)

// Limits of the codec. They are Asterisk 20's, so that clients see the same
// outcomes from Asterism as from Asterisk (main/manager.c get_input and
// do_message).
const (
	// MaxLineLength is the longest line, terminator included, that a
	// message may hold. Asterisk reads into a 1025-byte buffer and gives up
	// on a line once 1024 bytes are buffered without a newline.
	MaxLineLength = 1024

	// MaxHeaders is the most lines one message may hold
	// (AST_MAX_MANHEADERS). Lines past it are read and dropped.
	MaxHeaders = 128
)

// Errors returned by [Reader.ReadMessage] for a message that broke a limit.
// The message was read to its end and the stream is still in step; the
// returned *Message holds the headers kept before the limit was hit.
var (
	// ErrLineTooLong: a line was longer than MaxLineLength. Asterisk answers
	// "Failed to parse message: line too long".
	ErrLineTooLong = errors.New("ami: line too long")
	// ErrTooManyHeaders: a message had more than MaxHeaders lines. Asterisk
	// answers "Too many lines in message or allocation failure".
	ErrTooManyHeaders = errors.New("ami: too many lines in message")
)

// IsRecoverable reports whether err, returned by ReadMessage, concerns only
// the message just read: the stream may go on being read.
func IsRecoverable(err error) bool {
	return errors.Is(err, ErrLineTooLong) || errors.Is(err, ErrTooManyHeaders)
}

// Reader reads AMI messages from a buffered stream.
//
// Every line ending in "\n" (with or without a preceding "\r") is one line;
// every empty line ends one message, so a lone "\r\n" is an empty message, as
// in Asterisk. A line is taken up to its first NUL byte, as Asterisk's C
// strings take it. Lines without a colon count toward MaxHeaders but are
// otherwise ignored. Leading blanks (any byte below '!') of a value are
// skipped; trailing ones are kept.
//
// Memory is bounded: at most MaxHeaders lines of at most MaxLineLength bytes
// are kept, whatever the input.
type Reader struct {
	r *bufio.Reader
	// line collects a line that did not fit in r's buffer at once.
	line []byte
	// block collects the raw lines of the message being read, so that all of
	// its header strings can come from one allocation.
	block []byte
	spans []span
}

type span struct{ k0, k1, v0, v1 int32 }

// NewReader returns a Reader reading from r.
func NewReader(r *bufio.Reader) *Reader {
	return &Reader{r: r}
}

// Reset makes the Reader read from r, dropping any state; a message being
// read is lost. It lets a session swap buffers while idle.
func (r *Reader) Reset(br *bufio.Reader) {
	r.r = br
	r.line = r.line[:0]
	r.block = r.block[:0]
	r.spans = r.spans[:0]
}

// Buffered reports how many bytes can be read without touching the
// underlying stream.
func (r *Reader) Buffered() int { return r.r.Buffered() }

// ReadMessage reads the next message. It returns a non-nil *Message with a
// nil error, or a non-nil *Message with ErrLineTooLong or ErrTooManyHeaders
// (see [IsRecoverable]), or a nil *Message with the underlying read error.
// A stream that ends in the middle of a message yields io.ErrUnexpectedEOF;
// one that ends between messages yields io.EOF.
func (r *Reader) ReadMessage() (*Message, error) {
	r.block = r.block[:0]
	r.spans = r.spans[:0]
	lines := 0
	tooLong, tooMany := false, false
	for {
		line, long, err := r.readLine()
		if err != nil {
			if lines > 0 || tooLong {
				return nil, unexpected(err)
			}
			return nil, err
		}
		if long {
			tooLong = true
			continue
		}
		if i := bytes.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		if len(line) == 0 {
			break
		}
		if lines >= MaxHeaders {
			tooMany = true
			continue
		}
		lines++
		r.addHeader(line)
	}
	m := r.build()
	switch {
	case tooMany:
		return m, ErrTooManyHeaders
	case tooLong:
		return m, ErrLineTooLong
	}
	return m, nil
}

// addHeader records one line's key and value in r.block.
func (r *Reader) addHeader(line []byte) {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return
	}
	v := colon + 1
	for v < len(line) && line[v] < '!' {
		v++
	}
	base := int32(len(r.block))
	r.block = append(r.block, line...)
	r.spans = append(r.spans, span{base, base + int32(colon), base + int32(v), base + int32(len(line))})
}

// Messages of a few headers, the common case, come in one allocation with
// their header array, in a few size classes.
type (
	message2 struct {
		m Message
		h [2]Header
	}
	message4 struct {
		m Message
		h [4]Header
	}
	message8 struct {
		m Message
		h [8]Header
	}
)

func (r *Reader) build() *Message {
	s := string(r.block)
	n := len(r.spans)
	var m *Message
	switch {
	case n <= 2:
		a := &message2{}
		a.m.Headers = a.h[:n:n]
		m = &a.m
	case n <= 4:
		a := &message4{}
		a.m.Headers = a.h[:n:n]
		m = &a.m
	case n <= 8:
		a := &message8{}
		a.m.Headers = a.h[:n:n]
		m = &a.m
	default:
		m = &Message{Headers: make([]Header, n)}
	}
	for i, sp := range r.spans {
		m.Headers[i] = Header{Key: s[sp.k0:sp.k1], Value: s[sp.v0:sp.v1]}
	}
	return m
}

// readLine returns the next line without its terminator. long reports a line
// longer than MaxLineLength, which has been consumed and discarded without
// ever holding more than MaxLineLength bytes of it.
func (r *Reader) readLine() (line []byte, long bool, err error) {
	r.line = r.line[:0]
	for {
		frag, err := r.r.ReadSlice('\n')
		if err == nil {
			if long || len(r.line)+len(frag) > MaxLineLength {
				return nil, true, nil
			}
			if len(r.line) > 0 {
				r.line = append(r.line, frag...)
				frag = r.line
			}
			return trimEOL(frag), false, nil
		}
		if err != bufio.ErrBufferFull {
			if long || len(r.line) > 0 || len(frag) > 0 {
				// Drop a partial line at the end of the stream.
				return nil, false, unexpected(err)
			}
			return nil, false, err
		}
		if long || len(r.line)+len(frag) >= MaxLineLength {
			long = true
			r.line = r.line[:0]
			continue
		}
		r.line = append(r.line, frag...)
	}
}

func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}
