package cdrengine

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/asterism-pbx/asterism/cdr"
	"github.com/asterism-pbx/asterism/dialplan"
	"github.com/asterism-pbx/asterism/pbx"
)

// RegisterFuncs adds the CDR() dialplan function, bound to e, to fs.
func (e *Engine) RegisterFuncs(fs *dialplan.Funcs) error {
	if err := fs.RegisterFunction("CDR", cdrFunc{e: e}); err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	return nil
}

// cdrFunc is func_cdr's CDR(field[,options]).
type cdrFunc struct{ e *Engine }

var errNoChannel = errors.New("CDR() needs a channel")

func (cdrFunc) Syntax() string { return "CDR(name[,options])" }
func (cdrFunc) Synopsis() string {
	return "Gets or sets a CDR variable."
}

// readOnly are the fields Set(CDR(x)=...) refuses, as func_cdr does.
var readOnly = map[string]bool{
	"clid": true, "src": true, "dst": true, "dcontext": true, "channel": true, "dstchannel": true,
	"lastapp": true, "lastdata": true, "start": true, "answer": true, "end": true, "duration": true,
	"billsec": true, "disposition": true, "uniqueid": true, "linkedid": true, "sequence": true,
}

// Read returns the field or custom variable name of the channel's current
// record. Options: f gives duration and billsec as seconds with six
// decimals; u gives times as epoch seconds with microseconds and
// disposition and amaflags as Asterisk's numbers. During the call, duration
// and billsec count up to now.
func (f cdrFunc) Read(vars dialplan.Vars, args string) (string, error) {
	ch, ok := vars.(*pbx.Channel)
	if !ok {
		return "", errNoChannel
	}
	a := dialplan.AppArgs(args)
	name := strings.TrimSpace(a[0])
	if name == "" {
		return "", dialplan.ErrUsage
	}
	var opts string
	if len(a) > 1 {
		opts = a[1]
	}
	float, raw := strings.ContainsRune(opts, 'f'), strings.ContainsRune(opts, 'u')
	var out string
	err := f.e.With(ch.Uniqueid(), func(r *cdr.Record) {
		out = readField(r, name, float, raw, f.e.now())
	})
	if err != nil {
		return "", fmt.Errorf("CDR(%s): %w", name, err)
	}
	return out, nil
}

func readField(r *cdr.Record, name string, float, raw bool, now time.Time) string {
	lower := strings.ToLower(name)
	switch lower {
	case "start", "answer", "end":
		t := map[string]time.Time{"start": r.Start, "answer": r.Answer, "end": r.End}[lower]
		if raw {
			if t.IsZero() {
				return "0.000000"
			}
			return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
		}
		v, _ := r.Value(lower, time.Local)
		return v
	case "duration", "billsec":
		from := r.Start
		if lower == "billsec" {
			from = r.Answer
			if from.IsZero() {
				if float {
					return "0.000000"
				}
				return "0"
			}
		}
		end := r.End
		if end.IsZero() {
			end = now
		}
		us := end.Sub(from).Microseconds()
		if us < 0 {
			us = 0
		}
		if float {
			return strconv.FormatFloat(float64(us)/1e6, 'f', 6, 64)
		}
		return strconv.FormatInt(us/1e6, 10)
	case "disposition":
		if raw {
			return strconv.Itoa(r.Disposition.Code())
		}
	case "amaflags":
		if raw {
			return strconv.Itoa(r.AMAFlags.Code())
		}
	}
	v, _ := r.Value(name, time.Local)
	return v
}

// Write sets a writable field or a custom variable: accountcode and
// peeraccount change the channel's (as Asterisk 20 does, via CHANNEL()),
// amaflags and userfield the record's; the other fields are read-only.
func (f cdrFunc) Write(vars dialplan.Vars, args, value string) error {
	ch, ok := vars.(*pbx.Channel)
	if !ok {
		return errNoChannel
	}
	name := strings.TrimSpace(dialplan.AppArgs(args)[0])
	switch lower := strings.ToLower(name); {
	case name == "":
		return dialplan.ErrUsage
	case lower == "accountcode":
		ch.SetAccountCode(value)
		return nil
	case lower == "amaflags":
		a, ok := cdr.ParseAMAFlags(value)
		if !ok {
			if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil {
				// The numbers ${CDR(amaflags,u)} shows.
				switch n {
				case 1:
					a, ok = cdr.AMAOmit, true
				case 2:
					a, ok = cdr.AMABilling, true
				case 3:
					a, ok = cdr.AMADocumentation, true
				}
			}
		}
		if !ok {
			return fmt.Errorf("CDR(amaflags): unknown flag %q: %w", value, dialplan.ErrUsage)
		}
		return f.e.SetAMAFlags(ch.Uniqueid(), a)
	case lower == "peeraccount" || readOnly[lower]:
		return fmt.Errorf("CDR(%s) is read-only: %w", name, dialplan.ErrNotWritable)
	case lower == "userfield":
		return f.e.With(ch.Uniqueid(), func(r *cdr.Record) { r.UserField = value })
	}
	return f.e.With(ch.Uniqueid(), func(r *cdr.Record) { r.SetVar(name, value) })
}
