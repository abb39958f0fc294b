package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/report"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

const reportUsage = `Usage:
  b24desk report [--config FILE] [--from DATE] [--to DATE]
                 [--by type|level|assignee|tier|policy|week]
                 [--format table|csv|json|html]
  b24desk report [--config FILE] --link [--link-ttl DURATION]

report prints the SLA report of the tickets opened in a period, read from
the ticket history in the state (the portal is not called): per group
tickets opened and closed, first-response and resolution targets met and
breached with the breach rate, median and 90th percentile times in working
hours on the policy's calendar, time paused waiting for the customer,
reopen rate, escalations fired and the customers' ratings; then the open
backlog by age and the tickets at risk or breached now. docs/reports.md
defines every figure.

It opens the state read-only, so it runs beside a running daemon.

Flags:
  --config FILE    the daemon's config file (default b24desk.yaml); its
                   state.dir, rules.path and portal.timezone are used
  --from DATE      first day of the period, YYYY-MM-DD in the portal's zone
                   (default: 28 days up to --to)
  --to DATE        last day of the period, included (default: today)
  --by GROUPING    type (default), level, assignee, tier, policy or week
  --format FORMAT  table (default), csv, json, or html (the /report page as
                   one self-contained file)
  --link           print the address of the daemon's /report page, signed
                   with http.report_token so that it opens without the token
                   until it expires (http.public_base_url, else http.listen)
  --link-ttl D     how long the link works (default 168h, 7 days)

Examples:
  b24desk report --config /etc/b24desk/b24desk.yaml --by week
  b24desk report --from 2026-11-01 --to 2026-11-30 --by assignee --format csv > november.csv

Exit status: 0 printed (also when no ticket falls in the period), 1 the
state could not be read, 2 bad command line or config.
`

// cmdReport prints the SLA report from the state's ticket history.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	fromDate := fs.String("from", "", "first day YYYY-MM-DD")
	toDate := fs.String("to", "", "last day YYYY-MM-DD")
	by := fs.String("by", report.ByType, strings.Join(report.Groupings, " | "))
	format := fs.String("format", report.FormatTable, strings.Join(report.Formats, " | "))
	link := fs.Bool("link", false, "print a signed link to the /report page")
	linkTTL := fs.Duration("link-ttl", report.DefaultLinkTTL, "how long the link works")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, reportUsage)
		return exitOK
	}
	if err != nil || len(pos) != 0 {
		fmt.Fprint(stderr, reportUsage)
		return exitUsage
	}
	if !oneOf(*by, report.Groupings) {
		fmt.Fprintf(stderr, "b24desk report: --by %q: want one of %s\n", *by, strings.Join(report.Groupings, ", "))
		return exitUsage
	}
	if !oneOf(*format, report.Formats) {
		fmt.Fprintf(stderr, "b24desk report: --format %q: want one of %s\n", *format, strings.Join(report.Formats, ", "))
		return exitUsage
	}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	now := clock.System{}.Now()
	if *link {
		tok := cfg.HTTP.ReportToken.Value()
		if tok == "" || *linkTTL <= 0 {
			fmt.Fprintln(stderr, "b24desk report --link: set http.report_token in the config (and a positive --link-ttl)")
			return exitUsage
		}
		fmt.Fprintln(stdout, report.SignedLink(pageBase(cfg), tok, now, *linkTTL))
		return exitOK
	}
	h, code := openHistory(ctx, cfg, "report", *fromDate, *toDate, now, stderr,
		"wall-clock hours, no levels")
	if h == nil {
		return code
	}
	defer h.st.Close()
	rep, err := report.Load(ctx, h.st, reportOptions(h.rules, cfg, h.from, h.to, *by, now))
	if err != nil {
		fmt.Fprintf(stderr, "b24desk report: %v\n", err)
		return exitFailed
	}
	if err := writeReport(stdout, rep, *format); err != nil {
		fmt.Fprintf(stderr, "b24desk report: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// reportOptions are the report's options from the config and rules (nil
// rules: wall-clock hours, no names).
func reportOptions(r *rules.Rules, cfg *config.Config, from, to time.Time, by string, now time.Time) report.Options {
	o := report.Options{From: from, To: to, By: by, Now: now, Rules: r, Location: cfg.Portal.Location}
	if r != nil {
		o.Labels = r.Ratings.Labels()
	}
	return o
}

// writeReport prints the report in the format.
func writeReport(w io.Writer, rep *report.Report, format string) error {
	if format == report.FormatHTML {
		return report.Page(w, rep, report.PageLinks{Path: report.PagePath})
	}
	return report.Write(w, rep, format)
}

// pageBase is the daemon's address as a browser reaches it.
func pageBase(cfg *config.Config) string {
	if cfg.HTTP.PublicBaseURL != "" {
		return cfg.HTTP.PublicBaseURL
	}
	return "http://" + cfg.HTTP.Listen
}

// history is what report and rules replay read: the period, the rules in
// force (nil when they do not load) and the state opened read-only.
type history struct {
	from, to time.Time
	rules    *rules.Rules
	st       *store.Store
}

// openHistory resolves --from/--to in the portal's zone, loads the rules
// in force (when they do not load, a note on stderr says what the output
// lacks: without) and opens the state read-only beside a running daemon.
// A nil history comes with the exit code. The caller closes h.st.
func openHistory(ctx context.Context, cfg *config.Config, cmd, fromDate, toDate string, now time.Time,
	stderr io.Writer, without string) (*history, int) {
	from, to, err := report.Period(fromDate, toDate, cfg.Portal.Location, now)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk %s: --%v\n", cmd, err)
		return nil, exitUsage
	}
	r, _, err := rules.Load(cfg.Rules.Path, now)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk %s: rules %s not loaded (%s); see b24desk rules check\n", cmd, cfg.Rules.Path, without)
		r = nil
	}
	log := newLogger(config.Log{Level: "error", Format: "console"}, stderr)
	st, err := openStateReadOnly(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk %s: %v\n", cmd, err)
		return nil, exitFailed
	}
	return &history{from: from, to: to, rules: r, st: st}, exitOK
}
