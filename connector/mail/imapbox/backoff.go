package imapbox

import "time"

// Backoff is the reconnection schedule the intake applies after any Box
// error: Min doubled per failed attempt, capped at Max. The caller adds
// jitter and resets the attempt count after a successful Select.
type Backoff struct {
	Min time.Duration
	Max time.Duration
}

// DefaultBackoff goes 1s, 2s, 4s … up to 5 minutes.
func DefaultBackoff() Backoff { return Backoff{Min: time.Second, Max: 5 * time.Minute} }

// Delay returns the pause before reconnection attempt number attempt
// (0 for the first retry).
func (b Backoff) Delay(attempt int) time.Duration {
	if b.Min <= 0 {
		b.Min = time.Second
	}
	if b.Max < b.Min {
		b.Max = b.Min
	}
	d := b.Min
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}
