package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// report is the result of one run; it is printed as text or, with -json,
// as one JSON object.
type report struct {
	Command string `json:"command"`
	// Args is the command line, with the secret masked.
	Args    []string  `json:"args"`
	Addr    string    `json:"addr"`
	Banner  string    `json:"banner,omitempty"`
	Started time.Time `json:"started"`
	// ElapsedS is the length of the measured phase (logins excluded,
	// except for sessions); Ops and OpsPerS refer to it.
	ElapsedS float64  `json:"elapsed_s"`
	Ops      int64    `json:"ops"`
	OpUnit   string   `json:"op_unit"`
	OpsPerS  float64  `json:"ops_per_s"`
	Latency  *latency `json:"latency,omitempty"`

	Ping      *pingResult      `json:"ping,omitempty"`
	Pipeline  *pipelineResult  `json:"pipeline,omitempty"`
	Fanout    *fanoutResult    `json:"fanout,omitempty"`
	Sessions  *sessionsResult  `json:"sessions,omitempty"`
	Originate *originateResult `json:"originate,omitempty"`
	Calls     *callsResult     `json:"calls,omitempty"`

	// Server is measured only with -pid; Tool is always measured.
	Server *procUsage `json:"server,omitempty"`
	Tool   *procUsage `json:"tool,omitempty"`
	CPUs   int        `json:"cpus"`

	// Problems lists every failed check; OK is true when there is none.
	Problems []string `json:"problems,omitempty"`
	OK       bool     `json:"ok"`
}

// procUsage is the CPU time and memory of one process during a run.
type procUsage struct {
	PID int `json:"pid,omitempty"`
	// CPUS is user+system CPU seconds during the measured phase.
	CPUS float64 `json:"cpu_s"`
	// CPUPctOfCore is CPUS divided by the phase's wall time, in percent of
	// one core (200 means two cores busy).
	CPUPctOfCore float64 `json:"cpu_pct_of_core"`
	// CPUUsPerOp is CPUS in microseconds divided by the run's Ops.
	CPUUsPerOp   float64 `json:"cpu_us_per_op"`
	RSSBeforeKiB int64   `json:"rss_before_kib,omitempty"`
	RSSAfterKiB  int64   `json:"rss_after_kib,omitempty"`
	Error        string  `json:"error,omitempty"`
}

// problemf records a failed check.
func (r *report) problemf(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// writeJSON writes r as indented JSON.
func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// writeText writes r as a short human-readable report.
func (r *report) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "amibench %s\n", strings.Join(r.Args, " "))
	fmt.Fprintf(&b, "  server %s, %q\n", r.Addr, r.Banner)
	switch {
	case r.Ping != nil:
		p := r.Ping
		fmt.Fprintf(&b, "  %d pings on %d/%d connections in %.3fs: %.0f ops/s%s; errors %d\n",
			r.Ops, p.Connections, p.Requested, r.ElapsedS, r.OpsPerS, latencyText(r.Latency), p.Errors)
	case r.Pipeline != nil:
		p := r.Pipeline
		fmt.Fprintf(&b, "  %d pings written, %d answered in %.3fs: %.0f ops/s; in order: %v",
			p.Written, p.Answered, r.ElapsedS, r.OpsPerS, p.InOrder)
		fmt.Fprintf(&b, " (out of order %d, duplicates %d, unanswered %d, errors %d)\n",
			p.OutOfOrder, p.Duplicates, p.Unanswered, p.Errors)
		if p.StoppedByDuration {
			fmt.Fprintf(&b, "  -d ended the writing after %d of %d Pings\n", p.Written, p.Requested)
		}
	case r.Fanout != nil:
		writeFanoutText(&b, r)
	case r.Sessions != nil:
		s := r.Sessions
		fmt.Fprintf(&b, "  %d/%d sessions logged in, %.0f logins/s%s\n", s.Opened, s.Requested, s.LoginsPerS, latencyText(s.LoginLatency))
		fmt.Fprintf(&b, "  alive after %.1fs hold: %d/%d\n", s.HoldS, s.Alive, s.Opened)
		if len(s.Failures) > 0 {
			fmt.Fprintf(&b, "  failures: %s\n", countsText(s.Failures))
		}
		if s.RSSHeldKiB > 0 {
			fmt.Fprintf(&b, "  server RSS %d → %d held → %d KiB after; %+.1f KiB per session\n",
				s.RSSBeforeKiB, s.RSSHeldKiB, s.RSSAfterKiB, s.KiBPerSession)
		}
	case r.Originate != nil:
		o := r.Originate
		fmt.Fprintf(&b, "  %d originates sent: %d Success, %d Failure, %d rejected, %d unresolved in %.3fs: %.0f calls/s%s\n",
			o.Sent, o.Success, o.Failure, o.Rejected, o.Unresolved, r.ElapsedS, r.OpsPerS, latencyText(r.Latency))
		fmt.Fprintf(&b, "  Hangup events for %s: %d (expected %d)\n", o.Channel, o.Hangups, o.HangupsExpected)
		if o.CallEvents != nil {
			b.WriteString(callEventsText(o.CallEvents))
		}
	case r.Calls != nil:
		writeCallsText(&b, r)
	}
	if s := r.Server; s != nil {
		if s.Error != "" {
			fmt.Fprintf(&b, "  server pid %d: %s\n", s.PID, s.Error)
		} else {
			fmt.Fprintf(&b, "  server pid %d: CPU %.2fs (%.0f%% of a core), %.1f µs/%s; RSS %d → %d KiB\n",
				s.PID, s.CPUS, s.CPUPctOfCore, s.CPUUsPerOp, r.OpUnit, s.RSSBeforeKiB, s.RSSAfterKiB)
		}
	}
	if t := r.Tool; t != nil && t.Error == "" {
		fmt.Fprintf(&b, "  amibench: CPU %.2fs (%.0f%% of a core), %.1f µs/%s; %d CPUs\n",
			t.CPUS, t.CPUPctOfCore, t.CPUUsPerOp, r.OpUnit, r.CPUs)
	}
	if r.OK {
		b.WriteString("  OK\n")
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  PROBLEM: %s\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFanoutText writes the fanout part of a text report.
func writeFanoutText(b *strings.Builder, r *report) {
	f := r.Fanout
	fmt.Fprintf(b, "  publish: %d UserEvents acked (%d errors) in %.3fs: %.0f/s, window %d\n",
		f.Published, f.PublishErrors, f.PublishS, f.PublishPerS, f.Window)
	fmt.Fprintf(b, "  %d reading subscribers: delivered %d events in %.3fs: %.0f events/s total; lost %d, reordered %d, complete %d/%d\n",
		f.Subscribers, r.Ops, r.ElapsedS, r.OpsPerS, f.Lost, f.Reordered, f.Complete, f.Subscribers)
	for i, s := range f.Stalled {
		if s.Disconnected {
			fmt.Fprintf(b, "  stalled subscriber %d: disconnected by the server after %d events", i+1, s.Events)
			if s.CutAtS > 0 {
				fmt.Fprintf(b, " (last one published at +%.2fs)", s.CutAtS)
			}
			fmt.Fprintf(b, " [%s]\n", s.End)
		} else {
			fmt.Fprintf(b, "  stalled subscriber %d: NOT disconnected; %d events buffered, lost %d [%s]\n",
				i+1, s.Events, s.Lost, s.End)
		}
	}
}

// latencyText formats a latency summary for text reports.
func latencyText(l *latency) string {
	if l == nil {
		return ""
	}
	return fmt.Sprintf("; latency p50 %.3f ms, p99 %.3f ms, max %.3f ms", l.P50Ms, l.P99Ms, l.MaxMs)
}

// countsText formats a map of counts as "k1 n1, k2 n2" in key order.
func countsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
