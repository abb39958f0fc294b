package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/daemon"
	"github.com/b24desk/b24desk/connector/store"
)

const setupUsage = `Usage:
  b24desk setup [--config FILE] [--dry-run]

setup brings the portal to what b24desk needs, idempotently: the SOURCE
entries of the rules' ticket types, the UF_CRM_B24D_* lead fields and their
enumeration items, the lead stages the rules name; it checks the workflow
templates the rules start and, for an OAuth application, binds the lead
events. It records the enumeration item IDs in the state and prints what it
did. A second run changes nothing. --dry-run only reads the portal and
prints what would change. docs/schema.md lists every field.

With an inbound webhook, setup cannot create the portal's outgoing webhook
(no REST method does): its last line says what to create by hand
(docs/admin.md, step 4).

Flags:
  --config FILE   the daemon's config file (default b24desk.yaml)
  --dry-run       only read the portal and print what would change

Examples:
  b24desk setup --config /etc/b24desk/b24desk.yaml --dry-run
  b24desk setup --config /etc/b24desk/b24desk.yaml

Exit status: 0 done, 1 the portal refused or something needs fixing in the
portal, 2 bad command line, config or rules, or a state file that is
damaged (restore the backup) or cannot be written.
`

// cmdSetup creates the portal schema b24desk needs.
func cmdSetup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	dryRun := fs.Bool("dry-run", false, "read the portal and print what would change; write nothing")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, setupUsage)
		return exitOK
	}
	if err != nil || len(pos) != 0 {
		fmt.Fprint(stderr, setupUsage)
		return exitUsage
	}
	clk := clock.System{}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	r, _, code := loadConfigRules(cfg, clk, stderr)
	if r == nil {
		return code
	}
	log := newLogger(cfg.Log, stderr)

	// A dry run in webhook mode leaves the state alone (it only shares the
	// request limiter's bucket when a state exists); otherwise setup needs
	// it (OAuth tokens, the schema map).
	var st *store.Store
	switch {
	case !*dryRun:
		st, err = openState(ctx, cfg, log)
		if errors.Is(err, store.ErrLocked) {
			fmt.Fprintf(stderr, "b24desk setup: the daemon is running on state dir %s: stop it, run setup, then start it again\n", stateName(cfg))
			return exitFailed
		}
	case cfg.Portal.AuthMode() == config.AuthOAuth:
		st, _, err = openStateShared(ctx, cfg, log)
	default:
		if ro, rerr := openStateReadOnly(ctx, cfg, log); rerr == nil {
			st = ro
		}
	}
	if code, ok := stateFailure("setup", err, stderr); ok {
		return code
	}
	if err != nil {
		fmt.Fprintf(stderr, "b24desk setup: %v\n", err)
		return exitFailed
	}
	if st != nil {
		defer st.Close()
	}
	client, err := newCommandClient(cfg, log, st, clk, 0)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk setup: %v\n", err)
		return exitFailed
	}

	fmt.Fprintf(stdout, "portal %s\n", portalName(cfg))
	if mode, err := client.CRMMode(ctx); err != nil {
		what, fix := portalProblem(bitrix.MethodCRMMode, err)
		fmt.Fprintf(stderr, "b24desk setup: %s\n  fix: %s\n", what, fix)
		return exitFailed
	} else if mode != bitrix.CRMModeClassic {
		fmt.Fprintln(stderr, "b24desk setup: the CRM is in simple mode (no leads): switch it to classic mode in CRM settings first")
		return exitFailed
	}

	rep, err := daemon.Setup(ctx, cfg, r, client, st, *dryRun)
	if err != nil {
		if rep != nil {
			_ = rep.WriteFailed(stdout, err)
		}
		var ae *bitrix.APIError
		if errors.As(err, &ae) {
			what, fix := portalProblem(ae.Method, err)
			fmt.Fprintf(stderr, "b24desk setup: %s\n  fix: %s\n", what, fix)
		} else {
			fmt.Fprintf(stderr, "b24desk setup: %v\n", err)
		}
		return exitFailed
	}
	_ = rep.Write(stdout)
	if !*dryRun {
		fmt.Fprintf(stdout, "schema map recorded in %s\n", stateName(cfg))
	}
	if len(rep.Problems()) > 0 {
		return exitFailed
	}
	return exitOK
}
