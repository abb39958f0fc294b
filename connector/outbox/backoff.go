package outbox

import (
	"math/rand/v2"
	"time"
)

// DefaultBackoff returns the retry schedule after transient failures: the
// n-th attempt waits entry n-1, the last entry repeating.
func DefaultBackoff() []time.Duration {
	return []time.Duration{
		5 * time.Second, 15 * time.Second, time.Minute, 5 * time.Minute,
		15 * time.Minute, time.Hour,
	}
}

// delayAfter returns the wait after the attempts-th failed attempt, with
// ±jitter (a fraction) drawn from rnd.
func delayAfter(schedule []time.Duration, attempts int, jitter float64, rnd func() float64) time.Duration {
	if len(schedule) == 0 {
		schedule = DefaultBackoff()
	}
	i := max(attempts-1, 0)
	i = min(i, len(schedule)-1)
	d := schedule[i]
	if jitter <= 0 {
		return d
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	f := 1 + jitter*(2*rnd()-1)
	return time.Duration(float64(d) * f)
}
