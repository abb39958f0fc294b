package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/store"
)

const stateUsage = `Usage:
  b24desk state migrate [--config FILE] --from SQLITE_STATE [--dry-run]

migrate copies an SQLite state (the state directory or its b24desk.db) into
the PostgreSQL database named by state.postgres_url, which must be empty
(a new database: b24desk creates the tables). Every row of every table is
copied in one transaction; the rows per table are printed. Stop the daemon
first: the SQLite state is opened under its lock. With --dry-run the rows
are copied and rolled back: nothing changes, the counts are what a real
run copies.

Exit codes: 0 copied, 1 the copy failed, 2 usage error or invalid config.
`

// cmdState runs the state subcommands (migrate).
func cmdState(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, stateUsage)
		return exitOK
	}
	if len(args) == 0 || args[0] != "migrate" {
		fmt.Fprint(stderr, stateUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("state migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	from := fs.String("from", "", "the SQLite state to copy")
	dryRun := fs.Bool("dry-run", false, "copy, count and roll back")
	pos, err := parseArgs(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, stateUsage)
		return exitOK
	}
	if err != nil || len(pos) != 0 || *from == "" {
		fmt.Fprint(stderr, stateUsage)
		return exitUsage
	}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	if cfg.State.PostgresURL == "" {
		fmt.Fprintln(stderr, "b24desk state migrate: state.postgres_url is not set: it names the PostgreSQL database to copy into")
		return exitUsage
	}
	log := newLogger(config.Log{Level: "error", Format: "console"}, stderr)
	dst, err := openState(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk state migrate: %v\n", err)
		return exitFailed
	}
	defer dst.Close()
	counts, err := store.CopyFromSQLite(ctx, *from, dst, *dryRun, log)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk state migrate: %v\n", err)
		if code, ok := stateFailure("state migrate", err, io.Discard); ok {
			return code
		}
		return exitFailed
	}
	var total int64
	for _, c := range counts {
		fmt.Fprintf(stdout, "%-24s %8d\n", c.Table, c.Rows)
		total += c.Rows
	}
	verb := "copied into"
	if *dryRun {
		verb = "dry run: would copy into"
	}
	fmt.Fprintf(stdout, "%d rows in %d tables %s %s\n", total, len(counts), verb, stateName(cfg))
	return exitOK
}
