package media

import "time"

// maxPaceLate is how far behind Pace may fall (a stalled machine) before
// it starts counting anew instead of sending the missed ticks in a burst.
const maxPaceLate = 10 * FrameDuration

// Pace calls tick every FrameDuration until tick returns false. It sleeps
// until the next multiple of FrameDuration from its start, not for a
// fixed time after each tick, so that frames leave every 20 ms on average
// even when a tick runs late. The simulated phones' shared clock and the
// conference mixer both run on it.
func Pace(tick func() bool) {
	next := time.Now().Add(FrameDuration)
	t := time.NewTimer(FrameDuration)
	defer t.Stop()
	for range t.C {
		if !tick() {
			return
		}
		next = next.Add(FrameDuration)
		d := time.Until(next)
		if d < -maxPaceLate {
			next, d = time.Now(), 0
		}
		t.Reset(d)
	}
}
