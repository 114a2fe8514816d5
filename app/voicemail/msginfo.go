package voicemail

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// MessageInfo is a msgNNNN.txt: the [message] category app_voicemail
// writes in leave_voicemail.
type MessageInfo struct {
	OrigMailbox string
	Context     string
	// MacroContext is read from files of older writers; it is written
	// only when set.
	MacroContext string
	Exten        string
	RDNIS        string
	Priority     int
	CallerChan   string
	CallerID     string
	OrigDate     string
	OrigTime     int64
	Category     string
	MsgID        string
	Flag         string
	Duration     int
}

// msgIDCounter is the process-wide part of msg_id (generate_msg_id).
var msgIDCounter atomic.Uint32

// NewMsgID returns a msg_id as Asterisk makes them, "<unix time>-<8 hex
// digits>": the counter never repeats within a process, and the time part
// tells processes apart.
func NewMsgID(now time.Time) string {
	return fmt.Sprintf("%d-%08x", now.Unix(), msgIDCounter.Add(1)-1)
}

// OrigDate formats t as app_voicemail's get_date: "%a %b %e %r UTC %Y",
// always in UTC.
func OrigDate(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s %2d %s UTC %d", t.Format("Mon Jan"), t.Day(), t.Format("03:04:05 PM"), t.Year())
}

// MarshalText renders m as leave_voicemail writes it (LF line ends).
func (m *MessageInfo) MarshalText() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(";\n; Message Information file\n;\n[message]\n")
	kv := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	kv("origmailbox", m.OrigMailbox)
	kv("context", m.Context)
	if m.MacroContext != "" {
		kv("macrocontext", m.MacroContext)
	}
	kv("exten", m.Exten)
	kv("rdnis", m.RDNIS)
	kv("priority", strconv.Itoa(m.Priority))
	kv("callerchan", m.CallerChan)
	kv("callerid", m.CallerID)
	kv("origdate", m.OrigDate)
	kv("origtime", strconv.FormatInt(m.OrigTime, 10))
	kv("category", m.Category)
	kv("msg_id", m.MsgID)
	kv("flag", m.Flag)
	kv("duration", strconv.Itoa(m.Duration))
	for _, c := range b.Bytes() {
		if c == 0 {
			return nil, fmt.Errorf("voicemail: message info holds a NUL byte")
		}
	}
	return b.Bytes(), nil
}

// ParseMessageInfo reads a msgNNNN.txt: the keys of its [message]
// category, as ast_config_load reads it. Comments, other categories and
// unknown keys are ignored; values are taken verbatim (trimmed).
func ParseMessageInfo(r io.Reader) (*MessageInfo, error) {
	m := &MessageInfo{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64*1024)
	in := false
	seen := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, ';'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			name, _, _ := strings.Cut(line[1:], "]")
			in = name == "message"
			seen = seen || in
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimPrefix(v, ">")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "origmailbox":
			m.OrigMailbox = v
		case "context":
			m.Context = v
		case "macrocontext":
			m.MacroContext = v
		case "exten":
			m.Exten = v
		case "rdnis":
			m.RDNIS = v
		case "priority":
			m.Priority, _ = strconv.Atoi(v)
		case "callerchan":
			m.CallerChan = v
		case "callerid":
			m.CallerID = v
		case "origdate":
			m.OrigDate = v
		case "origtime":
			m.OrigTime, _ = strconv.ParseInt(v, 10, 64)
		case "category":
			m.Category = v
		case "msg_id":
			m.MsgID = v
		case "flag":
			m.Flag = v
		case "duration":
			m.Duration, _ = strconv.Atoi(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("voicemail: reading message info: %w", err)
	}
	if !seen {
		return nil, fmt.Errorf("voicemail: message info has no [message] category")
	}
	return m, nil
}
