package daemon

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/metrics"
)

// portal is the client as the daemon's parts see it (outbox, events, the
// ticket engine), and the client's observer: it counts every HTTP request
// the client sends (retries and token refreshes included) by method and
// result, records the limiter's waits, and remembers when the portal last
// answered, for readiness.
type portal struct {
	c       *bitrix.Client
	clk     clock.Clock
	metrics *metrics.Metrics
	lastOK  atomic.Int64 // unix nanoseconds of the last answer from the portal
	// guard, when set, is asked before every request: an error refuses it
	// (a leader whose lease ran out: leader.go).
	guard func() error
}

// newPortal wraps c and makes the wrapper c's observer.
func newPortal(c *bitrix.Client, clk clock.Clock, m *metrics.Metrics) *portal {
	p := &portal{c: c, clk: clk, metrics: m}
	c.SetObserver(p)
	return p
}

// Call calls the portal (the observer counts each request it sends).
func (p *portal) Call(ctx context.Context, method string, params any) (*bitrix.Response, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.c.Call(ctx, method, params)
}

// Batch sends commands in batch requests (the outbox's writes).
func (p *portal) Batch(ctx context.Context, cmds []bitrix.BatchCmd, halt bool) ([]bitrix.BatchResult, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.c.Batch(ctx, cmds, halt)
}

func (p *portal) check() error {
	if p.guard == nil {
		return nil
	}
	return p.guard()
}

// LeadGet reads a lead (the ticket engine's read).
func (p *portal) LeadGet(ctx context.Context, id int64) (*bitrix.Lead, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.c.LeadGet(ctx, id)
}

// LeadList reads a page of leads (events' reconcile and sweep).
func (p *portal) LeadList(ctx context.Context, opt bitrix.ListOptions) ([]bitrix.Lead, *int, error) {
	if err := p.check(); err != nil {
		return nil, nil, err
	}
	return p.c.LeadList(ctx, opt)
}

// UserByID reads a user (outbound's staff name).
func (p *portal) UserByID(ctx context.Context, id string) (bitrix.User, bool, error) {
	if err := p.check(); err != nil {
		return bitrix.User{}, false, err
	}
	return p.c.UserByID(ctx, id)
}

// Scope reads the granted scopes (the readiness probe).
func (p *portal) Scope(ctx context.Context) ([]string, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.c.Scope(ctx)
}

// EventOfflineGet takes a page of the offline event queue.
func (p *portal) EventOfflineGet(ctx context.Context, q bitrix.OfflineQuery) (bitrix.OfflineEvents, error) {
	if err := p.check(); err != nil {
		return bitrix.OfflineEvents{}, err
	}
	return p.c.EventOfflineGet(ctx, q)
}

// EventOfflineClear clears a page of the offline event queue.
func (p *portal) EventOfflineClear(ctx context.Context, processID string, ids []int64) error {
	if err := p.check(); err != nil {
		return err
	}
	return p.c.EventOfflineClear(ctx, processID, ids)
}

// EventOfflineError reports a page of the offline event queue as failed.
func (p *portal) EventOfflineError(ctx context.Context, processID string, messageIDs []string) error {
	if err := p.check(); err != nil {
		return err
	}
	return p.c.EventOfflineError(ctx, processID, messageIDs)
}

// OnCall records one request the client sent.
func (p *portal) OnCall(i bitrix.CallInfo) {
	p.metrics.APICall(i.Method, i.Result)
	p.metrics.LimiterWait(i.LimiterWait)
	if i.Method != bitrix.OAuthTokenMethod && answered(i.Result) {
		p.lastOK.Store(p.clk.Now().UnixNano())
	}
}

// LastOK returns when the portal last answered (zero: never).
func (p *portal) LastOK() time.Time {
	n := p.lastOK.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// answered reports whether a request's result (bitrix.ErrorClass) shows
// that the portal itself answered: a method-level error (not found,
// invalid, access denied, a limit) still proves it is reachable.
func answered(result string) bool {
	switch result {
	case bitrix.ResultOK, bitrix.ResultRedirect, "not_found", "invalid", "access_denied",
		"method_not_found", "rate_limited", "operating_limit", "token_expired":
		return true
	}
	return false
}
