package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/demo"
)

const demoUsage = `Usage: b24desk demo [--serve] [--verbose]

demo runs the whole product with nothing but this binary: a Bitrix24 portal
simulator, an in-memory IMAP mailbox and an SMTP server, all in this process
on loopback ports. It runs setup, delivers sample customer mails of a
real-estate portal (a map marker, a technical question with a screenshot,
profanity, an off-topic offer, an outage, an enterprise customer, an
auto-reply, then a customer's reply), and runs the daemon with the default
rules on a fast clock starting Tuesday 2026-03-10 10:00 Moscow time, so that
SLA warnings and breaches happen. It plays the staff's part in the portal
(take a ticket, answer one, wait for the customer, reclassify one to
Инцидент, close one), the customer rates the answer through its link, and it
ends with a table of the tickets, a count of the portal calls and mails
sent, the SLA report and the address of the /report page. It takes a few seconds; nothing is written
outside a temporary directory, which is removed at the end.

  --serve     keep running after the scenario with the daemon's HTTP
              endpoints (/report, /metrics, /healthz, /readyz) until Ctrl-C
  --verbose   show the daemon's log lines (on stderr)

Example:
  go run ./cmd/b24desk demo
  b24desk demo --serve     # then open the printed /report page

Exit status: 0 the scenario ran, 1 something in it failed, 2 bad flags.
`

// cmdDemo parses the flags and runs the demo (package demo).
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	serve := fs.Bool("serve", false, "keep serving the HTTP endpoints after the scenario")
	verbose := fs.Bool("verbose", false, "show the daemon's logs")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, demoUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "\n%s", demoUsage)
		return exitUsage
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "b24desk demo: unexpected argument %q\n\n%s", pos[0], demoUsage)
		return exitUsage
	}
	log := zerolog.Nop()
	if *verbose {
		log = newLogger(config.Log{Level: "info", Format: "console"}, stderr)
	}
	if err := demo.Run(ctx, demo.Options{Out: stdout, Log: log, Serve: *serve}); err != nil {
		fmt.Fprintf(stderr, "b24desk demo: %v\n", err)
		return exitFailed
	}
	return exitOK
}
