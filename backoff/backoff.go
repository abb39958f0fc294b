// Package backoff computes how long to wait before a retry: a fixed
// schedule (the outbox, the portal events) or a doubling one (the portal
// client, the IMAP reconnection), each spread by jitter so that many
// waiters do not retry together.
//
// It is a leaf package of the standard library only, at the top level like
// clock, so that bitrix (which may import nothing of b24desk's own but
// such leaves) and the connector parts share one implementation.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Policy is a retry schedule. The zero Policy waits nothing.
type Policy struct {
	// Steps, when set, is the schedule: retry n waits Steps[n], the last
	// step repeating.
	Steps []time.Duration
	// Without Steps, retry n waits Base·2ⁿ, at most Max (a Max below Base
	// means Base).
	Base, Max time.Duration
	// Jitter spreads each wait uniformly over ±Jitter of it (0.2: from 80%
	// to 120%); 0 waits exactly. Values are clamped to [0, 1].
	Jitter float64
	// Rand draws in [0, 1) (nil: math/rand/v2); tests pin it.
	Rand func() float64
}

// Delay returns the wait before retry number retry (0 for the first
// retry, after the first failure).
func (p Policy) Delay(retry int) time.Duration {
	d := p.step(max(retry, 0))
	j := min(max(p.Jitter, 0), 1)
	if j == 0 || d <= 0 {
		return d
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Float64
	}
	return time.Duration(float64(d) * (1 + j*(2*rnd()-1)))
}

// step is the wait before jitter.
func (p Policy) step(retry int) time.Duration {
	if len(p.Steps) > 0 {
		return p.Steps[min(retry, len(p.Steps)-1)]
	}
	if p.Base <= 0 {
		return 0
	}
	limit := max(p.Max, p.Base)
	d := p.Base
	for i := 0; i < retry && d < limit; i++ {
		d *= 2 // at most one doubling past limit: no overflow below ~146 years
	}
	return min(d, limit)
}
