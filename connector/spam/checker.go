package spam

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
)

// Filter is what the intake and the learner need of a spam filter: a score
// with rule names, and learning. *Client has it; the demo has a stand-in.
type Filter interface {
	Symbols(ctx context.Context, raw []byte) (Result, error)
	Tell(ctx context.Context, raw []byte, class Class) (learned bool, err error)
}

// DefaultPause is how long the Checker stops asking spamd after a failure:
// mail goes on unchecked meanwhile instead of each mail waiting for a
// timeout.
const DefaultPause = 30 * time.Second

// ErrPaused: spamd failed a moment ago and is not asked again yet; the mail
// is handled unchecked.
var ErrPaused = errors.New("spamd failed recently: not asked")

// Checker asks a Filter for a verdict and keeps the outage state: after a
// failure it pauses (DefaultPause) so that an unreachable spamd never holds
// mail, and Status tells `check` and /readyz what happened.
type Checker struct {
	f     Filter
	addr  string
	clk   clock.Clock
	log   zerolog.Logger
	pause time.Duration

	mu sync.Mutex
	st Status
}

// Status is the spam filter's health as the checker saw it.
type Status struct {
	// Addr is spamd's address (or the stand-in's name).
	Addr string
	// LastOK is the time of the last answered check.
	LastOK time.Time
	// LastFailure and LastError describe the last failed check.
	LastFailure time.Time
	LastError   string
	// Failures counts failed checks since the last answered one (0: up);
	// DownSince is the first of them.
	Failures  int
	DownSince time.Time
	// Skipped counts mails not checked during the current outage.
	Skipped int
}

// Down reports whether the last check failed.
func (s Status) Down() bool { return s.Failures > 0 }

// NewChecker wraps f (addr names it in status and logs).
func NewChecker(f Filter, addr string, clk clock.Clock, log zerolog.Logger) *Checker {
	if clk == nil {
		clk = clock.System{}
	}
	return &Checker{f: f, addr: addr, clk: clk, pause: DefaultPause,
		log: log.With().Str("component", "spam").Logger(), st: Status{Addr: addr}}
}

// Filter returns the wrapped filter (for teaching).
func (c *Checker) Filter() Filter { return c.f }

// Check scores raw. It returns ErrPaused without asking during the pause
// after a failure, ErrTooLarge for a mail above the size cap, and the
// filter's error (logged, counted in Status) when the check failed.
func (c *Checker) Check(ctx context.Context, raw []byte) (Result, error) {
	now := c.clk.Now()
	c.mu.Lock()
	if c.st.Failures > 0 && now.Sub(c.st.LastFailure) < c.pause {
		c.st.Skipped++
		c.mu.Unlock()
		return Result{}, ErrPaused
	}
	c.mu.Unlock()
	res, err := c.f.Symbols(ctx, raw)
	now = c.clk.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		if c.st.Failures > 0 {
			c.log.Info().Int("failures", c.st.Failures).Int("unchecked", c.st.Skipped).Msg("spamd answers again")
		}
		c.st.LastOK, c.st.Failures, c.st.Skipped = now, 0, 0
	case errors.Is(err, ErrTooLarge):
	default:
		if c.st.Failures == 0 {
			c.st.DownSince = now
			c.log.Warn().Err(err).Str("spamd", c.addr).Msg("spam check failed: mail goes on unchecked")
		}
		c.st.LastFailure, c.st.LastError = now, err.Error()
		c.st.Failures++
	}
	return res, err
}

// Status returns the filter's health.
func (c *Checker) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}
