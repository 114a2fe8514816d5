package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// BenchmarkRecordedCalls measures recording throughput in real time: n
// calls, each with a Monitor writing its -in and -out files, get a voice
// frame each way every 20 ms (queued from the far end and written to it,
// as a bridge does); an op is one 20 ms tick. Reported: frames the taps
// dropped per tick (the writers fell behind), the ticks whose frames took
// longer than 20 ms to deliver (late), and the CPU time a tick's frame
// path took. Run with -benchtime=100x (two seconds of calls per size).
func BenchmarkRecordedCalls(b *testing.B) {
	for _, n := range []int{100, 1000, 2000, 4000, 8000} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			core := pbx.New(pbx.Options{Logger: log})
			s := New(Options{SpoolDir: b.TempDir(), Logger: log})
			chans := make([]*pbx.Channel, n)
			for i := range chans {
				chans[i] = core.NewChannel(pbx.ChannelConfig{Name: fmt.Sprintf("Test/rec-%d", i), State: pbx.StateUp})
				if err := s.Monitor(chans[i], fmt.Sprintf("call-%d", i), MonitorOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			tone := media.NewToneGen(8000, 1000, 0)
			var f media.Frame
			tone.ReadFrame(&f)
			done, cancel := context.WithCancel(context.Background())
			cancel() // Read returns a queued frame, else at once
			late, work := 0, time.Duration(0)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for b.Loop() {
				<-tick.C
				start := time.Now()
				for _, ch := range chans {
					ch.Queue(f)
					_ = ch.Write(f)
				}
				for _, ch := range chans {
					// Take the queued frame, as the channel's reader would.
					_, _ = ch.Read(done)
				}
				d := time.Since(start)
				work += d
				if d > 20*time.Millisecond {
					late++
				}
			}
			var dropped uint64
			for _, ch := range chans {
				if r, ok := s.Monitoring(ch); ok {
					dropped += r.Dropped
				}
			}
			b.StopTimer()
			for _, ch := range chans {
				ch.Hangup(0)
			}
			s.Close()
			b.ReportMetric(float64(dropped)/float64(b.N), "dropped/tick")
			b.ReportMetric(float64(late), "late-ticks")
			b.ReportMetric(float64(work.Microseconds())/float64(b.N), "µs-work/tick")
		})
	}
}
