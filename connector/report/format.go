package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Output formats of Write.
const (
	FormatTable = "table"
	FormatCSV   = "csv"
	FormatJSON  = "json"
	FormatHTML  = "html"
)

// Formats lists the valid output formats.
var Formats = []string{FormatTable, FormatCSV, FormatJSON, FormatHTML}

// columns are the per-group figures in the table and CSV, in order.
var columns = []string{"opened", "closed", "fr_met", "fr_breached", "fr_breach_rate", "fr_median_h", "fr_p90_h",
	"res_met", "res_breached", "res_breach_rate", "res_median_h", "res_p90_h", "paused_h", "reopen_rate",
	"escalations", "ratings", "rating_mean", "open_now", "at_risk_now", "breached_now"}

// values are the group's figures as the table (csv false: rates as
// percentages) or the CSV (rates as fractions) shows them.
func (g Group) values(csv bool) []string {
	rate := pct
	if csv {
		rate = func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	}
	med := func(ts TargetStats, x float64) string {
		if len(ts.hours) == 0 {
			return "-"
		}
		return hours(x)
	}
	return []string{itoa(g.Opened), itoa(g.Closed),
		itoa(g.FirstResponse.Met), itoa(g.FirstResponse.Breached), rate(g.FirstResponse.BreachRate),
		med(g.FirstResponse, g.FirstResponse.Median), med(g.FirstResponse, g.FirstResponse.P90),
		itoa(g.Resolution.Met), itoa(g.Resolution.Breached), rate(g.Resolution.BreachRate),
		med(g.Resolution, g.Resolution.Median), med(g.Resolution, g.Resolution.P90),
		hours(g.PausedHours), rate(g.ReopenRate), itoa(g.Escalations), itoa(g.Ratings.Count),
		num(g.Ratings.Mean), itoa(g.Open), itoa(g.AtRisk), itoa(g.BreachedNow)}
}

// Write prints the report in the format (table, csv or json; html is
// Page's).
func Write(w io.Writer, rep *Report, format string) error {
	switch format {
	case FormatTable, "":
		return writeTable(w, rep)
	case FormatCSV:
		return writeCSV(w, rep)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return fmt.Errorf("report: format %q: want one of %v", format, Formats)
}

func writeTable(w io.Writer, rep *Report) error {
	fmt.Fprintf(w, "SLA report, tickets opened %s by %s (hours are working hours)\n", rep.Period(), rep.By)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{strings.ToUpper(rep.By), "OPENED", "CLOSED", "FR MET", "FR BREACHED", "FR RATE", "FR MEDIAN",
		"FR P90", "RES MET", "RES BREACHED", "RES RATE", "RES MEDIAN", "RES P90", "PAUSED", "REOPEN", "ESCAL",
		"RATINGS", "MEAN", "OPEN", "AT RISK", "BREACHED"}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, g := range append(append([]Group(nil), rep.Groups...), rep.Total) {
		fmt.Fprintln(tw, g.Key+"\t"+strings.Join(g.values(false), "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Labels) > 0 {
		fmt.Fprintln(w, "\nRatings:")
		for _, l := range rep.Total.Ratings.Labels {
			fmt.Fprintf(w, "  %-24s %3d  %s\n", l.Label, l.Count, pct(l.Share))
		}
	}
	fmt.Fprintf(w, "\nBacklog now: %d open, %d at risk, %d breached\n", rep.Backlog.Open, rep.Backlog.AtRisk, rep.Backlog.Breached)
	for _, b := range rep.Backlog.Buckets {
		fmt.Fprintf(w, "  %-8s %3d  %s\n", b.Label, b.Count, ids(b.Tickets))
	}
	return nil
}

func writeCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	head := append([]string{rep.By}, columns...)
	for _, l := range rep.Labels {
		head = append(head, "rating_share:"+l)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, g := range append(append([]Group(nil), rep.Groups...), rep.Total) {
		rec := append([]string{g.Key}, g.values(true)...)
		for _, l := range g.Ratings.Labels {
			rec = append(rec, strconv.FormatFloat(l.Share, 'f', 2, 64))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Period shows the report's period as dates in its zone: [from, to).
func (rep *Report) Period() string {
	day := func(t time.Time) string {
		if t.IsZero() {
			return "…"
		}
		loc := rep.loc
		if loc == nil {
			loc = time.UTC
		}
		return t.In(loc).Format(time.DateOnly)
	}
	return fmt.Sprintf("[%s, %s)", day(rep.From), day(rep.To))
}

func itoa(n int) string { return strconv.Itoa(n) }

// pct shows a rate 0..1 as a whole percentage.
func pct(x float64) string { return strconv.FormatFloat(x*100, 'f', 0, 64) + "%" }

func hours(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func num(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func ids(list []int64) string {
	parts := make([]string, len(list))
	for i, id := range list {
		parts[i] = "#" + strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, " ")
}
