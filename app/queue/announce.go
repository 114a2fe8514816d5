package queue

import (
	"errors"
	"io"
	"time"

	"github.com/asterism-pbx/asterism/media"
	"github.com/asterism-pbx/asterism/sounds"
)

// announceState is what a caller's announcements remember (the last_pos,
// last_pos_said, last_periodic_announce_time and
// last_periodic_announce_sound of app_queue's queue_ent).
type announceState struct {
	lastPos      time.Time // start of the last position announcement; zero: none yet
	lastPosSaid  int
	lastPeriodic time.Time
	periodicNext int
}

// errCallerGone stops an announcement whose caller hung up or was
// redirected.
var errCallerGone = errors.New("queue: caller left during an announcement")

// position returns the caller's place in its queue (1 is next), 0 when
// it has left.
func (c *call) position() int {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	for i, x := range c.ent.q.callers {
		if x == c.ent {
			return i + 1
		}
	}
	return 0
}

// sayPosition is say_position: at most every min-announce-frequency
// seconds, and only when the caller moved or announce-frequency seconds
// have passed, the music stops and the caller hears its position, the
// estimated hold time and thanks. It returns false when the caller left.
func (c *call) sayPosition(p *Params) bool {
	q := c.ent.q
	now := c.e.now()
	pos := c.position()
	st := &c.ann
	if !st.lastPos.IsZero() {
		since := now.Sub(st.lastPos)
		if since < time.Duration(p.MinAnnounceFreq)*time.Second {
			return true
		}
		if st.lastPosSaid == pos && since < time.Duration(p.AnnounceFreq)*time.Second {
			return true
		}
	}
	c.e.mu.Lock()
	holdtime := q.holdtime
	c.e.mu.Unlock()
	files := positionFiles(p, pos, holdtime, int(now.Sub(c.ent.start)/time.Second), st.lastPos.IsZero())
	c.stopMusic()
	err := c.playList(files)
	st.lastPos, st.lastPosSaid = now, pos
	if err != nil {
		return false
	}
	c.startMusic()
	return true
}

// A spoken item of an announcement: a file, or a number said with the
// core's number files.
type spoken struct {
	file   string
	number int
	isNum  bool
}

// positionFiles is what say_position says: the position (or "more than
// <limit>"), the hold time rounded to minutes (and seconds with
// announce-round-seconds) when announce-holdtime allows, then thanks.
// waited is the caller's wait in seconds; first tells that no position
// announcement was made yet (for announce-holdtime once).
func positionFiles(p *Params, pos, holdtime, waited int, first bool) []spoken {
	var out []spoken
	f := func(name string) { out = append(out, spoken{file: name}) }
	n := func(v int) { out = append(out, spoken{number: v, isNum: true}) }
	ap := p.AnnouncePosition
	if ap == AnnouncePositionYes || ap == AnnouncePositionMoreThan || (ap == AnnouncePositionLimit && pos <= p.AnnouncePositionLimit) {
		more := ap == AnnouncePositionMoreThan && pos > p.AnnouncePositionLimit
		switch {
		case pos == 1:
			// "You are next": straight to the thanks.
			f(p.Sounds.Next)
			f(p.Sounds.ThankYou)
			return out
		case more:
			f(p.Sounds.Quantity1)
			n(p.AnnouncePositionLimit)
			f(p.Sounds.Quantity2)
		default:
			f(p.Sounds.ThereAre)
			n(pos)
			f(p.Sounds.CallsWaiting)
		}
	}
	// The estimate is the queue's average hold time less the wait so
	// far, rounded to the minute (C's truncating division, then abs).
	left := holdtime + 30 - waited
	mins := abs(left / 60)
	secs := 0
	if p.RoundingSeconds > 0 {
		secs = (abs(left) - 60*mins) / p.RoundingSeconds * p.RoundingSeconds
	}
	thanks := true
	if mins+secs > 0 && p.AnnounceHoldtime != AnnounceHoldtimeNo && (p.AnnounceHoldtime != AnnounceHoldtimeOnce || first) {
		f(p.Sounds.HoldTime)
		if mins >= 1 {
			n(mins)
			if mins == 1 {
				f(p.Sounds.Minute)
			} else {
				f(p.Sounds.Minutes)
			}
		}
		if secs >= 1 {
			if mins > 1 {
				n(secs)
			} else {
				n(mins*60 + secs)
			}
			f(p.Sounds.Seconds)
		}
	} else if p.AnnounceHoldtime != AnnounceHoldtimeNo && p.AnnouncePosition == AnnouncePositionNo {
		thanks = false
	}
	if thanks {
		f(p.Sounds.ThankYou)
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// sayPeriodic is say_periodic_announcement: every
// periodic-announce-frequency seconds (from the join, or from the end of
// the last one with relative-periodic-announce) the music stops for the
// next file of periodic-announce (or a random one). It returns false when
// the caller left.
func (c *call) sayPeriodic(p *Params) bool {
	now := c.e.now()
	st := &c.ann
	if now.Sub(st.lastPeriodic) < time.Duration(p.PeriodicAnnounceFreq)*time.Second {
		return true
	}
	list, random, relative := p.PeriodicAnnounce, p.RandomPeriodic, p.RelativePeriodic
	c.e.mu.Lock()
	if random && len(list) > 0 {
		st.periodicNext = c.e.rnd.IntN(len(list))
	} else if st.periodicNext >= len(list) {
		st.periodicNext = 0
	}
	c.e.mu.Unlock()
	c.stopMusic()
	var err error
	if st.periodicNext < len(list) {
		err = c.playList([]spoken{{file: list[st.periodicNext]}})
	}
	if relative {
		st.lastPeriodic = c.e.now()
	} else {
		st.lastPeriodic = now
	}
	if !random {
		st.periodicNext++
	}
	if err != nil {
		return false
	}
	c.startMusic()
	return true
}

// playList says the items in turn through the core's sound library. A
// file the library lacks is skipped, as app_queue's play_file does; a
// number whose files are missing ends the announcement there (Asterisk's
// ast_say_number fails and say_position goes to its end), logged.
func (c *call) playList(items []spoken) error {
	lib := c.e.core.Sounds()
	if lib == nil {
		return nil
	}
	lang := c.ch.Language()
	for _, it := range items {
		if !it.isNum {
			if it.file == "" || !lib.Exists(it.file, lang) {
				continue
			}
			if err := c.playFile(lib, it.file, lang); err != nil && errors.Is(err, errCallerGone) {
				return err
			}
			continue
		}
		files, err := sounds.NumberFiles(it.number, lang)
		if err != nil {
			c.e.log.Warn("queue: cannot say number", "number", it.number, "channel", c.ch.Name(), "err", err)
			return nil
		}
		for _, f := range files {
			if err := c.playFile(lib, f, lang); err != nil {
				if errors.Is(err, errCallerGone) {
					return err
				}
				c.e.log.Warn("queue: announcement cut short", "file", f, "channel", c.ch.Name(), "err", err)
				return nil
			}
		}
	}
	return nil
}

// playFile streams one sound to the caller at real-time pace; the
// caller's reader (startReader) keeps consuming what the caller sends.
func (c *call) playFile(lib sounds.Library, name, lang string) error {
	s, err := lib.Open(name, lang)
	if err != nil {
		return err
	}
	defer s.Close()
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	var f media.Frame
	for {
		if err := s.ReadFrame(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := c.ch.Write(f); err != nil {
			return errCallerGone
		}
		select {
		case <-tick.C:
		case <-c.gone:
			return errCallerGone
		}
	}
}
