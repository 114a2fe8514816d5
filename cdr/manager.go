package cdr

import (
	"strconv"
	"time"

	"github.com/asterism-pbx/asterism/ami"
)

// The AMI event cdr_manager raises for each posted record.
const (
	// EventName is the event's name ("Event: Cdr").
	EventName = "Cdr"

	// EventClass is the read class that receives it ("Privilege: cdr,all").
	EventClass = "cdr"
)

// EventHeaders returns the body of the "Cdr" event for r, in cdr_manager's
// order: AccountCode, Source, Destination, DestinationContext, CallerID,
// Channel, DestinationChannel, LastApplication, LastData, StartTime,
// AnswerTime, EndTime, Duration, BillableSeconds, Disposition, AMAFlags,
// UniqueID, UserField, then one header per mapping of cdr_manager.conf. The
// Event, Privilege and SystemName headers are the manager's to add.
//
// Times are "%Y-%m-%d %H:%M:%S" in loc (nil is the local time zone, which is
// what Asterisk uses); AnswerTime is empty for a call never answered.
func EventHeaders(r *Record, loc *time.Location, mappings ...Mapping) []ami.Header {
	if loc == nil {
		loc = time.Local
	}
	answer := ""
	if !isZeroTime(r.Answer) {
		answer = string(appendTime(nil, r.Answer, loc))
	}
	h := make([]ami.Header, 0, 18+len(mappings))
	h = append(h,
		ami.Header{Key: "AccountCode", Value: r.AccountCode},
		ami.Header{Key: "Source", Value: r.Src},
		ami.Header{Key: "Destination", Value: r.Dst},
		ami.Header{Key: "DestinationContext", Value: r.DContext},
		ami.Header{Key: "CallerID", Value: r.CLID},
		ami.Header{Key: "Channel", Value: r.Channel},
		ami.Header{Key: "DestinationChannel", Value: r.DstChannel},
		ami.Header{Key: "LastApplication", Value: r.LastApp},
		ami.Header{Key: "LastData", Value: r.LastData},
		// Asterisk formats start and end even when unset (as the epoch).
		ami.Header{Key: "StartTime", Value: string(appendTime(nil, r.Start, loc))},
		ami.Header{Key: "AnswerTime", Value: answer},
		ami.Header{Key: "EndTime", Value: string(appendTime(nil, r.End, loc))},
		ami.Header{Key: "Duration", Value: strconv.FormatInt(r.Duration, 10)},
		ami.Header{Key: "BillableSeconds", Value: strconv.FormatInt(r.BillSec, 10)},
		ami.Header{Key: "Disposition", Value: r.Disposition.String()},
		ami.Header{Key: "AMAFlags", Value: r.AMAFlags.String()},
		ami.Header{Key: "UniqueID", Value: r.UniqueID},
		ami.Header{Key: "UserField", Value: r.UserField},
	)
	for _, m := range mappings {
		v, _ := r.Value(m.Field, loc)
		h = append(h, ami.Header{Key: m.Header, Value: v})
	}
	return h
}
