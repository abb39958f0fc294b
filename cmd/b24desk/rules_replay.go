package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/connector/report"
)

const rulesReplayUsage = `Usage:
  b24desk rules replay NEW.yaml [--config FILE] [--from DATE] [--to DATE]
                                [--by type|level|assignee|tier|policy|week] [--json]

replay answers "what would this period have looked like under NEW.yaml?".
It takes the tickets opened in the period from the ticket history in the
state (arrival, sender domain, when staff answered, waited for the customer,
closed, reopened) and the classification inputs kept at intake (sender,
subject, body cut to limits.body_bytes, a few headers), runs NEW.yaml's
classification, tiers, routing, SLA policies, calendars and escalation
ladders over them, and prints side by side with what really happened
(was → now): tickets per type, level, assignee and pool, first-response and
resolution targets met and breached with breach rates, escalation steps and
the notifications they would send, and every ticket whose outcome changes
between met and breached, with the reason (new policy, new target, new
calendar). Staff behaviour is taken as it was. docs/reports.md explains the
figures and the routing start point.

It opens the state read-only (the portal is not called), so it runs beside
a running daemon.

Flags:
  --config FILE  the daemon's config file (default b24desk.yaml); its
                 state.dir, rules.path (the rules in force) and
                 portal.timezone are used
  --from DATE    first day of the period, YYYY-MM-DD in the portal's zone
                 (default: 28 days up to --to)
  --to DATE      last day of the period, included (default: today)
  --by GROUPING  the side-by-side table's rows: type (default), level,
                 assignee, tier, policy or week
  --json         print one JSON object (both sides' report figures,
                 counts and the changed tickets)

Examples:
  b24desk rules replay rules.new.yaml --config /etc/b24desk/b24desk.yaml
  b24desk rules replay rules.new.yaml --from 2026-11-01 --to 2026-11-30 --by level

Exit status: 0 printed, 1 the state could not be read, 2 bad command line,
config or NEW.yaml (its problems as FILE:LINE:COL).
`

// rulesReplay replays a period of the ticket history through new rules.
func rulesReplay(ctx context.Context, args []string, stdout, stderr io.Writer, clk clock.Clock) int {
	fs := flag.NewFlagSet("rules replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	fromDate := fs.String("from", "", "first day YYYY-MM-DD")
	toDate := fs.String("to", "", "last day YYYY-MM-DD")
	by := fs.String("by", report.ByType, strings.Join(report.Groupings, " | "))
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, rulesReplayUsage)
		return exitOK
	}
	if err != nil || len(pos) != 1 {
		fmt.Fprintf(stderr, "b24desk rules replay: want exactly one NEW.yaml\n\n%s", rulesReplayUsage)
		return exitUsage
	}
	if !oneOf(*by, report.Groupings) {
		fmt.Fprintf(stderr, "b24desk rules replay: --by %q: want one of %s\n", *by, strings.Join(report.Groupings, ", "))
		return exitUsage
	}
	now := clk.Now()
	newRules, code := loadRules(pos[0], stderr, stderr, now)
	if newRules == nil {
		return code
	}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	h, code := openHistory(ctx, cfg, "rules replay", *fromDate, *toDate, now, stderr,
		"the recorded side has wall-clock hours and no levels, reasons are less precise")
	if h == nil {
		return code
	}
	defer h.st.Close()
	from, to, current, st := h.from, h.to, h.rules, h.st
	list, err := st.History(ctx, from, to)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk rules replay: %v\n", err)
		return exitFailed
	}
	raw, err := st.ReplayInputs(ctx, from, to)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk rules replay: %v\n", err)
		return exitFailed
	}
	inputs, bad := replay.DecodeAll(raw)
	if bad > 0 {
		fmt.Fprintf(stderr, "b24desk rules replay: %d kept input(s) could not be read; those tickets keep their recorded classification\n", bad)
	}
	res, err := replay.Run(list, replay.Options{From: from, To: to, Now: now, By: *by, Location: cfg.Portal.Location,
		Current: current, New: newRules, Inputs: inputs})
	if err != nil {
		fmt.Fprintf(stderr, "b24desk rules replay: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		err = replay.WriteJSON(stdout, res)
	} else {
		err = replay.WriteTable(stdout, res, pos[0], cfg.Portal.Location)
	}
	if err != nil {
		fmt.Fprintf(stderr, "b24desk rules replay: %v\n", err)
		return exitFailed
	}
	return exitOK
}
