package demo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/rules"
)

// demoRow is one line of the demo's closing table.
type demoRow struct {
	Number      int64
	Type        string
	Level       string
	Assignee    string
	Policy      string
	FirstDue    string // first response due or met, and a pending next response
	ResolveDue  string
	State       string
	Escalations []string
}

// rows reads the scenario's tickets from the state.
func (d *demo) rows(ctx context.Context) ([]demoRow, error) {
	r, _, err := config.ExampleRules(d.clk.Now())
	if err != nil {
		return nil, fmt.Errorf("demo rules: %w", err)
	}
	var out []demoRow
	for _, id := range d.sortedTickets() {
		t, err := d.st.Ticket(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("ticket #%d: %w", id, err)
		}
		row := demoRow{Number: id, Type: t.Type, Assignee: staffName(t.Assignee), Policy: t.Policy,
			FirstDue: d.hm(t.FirstResponseDue), ResolveDue: d.hm(t.ResolutionDue)}
		if !t.FirstResponseMet.IsZero() {
			row.FirstDue = "met " + d.hm(t.FirstResponseMet)
		}
		if !t.NextResponseDue.IsZero() && t.NextResponseMet.IsZero() && t.ClosedAt.IsZero() {
			// The customer wrote again: the next answer is due.
			row.FirstDue += ", next " + d.hm(t.NextResponseDue)
		}
		if ty, ok := r.TypeByCode(t.Type); ok {
			row.Level = ty.Level
		}
		row.State = t.SLAState
		switch {
		case !t.ClosedAt.IsZero():
			row.State = "closed (" + t.Status + ")"
		case !t.PausedSince.IsZero():
			row.State = "paused (" + t.Status + ")"
		default:
			row.State = orDash(t.SLAState) + " (" + t.Status + ")"
		}
		steps, err := d.st.StepsDone(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, s := range steps {
			row.Escalations = append(row.Escalations, stepLabel(r, s.Step))
		}
		out = append(out, row)
	}
	return out, nil
}

// report prints the closing table and the counts.
func (d *demo) report(ctx context.Context) error {
	rows, err := d.rows(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\nTickets at %s:\n\n", d.clk.Now().In(d.loc).Format("Mon 2006-01-02 15:04"))
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tTYPE\tLEVEL\tASSIGNEE\tPOLICY\tRESPONSE DUE\tRESOLUTION DUE\tSTATE\tESCALATIONS DONE")
	for _, r := range rows {
		esc := "-"
		if len(r.Escalations) > 0 {
			esc = fmt.Sprintf("%d: %s", len(r.Escalations), strings.Join(r.Escalations, ", "))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.Type, orDash(r.Level), r.Assignee,
			orDash(r.Policy), r.FirstDue, r.ResolveDue, r.State, esc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	calls := d.env.portal.Calls()
	fmt.Fprintf(d.out, "\nportal calls: %d; notifications: %d; mails sent: %d", len(calls),
		len(d.env.portal.Notifications()), len(d.env.sent.list()))
	if d.answers != "" {
		fmt.Fprintf(d.out, " (%s)", d.answers)
	}
	fmt.Fprintln(d.out)
	return nil
}

// stepLabel names a done escalation step as a support manager wrote it in
// the rules ("first_response 80%"), from its ID "policy/target/index"; an
// ID the rules no longer know is shown as it is.
func stepLabel(r *rules.Rules, id string) string {
	parts := strings.Split(id, "/")
	if len(parts) != 3 {
		return id
	}
	i, err := strconv.Atoi(parts[2])
	p := r.PolicyByName(parts[0])
	if err != nil || p == nil {
		return id
	}
	ladder := p.Ladders[rules.Target(parts[1])]
	if i < 0 || i >= len(ladder) {
		return id
	}
	return parts[1] + " " + ladder[i].At
}

// orDash shows an empty value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine folds s onto one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
