package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"time"
)

// defaultClockTicks is sysconf(_SC_CLK_TCK) on Linux, used when the
// auxiliary vector cannot be read.
const defaultClockTicks = 100

// atClkTck is the auxiliary vector entry that carries the clock tick rate.
const atClkTck = 17

// clockTicks returns the kernel's clock tick rate, the unit of the CPU times
// in /proc/PID/stat. It reads AT_CLKTCK from /proc/self/auxv (what
// sysconf(_SC_CLK_TCK) returns) and falls back to 100.
func clockTicks() int64 {
	data, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return defaultClockTicks
	}
	for i := 0; i+16 <= len(data); i += 16 {
		key := binary.NativeEndian.Uint64(data[i:])
		val := binary.NativeEndian.Uint64(data[i+8:])
		if key == atClkTck && val > 0 && val < 1e6 {
			return int64(val)
		}
		if key == 0 {
			break
		}
	}
	return defaultClockTicks
}

// parseProcStat returns utime+stime (fields 14 and 15, in clock ticks) of a
// /proc/PID/stat line. The comm field (2) is in parentheses and may itself
// hold spaces and parentheses, so fields are counted from the last ')'.
func parseProcStat(data []byte) (int64, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse proc stat: no ')' after comm in %.40q", data)
	}
	// After ")": field 3 (state) is at index 0, so field k is at index k-3.
	f := bytes.Fields(data[i+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("parse proc stat: %d fields after comm, want at least %d", len(f), stime+1)
	}
	u, err := strconv.ParseInt(string(f[utime]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse proc stat utime: %w", err)
	}
	s, err := strconv.ParseInt(string(f[stime]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse proc stat stime: %w", err)
	}
	return u + s, nil
}

// parseVmRSS returns the VmRSS value, in KiB, of a /proc/PID/status file.
func parseVmRSS(data []byte) (int64, error) {
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			break
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse VmRSS: %w", err)
		}
		if len(f) > 1 && !bytes.EqualFold(f[1], []byte("kB")) {
			return 0, fmt.Errorf("parse VmRSS: unknown unit %q", f[1])
		}
		return n, nil
	}
	return 0, fmt.Errorf("parse proc status: no VmRSS line (kernel thread or zombie?)")
}

// procName returns the /proc directory of pid, or of this process for 0.
func procName(pid int) string {
	if pid == 0 {
		return "/proc/self"
	}
	return "/proc/" + strconv.Itoa(pid)
}

// cpuTicks returns the user+system CPU time of pid (0: this process) in
// clock ticks.
func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(procName(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	return parseProcStat(data)
}

// rssKiB returns the resident set size of pid (0: this process) in KiB.
func rssKiB(pid int) (int64, error) {
	data, err := os.ReadFile(procName(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	return parseVmRSS(data)
}

// cpuMeter measures the CPU time one process uses between start and stop.
type cpuMeter struct {
	pid   int
	t0    int64
	at0   time.Time
	ticks int64
	wall  time.Duration
	err   error
}

// start records the process's CPU time now.
func (m *cpuMeter) start() {
	m.at0 = time.Now()
	m.t0, m.err = cpuTicks(m.pid)
}

// stop records the CPU time used since start.
func (m *cpuMeter) stop() {
	if m.err != nil {
		return
	}
	t1, err := cpuTicks(m.pid)
	if err != nil {
		m.err = err
		return
	}
	m.ticks = t1 - m.t0
	m.wall = time.Since(m.at0)
}
