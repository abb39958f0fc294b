package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
)

const authUsage = `Usage:
  b24desk auth [--config FILE] [--listen ADDR | --code CODE] [--timeout 10m]
  b24desk auth status [--config FILE]

For the OAuth path (a local application instead of an inbound webhook:
portal.client_id, client_secret and endpoint in the config), auth gets the
application's first token pair and stores it in the state. Afterwards the
daemon refreshes it by itself (each refresh token lives 180 days; a daemon
that runs at least once in that time never needs auth again).

  1. auth prints the authorization URL https://PORTAL/oauth/authorize/?client_id=...
  2. open it in a browser as a portal administrator and allow the application;
     the portal redirects to the application's handler URL with ?code=...
  3. the code reaches auth one of three ways:
       --listen ADDR   auth serves http://ADDR/ and takes the code from the
                       redirect (set the application's handler/redirect URL
                       to it, e.g. http://127.0.0.1:8765/ on the admin's PC
                       through an SSH tunnel)
       --code CODE     the code is given on the command line
       (neither)       paste the code, or the whole redirected URL, on stdin
  4. auth exchanges the code at portal.oauth_server (grant_type=
     authorization_code; a code lives 30 seconds, so be quick), stores the
     pair in the state and calls the portal once with it.

auth status tells whether a pair is stored and whether the portal accepts
it (a call that refreshes the access token when it has expired). Tokens are
never printed.

Flags:
  --config FILE    the daemon's config file (default b24desk.yaml), in OAuth
                   mode (portal.client_id, not portal.webhook_url)
  --listen ADDR    take the code from the portal's redirect to http://ADDR/
  --code CODE      the authorization code, given by hand
  --timeout 10m    how long to wait for the code (--listen or stdin)

Examples:
  b24desk auth --config /etc/b24desk/b24desk.yaml --listen 127.0.0.1:8765
  b24desk auth --config b24desk.yaml --code 7a8b...
  b24desk auth status --config b24desk.yaml

Exit status: 0 done (status: a working pair), 1 the exchange, the store or
the portal call failed (status: no pair, or the portal refused it), 2 bad
command line or config, or the config is not in OAuth mode.
`

// cmdAuth runs the OAuth authorization-code exchange or shows its status.
func cmdAuth(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runAuth(ctx, args, os.Stdin, stdout, stderr)
}

// runAuth is cmdAuth with the input the pasted code comes from.
func runAuth(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("auth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	listen := fs.String("listen", "", "take the code from a redirect to http://ADDR/")
	code := fs.String("code", "", "the authorization code")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the code")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, authUsage)
		return exitOK
	}
	status := len(pos) == 1 && pos[0] == "status"
	if err != nil || (len(pos) != 0 && !status) || (*listen != "" && *code != "") || (status && (*listen != "" || *code != "")) {
		fmt.Fprint(stderr, authUsage)
		return exitUsage
	}
	cfg, rc := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return rc
	}
	if cfg.Portal.AuthMode() != config.AuthOAuth {
		fmt.Fprintln(stderr, "b24desk auth: the config uses an inbound webhook (portal.webhook_url): there is no token to get; auth is for the local-application path")
		return exitUsage
	}
	portalURL, err := portalBase(cfg.Portal.Endpoint)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk auth: portal.endpoint: %v\n", err)
		return exitUsage
	}
	log := newLogger(config.Log{Level: "error", Format: "console"}, stderr)
	if status {
		return authStatus(ctx, cfg, log, stdout, stderr)
	}

	stateTag := randomState()
	authURL := portalURL + "/oauth/authorize/?" + url.Values{"client_id": {cfg.Portal.ClientID}, "state": {stateTag}}.Encode()
	fmt.Fprintf(stdout, "Open this URL as a portal administrator and allow the application:\n  %s\n", authURL)

	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	switch {
	case *code != "":
	case *listen != "":
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			fmt.Fprintf(stderr, "b24desk auth: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "Waiting for the redirect on http://%s/ (the application's handler URL must point here)...\n", ln.Addr())
		*code, err = codeFromRedirect(wctx, ln, stateTag)
		if err != nil {
			fmt.Fprintf(stderr, "b24desk auth: %v\n", err)
			return exitFailed
		}
	default:
		fmt.Fprintln(stdout, "Paste the code (or the whole address the browser was sent to), then Enter:")
		*code, err = codeFromInput(wctx, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "b24desk auth: %v\n", err)
			return exitFailed
		}
	}

	st, _, err := openStateShared(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk auth: %v\n", err)
		return exitFailed
	}
	defer st.Close()
	client, err := newCommandClient(cfg, log, st, clock.System{}, 0)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk auth: %v\n", err)
		return exitFailed
	}
	tok, err := client.ExchangeCode(wctx, *code)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk auth: %v\n%s", err, exchangeHint(err))
		return exitFailed
	}
	fmt.Fprintf(stdout, "token pair stored in %s (access token valid until %s)\n", stateName(cfg), tok.Expires.Format(time.RFC3339))
	return probeToken(ctx, cfg, client, stdout, stderr)
}

// exchangeHint explains the OAuth server's refusal of a code with its fix
// ("" when there is nothing to add).
func exchangeHint(err error) string {
	var ae *bitrix.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.Code {
	case "invalid_grant":
		return "    fix: the code was already used or is older than 30 seconds: run b24desk auth again and be quick\n"
	case "invalid_client":
		return "    fix: check portal.client_id and client_secret against the local application's page in the portal\n"
	}
	return ""
}

// authStatus reports the stored pair and whether the portal accepts it.
func authStatus(ctx context.Context, cfg *config.Config, log zerolog.Logger, stdout, stderr io.Writer) int {
	st, _, err := openStateShared(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk auth status: %v\n", err)
		return exitFailed
	}
	defer st.Close()
	tok, found, err := st.LoadToken(ctx)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "b24desk auth status: %v\n", err)
		return exitFailed
	case !found:
		fmt.Fprintf(stdout, "no token pair in %s: run b24desk auth\n", stateName(cfg))
		return exitFailed
	}
	state := "valid"
	if !tok.ExpiresAt.After(clock.System{}.Now()) {
		state = "expired (refreshed on the next call)"
	}
	fmt.Fprintf(stdout, "token pair stored in %s; access token %s, until %s\n", stateName(cfg), state, tok.ExpiresAt.Format(time.RFC3339))
	c, err := newCommandClient(cfg, log, st, clock.System{}, 0)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk auth status: %v\n", err)
		return exitFailed
	}
	return probeToken(ctx, cfg, c, stdout, stderr)
}

// probeToken calls the portal once with the stored pair.
func probeToken(ctx context.Context, cfg *config.Config, c *bitrix.Client, stdout, stderr io.Writer) int {
	scopes, err := c.Scope(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk auth: the portal %s refused the token: %v\n    fix: run b24desk auth again (a refresh token unused for 180 days, or a reinstalled application, needs a new pair)\n", cfg.Portal.Endpoint, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "portal %s accepts the token; scopes: %s\n", cfg.Portal.Endpoint, strings.Join(scopes, ", "))
	return exitOK
}

// portalBase returns scheme://host of the REST endpoint.
func portalBase(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q must look like https://PORTAL/rest/", endpoint)
	}
	return u.Scheme + "://" + u.Host, nil
}

func randomState() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// codeFromRedirect serves ln until a request carries ?code=, answering the
// browser with a short page. A request with a different state is refused.
func codeFromRedirect(ctx context.Context, ln net.Listener, wantState string) (string, error) {
	codes := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := q.Get("code")
		if code == "" {
			http.Error(w, "b24desk auth: waiting for ?code= from the portal's redirect", http.StatusBadRequest)
			return
		}
		if s := q.Get("state"); s != "" && s != wantState {
			http.Error(w, "b24desk auth: this redirect belongs to another authorization attempt", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "b24desk received the authorization code. You can close this page.")
		select {
		case codes <- code:
		default:
		}
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	select {
	case c := <-codes:
		return c, nil
	case <-ctx.Done():
		return "", fmt.Errorf("no redirect with a code arrived: %w", ctx.Err())
	}
}

// codeFromInput reads one line: a bare code or a URL carrying ?code=.
func codeFromInput(ctx context.Context, in io.Reader) (string, error) {
	lines := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		if sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
			return
		}
		errc <- errors.New("no code was entered")
	}()
	select {
	case l := <-lines:
		return parseCode(l)
	case err := <-errc:
		return "", err
	case <-ctx.Done():
		return "", fmt.Errorf("no code was entered: %w", ctx.Err())
	}
}

// parseCode takes a bare code or a redirect URL with ?code=.
func parseCode(s string) (string, error) {
	if strings.Contains(s, "code=") {
		raw := s
		if i := strings.IndexByte(s, '?'); i >= 0 {
			raw = s[i+1:]
		}
		q, err := url.ParseQuery(raw)
		if err == nil && q.Get("code") != "" {
			return q.Get("code"), nil
		}
	}
	if s == "" || strings.ContainsAny(s, " /?&=") {
		return "", errors.New("that does not look like an authorization code")
	}
	return s, nil
}
