package sim

import (
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/pbx"
)

// frameClock sends the audio of every talking phone of a Tech. One
// goroutine wakes every 20 ms and has each source queue its next frame,
// the sources split among a few workers when there are many. A ticker and
// a goroutine wakeup per phone per frame cost more than the frame itself
// once there are thousands of phones.
//
// The goroutine runs while there are sources and ends with the last one,
// so an idle Tech holds none.
type frameClock struct {
	mu      sync.Mutex
	sources []*source
	running bool
	ticks   uint64           // ticks so far, counted by the clock goroutine
	batch   []*source        // the clock goroutine's copy of sources for one tick
	wake    [][]*pbx.Channel // per worker: the channels to wake after a tick
}

// source is one phone's audio: next fills the frame it sends next.
type source struct {
	ch   *pbx.Channel
	next func(*media.Frame)

	// mu is held while a frame is made and queued, so that once stop
	// returns, next is not running and will not run again (next may read
	// a file that the call closes when it ends).
	mu      sync.Mutex
	stopped bool
	every   uint64 // ticks between bursts: the phone's ptime in frames

	idx int // position in frameClock.sources, under frameClock.mu
}

// newSource returns the source of a phone that sends next's frames on ch,
// ptime's worth at a time.
func newSource(ch *pbx.Channel, next func(*media.Frame), ptime time.Duration) *source {
	every := max(uint64(ptime/media.FrameDuration), 1)
	return &source{ch: ch, next: next, every: every}
}

// minPerWorker is the fewest sources worth a worker goroutine of their own
// in one tick.
const minPerWorker = 512

// add starts s: a phone with the default ptime sends its first frame now,
// the others wait for their tick; the next frames go on the ticks.
func (c *frameClock) add(s *source) {
	var f media.Frame
	if s.every == 1 && s.emit(&f, 0) {
		s.ch.Wake()
	}
	c.mu.Lock()
	s.idx = len(c.sources)
	c.sources = append(c.sources, s)
	if !c.running {
		c.running = true
		go c.run()
	}
	c.mu.Unlock()
}

// remove stops s; once it returns, s sends nothing more.
func (c *frameClock) remove(s *source) {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	i := s.idx
	if i >= len(c.sources) || c.sources[i] != s {
		return
	}
	last := len(c.sources) - 1
	c.sources[i] = c.sources[last]
	c.sources[i].idx = i
	c.sources[last] = nil
	c.sources = c.sources[:last]
}

// emit queues s's frames for tick n of the clock on its channel, using f
// as scratch: one frame, or for a phone with a longer ptime s.every frames
// on the ticks that are multiples of s.every. All such phones send on the
// same ticks, so that both legs of a call fill their bridge at once and
// it wakes once. emit reports whether the channel's reader must be woken
// (see [pbx.Channel.QueueBatch]).
func (s *source) emit(f *media.Frame, n uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || n%s.every != 0 {
		return false
	}
	wake := false
	for range s.every {
		s.next(f)
		if s.ch.QueueBatch(f) {
			wake = true
		}
	}
	return wake
}

// run ticks every 20 ms while there are sources.
func (c *frameClock) run() {
	media.Pace(func() bool {
		c.mu.Lock()
		if len(c.sources) == 0 {
			c.running = false
			c.mu.Unlock()
			return false
		}
		c.batch = append(c.batch[:0], c.sources...)
		c.mu.Unlock()
		c.ticks++
		tick(c.batch, c.ticks, &c.wake)
		clear(c.batch) // let ended calls be collected
		return true
	})
}

// tick sends one frame of every source in batch, in parallel when there
// are many. The channels' readers are woken only once every frame is
// queued, so that a bridge finds both its legs' frames at one wakeup.
func tick(batch []*source, n uint64, wake *[][]*pbx.Channel) {
	workers := min(runtime.GOMAXPROCS(0), len(batch)/minPerWorker+1)
	per := (len(batch) + workers - 1) / workers
	for len(*wake) < workers {
		*wake = append(*wake, nil)
	}
	var wg sync.WaitGroup
	for w := range workers {
		part := batch[min(w*per, len(batch)):min((w+1)*per, len(batch))]
		list := &(*wake)[w]
		wg.Go(func() { *list = queueAll(part, n, (*list)[:0]) })
	}
	wg.Wait()
	for w := range workers {
		list := (*wake)[w]
		wg.Go(func() {
			for i, ch := range list {
				ch.Wake()
				list[i] = nil
			}
		})
	}
	wg.Wait()
}

// queueAll queues the frames of every source for tick n and appends the
// channels to wake to wake.
func queueAll(batch []*source, n uint64, wake []*pbx.Channel) []*pbx.Channel {
	var f media.Frame
	for _, s := range batch {
		if s.emit(&f, n) {
			wake = append(wake, s.ch)
		}
	}
	return wake
}

// maxLoopFrames bounds a pre-rendered tone: a tone of a whole number of
// hertz repeats after at most 50 frames (one second).
const maxLoopFrames = 50

// toneLoop returns the frames of one period of a freq tone that repeats
// after a whole number of frames, rendered once and shared by every phone
// playing that tone, or nil when freq has no short period. Copying a
// rendered frame costs a fraction of computing it, and at 50 frames a
// second for thousands of phones that is most of a phone's work.
func (t *Tech) toneLoop(freq float64) []media.Frame {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.tones[freq]; ok {
		return l
	}
	var loop []media.Frame
	for k := 1; k <= maxLoopFrames; k++ {
		// k frames hold a whole number of periods.
		cycles := float64(k*media.FrameSamples) * freq / media.SampleRate
		if math.Abs(cycles-math.Round(cycles)) > 1e-9 {
			continue
		}
		g := media.NewToneGen(media.DefaultToneAmplitude, freq, 0)
		loop = make([]media.Frame, k)
		for i := range loop {
			g.ReadFrame(&loop[i])
		}
		break
	}
	if t.tones == nil {
		t.tones = make(map[float64][]media.Frame)
	}
	t.tones[freq] = loop
	return loop
}
