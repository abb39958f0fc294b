package daemon

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/metrics"
)

// portal wraps the client for the parts that take a small interface
// (outbox, events, the ticket engine): it counts API calls by method and result and
// remembers when the portal last answered, for readiness.
type portal struct {
	c       *bitrix.Client
	clk     clock.Clock
	metrics *metrics.Metrics
	lastOK  atomic.Int64 // unix nanoseconds of the last answer from the portal
}

// Call calls the portal and records the outcome.
func (p *portal) Call(ctx context.Context, method string, params any) (*bitrix.Response, error) {
	resp, err := p.c.Call(ctx, method, params)
	p.observe(method, err)
	return resp, err
}

// LeadGet reads a lead (the ticket engine's read) and records the outcome.
func (p *portal) LeadGet(ctx context.Context, id int64) (*bitrix.Lead, error) {
	l, err := p.c.LeadGet(ctx, id)
	p.observe("crm.lead.get", err)
	return l, err
}

func (p *portal) observe(method string, err error) {
	p.metrics.APICall(method, callClass(err))
	if answered(err) {
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

// answered reports whether the portal itself answered: a method-level error
// (not found, invalid, access denied) still proves it is reachable.
func answered(err error) bool {
	if err == nil {
		return true
	}
	for _, e := range []error{bitrix.ErrNotFound, bitrix.ErrInvalid, bitrix.ErrAccessDenied,
		bitrix.ErrMethodNotFound, bitrix.ErrRateLimited, bitrix.ErrOperatingLimit} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// callClass names an error's class for the API call metric.
func callClass(err error) string {
	if err == nil {
		return "ok"
	}
	classes := []struct {
		err  error
		name string
	}{
		{bitrix.ErrRateLimited, "rate_limited"},
		{bitrix.ErrOperatingLimit, "operating_limit"},
		{bitrix.ErrTokenExpired, "token_expired"},
		{bitrix.ErrUnauthorized, "unauthorized"},
		{bitrix.ErrAccessDenied, "access_denied"},
		{bitrix.ErrNotFound, "not_found"},
		{bitrix.ErrMethodNotFound, "method_not_found"},
		{bitrix.ErrInvalid, "invalid"},
		{bitrix.ErrOutcomeUnknown, "unknown"},
		{bitrix.ErrTransient, "transient"},
		{bitrix.ErrOverloaded, "overloaded"},
		{context.Canceled, "canceled"},
		{context.DeadlineExceeded, "timeout"},
	}
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "error"
}
