package bitrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/b24desk/b24desk/backoff"
)

// maxRedirects bounds the domain-change redirects followed for one request.
const maxRedirects = 3

// Call runs one REST method with params (a map, a struct or nil) sent as a
// JSON POST body, and returns the decoded envelope. It waits for the
// limiter and the method's operating budget, refreshes an expired OAuth
// token once, and retries what is safe to retry (see retry.go); a failed
// call returns an error wrapping one of the sentinels of errors.go.
func (c *Client) Call(ctx context.Context, method string, params any) (*Response, error) {
	if !validMethod(method) {
		return nil, &APIError{Method: "?", Kind: ErrInvalid, Description: fmt.Sprintf("bad method name %.60q", method)}
	}
	body, err := marshalParams(params)
	if err != nil {
		return nil, &APIError{Method: method, Kind: ErrInvalid, Description: err.Error()}
	}
	return c.call(ctx, method, body, idempotent(method))
}

// validMethod accepts REST method names: letters, digits, '.', '_' and '-'.
func validMethod(m string) bool {
	if m == "" || len(m) > 100 {
		return false
	}
	for _, r := range m {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// marshalParams turns params into a JSON object.
func marshalParams(params any) (map[string]json.RawMessage, error) {
	if params == nil {
		return map[string]json.RawMessage{}, nil
	}
	data, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, errors.New("params must encode as a JSON object")
	}
	return obj, nil
}

// call is Call with the body prepared and the method's retry class known.
// Every request it sends is reported to the observer once, with the class
// of the error the caller sees for it.
func (c *Client) call(ctx context.Context, method string, body map[string]json.RawMessage, retrySafe bool) (*Response, error) {
	refreshed := false
	requests := 0
	for attempt := 0; ; attempt++ {
		waited, err := c.waitTurn(ctx, method)
		if err != nil {
			return nil, c.ctxError(method, err)
		}
		requests++
		info := CallInfo{Method: method, Attempt: requests, LimiterWait: waited}
		resp, err := c.attempt(ctx, method, body, &info)
		if err == nil {
			c.operating.observe(method, resp.Time, c.clk.Now())
			c.observe(info, nil)
			return resp, nil
		}
		sent := info.sent
		var ae *APIError
		if !errors.As(err, &ae) {
			if sent {
				c.observe(info, err)
			}
			return nil, err
		}
		if cerr := ctx.Err(); cerr != nil { // the caller gave up: no retry
			if errors.Is(ae.Kind, ErrTransient) && !retrySafe && !ae.notSent {
				ae.Kind = ErrOutcomeUnknown
			}
			err = fmt.Errorf("%w (%w)", ae, cerr)
			if sent {
				c.observe(info, err)
			}
			return nil, err
		}
		if errors.Is(ae.Kind, ErrTransient) && !retrySafe && !ae.notSent {
			ae.Kind = ErrOutcomeUnknown
		}
		if sent {
			c.observe(info, ae)
		}
		switch {
		case errors.Is(ae.Kind, ErrOutcomeUnknown):
			return nil, ae
		case errors.Is(ae.Kind, ErrTokenExpired):
			if refreshed {
				return nil, err
			}
			refreshed = true
			attempt-- // the refresh does not count as a retry
			if rerr := c.auth.refresh(ctx, ae.gen); rerr != nil {
				return nil, rerr
			}
			continue
		case errors.Is(ae.Kind, ErrRateLimited):
			c.limiter.Penalize()
		case errors.Is(ae.Kind, ErrOperatingLimit):
			c.operating.refused(method, ae.resetAt, c.clk.Now())
		case errors.Is(ae.Kind, ErrTransient):
		default:
			return nil, err
		}
		if attempt >= c.maxRetries || (ae.network && attempt >= c.networkRetries) {
			return nil, err
		}
		wait := retryBackoff(c.retryWait, attempt)
		c.log.Warn().Str("method", method).Int("attempt", attempt+1).Str("error", ae.Error()).
			Dur("wait", wait).Msg("retrying Bitrix24 call")
		if err := sleep(ctx, wait); err != nil {
			return nil, c.ctxError(method, err)
		}
	}
}

// waitTurn waits for the method's operating pause and the limiter, and
// returns how long the limiter held the request.
func (c *Client) waitTurn(ctx context.Context, method string) (time.Duration, error) {
	if err := c.waitOperating(ctx, method); err != nil {
		return 0, err
	}
	return c.limiter.waitFor(ctx)
}

// waitOperating waits while method is paused for its operating time. It
// re-reads the clock at least every second, so a pause ends on time with
// any clock.
func (c *Client) waitOperating(ctx context.Context, method string) error {
	logged := false
	for {
		d := c.operating.pause(method, c.clk.Now())
		if d <= 0 {
			return nil
		}
		if !logged {
			c.log.Info().Str("method", method).Dur("pause", d).Msg("method near its operating time limit: pausing")
			logged = true
		}
		if err := sleep(ctx, min(d, time.Second)); err != nil {
			return err
		}
	}
}

// ctxError is the error of a call given up before it was sent: transient
// (nothing happened) and wrapping the context's error.
func (c *Client) ctxError(method string, err error) error {
	return fmt.Errorf("%w (%w)", &APIError{Method: method, Kind: ErrTransient, Description: "not sent", notSent: true}, err)
}

// attempt sends one request, following domain-change redirects. It marks
// info sent once a request went out, sets info.Status to the final
// answer's status and reports each redirect to the observer (call reports
// the final request, with the class of the error the caller sees).
func (c *Client) attempt(ctx context.Context, method string, body map[string]json.RawMessage, info *CallInfo) (*Response, error) {
	tok, gen, err := c.auth.token(ctx)
	if err != nil {
		return nil, err
	}
	payload := body
	if tok != "" {
		payload = make(map[string]json.RawMessage, len(body)+1)
		for k, v := range body {
			payload[k] = v
		}
		payload["auth"], _ = json.Marshal(tok)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return nil, &APIError{Method: method, Kind: ErrInvalid, Description: "params: " + c.secrets.redact(err.Error())}
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	base := c.currentBase()
	target := base + method
	for redirects := 0; ; redirects++ {
		info.sent = true
		resp, err := c.http.R().SetContext(actx).
			SetHeader("Content-Type", "application/json").
			SetHeader("Accept", "application/json").
			SetBody(data).
			Post(target)
		if err != nil {
			if ctx.Err() != nil {
				return nil, &APIError{Method: method, Kind: ErrTransient, Description: "call abandoned: " + ctx.Err().Error()}
			}
			return nil, c.networkError(method, err)
		}
		status := resp.StatusCode()
		info.Status = status
		if isRedirect(status) {
			redirected := *info
			redirected.Result = ResultRedirect
			c.observe(redirected, nil)
			info.LimiterWait = 0 // the next request did not wait in the bucket
			if redirects >= maxRedirects {
				return nil, &APIError{Method: method, Status: status, Kind: ErrTransient, notSent: true,
					Description: fmt.Sprintf("more than %d redirects", maxRedirects)}
			}
			next, nerr := resolveRedirect(target, resp.Header().Get("Location"))
			if nerr != nil {
				return nil, &APIError{Method: method, Status: status, Kind: ErrInvalid, Description: "redirect without a usable Location"}
			}
			if strings.HasSuffix(next.Path, "/"+method) || strings.HasSuffix(next.Path, "/"+method+".json") {
				nb := *next
				nb.Path = next.Path[:strings.LastIndex(next.Path, "/")+1]
				nb.RawQuery, nb.Fragment = "", ""
				if c.currentBase() == base {
					c.setBase(nb.String())
				}
				base = nb.String()
			}
			c.log.Warn().Str("method", method).Str("new_host", next.Host).Int("status", status).
				Msg("portal moved: re-posting to the new address")
			target = next.String()
			continue
		}
		return c.decode(method, status, resp.Header().Get("Content-Type"), resp.Body(), gen)
	}
}

func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

func resolveRedirect(from, location string) (*url.URL, error) {
	if location == "" {
		return nil, errors.New("no Location")
	}
	f, err := url.Parse(from)
	if err != nil {
		return nil, err
	}
	l, err := url.Parse(location)
	if err != nil {
		return nil, err
	}
	u := f.ResolveReference(l)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, errors.New("bad scheme")
	}
	return u, nil
}

// decode turns an HTTP answer into a Response or an *APIError.
func (c *Client) decode(method string, status int, contentType string, body []byte, gen uint64) (*Response, error) {
	var env envelope
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &env) != nil {
		return nil, &APIError{Method: method, Status: status, Kind: ErrTransient,
			Description: "portal answered " + contentKind(contentType, trimmed)}
	}
	if len(env.Error) > 0 && !bytes.Equal(bytes.TrimSpace(env.Error), jsonNull) {
		code := rawString(env.Error)
		desc := c.secrets.redact(rawString(env.ErrorDescription))
		ae := &APIError{Method: method, Status: status, Code: code, Description: desc, Kind: Classify(status, code, desc), gen: gen}
		if errors.Is(ae.Kind, ErrOperatingLimit) {
			ae.resetAt = parseTime(env.Time).OperatingResetAt
		}
		if errors.Is(ae.Kind, ErrRateLimited) {
			ae.notSent = true
		}
		return nil, ae
	}
	if status >= 300 || env.Result == nil {
		return nil, &APIError{Method: method, Status: status, Kind: Classify(status, "", ""),
			Description: "answer without result"}
	}
	return env.response(), nil
}

// contentKind describes a body that is not a JSON envelope without quoting
// it (it could echo a request).
func contentKind(contentType string, body []byte) string {
	ct := contentType
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	if ct == "" {
		ct = "no content type"
	}
	if len(body) == 0 {
		return "an empty body (" + ct + ")"
	}
	return fmt.Sprintf("a non-JSON body (%s, %d bytes)", ct, len(body))
}

// networkError wraps a transport failure without its URL (which holds the
// webhook secret or a token). A failure to connect is marked as not sent:
// the portal never saw the request.
func (c *Client) networkError(method string, err error) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	desc := "network: " + c.secrets.redact(inner.Error())
	ae := &APIError{Method: method, Kind: ErrTransient, Description: desc, network: true}
	if isDialError(inner) {
		ae.notSent = true
	}
	if errors.Is(inner, context.DeadlineExceeded) {
		ae.Description = "network: no answer within " + c.timeout.String()
	}
	return ae
}

// retryBackoff is the wait before retry attempt (0: the first): base
// doubling per retry up to 30 s, spread by ±50% so that processes limited
// together do not retry together.
func retryBackoff(base time.Duration, attempt int) time.Duration {
	return backoff.Policy{Base: base, Max: 30 * time.Second, Jitter: 0.5}.Delay(attempt)
}
