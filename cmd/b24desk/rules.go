package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	_ "time/tzdata" // calendars name IANA zones; do not depend on the host's zoneinfo

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/rules"
)

const rulesUsage = `Usage:
  b24desk rules check FILE
  b24desk rules test FILE (--mail MSG.eml | --lead LEAD.json) [--at RFC3339] [--json]
                    [--config b24desk.yaml | --spamd HOST:PORT]
  b24desk rules test FILE --template NAME [--mail MSG.eml | --lead LEAD.json] [--at RFC3339]
  b24desk rules replay NEW.yaml [--config FILE] [--from DATE] [--to DATE] [--by GROUPING] [--json]

check reads a rules file and lists every problem as FILE:LINE:COL: path: message
(exit 2), or prints a one-line summary (exit 0; warnings are listed too).

test dry-runs the rules on one mail or one lead: which classify rules matched
and why, type, priority, tier, route and assignee, the SLA policy, deadlines
and when each escalation step would fire. --at sets the arrival time (default:
the mail's Date header or the lead's DATE_CREATE, else now). --json prints
one JSON object. --template NAME renders the canned answer NAME with the
mail's or lead's values (sample values without --mail/--lead). With a spamd
(--spamd, or spamd.address of the --config file) a mail's spam score, the
rules' threshold and the rule names are shown too.

replay runs NEW.yaml over the tickets of a period recorded in the state and
prints what would have changed beside what happened (b24desk rules replay
--help).

Examples:
  b24desk rules check config/rules.example.yaml
  b24desk rules test config/rules.example.yaml --mail cmd/b24desk/testdata/rules/outage.eml
  b24desk rules test rules.yaml --mail msg.eml --at 2026-03-06T18:30:00+03:00 --json
  b24desk rules test rules.yaml --lead lead.json    # crm.lead.get output or its result
  b24desk rules test rules.yaml --template ack --mail msg.eml   # render a canned answer

Exit status: 0 valid (warnings allowed) or dry-run done, 1 the mail or lead
could not be read (or spamd did not answer), 2 bad command line or invalid
rules.
`

// cmdRules checks a rules file or dry-runs it on a mail or a lead.
func cmdRules(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, rulesUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, rulesUsage)
		return exitOK
	case "check":
		return rulesCheck(args[1:], stdout, stderr)
	case "test":
		return rulesTest(ctx, args[1:], stdout, stderr, clock.System{})
	case "replay":
		return rulesReplay(ctx, args[1:], stdout, stderr, clock.System{})
	}
	fmt.Fprintf(stderr, "b24desk rules: unknown subcommand %q\n\n%s", args[0], rulesUsage)
	return exitUsage
}

// parseArgs parses flags that may come before or after the positional
// arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func rulesCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, rulesUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "\n%s", rulesUsage)
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "b24desk rules check: want exactly one FILE\n\n%s", rulesUsage)
		return exitUsage
	}
	r, code := loadRules(pos[0], stdout, stderr, clock.System{}.Now())
	if r == nil {
		return code
	}
	fmt.Fprintf(stdout, "%s: ok: %d types, %d pools, %d calendars, %d tiers, %d classify rules, %d route rules, %d SLA policies\n",
		pos[0], len(r.Types), len(r.Pools), len(r.Calendars), len(r.Tiers), len(r.ClassifyRules), len(r.RouteRules), len(r.SLA))
	writeCoverage(stdout, r)
	return exitOK
}

// loadRules loads a rules file and prints its warnings and problems. It
// returns nil and the exit code when the file cannot be used.
func loadRules(path string, stdout, stderr io.Writer, now time.Time) (*rules.Rules, int) {
	r, warns, err := rules.Load(path, now)
	for _, w := range warns {
		w.Msg = "warning: " + w.Msg
		fmt.Fprintln(stdout, w.String())
	}
	var probs rules.Problems
	if errors.As(err, &probs) {
		for _, p := range probs {
			fmt.Fprintln(stdout, p.String())
		}
		fmt.Fprintf(stderr, "b24desk rules: %s: %d problem(s)\n", path, len(probs))
		return nil, exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "b24desk rules: %v\n", err)
		return nil, exitUsage
	}
	return r, exitOK
}

func rulesTest(ctx context.Context, args []string, stdout, stderr io.Writer, clk clock.Clock) int {
	fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	mailPath := fs.String("mail", "", "a raw mail (.eml) to dry-run")
	leadPath := fs.String("lead", "", "a lead as JSON (crm.lead.get output) to dry-run")
	at := fs.String("at", "", "arrival time, RFC 3339 (default: the mail's Date, else now)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	tplName := fs.String("template", "", "render the template NAME (with the mail's or lead's values, else samples)")
	spamdFlag := fs.String("spamd", "", "spamd HOST:PORT or socket path: show the mail's spam score")
	configPath := fs.String("config", "", "the daemon config: its spamd.address shows the mail's spam score")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, rulesUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "\n%s", rulesUsage)
		return exitUsage
	}
	if len(pos) != 1 || (*mailPath != "" && *leadPath != "") || (*tplName == "" && *mailPath == "" && *leadPath == "") {
		fmt.Fprintf(stderr, "b24desk rules test: want one FILE and exactly one of --mail or --lead\n\n%s", rulesUsage)
		return exitUsage
	}
	var when time.Time
	if *at != "" {
		if when, err = time.Parse(time.RFC3339, *at); err != nil {
			fmt.Fprintf(stderr, "b24desk rules test: --at %q is not RFC 3339 (e.g. 2026-03-06T18:30:00+03:00)\n", *at)
			return exitUsage
		}
	}
	r, code := loadRules(pos[0], stderr, stderr, clk.Now())
	if r == nil {
		return code
	}
	var in rules.Input
	var sent time.Time
	if *mailPath != "" {
		in, sent, err = readMailInput(*mailPath)
	} else if *leadPath != "" {
		in, sent, err = readLeadInput(*leadPath)
	}
	if err != nil {
		fmt.Fprintf(stderr, "b24desk rules test: %v\n", err)
		return exitFailed
	}
	if when.IsZero() {
		when = sent
	}
	if when.IsZero() {
		when = clk.Now()
	}
	d := r.Decide(in, rules.RouteState{}, when)
	if *tplName != "" {
		return renderTemplate(stdout, stderr, r, *tplName, &in, d, when)
	}
	addr, code := spamdAddress(*spamdFlag, *configPath, stderr)
	if code != exitOK {
		return code
	}
	var sv *spamVerdict
	if addr != "" && *mailPath != "" {
		sv = checkMailSpam(ctx, addr, *mailPath, r)
	}
	code = exitOK
	if sv != nil && sv.Error != "" {
		code = exitFailed
	}
	if *asJSON {
		if err := writeDecisionJSON(stdout, r, d, sv); err != nil {
			fmt.Fprintf(stderr, "b24desk rules test: %v\n", err)
			return exitFailed
		}
		return code
	}
	writeDecisionText(stdout, r, &in, d, when)
	if sv != nil {
		writeSpamText(stdout, sv)
	}
	return code
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}
