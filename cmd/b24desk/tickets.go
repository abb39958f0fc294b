package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

const ticketsUsage = `Usage:
  b24desk tickets [--config FILE] [--state breached|warning|open|all] [--json]

tickets lists the tickets b24desk tracks, read from its state (the portal is
not called): number (= lead ID), type and level, assignee (user ID), tier,
policy, stage, SLA state, first-response and resolution due times (in the
portal's time zone) and the next deadline the SLA clock looks at.

It opens the state read-only, so it runs beside a running daemon.

Flags:
  --config FILE     the daemon's config file (default b24desk.yaml); only its
                    state.dir and portal.timezone are used
  --state open      every open ticket (default)
  --state warning   open tickets whose SLA state is warning
  --state breached  open tickets whose SLA state is breached
  --state all       every ticket, closed ones included
  --json            print a JSON array (times in UTC, RFC 3339) instead of
                    the table

Examples:
  b24desk tickets --config /etc/b24desk/b24desk.yaml --state breached
  b24desk tickets --config b24desk.yaml --json | jq '.[] | select(.sla_state=="warning")'

Exit status: 0 listed (also when none match), 1 the state could not be
read, 2 bad command line or config.
`

// ticketRow is one ticket as the tickets command prints it (also its JSON).
type ticketRow struct {
	Number           int64      `json:"number"`
	Type             string     `json:"type"`
	TypeName         string     `json:"type_name,omitempty"`
	Level            string     `json:"level,omitempty"`
	Assignee         int64      `json:"assignee"`
	Tier             string     `json:"tier,omitempty"`
	Priority         string     `json:"priority,omitempty"`
	Policy           string     `json:"policy,omitempty"`
	Status           string     `json:"status"`
	SLAState         string     `json:"sla_state"`
	Requester        string     `json:"requester,omitempty"`
	Created          *time.Time `json:"created,omitempty"`
	FirstResponseDue *time.Time `json:"first_response_due,omitempty"`
	FirstResponseMet *time.Time `json:"first_response_met,omitempty"`
	ResolutionDue    *time.Time `json:"resolution_due,omitempty"`
	ResolutionMet    *time.Time `json:"resolution_met,omitempty"`
	NextDue          *time.Time `json:"next_due,omitempty"`
	Paused           bool       `json:"paused"`
	Closed           *time.Time `json:"closed,omitempty"`
}

// cmdTickets lists the tracked tickets from the state.
func cmdTickets(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	asJSON := fs.Bool("json", false, "print JSON")
	which := fs.String("state", "open", "breached | warning | open | all")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, ticketsUsage)
		return exitOK
	}
	if err != nil || len(pos) != 0 {
		fmt.Fprint(stderr, ticketsUsage)
		return exitUsage
	}
	switch *which {
	case "breached", "warning", "open", "all":
	default:
		fmt.Fprintf(stderr, "b24desk tickets: --state %q: want breached, warning, open or all\n", *which)
		return exitUsage
	}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	// The rules only add names and levels: a broken rules file must not
	// hide the tickets from an operator.
	r, _, rerr := rules.Load(cfg.Rules.Path, clock.System{}.Now())
	if rerr != nil {
		fmt.Fprintf(stderr, "b24desk tickets: rules %s not loaded (levels left out); see b24desk rules check\n", cfg.Rules.Path)
		r = nil
	}
	log := newLogger(config.Log{Level: "error", Format: "console"}, stderr)
	st, err := openStateReadOnly(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk tickets: %v\n", err)
		return exitFailed
	}
	defer st.Close()
	list, err := listTickets(ctx, st, *which)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk tickets: %v\n", err)
		return exitFailed
	}
	rows := make([]ticketRow, 0, len(list))
	for _, t := range list {
		rows = append(rows, toTicketRow(t, r))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return exitFailed
		}
		return exitOK
	}
	writeTicketTable(stdout, rows, cfg.Portal.Location)
	return exitOK
}

// listTickets pages through the open tickets and keeps those whose SLA
// state matches which.
func listTickets(ctx context.Context, st *store.Store, which string) ([]ticket.Ticket, error) {
	var out []ticket.Ticket
	var after int64
	for {
		read := st.OpenTickets
		if which == "all" {
			read = st.Tickets // closed (and deleted) ones too
		}
		page, err := read(ctx, after, 500)
		if err != nil {
			return nil, fmt.Errorf("read tickets: %w", err)
		}
		for _, t := range page {
			if which == "open" || which == "all" || t.SLAState == which {
				out = append(out, t)
			}
		}
		if len(page) < 500 {
			return out, nil
		}
		after = page[len(page)-1].LeadID
	}
}

// toTicketRow converts a stored ticket, naming its type and level from the
// rules when they are loaded.
func toTicketRow(t ticket.Ticket, r *rules.Rules) ticketRow {
	row := ticketRow{Number: t.LeadID, Type: t.Type, Assignee: t.Assignee, Tier: t.Tier, Priority: t.Priority,
		Policy: t.Policy, Status: t.Status, SLAState: t.SLAState, Requester: t.Requester,
		Created: optTime(t.CreatedAt), FirstResponseDue: optTime(t.FirstResponseDue),
		FirstResponseMet: optTime(t.FirstResponseMet), ResolutionDue: optTime(t.ResolutionDue),
		ResolutionMet: optTime(t.ResolutionMet), NextDue: optTime(t.NextDueAt),
		Paused: !t.PausedSince.IsZero(), Closed: optTime(t.ClosedAt)}
	if r != nil {
		if ty, ok := r.TypeByCode(t.Type); ok {
			row.TypeName, row.Level = ty.Name, ty.Level
		}
	}
	return row
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// writeTicketTable prints the rows as an aligned table, times in loc.
func writeTicketTable(w io.Writer, rows []ticketRow, loc *time.Location) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "no tickets")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tTYPE\tLEVEL\tASSIGNEE\tTIER\tPOLICY\tSTAGE\tSLA\tFIRST RESPONSE\tRESOLUTION\tNEXT DUE")
	for _, r := range rows {
		sla := orDash(r.SLAState)
		if r.Paused {
			sla += " (paused)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, orDash(r.Type), orDash(r.Level),
			ticketAssignee(r.Assignee), orDash(r.Tier), orDash(r.Policy), orDash(r.Status), sla,
			ticketDue(r.FirstResponseDue, r.FirstResponseMet, loc), ticketDue(r.ResolutionDue, r.ResolutionMet, loc),
			ticketDue(r.NextDue, nil, loc))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d ticket(s)\n", len(rows))
}

// dueText shows a due time, or when the target was met.
func ticketDue(due, met *time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case met != nil:
		return "met " + met.In(loc).Format("01-02 15:04")
	case due != nil:
		return due.In(loc).Format("01-02 15:04")
	}
	return "-"
}

func ticketAssignee(id int64) string {
	if id == 0 {
		return "-"
	}
	return fmt.Sprintf("user %d", id)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
