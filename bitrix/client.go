package bitrix

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
)

// Plans known to NewLimits.
const (
	PlanStandard   = "standard"   // 2 requests/s, burst 50
	PlanEnterprise = "enterprise" // 5 requests/s, burst 250
)

// Config configures a Client. Exactly one of WebhookURL and OAuth is set.
type Config struct {
	// WebhookURL is an inbound webhook, https://PORTAL/rest/USER_ID/SECRET/.
	// It contains a secret: the client never logs it or puts it in an error.
	WebhookURL string
	// OAuth configures app (OAuth) authentication instead of a webhook.
	OAuth *OAuthConfig
	// Plan picks the portal's request limits: PlanStandard (default) or
	// PlanEnterprise.
	Plan string
	// Rate and Burst override the plan's limits when positive.
	Rate  float64
	Burst int
	// OperatingLimit is the per-method operating time budget over 10
	// minutes (default 480 s); a method is paused when it comes within 10%
	// of it, until its operating_reset_at.
	OperatingLimit time.Duration
	// Logger receives the client's log lines (never a secret).
	Logger zerolog.Logger
	// HTTPClient is optional (tests pass one trusting the simulator's
	// certificate). The client copies it and turns off redirect following.
	HTTPClient *http.Client
	// MaxRetries bounds the retries of one call (default 5; negative: none).
	MaxRetries int
	// NetworkRetries bounds those retries after a failure with no answer
	// from the portal (connection refused, DNS, reset, timeout): 0 means
	// MaxRetries, negative none. A one-shot command sets it negative to
	// report an unreachable portal at once; the daemon keeps retrying.
	NetworkRetries int
	// RetryWait is the wait before the first retry; it doubles per retry up
	// to 30 s, each wait spread by ±50% (default 500 ms).
	RetryWait time.Duration
	// Timeout bounds one HTTP attempt (default 65 s: the portal stops a
	// request after 60 s).
	Timeout time.Duration
	// Clock tells wall time (token expiry, operating resets); default
	// clock.System. The limiter always measures real elapsed time.
	Clock clock.Clock
	// Observer, when set, is told about every HTTP request the client
	// sends, retries and token refreshes included (see CallInfo).
	Observer Observer
	// Bucket, when set, keeps the limiter's bucket where every b24desk
	// process on the same state shares it (Limiter.Share), keyed by the
	// portal's host; nil: the bucket lives in this process only.
	Bucket BucketStore
}

// Client is a Bitrix24 REST client for one portal. It is safe for
// concurrent use; all goroutines share its limiter.
type Client struct {
	http      *resty.Client
	log       zerolog.Logger
	clk       clock.Clock
	limiter   *Limiter
	operating *operatingTracker
	auth      authenticator
	secrets   *redactor
	observer  atomic.Pointer[observerBox]

	maxRetries     int
	networkRetries int
	retryWait      time.Duration
	timeout        time.Duration

	mu   sync.Mutex
	base string // current REST base URL (changes after a domain-change redirect)
}

// New checks cfg and builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	if (cfg.WebhookURL == "") == (cfg.OAuth == nil) {
		return nil, errors.New("bitrix: set exactly one of WebhookURL and OAuth")
	}
	rate, burst, err := planLimits(cfg.Plan, cfg.Rate, cfg.Burst)
	if err != nil {
		return nil, err
	}
	c := &Client{
		log:        cfg.Logger.With().Str("component", "bitrix").Logger(),
		clk:        cfg.Clock,
		maxRetries: cfg.MaxRetries,
		retryWait:  cfg.RetryWait,
		timeout:    cfg.Timeout,
		secrets:    &redactor{},
	}
	if c.clk == nil {
		c.clk = clock.System{}
	}
	if c.maxRetries == 0 {
		c.maxRetries = 5
	} else if c.maxRetries < 0 {
		c.maxRetries = 0
	}
	switch {
	case cfg.NetworkRetries == 0:
		c.networkRetries = c.maxRetries
	case cfg.NetworkRetries < 0:
		c.networkRetries = 0
	default:
		c.networkRetries = min(cfg.NetworkRetries, c.maxRetries)
	}
	if c.retryWait <= 0 {
		c.retryWait = 500 * time.Millisecond
	}
	if c.timeout <= 0 {
		c.timeout = 65 * time.Second
	}
	opLimit := cfg.OperatingLimit
	if opLimit <= 0 {
		opLimit = 480 * time.Second
	}
	c.SetObserver(cfg.Observer)
	c.limiter = NewLimiter(rate, burst)
	c.operating = newOperatingTracker(opLimit)

	if cfg.WebhookURL != "" {
		base, secret, err := parseWebhook(cfg.WebhookURL)
		if err != nil {
			return nil, err
		}
		c.base = base
		c.secrets.add(secret)
		c.auth = webhookAuth{}
	} else {
		o, err := newOAuth(cfg.OAuth, c)
		if err != nil {
			return nil, err
		}
		c.base = o.endpoint
		c.auth = o
	}

	if cfg.Bucket != nil {
		c.limiter.Share(cfg.Bucket, portalHost(c.base), c.log)
	}

	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = resty.NewWithClient(hc).
		SetLogger(discardLogger{}).
		SetResponseBodyLimit(256 << 20)
	return c, nil
}

// parseWebhook checks a webhook URL and returns its base (ending in "/")
// and the secret (its last path segment).
func parseWebhook(raw string) (base, secret string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", errors.New("bitrix: webhook URL must look like https://PORTAL/rest/USER_ID/SECRET/")
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 3 || parts[len(parts)-3] != "rest" || parts[len(parts)-1] == "" {
		return "", "", errors.New("bitrix: webhook URL must look like https://PORTAL/rest/USER_ID/SECRET/")
	}
	secret = parts[len(parts)-1]
	u.Path = "/" + strings.Join(parts, "/") + "/"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), secret, nil
}

// portalHost is the host (and port) of a REST base URL, the key of the
// portal's shared bucket: the portal limits requests per portal and source
// address, whatever the credentials (bitrix24-api.md, Limits).
func portalHost(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

func (c *Client) currentBase() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base
}

func (c *Client) setBase(base string) {
	c.mu.Lock()
	c.base = base
	c.mu.Unlock()
}

// Limiter returns the client's shared limiter (for metrics and tests).
func (c *Client) Limiter() *Limiter { return c.limiter }

// discardLogger silences resty's own logging, which would print URLs.
type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}

// planLimits returns the request rate and burst for a plan, explicit
// numbers taking precedence.
func planLimits(plan string, rate float64, burst int) (float64, int, error) {
	r, b := 2.0, 50
	switch strings.ToLower(plan) {
	case "", PlanStandard:
	case PlanEnterprise:
		r, b = 5, 250
	default:
		return 0, 0, fmt.Errorf("bitrix: unknown plan %q (want %s or %s)", plan, PlanStandard, PlanEnterprise)
	}
	if rate > 0 {
		r = rate
	}
	if burst > 0 {
		b = burst
	}
	return r, b, nil
}
