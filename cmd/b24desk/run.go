package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/daemon"
	"github.com/b24desk/b24desk/connector/store"
)

const runUsage = `Usage: b24desk run [--config FILE] [--debug-clock [--debug-clock-start RFC3339]]

Run the daemon: mail intake, portal events, reconcile, the SLA clock and the
outbox, with /healthz, /readyz and /metrics on http.listen. It refuses to
start when the portal schema is missing (run b24desk setup first) or another
daemon holds the state. On a PostgreSQL state (state.postgres_url) any
number of daemons run side by side: one leads and works, the others stand
by, serving /bitrix/events, /healthz, /readyz and /metrics, and one of
them takes over within about 12 s when the leader dies (docs/deploy.md);
a leader that lost its lease exits 1 and comes back as a standby. SIGHUP reloads the rules; SIGTERM or SIGINT stops
intake, drains the outbox (at most 10 s) and exits 0.

Logs go to stderr (log.level, log.format in the config). Run it under
systemd or in the container (docs/deploy.md); b24desk tickets, outbox and
check work beside it.

--debug-clock is for tests and the demo only: the daemon's clock stands still
unless moved by POST /debug/clock on the loopback listener.

Examples:
  b24desk run --config /etc/b24desk/b24desk.yaml
  systemctl reload b24desk       # SIGHUP: reload the rules file

Exit status: 0 stopped by a signal, 1 the daemon failed (state locked by
another daemon, portal schema missing, listen error...), 2 bad command line,
config or rules, or a state file that is damaged (restore the backup) or
cannot be written.

Flags:
`

// cmdRun runs the daemon until a signal stops it.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	debugClock := fs.Bool("debug-clock", false, "use a controllable clock moved by POST /debug/clock (tests and demo only)")
	debugStart := fs.String("debug-clock-start", "", "with --debug-clock: the clock's start time, RFC 3339 (default: now)")
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, runUsage)
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return exitOK
		}
		printUsage(stderr)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "b24desk run: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	var clk clock.Clock = clock.System{}
	var manual *clock.Manual
	if *debugClock {
		start := time.Now()
		if *debugStart != "" {
			t, err := time.Parse(time.RFC3339, *debugStart)
			if err != nil {
				fmt.Fprintf(stderr, "b24desk run: --debug-clock-start: %v\n", err)
				return exitUsage
			}
			start = t
		}
		manual = clock.NewManual(start)
		clk = manual
	} else if *debugStart != "" {
		fmt.Fprintln(stderr, "b24desk run: --debug-clock-start needs --debug-clock")
		return exitUsage
	}

	cfg, code := loadConfig(*cfgPath, stderr)
	if code != exitOK {
		return code
	}
	r, _, code := loadConfigRules(cfg, clk, stderr)
	if code != exitOK {
		return code
	}
	log := newLogger(cfg.Log, stderr)
	st, lease, err := openRunState(ctx, cfg, log)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(stderr, "b24desk run: state %s is locked: another b24desk daemon is running on it\n", stateName(cfg))
		return exitFailed
	}
	if code, ok := stateFailure("run", err, stderr); ok {
		return code
	}
	if err != nil {
		fmt.Fprintf(stderr, "b24desk run: open state: %v\n", err)
		return exitFailed
	}
	defer st.Close()
	client, err := newClient(cfg, log, st, clk)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk run: %v\n", err)
		return exitUsage
	}
	d, err := daemon.New(ctx, daemon.Options{Config: cfg, Store: st, Client: client, Rules: r,
		Clock: clk, DebugClock: manual, Logger: log, Lease: lease})
	if err != nil {
		// A missing schema names `b24desk setup` in err (schema.ErrMissing).
		fmt.Fprintf(stderr, "b24desk run: %v\n", err)
		return exitFailed
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			d.Reload()
		}
	}()
	if err := d.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "b24desk run: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// openRunState opens the daemon's state: the SQLite directory under its
// lock, or a PostgreSQL state shared with other daemons, each with its
// claim on the portal's leader lease (the portal's address is the key).
func openRunState(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*store.Store, *store.Lease, error) {
	u := cfg.State.PostgresURL.Value()
	if u == "" {
		st, err := openState(ctx, cfg, log)
		return st, nil, err
	}
	st, err := store.OpenPostgresNode(ctx, u, log)
	if err != nil {
		return nil, nil, err
	}
	lease, err := st.NewLease(ctx, portalAddress(cfg), "", daemon.LeaseTTL)
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	return st, lease, nil
}

// portalAddress is the portal's host[:port], the key of its lease.
func portalAddress(cfg *config.Config) string {
	base := cfg.Portal.Endpoint
	if w := cfg.Portal.WebhookURL.Value(); w != "" {
		base = w
	}
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return "portal"
}
