package replay

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/b24desk/b24desk/connector/report"
)

// WriteJSON prints the result as one JSON object.
func WriteJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// WriteTable prints the result for people: the report's figures side by
// side ("was → now"), the ticket counts per type, level, assignee and
// pool, the ladder steps and notifications, and the changed outcomes.
func WriteTable(w io.Writer, res *Result, rulesName string, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	fmt.Fprintf(w, "Rules replay of the tickets opened %s through %s (was → under the new rules)\n",
		res.Actual.Report.Period(), rulesName)
	fmt.Fprintf(w, "%s\n", res.Note)
	fmt.Fprintf(w, "%d tickets: %d classified and routed again from their kept inputs, %d kept their recorded type, tier and assignee (no kept inputs).\n",
		res.Tickets, res.Classified, res.AsRecorded)
	fmt.Fprintf(w, "Routing: %s.\n\n", res.RoutingStart)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(res.By)+"\tTICKETS\tFR MET\tFR BREACHED\tFR RATE\tRES MET\tRES BREACHED\tRES RATE\tESCALATIONS\t")
	was, now := groups(res.Actual.Report), groups(res.Replay.Report)
	for _, k := range unionKeys(was, now) {
		fmt.Fprintln(tw, k+"\t"+strings.Join(pairRow(was[k], now[k]), "\t")+"\t")
	}
	fmt.Fprintln(tw, "total\t"+strings.Join(pairRow(res.Actual.Report.Total, res.Replay.Report.Total), "\t")+"\t")
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := []struct {
		title    string
		was, now map[string]int
	}{
		{"Tickets per type", res.Actual.Types, res.Replay.Types},
		{"Tickets per level", res.Actual.Levels, res.Replay.Levels},
		{"Tickets per assignee", res.Actual.Assignees, res.Replay.Assignees},
		{"Tickets per pool (the history keeps no pool: new rules only)", nil, res.Replay.Pools},
	}
	for _, c := range counts {
		fmt.Fprintf(w, "\n%s:\n", c.title)
		for _, k := range unionKeys(c.was, c.now) {
			if c.was == nil {
				fmt.Fprintf(w, "  %-24s %d\n", k, c.now[k])
				continue
			}
			fmt.Fprintf(w, "  %-24s %s\n", k, pair(c.was[k], c.now[k]))
		}
	}
	a, b := res.Actual, res.Replay
	fmt.Fprintf(w, "\nEscalation steps fired: %s; notifications %s, reassignments %s, fields set %s, workflows started %s\n",
		pair(a.Escalations, b.Escalations), pair(a.Notifications, b.Notifications), pair(a.Reassignments, b.Reassignments),
		pair(a.FieldSets, b.FieldSets), pair(a.Workflows, b.Workflows))
	if a.UnknownSteps > 0 {
		fmt.Fprintf(w, "  (%d fired steps are no longer in the rules in force: their actions are not counted)\n", a.UnknownSteps)
	}
	fmt.Fprintf(w, "\nOutcomes that change (%d):\n", len(res.Changes))
	for _, c := range res.Changes {
		fmt.Fprintf(w, "  #%d %s %s → %s: %s: %s; due %s → %s, %s\n", c.LeadID, c.Target, c.Before, c.After,
			c.Reason, c.Detail, when(c.DueBefore, loc), when(c.DueAfter, loc), metText(c.Met, loc))
	}
	return nil
}

// pairRow shows a group's figures as "was → now" cells.
func pairRow(a, b report.Group) []string {
	return []string{pair(a.Opened, b.Opened),
		pair(a.FirstResponse.Met, b.FirstResponse.Met), pair(a.FirstResponse.Breached, b.FirstResponse.Breached),
		pairPct(a.FirstResponse.BreachRate, b.FirstResponse.BreachRate),
		pair(a.Resolution.Met, b.Resolution.Met), pair(a.Resolution.Breached, b.Resolution.Breached),
		pairPct(a.Resolution.BreachRate, b.Resolution.BreachRate), pair(a.Escalations, b.Escalations)}
}

func groups(rep *report.Report) map[string]report.Group {
	m := make(map[string]report.Group, len(rep.Groups))
	for _, g := range rep.Groups {
		m[g.Key] = g
	}
	return m
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// pair shows a figure that stays as itself and one that changes as "a → b".
func pair(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return strconv.Itoa(a) + " → " + strconv.Itoa(b)
}

func pairPct(a, b float64) string {
	pa, pb := pct(a), pct(b)
	if pa == pb {
		return pa
	}
	return pa + " → " + pb
}

// pct shows a rate 0..1 as a whole percentage, as the report does.
func pct(x float64) string { return strconv.FormatFloat(x*100, 'f', 0, 64) + "%" }

func when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "none"
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

func metText(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "not met"
	}
	return "met " + when(t, loc)
}
