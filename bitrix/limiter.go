package bitrix

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Limiter is the client side of the portal's leaky bucket: each request
// adds one unit, the bucket drains at Rate units per second, and a request
// waits until it fits under the capacity. The capacity is the portal's
// burst minus a small safety margin, so that a portal enforcing the same
// numbers never answers QUERY_LIMIT_EXCEEDED. Waiting requests reserve
// their slot in arrival order. One Limiter is shared by every goroutine of
// a Client; with Share, by every process on the same BucketStore.
type Limiter struct {
	rate     float64
	capacity float64
	now      func() time.Time // time source (wall time when shared)

	mu    sync.Mutex
	level float64
	last  time.Time

	shared   BucketStore // nil: in-process only
	portal   string      // the shared bucket's key
	log      zerolog.Logger
	localTil time.Time // in-process bucket until then after a store failure
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

// Share makes the limiter keep its bucket in s under the key portal (the
// portal's host), so that every process on s draws from one bucket. Each
// reservation, cancellation and refusal is then one short transaction in
// s. When s fails, the limiter logs a warning and goes on with its
// in-process bucket (continuing from the last level it read) for 30 s
// before it tries s again; a request is never held by a failing store
// for more than 5 s. Call Share before the limiter is used.
func (l *Limiter) Share(s BucketStore, portal string, log zerolog.Logger) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shared, l.portal, l.log = s, portal, log
}

// update applies fn to the bucket at now: the shared one when the limiter
// shares and the store answers, else the in-process one. l.mu is held.
// The bucket is drained to now before fn runs.
func (l *Limiter) update(ctx context.Context, now time.Time, fn func()) {
	if l.shared != nil && !now.Before(l.localTil) {
		level, last := l.level, l.last
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
		err := l.shared.UpdateBucket(sctx, l.portal, func(b Bucket, found bool) Bucket {
			l.level, l.last = 0, time.Time{}
			if found {
				l.level, l.last = b.Level, b.At
			}
			l.drain(now)
			fn()
			return Bucket{Level: l.level, At: l.last}
		})
		cancel()
		if err == nil {
			if !l.localTil.IsZero() {
				l.localTil = time.Time{}
				l.log.Info().Str("portal", l.portal).Msg("request limiter shared again through the state")
			}
			return
		}
		l.level, l.last = level, last // fn's change was not stored
		l.localTil = now.Add(sharedRetryAfter)
		l.log.Warn().Str("portal", l.portal).Str("error", err.Error()).Dur("retry_in", sharedRetryAfter).
			Msg("request limiter state unavailable: limiting in this process only, other b24desk processes on this portal are not counted")
	}
	l.drain(now)
	fn()
}

// drain brings the level to now; l.mu is held. A time before the last one
// (a clock set back, or another process's clock behind this one) drains
// nothing.
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
func (l *Limiter) reserve(ctx context.Context) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var over float64
	l.update(ctx, l.now(), func() {
		l.level++
		over = l.level - l.capacity
	})
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
	d := l.reserve(ctx)
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
		l.update(ctx, l.now(), func() { l.level = max(l.level-1, 0) })
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
	l.update(context.Background(), l.now(), func() { l.level = max(l.level, l.capacity) })
}

// Level returns the current estimated bucket level (for metrics and tests).
func (l *Limiter) Level() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.update(context.Background(), l.now(), func() {})
	return l.level
}
