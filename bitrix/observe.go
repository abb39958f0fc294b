package bitrix

import (
	"context"
	"errors"
	"time"
)

// OAuthTokenMethod is the CallInfo.Method of a request to the OAuth server
// (a token refresh); it is not a portal method.
const OAuthTokenMethod = "oauth.token"

// ResultOK is CallInfo.Result of a request the portal answered with a result.
const ResultOK = "ok"

// ResultRedirect is CallInfo.Result of a request answered with a redirect
// (the portal changed domain); the client re-posts it.
const ResultRedirect = "redirect"

// CallInfo describes one HTTP request the client sent. It carries no URL,
// parameter or credential, so it never holds a secret.
type CallInfo struct {
	// Method is the REST method ("batch" for a batch request), or
	// OAuthTokenMethod for a token refresh.
	Method string
	// Result is ResultOK, ResultRedirect or the error class (ErrorClass).
	Result string
	// Attempt numbers the requests of one call from 1: retries and the
	// repeat after a token refresh have higher numbers.
	Attempt int
	// LimiterWait is how long the request waited in the leaky bucket.
	LimiterWait time.Duration
	// Status is the HTTP status of the answer (0: no answer, e.g. a
	// network failure).
	Status int

	sent bool // the request went out (set by attempt)
}

// Observer is told about every HTTP request the client sends (for
// metrics). OnCall runs on the caller's goroutine, concurrently from
// several goroutines; it must be quick and must not call the client.
type Observer interface {
	OnCall(CallInfo)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(CallInfo)

// OnCall calls f.
func (f ObserverFunc) OnCall(i CallInfo) { f(i) }

// observerBox lets an interface value live in an atomic.Pointer.
type observerBox struct{ o Observer }

// SetObserver replaces the client's observer (nil: none). It is for owners
// of a client built elsewhere (the daemon gets its client from the
// command); Config.Observer is the usual way.
func (c *Client) SetObserver(o Observer) {
	if o == nil {
		c.observer.Store(nil)
		return
	}
	c.observer.Store(&observerBox{o: o})
}

// observe reports one sent request with its outcome (nil: ok).
func (c *Client) observe(info CallInfo, err error) {
	b := c.observer.Load()
	if b == nil {
		return
	}
	if info.Result == "" {
		info.Result = ErrorClass(err)
	}
	b.o.OnCall(info)
}

// errorClasses maps sentinels to the names ErrorClass gives them; the
// first match wins (an outcome-unknown write is also transient in spirit,
// but is named "unknown").
var errorClasses = []struct {
	err  error
	name string
}{
	{ErrRateLimited, "rate_limited"},
	{ErrOperatingLimit, "operating_limit"},
	{ErrTokenExpired, "token_expired"},
	{ErrUnauthorized, "unauthorized"},
	{ErrAccessDenied, "access_denied"},
	{ErrNotFound, "not_found"},
	{ErrMethodNotFound, "method_not_found"},
	{ErrInvalid, "invalid"},
	{ErrOutcomeUnknown, "unknown"},
	{ErrTransient, "transient"},
	{ErrOverloaded, "overloaded"},
	{ErrSkipped, "skipped"},
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "timeout"},
}

// ErrorClass names the class of a call's error for metrics and logs:
// ResultOK for nil, else rate_limited, operating_limit, token_expired,
// unauthorized, access_denied, not_found, method_not_found, invalid,
// unknown (outcome unknown), transient, overloaded, skipped, canceled,
// timeout, or "error" for anything else.
func ErrorClass(err error) string {
	if err == nil {
		return ResultOK
	}
	for _, c := range errorClasses {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "error"
}
