package sim

import (
	"time"
)

// bucket is the portal's leaky bucket: each request adds one unit, the
// bucket drains at rate units per second, a request that would overflow
// capacity is refused (and not executed). It runs on the wall clock.
type bucket struct {
	level float64
	last  time.Time
}

func (b *bucket) take(now time.Time, rate float64, capacity int) bool {
	if !b.last.IsZero() {
		if d := now.Sub(b.last).Seconds(); d > 0 {
			b.level -= d * rate
			if b.level < 0 {
				b.level = 0
			}
		}
	}
	b.last = now
	if b.level+1 > float64(capacity) {
		return false
	}
	b.level++
	return true
}

// opWindow is one method's operating time over the last 10 minutes, in ten
// one-minute buckets (wall clock).
type opWindow struct {
	minutes [10]time.Duration
	stamp   [10]int64 // unix minute each slot holds
}

func (w *opWindow) add(now time.Time, d time.Duration) {
	m := now.Unix() / 60
	i := m % 10
	if w.stamp[i] != m {
		w.stamp[i], w.minutes[i] = m, 0
	}
	w.minutes[i] += d
}

// sum returns the operating time in the window and when the oldest
// non-empty minute drops out.
func (w *opWindow) sum(now time.Time) (time.Duration, int64) {
	m := now.Unix() / 60
	var total time.Duration
	oldest := int64(0)
	for i := range w.minutes {
		if w.stamp[i] > m-10 && w.stamp[i] <= m && w.minutes[i] > 0 {
			total += w.minutes[i]
			if oldest == 0 || w.stamp[i] < oldest {
				oldest = w.stamp[i]
			}
		}
	}
	if oldest == 0 {
		oldest = m
	}
	return total, (oldest + 10) * 60
}

func (p *Portal) opWindow(name string) *opWindow {
	w := p.st.operating[name]
	if w == nil {
		w = &opWindow{}
		p.st.operating[name] = w
	}
	return w
}

// checkOperating refuses a method whose operating time is used up.
func (p *Portal) checkOperating(name string) *apiError {
	if p.opts.OperatingLimit <= 0 {
		return nil
	}
	used, _ := p.opWindow(name).sum(p.wall.Now())
	if used >= p.opts.OperatingLimit {
		return errf(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
	}
	return nil
}

// callCost is a call's simulated server time in units of
// Options.OperatingCost. limits.md: "Request duration can be affected by
// the data volume, filter complexity, nested calls in batch"; huge-data.md:
// with start >= 0 the list "calculates the total number of items for the
// total field. On large datasets ... this calculation can be slow", while
// start = -1 with a >ID filter "reduces the load". The docs give no figures:
// the simulator takes the stricter reading. A call costs 1; a list read
// with start = N >= 0 costs 1 more per 50 rows skipped (an offset scan) and
// 1 more per started 1,000 rows counted for total, so page k of an offset
// scan costs about k; start = -1 costs 1 whatever the page.
func callCost(prm params, res outcome) int {
	if !res.list {
		return 1
	}
	q := parseList(prm)
	if q.noCount {
		return 1
	}
	return 1 + q.start/pageSize + (res.total+999)/1000
}

// chargeOperating bills n units of simulated cost to a method.
func (p *Portal) chargeOperating(name string, n int) {
	if p.opts.OperatingLimit <= 0 || n <= 0 {
		return
	}
	p.opWindow(name).add(p.wall.Now(), time.Duration(n)*p.opts.OperatingCost)
}

// operatingFields fills the optional operating fields of the time section.
func (p *Portal) operatingFields(name string, t *timing) {
	if p.opts.OperatingLimit <= 0 {
		return
	}
	used, reset := p.opWindow(name).sum(p.wall.Now())
	t.withOperating = true
	t.operating = used.Seconds()
	t.operatingReset = reset
}
