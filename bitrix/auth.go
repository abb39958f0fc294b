package bitrix

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuthConfig configures app (OAuth) authentication.
type OAuthConfig struct {
	ClientID     string
	ClientSecret string
	// ServerURL is the OAuth server, e.g. https://oauth.bitrix.info (region
	// dependent); "/oauth/token/" is appended unless already there.
	ServerURL string
	// Endpoint is the portal's REST base, e.g. https://x.bitrix24.ru/rest/.
	Endpoint string
	// Store loads the current token and persists each refreshed one.
	Store TokenStore
}

// Token is an OAuth token pair. Each refresh returns a new refresh token:
// it must be persisted before the old one is forgotten.
type Token struct {
	AccessToken  string
	RefreshToken string
	Expires      time.Time
}

// TokenStore persists OAuth tokens. Save must be atomic: a crash leaves the
// old or the new token, never half of each.
type TokenStore interface {
	Load(ctx context.Context) (Token, error)
	Save(ctx context.Context, t Token) error
}

// TokenRefresher is an optional TokenStore extension for stores shared by
// several processes (the daemon and a CLI command on one state): Refresh
// re-reads the stored pair under a lock and, unless another process already
// replaced staleAccess, calls fetch with the stored refresh token and saves
// the answer before releasing the lock. A refresh token is then never spent
// twice.
type TokenRefresher interface {
	Refresh(ctx context.Context, staleAccess string,
		fetch func(ctx context.Context, refreshToken string) (Token, error)) (Token, error)
}

// authenticator supplies credentials for one request.
type authenticator interface {
	// token returns the access token to send ("" for a webhook) and its
	// generation, to be passed to refresh after expired_token.
	token(ctx context.Context) (string, uint64, error)
	// refresh replaces the token of generation gen, once for all callers.
	refresh(ctx context.Context, gen uint64) error
}

type webhookAuth struct{}

func (webhookAuth) token(context.Context) (string, uint64, error) { return "", 0, nil }

func (webhookAuth) refresh(context.Context, uint64) error {
	return &APIError{Method: "auth", Kind: ErrUnauthorized, Description: "a webhook cannot be refreshed"}
}

// oauth holds the current token and shares one refresh among all callers.
type oauth struct {
	cfg      OAuthConfig
	endpoint string
	tokenURL string
	c        *Client

	mu       sync.Mutex
	tok      Token
	loaded   bool
	gen      uint64
	inflight chan struct{} // closed when the running refresh ends
	lastErr  error
}

func newOAuth(cfg *OAuthConfig, c *Client) (*oauth, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.Store == nil {
		return nil, errors.New("bitrix: OAuth needs ClientID, ClientSecret and a token Store")
	}
	ep, err := url.Parse(cfg.Endpoint)
	if err != nil || ep.Host == "" || (ep.Scheme != "https" && ep.Scheme != "http") {
		return nil, errors.New("bitrix: OAuth Endpoint must look like https://PORTAL/rest/")
	}
	endpoint := strings.TrimRight(cfg.Endpoint, "/") + "/"
	srv, err := url.Parse(cfg.ServerURL)
	if err != nil || srv.Host == "" {
		return nil, errors.New("bitrix: OAuth ServerURL must look like https://oauth.bitrix.info")
	}
	tokenURL := strings.TrimRight(cfg.ServerURL, "/")
	if !strings.HasSuffix(tokenURL, "/oauth/token") {
		tokenURL += "/oauth/token"
	}
	tokenURL += "/"
	c.secrets.add(cfg.ClientSecret)
	return &oauth{cfg: *cfg, endpoint: endpoint, tokenURL: tokenURL, c: c}, nil
}

func (o *oauth) token(ctx context.Context) (string, uint64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.loaded {
		t, err := o.cfg.Store.Load(ctx)
		if err != nil {
			return "", 0, &redactedError{msg: "bitrix: load OAuth token: " + o.c.secrets.redact(err.Error()), err: err}
		}
		o.setLocked(t)
		o.loaded = true
	}
	return o.tok.AccessToken, o.gen, nil
}

func (o *oauth) setLocked(t Token) {
	o.tok = t
	o.c.secrets.addRotated(t.AccessToken)
	o.c.secrets.addRotated(t.RefreshToken)
}

// refresh gets a new token unless another caller already replaced
// generation gen; concurrent callers wait for the one running refresh.
func (o *oauth) refresh(ctx context.Context, gen uint64) error {
	o.mu.Lock()
	for {
		if o.gen != gen {
			o.mu.Unlock()
			return nil
		}
		if o.inflight == nil {
			break
		}
		ch := o.inflight
		o.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		o.mu.Lock()
		if o.gen == gen { // the refresh we waited for failed
			err := o.lastErr
			o.mu.Unlock()
			return err
		}
	}
	ch := make(chan struct{})
	o.inflight = ch
	stale := o.tok
	o.mu.Unlock()

	// The refresh is shared: it must not fail because the first caller
	// gave up.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.c.timeout)
	t, err := o.renew(rctx, stale)
	cancel()

	o.mu.Lock()
	if err == nil {
		o.setLocked(t)
		o.gen++
		o.c.log.Info().Msg("OAuth access token refreshed")
	}
	o.lastErr = err
	o.inflight = nil
	close(ch)
	o.mu.Unlock()
	return err
}

// renew replaces the stale pair: through the store's TokenRefresher when it
// has one (the refresh then runs under the store's lock), else by asking the
// OAuth server and saving the answer.
func (o *oauth) renew(ctx context.Context, stale Token) (Token, error) {
	if r, ok := o.cfg.Store.(TokenRefresher); ok {
		return r.Refresh(ctx, stale.AccessToken, o.requestToken)
	}
	t, err := o.requestToken(ctx, stale.RefreshToken)
	if err != nil {
		return Token{}, err
	}
	if serr := o.cfg.Store.Save(ctx, t); serr != nil {
		o.c.log.Error().Str("error", o.c.secrets.redact(serr.Error())).
			Msg("OAuth token refreshed but not saved: the next restart needs a reinstall unless saving recovers")
	}
	return t, nil
}

type tokenAnswer struct {
	AccessToken      string  `json:"access_token"`
	RefreshToken     string  `json:"refresh_token"`
	ExpiresIn        FlexInt `json:"expires_in"`
	Expires          FlexInt `json:"expires"`
	Error            string  `json:"error"`
	ErrorDescription string  `json:"error_description"`
}

// requestToken calls the OAuth server's refresh grant and reports the
// request to the client's observer. An answer without a refresh token
// keeps the old one.
func (o *oauth) requestToken(ctx context.Context, refreshToken string) (Token, error) {
	t, err := o.grant(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
	if err == nil && t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	return t, err
}

// ExchangeCode trades an authorization code (from the portal's redirect
// after an administrator allowed the application) for the application's
// first token pair, grant_type=authorization_code, and saves it in the
// OAuthConfig's Store; the client's next call uses it. A code is single
// use and lives 30 seconds: the server then answers invalid_grant
// (ErrUnauthorized). The code and the secret never appear in an error.
func (c *Client) ExchangeCode(ctx context.Context, code string) (Token, error) {
	o, ok := c.auth.(*oauth)
	if !ok {
		return Token{}, errors.New("bitrix: ExchangeCode needs an OAuth client (a webhook has no tokens)")
	}
	c.secrets.addRotated(code)
	t, err := o.grant(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code}})
	if err != nil {
		return Token{}, err
	}
	if t.RefreshToken == "" {
		return Token{}, &APIError{Method: OAuthTokenMethod, Kind: ErrUnauthorized,
			Description: "the OAuth server sent no refresh token"}
	}
	if err := o.cfg.Store.Save(ctx, t); err != nil {
		return Token{}, &redactedError{msg: "bitrix: save OAuth token: " + c.secrets.redact(err.Error()), err: err}
	}
	o.mu.Lock()
	o.setLocked(t)
	o.loaded = true
	o.gen++
	o.mu.Unlock()
	return t, nil
}

// grant asks the OAuth server's token endpoint for a pair (q names the
// grant and its proof; the client ID and secret are added) and reports the
// request to the client's observer.
func (o *oauth) grant(ctx context.Context, q url.Values) (t Token, err error) {
	info := CallInfo{Method: OAuthTokenMethod, Attempt: 1}
	defer func() { o.c.observe(info, err) }()
	q.Set("client_id", o.cfg.ClientID)
	q.Set("client_secret", o.cfg.ClientSecret)
	resp, err := o.c.http.R().SetContext(ctx).Get(o.tokenURL + "?" + q.Encode())
	if err != nil {
		return Token{}, o.c.networkError(OAuthTokenMethod, err)
	}
	info.Status = resp.StatusCode()
	var a tokenAnswer
	body := resp.Body()
	if jerr := json.Unmarshal(body, &a); jerr != nil {
		return Token{}, &APIError{Method: "oauth.token", Status: resp.StatusCode(), Kind: ErrTransient,
			Description: "OAuth server answered " + contentKind(resp.Header().Get("Content-Type"), body)}
	}
	if a.Error != "" || resp.StatusCode() >= 400 || a.AccessToken == "" {
		code := a.Error
		if code == "" && a.AccessToken == "" && resp.StatusCode() < 400 {
			code = "invalid_grant"
		}
		return Token{}, &APIError{Method: "oauth.token", Status: resp.StatusCode(), Code: code,
			Description: o.c.secrets.redact(a.ErrorDescription), Kind: classifyOAuth(resp.StatusCode(), code)}
	}
	t = Token{AccessToken: a.AccessToken, RefreshToken: a.RefreshToken}
	now := o.c.clk.Now()
	switch {
	case a.Expires > 0:
		t.Expires = time.Unix(int64(a.Expires), 0)
	case a.ExpiresIn > 0:
		t.Expires = now.Add(time.Duration(a.ExpiresIn) * time.Second)
	default:
		t.Expires = now.Add(time.Hour)
	}
	return t, nil
}

// classifyOAuth sorts an OAuth server error: a dead refresh token or bad
// client credentials need a human (ErrUnauthorized), 5xx is transient.
func classifyOAuth(status int, code string) error {
	switch strings.ToLower(code) {
	case "invalid_grant", "invalid_client", "invalid_request", "expired_token", "invalid_token":
		return ErrUnauthorized
	case "insufficient_scope":
		return ErrAccessDenied
	}
	if status >= 500 {
		return ErrTransient
	}
	return Classify(status, code, "")
}
