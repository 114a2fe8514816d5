package transcript

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Kind says what a [Step] records.
type Kind int

// The kinds of step a transcript holds.
const (
	Connect      Kind = iota + 1 // the client connected ("=== conn=a connected to …")
	Send                         // the client sent Bytes (">>>")
	Recv                         // the client received Bytes ("<<<")
	RemoteClosed                 // the server closed the connection ("=== conn=a remote closed (EOF)")
	ClientClosed                 // the client closed the connection ("=== conn=a closed by client")
	Note                         // any other "===" marker: a comment of the recorder
)

var kindNames = [...]string{
	Connect:      "Connect",
	Send:         "Send",
	Recv:         "Recv",
	RemoteClosed: "RemoteClosed",
	ClientClosed: "ClientClosed",
	Note:         "Note",
}

// String returns the name of the kind, "Send" for example.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Step is one marker of a transcript, with the bytes that follow it.
type Step struct {
	Kind Kind
	// Conn names the connection ("a", "admin"); it is empty for notes that
	// do not name one.
	Conn string
	// Bytes holds, for Send and Recv, exactly the bytes that went over the
	// wire, without the "\n" the recorder appends to a chunk that does not
	// end in one.
	Bytes []byte
	// At is the time of the step since the recording started ("t=+0.302s").
	At time.Duration
	// Gap is the time since the previous step ("gap=300.8ms").
	Gap time.Duration
	// Text is what follows "=== " (or "=== conn=X ") for Connect,
	// RemoteClosed, ClientClosed and Note: "connected to 127.0.0.1:5039",
	// "note: events off again".
	Text string
	// Line is the line number of the marker in the file, counting from 1.
	Line int

	marker string // the marker line as read, without its "\n"
}

// Transcript is a parsed recording: its steps in the order they happened.
type Transcript struct {
	// Name is the base name of the file without ".txt" for [ParseFile],
	// and empty for [Parse].
	Name  string
	Steps []Step

	header []string // leading "### " lines that are not steps
}

// Conns returns the names of the connections in the order they were opened.
func (tr *Transcript) Conns() []string {
	var names []string
	seen := map[string]bool{}
	for _, st := range tr.Steps {
		if st.Conn != "" && !seen[st.Conn] {
			seen[st.Conn] = true
			names = append(names, st.Conn)
		}
	}
	return names
}

// Received returns everything the server sent on conn, the Recv chunks
// joined.
func (tr *Transcript) Received(conn string) []byte {
	var b []byte
	for _, st := range tr.Steps {
		if st.Kind == Recv && st.Conn == conn {
			b = append(b, st.Bytes...)
		}
	}
	return b
}

// ParseFile reads and parses the transcript at path.
func ParseFile(path string) (*Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tr.Name = strings.TrimSuffix(filepath.Base(path), ".txt")
	return tr, nil
}

// Parse reads a transcript in the recorder's format: lines starting with
// "### " are markers; a ">>>" or "<<<" marker ending in "bytes=N" is followed
// by exactly N raw bytes, and by one "\n" more if those bytes do not end in
// one.
//
// Parse checks that every connection is opened once, before any other step
// names it.
func Parse(r io.Reader) (*Transcript, error) {
	br := bufio.NewReader(r)
	tr := &Transcript{}
	opened := map[string]bool{}
	line := 0
	for {
		text, err := br.ReadString('\n')
		if text == "" && err == io.EOF {
			return tr, nil
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		line++
		text = strings.TrimSuffix(text, "\n")
		if !strings.HasPrefix(text, "### ") {
			return nil, fmt.Errorf("line %d: want a \"### \" marker, got %q", line, clip(text))
		}
		if !strings.HasPrefix(text, "### t=") {
			if len(tr.Steps) > 0 {
				return nil, fmt.Errorf("line %d: header line %q after the first step", line, clip(text))
			}
			tr.header = append(tr.header, text)
			continue
		}
		st, n, err := parseMarker(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		st.Line = line
		st.marker = text
		switch {
		case st.Kind == Connect && opened[st.Conn]:
			return nil, fmt.Errorf("line %d: conn=%s connected twice", line, st.Conn)
		case st.Kind == Connect:
			opened[st.Conn] = true
		case st.Conn != "" && !opened[st.Conn]:
			return nil, fmt.Errorf("line %d: conn=%s used before it connected", line, st.Conn)
		}
		if st.Kind == Send || st.Kind == Recv {
			st.Bytes = make([]byte, n)
			if _, err := io.ReadFull(br, st.Bytes); err != nil {
				return nil, fmt.Errorf("line %d: want %d bytes: %v%s", line, n, err, overrun(st.Bytes))
			}
			if n == 0 || st.Bytes[n-1] != '\n' {
				c, err := br.ReadByte()
				if err == nil && c != '\n' {
					return nil, fmt.Errorf("line %d: the %d bytes of the chunk are followed by %q, want \"\\n\"%s",
						line, n, c, overrun(st.Bytes))
				}
				if err != nil && err != io.EOF {
					return nil, err
				}
				line++
			}
			line += bytes.Count(st.Bytes, []byte("\n"))
		}
		tr.Steps = append(tr.Steps, st)
	}
}

// parseMarker parses "### t=+0.302s gap=300.8ms <what>" and returns the step
// and, for ">>>" and "<<<", the byte count.
func parseMarker(text string) (Step, int, error) {
	var st Step
	rest := strings.TrimPrefix(text, "### ")
	f := strings.SplitN(rest, " ", 3)
	if len(f) < 3 || !strings.HasPrefix(f[0], "t=") || !strings.HasPrefix(f[1], "gap=") {
		return st, 0, fmt.Errorf("malformed marker %q", clip(text))
	}
	var err error
	if st.At, err = time.ParseDuration(strings.TrimPrefix(f[0][2:], "+")); err != nil {
		return st, 0, fmt.Errorf("marker %q: %v", clip(text), err)
	}
	if st.Gap, err = time.ParseDuration(f[1][4:]); err != nil {
		return st, 0, fmt.Errorf("marker %q: %v", clip(text), err)
	}
	what := f[2]
	switch {
	case strings.HasPrefix(what, ">>> "), strings.HasPrefix(what, "<<< "):
		st.Kind = Send
		if what[0] == '<' {
			st.Kind = Recv
		}
		var n int
		if c, err := fmt.Sscanf(what[4:], "conn=%s bytes=%d", &st.Conn, &n); err != nil || c != 2 || n < 0 {
			return st, 0, fmt.Errorf("malformed chunk marker %q", clip(text))
		}
		return st, n, nil
	case strings.HasPrefix(what, "=== "):
		what = what[4:]
		st.Kind = Note
		if strings.HasPrefix(what, "conn=") {
			name, rest, _ := strings.Cut(what[5:], " ")
			if name == "" {
				return st, 0, fmt.Errorf("marker %q: empty conn name", clip(text))
			}
			st.Conn, what = name, rest
			switch {
			case strings.HasPrefix(what, "connected"):
				st.Kind = Connect
			case strings.HasPrefix(what, "remote closed"):
				st.Kind = RemoteClosed
			case what == "closed by client":
				st.Kind = ClientClosed
			}
		}
		st.Text = what
		return st, 0, nil
	}
	return st, 0, errors.New("unknown marker " + strconv.Quote(clip(text)))
}

// encode writes tr back in the recorder's format; for a parsed transcript the
// result is the file that was parsed.
func (tr *Transcript) encode(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, h := range tr.header {
		bw.WriteString(h + "\n")
	}
	for _, st := range tr.Steps {
		bw.WriteString(st.marker + "\n")
		if st.Kind == Send || st.Kind == Recv {
			bw.Write(st.Bytes)
			if len(st.Bytes) == 0 || st.Bytes[len(st.Bytes)-1] != '\n' {
				bw.WriteByte('\n')
			}
		}
	}
	return bw.Flush()
}

// overrun explains a chunk that swallowed the next marker: its byte count is
// larger than the bytes the recorder wrote.
func overrun(b []byte) string {
	i := bytes.Index(b, []byte("\n### t"))
	if i < 0 {
		return ""
	}
	return fmt.Sprintf(" (the chunk runs into the next marker: its byte count is %d too large)", len(b)-i-1)
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
