package main

// Shared wiring for the commands that work on a configured installation
// (setup, check, run...): load the config, the rules, a logger, the portal
// client and the state. Each helper prints nothing secret.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/daemon"
	"github.com/b24desk/b24desk/connector/logs"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// defaultConfigPath is used when --config is not given.
const defaultConfigPath = "b24desk.yaml"

// loadConfig loads the config file with the process environment. On failure
// it prints every problem to stderr and returns exitUsage (fix the file).
func loadConfig(path string, stderr io.Writer) (*config.Config, int) {
	cfg, err := config.Load(path, os.LookupEnv)
	var probs config.Problems
	switch {
	case errors.As(err, &probs):
		fmt.Fprintf(stderr, "b24desk: config %s has %d problem(s):\n", path, len(probs))
		for _, p := range probs {
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		return nil, exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "b24desk: %v\n", err)
		return nil, exitUsage
	}
	return cfg, exitOK
}

// loadConfigRules loads the rules file the config names. On failure it prints the
// problems (FILE:LINE:COL: path: message) and returns exitUsage.
func loadConfigRules(cfg *config.Config, clk clock.Clock, stderr io.Writer) (*rules.Rules, []rules.Warning, int) {
	r, warns, err := rules.Load(cfg.Rules.Path, clk.Now())
	if err != nil {
		fmt.Fprintf(stderr, "b24desk: rules %s:\n  %s\n", cfg.Rules.Path, strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return nil, nil, exitUsage
	}
	return r, warns, exitOK
}

// newLogger builds the logger cfg.Log asks for, writing to w.
func newLogger(cfg config.Log, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.Level)
	if err != nil || cfg.Level == "" {
		level = zerolog.InfoLevel
	}
	if cfg.Format == "console" {
		w = zerolog.ConsoleWriter{Out: w, NoColor: true, TimeFormat: "15:04:05"}
	}
	// A part's logger carries its parent's fields: every key once, the
	// components nested (mail.imapbox).
	return zerolog.New(logs.UniqueKeys(w)).Level(level).With().Timestamp().Logger()
}

// openState opens the state for writing, taking its lock (the state
// directory's, or the PostgreSQL database's). A running daemon holds the
// lock: the error then wraps store.ErrLocked.
func openState(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*store.Store, error) {
	if u := cfg.State.PostgresURL.Value(); u != "" {
		return store.OpenPostgres(ctx, u, log)
	}
	return store.Open(ctx, cfg.State.Dir, log)
}

// openStateReadOnly opens the state for inspection beside a running daemon.
func openStateReadOnly(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*store.Store, error) {
	if u := cfg.State.PostgresURL.Value(); u != "" {
		return store.OpenPostgresShared(ctx, u, log)
	}
	return store.OpenReadOnly(ctx, cfg.State.Dir, log)
}

// openStateBeside opens the state for a few writes beside a running daemon
// (store.OpenShared).
func openStateBeside(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*store.Store, error) {
	if u := cfg.State.PostgresURL.Value(); u != "" {
		return store.OpenPostgresShared(ctx, u, log)
	}
	return store.OpenShared(ctx, cfg.State.Dir, log)
}

// stateName names the state in messages: the directory, or the PostgreSQL
// database without its password.
func stateName(cfg *config.Config) string {
	if cfg.State.PostgresURL != "" {
		return store.PostgresName(cfg.State.PostgresURL.Value())
	}
	return cfg.State.Dir
}

// stateFailure prints the problem with the state file and returns
// exitUsage when the state is damaged or cannot be written (the operator
// must restore the backup or fix permissions or space: like a bad config,
// running again changes nothing); ok is false for other errors.
func stateFailure(cmd string, err error, stderr io.Writer) (code int, ok bool) {
	switch {
	case errors.Is(err, store.ErrDamaged):
		fmt.Fprintf(stderr, "b24desk %s: %v\n", cmd, err)
		return exitUsage, true
	case errors.Is(err, store.ErrNotWritable):
		fmt.Fprintf(stderr, "b24desk %s: %v\n  fix: give the b24desk user write access to the state dir and its files, or free disk space\n", cmd, err)
		return exitUsage, true
	}
	return 0, false
}

// openStateShared opens the state for writing: with its lock, or beside a
// running daemon without it (locked is then true). Commands that talk to
// the portal open it so: in OAuth mode they store the token pair they get
// (auth) or refresh (an expired access token), which a read-only state
// would refuse.
func openStateShared(ctx context.Context, cfg *config.Config, log zerolog.Logger) (st *store.Store, locked bool, err error) {
	st, err = openState(ctx, cfg, log)
	if !errors.Is(err, store.ErrLocked) {
		return st, false, err
	}
	st, err = openStateBeside(ctx, cfg, log)
	return st, true, err
}

// newClient builds the daemon's portal client from cfg.Portal: a
// webhook, or an OAuth application whose tokens live in st (st may be nil
// in webhook mode). It retries by the client's defaults, riding out an
// outage.
func newClient(cfg *config.Config, log zerolog.Logger, st *store.Store, clk clock.Clock) (*bitrix.Client, error) {
	return daemon.NewClient(cfg, log, st, clk, daemon.Retries{})
}

// newCommandClient is newClient for a one-shot command (check, setup,
// auth), which should answer fast: a call that gets no answer from the
// portal (connection refused, DNS, reset, timeout) fails after that one
// attempt, where the daemon's backoff would wait about 16 s over 5
// retries for an answer that a second later is as unlikely (a wrong URL, a
// portal down); the operator runs the command again. A portal that answers
// "busy" (a 5xx, QUERY_LIMIT_EXCEEDED) is retried up to retries times
// (0: the client's default; negative: none).
func newCommandClient(cfg *config.Config, log zerolog.Logger, st *store.Store, clk clock.Clock, retries int) (*bitrix.Client, error) {
	return daemon.NewClient(cfg, log, st, clk, daemon.Retries{Max: retries, Network: -1})
}

// portalName is the portal address safe to print (the webhook secret
// redacted).
func portalName(cfg *config.Config) string {
	if cfg.Portal.AuthMode() == config.AuthWebhook {
		return config.RedactWebhookURL(cfg.Portal.WebhookURL.Value())
	}
	return cfg.Portal.Endpoint
}

// portalProblem says what a failed portal call means and how to fix it, by
// the error's kind: a method the portal does not know (ERROR_METHOD_NOT_FOUND)
// is neither an unreachable portal nor a missing scope.
func portalProblem(method string, err error) (what, fix string) {
	var ae *bitrix.APIError
	network := errors.As(err, &ae) && ae.Status == 0
	switch {
	case errors.Is(err, bitrix.ErrMethodNotFound):
		return fmt.Sprintf("the portal does not know the method %s (ERROR_METHOD_NOT_FOUND)", method),
			"b24desk needs it: check that the portal URL is a Bitrix24 REST address (…/rest/USER/SECRET/ or …/rest/) and, for an on-premise portal, update it"
	case errors.Is(err, bitrix.ErrUnauthorized):
		return fmt.Sprintf("the portal refused the credentials for %s: %v", method, err),
			"create a new inbound webhook (or reinstall the application) and put it in the config"
	case errors.Is(err, bitrix.ErrAccessDenied):
		return fmt.Sprintf("the portal denied %s: %v", method, err),
			"tick the scopes crm, bizproc, im, user, department on the webhook (or application), made by an administrator"
	case network, errors.Is(err, bitrix.ErrTransient), errors.Is(err, bitrix.ErrOverloaded):
		return fmt.Sprintf("the portal is not reachable (%s): %v", method, err),
			"check portal.webhook_url / portal.endpoint, DNS, proxies and that the portal is up"
	}
	return fmt.Sprintf("the portal answered %s with an error: %v", method, err), "see the error; run b24desk check"
}
