package media

import "testing"

// Pace calls tick until it returns false, and not once more.
func TestPaceStops(t *testing.T) {
	n := 0
	Pace(func() bool {
		n++
		return n < 3
	})
	if n != 3 {
		t.Errorf("tick called %d times, want 3", n)
	}
}
