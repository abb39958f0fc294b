// Command b24desk turns a Bitrix24 portal's CRM leads into a support desk.
// This file only dispatches; each command lives in its own file.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// Exit codes shared by every command (DESIGN.md).
const (
	exitOK     = 0 // success, warnings allowed
	exitFailed = 1 // the work failed
	exitUsage  = 2 // usage error or invalid config/rules
)

// command is one subcommand of the CLI.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"demo":    {"run the whole product against a built-in portal simulator", cmdDemo},
		"sim":     {"serve the Bitrix24 portal simulator over HTTP", cmdSim},
		"rules":   {"check a rules file, dry-run it on a mail or lead, or replay a period through it", cmdRules},
		"setup":   {"create the portal fields, types and stages b24desk needs", cmdSetup},
		"check":   {"check config, rules, portal rights, schema and state", cmdCheck},
		"tickets": {"list the tracked tickets with their SLA state and due times", cmdTickets},
		"report":  {"SLA report of a period from the ticket history (table, csv, json, html)", cmdReport},
		"outbox":  {"list pending and parked portal writes; retry or drop one", cmdOutbox},
		"auth":    {"OAuth path: get the application's first token pair; auth status", cmdAuth},
		"run":     {"run the daemon (mail, events, SLA clock, outbox)", cmdRun},
		"state":   {"state migrate: copy an SQLite state into PostgreSQL", cmdState},

		"calendar": {"show a production calendar's year (a file or a rules calendar)", cmdCalendar},
	}
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return exitUsage
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		return exitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "b24desk: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "b24desk turns Bitrix24 CRM leads into a support desk.")
	fmt.Fprintln(w, "\nUsage: b24desk COMMAND [flags]   (b24desk COMMAND --help for details)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nExample: b24desk demo   (the whole product against a built-in portal, no setup)")
	fmt.Fprintln(w, "\nExit codes: 0 success (warnings allowed), 1 the work failed, 2 usage error or invalid config/rules.")
}
