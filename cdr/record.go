// Package cdr holds Call Detail Records as Asterisk 20 makes them, and the
// backends that store and announce them: the record itself ([Record], with
// Asterisk's dispositions, AMA flags and duration rules), cdr.conf and
// cdr_manager.conf ([LoadConfig], [LoadManagerConfig]), the CSV backend that
// writes <logdir>/cdr-csv/Master.csv exactly as cdr_csv does ([CSV]), and the
// body of the AMI "Cdr" event of cdr_manager ([EventHeaders]).
//
// The package knows nothing of channels. The engine in cdr/cdrengine fills a
// Record from a channel's life as the PBX core reports it (start, answer,
// the last application, the dial status, the hangup cause), calls
// [Record.Finish] when the call is over, and hands the record to the
// backends; it also decides, with [General.Keep], which records Asterisk
// would post at all. pbxami wires the engine to the core and the backends
// to the manager and the log directory.
//
// Times are formatted in the location the caller names (Asterisk uses the
// process's local time, or UTC for cdr_csv's usegmtime). Durations are whole
// seconds, cut as Asterisk cuts them.
package cdr

import (
	"strconv"
	"strings"
	"time"
)

// Disposition is what became of a call. The zero value is [DispositionNull],
// the state of a record whose call is not over yet.
type Disposition uint8

// The dispositions of Asterisk's enum ast_cdr_disposition.
const (
	// DispositionNull is a record not yet finished; it is reported as
	// "NO ANSWER", as Asterisk does for backward compatibility.
	DispositionNull Disposition = iota
	DispositionNoAnswer
	DispositionFailed
	DispositionBusy
	DispositionAnswered
	DispositionCongestion
)

// String returns Asterisk's text for d (ast_cdr_disp2str): "NO ANSWER",
// "FAILED", "BUSY", "ANSWERED", "CONGESTION", or "UNKNOWN".
func (d Disposition) String() string {
	switch d {
	case DispositionNull, DispositionNoAnswer:
		return "NO ANSWER"
	case DispositionFailed:
		return "FAILED"
	case DispositionBusy:
		return "BUSY"
	case DispositionAnswered:
		return "ANSWERED"
	case DispositionCongestion:
		return "CONGESTION"
	}
	return "UNKNOWN"
}

// Code returns Asterisk's numeric value for d, which ${CDR(disposition,u)}
// shows and which Asterisk compares (NO ANSWER 0, NULL 1, FAILED 2, BUSY 4,
// ANSWERED 8, CONGESTION 16).
func (d Disposition) Code() int {
	switch d {
	case DispositionNoAnswer:
		return 0
	case DispositionNull:
		return 1
	case DispositionFailed:
		return 2
	case DispositionBusy:
		return 4
	case DispositionAnswered:
		return 8
	case DispositionCongestion:
		return 16
	}
	return -1
}

// ParseDisposition returns the disposition whose text is s ("NO ANSWER",
// "FAILED", "BUSY", "ANSWERED", "CONGESTION"), compared without regard to
// case.
func ParseDisposition(s string) (Disposition, bool) {
	for _, d := range []Disposition{DispositionNoAnswer, DispositionFailed, DispositionBusy, DispositionAnswered, DispositionCongestion} {
		if strings.EqualFold(s, d.String()) {
			return d, true
		}
	}
	return DispositionNull, false
}

// DispositionFromDialStatus returns the disposition Asterisk gives a record
// whose Dial ended with status (the DIALSTATUS value): ANSWER is answered,
// BUSY busy, CANCEL and NOANSWER no answer, CONGESTION congestion when
// cdr.conf's congestion is set and failed otherwise, and anything else
// (FAILED, CHANUNAVAIL, ...) failed. The comparison is case-sensitive, as
// in Asterisk.
func DispositionFromDialStatus(status string, congestion bool) Disposition {
	switch status {
	case "ANSWER":
		return DispositionAnswered
	case "BUSY":
		return DispositionBusy
	case "CANCEL", "NOANSWER":
		return DispositionNoAnswer
	case "CONGESTION":
		if congestion {
			return DispositionCongestion
		}
		return DispositionFailed
	}
	return DispositionFailed
}

// Hangup causes that decide a disposition (Asterisk's causes.h).
const (
	causeNoRouteDestination = 3
	causeNormalClearing     = 16
	causeBusy               = 17
	causeNoAnswer           = 19
	causeUnregistered       = 20
	causeCongestion         = 34
)

// DispositionFromHangupCause returns the disposition Asterisk derives from a
// hangup cause for a call that was never answered, and false for the causes
// that leave the disposition as it was (everything but busy, congestion, no
// route, unregistered, normal clearing and no answer).
func DispositionFromHangupCause(cause int, congestion bool) (Disposition, bool) {
	switch cause {
	case causeBusy:
		return DispositionBusy, true
	case causeCongestion:
		if congestion {
			return DispositionCongestion, true
		}
		return DispositionFailed, true
	case causeNoRouteDestination, causeUnregistered:
		return DispositionFailed, true
	case causeNormalClearing, causeNoAnswer:
		return DispositionNoAnswer, true
	}
	return DispositionNull, false
}

// AMAFlags tells a billing system how to treat a record. The zero value is
// [AMADocumentation], Asterisk's default for every channel.
type AMAFlags uint8

// The AMA flags of Asterisk's enum ama_flags.
const (
	AMADocumentation AMAFlags = iota
	AMAOmit
	AMABilling
)

// String returns Asterisk's text for a: "DOCUMENTATION", "OMIT", "BILLING",
// or "Unknown" (ast_channel_amaflags2string).
func (a AMAFlags) String() string {
	switch a {
	case AMADocumentation:
		return "DOCUMENTATION"
	case AMAOmit:
		return "OMIT"
	case AMABilling:
		return "BILLING"
	}
	return "Unknown"
}

// Code returns Asterisk's numeric value for a (OMIT 1, BILLING 2,
// DOCUMENTATION 3), which ${CDR(amaflags,u)} shows.
func (a AMAFlags) Code() int {
	switch a {
	case AMAOmit:
		return 1
	case AMABilling:
		return 2
	case AMADocumentation:
		return 3
	}
	return 0
}

// ParseAMAFlags reads an amaflags setting as ast_channel_string2amaflag does:
// "omit", "billing", "documentation" or "default" (documentation), without
// regard to case.
func ParseAMAFlags(s string) (AMAFlags, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "default", "documentation":
		return AMADocumentation, true
	case "omit":
		return AMAOmit, true
	case "billing":
		return AMABilling, true
	}
	return AMADocumentation, false
}

// Var is one custom CDR variable, set with Set(CDR(name)=value).
type Var struct {
	Name  string
	Value string
}

// Record is one Call Detail Record: the fields of Asterisk's struct ast_cdr.
// Party A is the channel the record is about, party B the channel it talked
// to (the one it dialled or was bridged with), if any.
type Record struct {
	AccountCode string // party A's account code
	Src         string // party A's caller ID number
	Dst         string // the extension party A was executing
	DContext    string // the context party A was executing
	CLID        string // party A's caller ID, `"name" <number>`
	Channel     string // party A's channel name
	DstChannel  string // party B's channel name
	LastApp     string // the last application party A ran
	LastData    string // its arguments

	// Start is when the record began, Answer when party A answered (zero
	// if it never did), End when the record was finished.
	Start, Answer, End time.Time

	// Duration is End-Start and BillSec End-Answer, in whole seconds, as
	// set by [Record.Finish] (see [Duration] and [BillSec]).
	Duration, BillSec int64

	Disposition Disposition
	AMAFlags    AMAFlags

	UniqueID    string // party A's unique ID
	UserField   string // set by the dialplan (CDR(userfield))
	LinkedID    string // the unique ID of the call's oldest channel
	PeerAccount string // party B's account code
	Sequence    int    // a number Asterisk gives each record, in creation order

	// Vars are the custom variables, in the order they were first set.
	Vars []Var
}

// isZeroTime reports whether t is unset: Go's zero time, or the Unix epoch,
// which is Asterisk's zero timeval.
func isZeroTime(t time.Time) bool {
	return t.IsZero() || t.UnixMicro() == 0
}

// elapsedMillis is Asterisk's ast_tvdiff_ms(end, start): whole milliseconds
// between two times kept to the microsecond. A clock stepped back could make
// it negative; a record never shows a negative time, so it is cut to zero.
func elapsedMillis(start, end time.Time) int64 {
	us := end.UnixMicro() - start.UnixMicro()
	if us < 0 {
		return 0
	}
	return us / 1000
}

// Duration returns the whole seconds from start to end, cut down as Asterisk
// cuts them (4.999 s is 4). A zero end means the call is still going: the
// time up to now is returned, as ${CDR(duration)} does during a call.
func Duration(start, end time.Time) int64 {
	if isZeroTime(end) {
		end = time.Now()
	}
	return elapsedMillis(start, end) / 1000
}

// BillSec returns the whole seconds from answer to end, or 0 when the call
// was never answered (answer is zero). With initiatedSeconds (cdr.conf's
// initiatedseconds) a second of which half or more was used is counted, as
// Asterisk counts it; otherwise the time is cut down. A zero end counts up to
// now, as for [Duration].
func BillSec(answer, end time.Time, initiatedSeconds bool) int64 {
	if isZeroTime(answer) {
		return 0
	}
	if isZeroTime(end) {
		end = time.Now()
	}
	ms := elapsedMillis(answer, end)
	if initiatedSeconds && ms%1000 >= 500 {
		return ms/1000 + 1
	}
	return ms / 1000
}

// Finish closes the record as Asterisk's cdr_object_finalize does and fills
// in Duration and BillSec. End is set to end unless it is already set. A
// disposition still [DispositionNull] is decided: answered if Answer is set,
// else from party A's hangup cause, else from party B's (causes are
// Asterisk's numeric codes, 0 for none), else failed. A cause that says
// nothing about the disposition (see [DispositionFromHangupCause]) leaves it
// null, reported as "NO ANSWER", as in Asterisk.
func (r *Record) Finish(end time.Time, causeA, causeB int, g *General) {
	if g == nil {
		g = &DefaultConfig().General
	}
	if isZeroTime(r.End) {
		r.End = end
	}
	if r.Disposition == DispositionNull {
		switch {
		case !isZeroTime(r.Answer):
			r.Disposition = DispositionAnswered
		case causeA != 0:
			if d, ok := DispositionFromHangupCause(causeA, g.Congestion); ok {
				r.Disposition = d
			}
		case causeB != 0:
			if d, ok := DispositionFromHangupCause(causeB, g.Congestion); ok {
				r.Disposition = d
			}
		default:
			r.Disposition = DispositionFailed
		}
	}
	r.Duration = Duration(r.Start, r.End)
	r.BillSec = BillSec(r.Answer, r.End, g.InitiatedSeconds)
}

// SetVar sets the custom variable name (compared without regard to case, as
// Asterisk does) to value; an empty value removes it.
func (r *Record) SetVar(name, value string) {
	for i := range r.Vars {
		if strings.EqualFold(r.Vars[i].Name, name) {
			if value == "" {
				r.Vars = append(r.Vars[:i], r.Vars[i+1:]...)
			} else {
				r.Vars[i].Value = value
			}
			return
		}
	}
	if value != "" {
		r.Vars = append(r.Vars, Var{Name: name, Value: value})
	}
}

// Var returns the value of the custom variable name, or "".
func (r *Record) Var(name string) string {
	for _, v := range r.Vars {
		if strings.EqualFold(v.Name, name) {
			return v.Value
		}
	}
	return ""
}

// timeLayout is Asterisk's CDR date format, "%Y-%m-%d %T".
const timeLayout = "2006-01-02 15:04:05"

// appendTime appends t in loc as "%Y-%m-%d %T".
func appendTime(dst []byte, t time.Time, loc *time.Location) []byte {
	if isZeroTime(t) {
		// Asterisk formats its zero timeval, the epoch.
		t = time.Unix(0, 0)
	}
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).AppendFormat(dst, timeLayout)
}

// formatTime is appendTime to a string, "" for a zero time.
func formatTime(t time.Time, loc *time.Location) string {
	if isZeroTime(t) {
		return ""
	}
	return string(appendTime(nil, t, loc))
}

// Value returns the field or custom variable name as ${CDR(name)} reads it
// from a finished record (Asterisk's ast_cdr_format_var): times as
// "%Y-%m-%d %T" in loc (nil is the local time zone) or "" when unset,
// disposition and amaflags as text, the rest verbatim. Field names are
// compared without regard to case; a name that is neither a field nor a set
// variable gives "" and false.
func (r *Record) Value(name string, loc *time.Location) (string, bool) {
	switch strings.ToLower(name) {
	case "clid":
		return r.CLID, true
	case "src":
		return r.Src, true
	case "dst":
		return r.Dst, true
	case "dcontext":
		return r.DContext, true
	case "channel":
		return r.Channel, true
	case "dstchannel":
		return r.DstChannel, true
	case "lastapp":
		return r.LastApp, true
	case "lastdata":
		return r.LastData, true
	case "start":
		return formatTime(r.Start, loc), true
	case "answer":
		return formatTime(r.Answer, loc), true
	case "end":
		return formatTime(r.End, loc), true
	case "duration":
		return strconv.FormatInt(r.Duration, 10), true
	case "billsec":
		return strconv.FormatInt(r.BillSec, 10), true
	case "disposition":
		return r.Disposition.String(), true
	case "amaflags":
		return r.AMAFlags.String(), true
	case "accountcode":
		return r.AccountCode, true
	case "peeraccount":
		return r.PeerAccount, true
	case "uniqueid":
		return r.UniqueID, true
	case "linkedid":
		return r.LinkedID, true
	case "userfield":
		return r.UserField, true
	case "sequence":
		return strconv.Itoa(r.Sequence), true
	}
	for _, v := range r.Vars {
		if strings.EqualFold(v.Name, name) {
			return v.Value, true
		}
	}
	return "", false
}
