package ami

import (
	"bufio"
	"io"
	"strings"
)

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendHeader appends one "Key: Value\r\n" line to dst. A CR or LF inside
// key or value would end the line or the message early and let a value
// inject headers of its own, so each is written as a space.
func AppendHeader(dst []byte, key, value string) []byte {
	dst = appendClean(dst, key)
	dst = append(dst, ':', ' ')
	dst = appendClean(dst, value)
	return append(dst, '\r', '\n')
}

func appendClean(dst []byte, s string) []byte {
	if strings.IndexByte(s, '\n') < 0 && strings.IndexByte(s, '\r') < 0 {
		return append(dst, s...)
	}
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, ' ')
		s = s[i+1:]
	}
}

// AppendMessage appends m in wire form, closing blank line included.
func AppendMessage(dst []byte, m *Message) []byte {
	for _, h := range m.Headers {
		dst = AppendHeader(dst, h.Key, h.Value)
	}
	return append(dst, '\r', '\n')
}

// Writer writes messages in wire form to a buffered stream. It does not
// flush: the caller decides when a batch is complete.
type Writer struct {
	w   *bufio.Writer
	buf []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w *bufio.Writer) *Writer { return &Writer{w: w} }

// WriteMessage writes m and its closing blank line.
func (w *Writer) WriteMessage(m *Message) error {
	w.buf = AppendMessage(w.buf[:0], m)
	_, err := w.w.Write(w.buf)
	return err
}

// Flush flushes the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }
