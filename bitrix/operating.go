package bitrix

import (
	"context"
	"strings"
	"sync"
	"time"
)

// operatingTracker follows each method's operating time (the portal's
// per-method budget over a 10-minute window) from the time.operating and
// time.operating_reset_at fields, and pauses a method that comes near the
// limit, or was refused with 429, until its reset time.
type operatingTracker struct {
	limit     float64 // seconds
	threshold float64 // pause at or above this many seconds

	mu      sync.Mutex
	blocked map[string]time.Time // method -> wall time it may run again
}

func newOperatingTracker(limit time.Duration) *operatingTracker {
	l := limit.Seconds()
	return &operatingTracker{limit: l, threshold: l * 0.9, blocked: map[string]time.Time{}}
}

// maxOperatingPause caps a pause computed from the portal's reset time
// (the window is 10 minutes).
const maxOperatingPause = 11 * time.Minute

// observe records an answer's timing for method.
func (o *operatingTracker) observe(method string, t Time, now time.Time) {
	if t.Operating < o.threshold || t.OperatingResetAt == 0 {
		return
	}
	o.block(method, time.Unix(t.OperatingResetAt, 0), now)
}

// refused records a 429 OPERATION_TIME_LIMIT for method: it is paused until
// resetAt, or one minute when the portal did not say.
func (o *operatingTracker) refused(method string, resetAt int64, now time.Time) {
	until := now.Add(time.Minute)
	if resetAt > 0 {
		until = time.Unix(resetAt, 0)
	}
	o.block(method, until, now)
}

func (o *operatingTracker) block(method string, until, now time.Time) {
	method = strings.ToLower(method)
	if until.Sub(now) > maxOperatingPause {
		until = now.Add(maxOperatingPause)
	}
	if !until.After(now) {
		return
	}
	o.mu.Lock()
	if until.After(o.blocked[method]) {
		o.blocked[method] = until
	}
	o.mu.Unlock()
}

// pause returns how long method must still wait.
func (o *operatingTracker) pause(method string, now time.Time) time.Duration {
	method = strings.ToLower(method)
	o.mu.Lock()
	defer o.mu.Unlock()
	until, ok := o.blocked[method]
	if !ok {
		return 0
	}
	if !until.After(now) {
		delete(o.blocked, method)
		return 0
	}
	return until.Sub(now)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
