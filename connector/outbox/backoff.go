package outbox

import (
	"time"

	"github.com/b24desk/b24desk/backoff"
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
// ±jitter (a fraction) drawn from rnd (nil: math/rand/v2).
func delayAfter(schedule []time.Duration, attempts int, jitter float64, rnd func() float64) time.Duration {
	if len(schedule) == 0 {
		schedule = DefaultBackoff()
	}
	return backoff.Policy{Steps: schedule, Jitter: jitter, Rand: rnd}.Delay(attempts - 1)
}
