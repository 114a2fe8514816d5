package pbxami_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
)

// queueBenchConn is a minimal AMI client for benchmarks (the test helpers
// need a *testing.T).
type queueBenchConn struct {
	b  *testing.B
	c  net.Conn
	r  *ami.Reader
	id int
}

func queueBenchDial(b *testing.B, addr string) *queueBenchConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	br := bufio.NewReaderSize(c, 1<<16)
	br.ReadString('\n')
	bc := &queueBenchConn{b: b, c: c, r: ami.NewReader(br)}
	bc.send("Login", "Username", "admin", "Secret", "amp111", "Events", "off")
	bc.until("Response")
	return bc
}

func (bc *queueBenchConn) send(action string, kv ...string) {
	bc.id++
	var sb strings.Builder
	fmt.Fprintf(&sb, "Action: %s\r\nActionID: b%d\r\n", action, bc.id)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&sb, "%s: %s\r\n", kv[i], kv[i+1])
	}
	sb.WriteString("\r\n")
	if _, err := bc.c.Write([]byte(sb.String())); err != nil {
		bc.b.Fatal(err)
	}
}

// until reads until a message with header key (Response, or an event
// name as "Event=Name") and returns it and how many messages it read.
func (bc *queueBenchConn) until(key string) (*ami.Message, int) {
	bc.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	n := 0
	for {
		m, err := bc.r.ReadMessage()
		if err != nil {
			bc.b.Fatal(err)
		}
		n++
		if k, v, ok := strings.Cut(key, "="); ok {
			if m.Get(k) == v {
				return m, n
			}
		} else if m.Get(key) != "" {
			return m, n
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkQueueStatus100x1000 puts 1,000 simulated phones in a ringall
// queue of 100 simulated members that ring without answering (the head
// caller rings all 100 at once, for 15 s a round), then measures
// QueueStatus until its Complete (1,101 items) and reports the CPU the
// PBX uses meanwhile (cores: CPU seconds per second, the whole test
// process, music on hold to 1,000 callers included).
func BenchmarkQueueStatus100x1000(b *testing.B) {
	const members, callers = 100, 1000
	dir := b.TempDir()
	var sim, q strings.Builder
	sim.WriteString("[caller]\nanswer = 0\nplay = silence\n")
	q.WriteString("[big]\nstrategy = ringall\ntimeout = 15\nretry = 1\n")
	for i := range members {
		fmt.Fprintf(&sim, "[m%d]\nanswer = noanswer\n", i)
		fmt.Fprintf(&q, "member => Sim/m%d\n", i)
	}
	for name, text := range map[string]string{"manager.conf": amitest.DefaultManagerConf, "extensions.conf": "[default]\n",
		"sim.conf": sim.String(), "queues.conf": q.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	srv := amitest.Start(b, amitest.ConfigDir(dir))
	c := queueBenchDial(b, srv.Addr)
	for range callers {
		c.send("Originate", "Channel", "Sim/caller", "Application", "Queue", "Data", "big", "Async", "true")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := srv.PBX.Queues.Status("big")
		if len(st) == 1 && len(st[0].Callers) == callers {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("callers waiting: %d", len(st[0].Callers))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Ringing: every member's channel up and ringing.
	for srv.PBX.Core.Count() < callers+members {
		if time.Now().After(deadline) {
			b.Fatalf("channels: %d", srv.PBX.Core.Count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c0, t0 := cpuTime(), time.Now()
	time.Sleep(2 * time.Second)
	cores := float64(cpuTime()-c0) / float64(time.Since(t0))
	b.ResetTimer()
	items := 0
	for b.Loop() {
		c.send("QueueStatus", "Queue", "big")
		m, _ := c.until("Event=QueueStatusComplete")
		items, _ = strconv.Atoi(m.Get("ListItems"))
	}
	b.StopTimer()
	if items != 1+members+callers {
		b.Fatalf("ListItems %d, want %d", items, 1+members+callers)
	}
	b.ReportMetric(cores, "cores-while-ringing")
	b.ReportMetric(float64(items), "items")
	for _, ch := range srv.PBX.Core.Channels() {
		_ = srv.PBX.Core.Hangup(ch.Name(), 16)
	}
}
