package mail

import (
	"testing"
	"time"
)

// TestDefaultBackoff: 1 s doubling to the 5-minute cap, each wait within
// ±20%.
func TestDefaultBackoff(t *testing.T) {
	b := DefaultBackoff()
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: 2 * time.Second, 3: 8 * time.Second, 1000: 5 * time.Minute} {
		lo, hi := want*8/10, want*12/10
		if got := b.Delay(attempt); got < lo || got > hi {
			t.Errorf("Delay(%d) = %v, want %v ± 20%%", attempt, got, want)
		}
	}
}
