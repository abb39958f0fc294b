package bitrix

import (
	"context"
	"sync"
	"time"
)

// Limiter is the client side of the portal's leaky bucket: each request
// adds one unit, the bucket drains at Rate units per second, and a request
// waits until it fits under the capacity. The capacity is the portal's
// burst minus a small safety margin, so that a portal enforcing the same
// numbers never answers QUERY_LIMIT_EXCEEDED. Waiting requests reserve
// their slot in arrival order. One Limiter is shared by every goroutine of
// a Client.
type Limiter struct {
	rate     float64
	capacity float64
	now      func() time.Time // monotonic time source

	mu    sync.Mutex
	level float64
	last  time.Time
}

// NewLimiter returns a limiter for a portal that drains rate requests per
// second and overflows at burst pending requests.
func NewLimiter(rate float64, burst int) *Limiter {
	return newLimiterAt(rate, burst, time.Now)
}

func newLimiterAt(rate float64, burst int, now func() time.Time) *Limiter {
	if rate <= 0 {
		rate = 2
	}
	if burst <= 0 {
		burst = 50
	}
	margin := float64(burst) / 16
	if margin < 2 {
		margin = 2
	}
	capacity := float64(burst) - margin
	if capacity < 1 {
		capacity = 1
	}
	return &Limiter{rate: rate, capacity: capacity, now: now}
}

// drain brings the level to now; l.mu is held.
func (l *Limiter) drain(now time.Time) {
	if !l.last.IsZero() {
		if d := now.Sub(l.last).Seconds(); d > 0 {
			l.level -= d * l.rate
			if l.level < 0 {
				l.level = 0
			}
		}
	}
	l.last = now
}

// reserve takes one unit and returns how long the caller must wait before
// sending.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drain(l.now())
	l.level++
	over := l.level - l.capacity
	if over <= 0 {
		return 0
	}
	return time.Duration(over / l.rate * float64(time.Second))
}

// Wait blocks until one more request fits, or ctx ends (the reserved unit
// is then given back).
func (l *Limiter) Wait(ctx context.Context) error {
	_, err := l.waitFor(ctx)
	return err
}

// waitFor is Wait that also returns how long the request was held in the
// bucket (the reserved delay, 0 when it fitted at once).
func (l *Limiter) waitFor(ctx context.Context) (time.Duration, error) {
	d := l.reserve()
	if d <= 0 {
		return 0, ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return d, nil
	case <-ctx.Done():
		l.mu.Lock()
		l.drain(l.now())
		l.level--
		if l.level < 0 {
			l.level = 0
		}
		l.mu.Unlock()
		return 0, ctx.Err()
	}
}

// Penalize records that the portal refused a request with
// QUERY_LIMIT_EXCEEDED: the client's estimate was wrong, so the bucket is
// taken as full.
func (l *Limiter) Penalize() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drain(l.now())
	if l.level < l.capacity {
		l.level = l.capacity
	}
}

// Level returns the current estimated bucket level (for metrics and tests).
func (l *Limiter) Level() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drain(l.now())
	return l.level
}
