package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

const outboxUsage = `Usage:
  b24desk outbox [--config FILE] [list] [--all] [--json]
  b24desk outbox [--config FILE] retry ID
  b24desk outbox [--config FILE] drop ID

Every write b24desk makes to the portal (new lead, field update, comment,
to-do, notification, workflow start) goes through a durable outbox in the
state. This command shows it and lets an operator unblock it.

list (the default) prints the rows still to deliver (pending, and unknown:
sent but outcome not known, looked up before resending) and the parked rows
(failed for good: access denied, invalid data...) with their last error.
A parked row blocks the later writes of the same ticket. TICKET is the
lead ID, or for a ticket whose lead is not created yet the mail's origin
key marked "(pending)". --all adds the
recent done and dropped rows. The state is opened read-only: list runs
beside a running daemon.

retry ID makes a parked (or waiting) row due now with its attempts reset;
fix the cause first (rights, a deleted lead, a missing field: b24desk check).
drop ID gives a row up for good: it is kept as history and no longer blocks
its ticket. Both write to the state and work whether the daemon runs or not:
the database takes turns between them. A running daemon picks a retried row
up within its idle interval (5 s); a stopped one on its next start.

Flags (before or after the verb):
  --config FILE   the daemon's config file (default b24desk.yaml)
  --all           list: also the recent done and dropped rows
  --json          list: print a JSON array instead of the table

Examples:
  b24desk outbox --config /etc/b24desk/b24desk.yaml
  b24desk outbox --config b24desk.yaml retry 42
  b24desk outbox --config b24desk.yaml drop 42

Exit status: 0 done, 1 the state could not be read or the row cannot be
retried/dropped (unknown ID, already done), 2 bad command line or config.
`

// outboxRowView is one outbox row as the command prints it (also its JSON).
type outboxRowView struct {
	ID        int64           `json:"id"`
	State     string          `json:"state"`
	Kind      string          `json:"kind"`
	Ticket    string          `json:"ticket,omitempty"` // lead ID; empty while its lead.add is not done
	Group     string          `json:"group,omitempty"`  // the row's group key
	Attempts  int             `json:"attempts"`
	NextAt    *time.Time      `json:"next_attempt,omitempty"`
	Created   time.Time       `json:"created"`
	LastError string          `json:"last_error,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
}

// cmdOutbox lists, retries or drops outbox rows.
func cmdOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // the usage is printed below: on stdout for --help, on stderr after a bad flag
	cfgPath := fs.String("config", defaultConfigPath, "config file")
	asJSON := fs.Bool("json", false, "list: print JSON")
	all := fs.Bool("all", false, "list: add done and dropped rows")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, outboxUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprint(stderr, outboxUsage)
		return exitUsage
	}
	verb := "list"
	if len(pos) > 0 {
		verb = pos[0]
	}
	var id int64
	switch {
	case verb == "list" && len(pos) <= 1:
	case (verb == "retry" || verb == "drop") && len(pos) == 2:
		id, err = strconv.ParseInt(pos[1], 10, 64)
		if err != nil || id <= 0 {
			fmt.Fprintf(stderr, "b24desk outbox %s: ID must be a row number, got %q\n", verb, pos[1])
			return exitUsage
		}
	default:
		fmt.Fprint(stderr, outboxUsage)
		return exitUsage
	}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	log := newLogger(config.Log{Level: "error", Format: "console"}, stderr)
	if verb == "list" {
		return outboxList(ctx, cfg, log, *all, *asJSON, stdout, stderr)
	}
	return outboxChange(ctx, cfg, log, verb, id, stdout, stderr)
}

// outboxList prints the rows still to deliver and the parked ones.
func outboxList(ctx context.Context, cfg *config.Config, log zerolog.Logger, all, asJSON bool, stdout, stderr io.Writer) int {
	st, err := openStateReadOnly(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk outbox: %v\n", err)
		return exitFailed
	}
	defer st.Close()
	states := []store.OutboxState{store.OutboxParked, store.OutboxUnknown, store.OutboxPending}
	if all {
		states = append(states, store.OutboxDropped, store.OutboxDone)
	}
	var views []outboxRowView
	tickets := ticketNamer{st: st, known: map[string]string{}}
	for _, s := range states {
		rows, err := st.OutboxInState(ctx, s, 1000)
		if err != nil {
			fmt.Fprintf(stderr, "b24desk outbox: %v\n", err)
			return exitFailed
		}
		for _, r := range rows {
			v := toOutboxView(r, asJSON)
			if v.Ticket, err = tickets.lead(ctx, r.GroupKey); err != nil {
				fmt.Fprintf(stderr, "b24desk outbox: %v\n", err)
				return exitFailed
			}
			views = append(views, v)
		}
	}
	stats, err := st.OutboxStats(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk outbox: %v\n", err)
		return exitFailed
	}
	if asJSON {
		if views == nil {
			views = []outboxRowView{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(views); err != nil {
			return exitFailed
		}
		return exitOK
	}
	loc := cfg.Portal.Location
	if loc == nil {
		loc = time.UTC
	}
	fmt.Fprintf(stdout, "outbox: %d to deliver (%d unknown outcome), %d parked", stats.Pending, stats.Unknown, stats.Parked)
	if !stats.OldestPending.IsZero() {
		fmt.Fprintf(stdout, ", oldest waiting since %s", stats.OldestPending.In(loc).Format("2006-01-02 15:04:05"))
	}
	fmt.Fprintln(stdout)
	if len(views) == 0 {
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tKIND\tTICKET\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, v := range views {
		next := "-"
		if v.NextAt != nil && (v.State == string(store.OutboxPending) || v.State == string(store.OutboxUnknown)) {
			next = v.NextAt.In(loc).Format("01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", v.ID, v.State, v.Kind, ticketColumn(v), v.Attempts, next,
			orDash(oneLine(v.LastError, 100)))
	}
	_ = tw.Flush()
	if stats.Parked > 0 {
		fmt.Fprintln(stdout, "parked rows block their ticket's later writes: fix the cause, then b24desk outbox retry ID (or drop ID)")
	}
	return exitOK
}

// outboxChange retries or drops one row. It opens the state for writing
// beside a running daemon (no lock taken).
func outboxChange(ctx context.Context, cfg *config.Config, log zerolog.Logger, verb string, id int64, stdout, stderr io.Writer) int {
	st, err := openStateBeside(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "b24desk outbox %s: %v\n", verb, err)
		return exitFailed
	}
	defer st.Close()
	// Retry and Drop only touch the state: no portal is needed.
	ob := outbox.New(st, nil, clock.System{}, log, outbox.Config{})
	if verb == "retry" {
		err = ob.Retry(ctx, id)
	} else {
		err = ob.Drop(ctx, id)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		fmt.Fprintf(stderr, "b24desk outbox %s: no row %d (see b24desk outbox list --all)\n", verb, id)
		return exitFailed
	case err != nil:
		fmt.Fprintf(stderr, "b24desk outbox %s: %v\n", verb, err)
		return exitFailed
	}
	if verb == "retry" {
		fmt.Fprintf(stdout, "row %d is due now; a running daemon sends it within seconds, a stopped one on its next start\n", id)
	} else {
		fmt.Fprintf(stdout, "row %d dropped: it will not be sent and no longer blocks its ticket\n", id)
	}
	return exitOK
}

// toOutboxView converts a row; the payload (which may hold customer text)
// is only kept for JSON.
func toOutboxView(r store.OutboxRow, withPayload bool) outboxRowView {
	v := outboxRowView{ID: r.ID, State: string(r.State), Kind: r.Kind, Group: r.GroupKey, Attempts: r.Attempts,
		NextAt: optTime(r.NextAttemptAt), Created: r.CreatedAt, LastError: r.LastError}
	if withPayload {
		v.Payload = r.Payload
	}
	return v
}

// oneLine flattens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// ticketNamer finds the ticket number (lead ID) of outbox groups: a group
// is keyed by the lead ID, or by the ORIGIN_ID of a lead b24desk creates
// (m-…), whose done lead.add holds the lead ID.
type ticketNamer struct {
	st    *store.Store
	known map[string]string // group key → lead ID ("" while pending)
}

// lead returns the group's lead ID, or "" when it has none yet (or no
// group).
func (n ticketNamer) lead(ctx context.Context, group string) (string, error) {
	if id, ok := n.known[group]; ok {
		return id, nil
	}
	group = outbox.CoreGroup(group) // a side write's lane belongs to its ticket
	key, isTicket := outbox.TicketOfGroup(group)
	if lead, ok := outbox.LeadOfMailGroup(group); ok {
		key, isTicket = strconv.FormatInt(lead, 10), true
	}
	id := ""
	switch {
	case !isTicket:
	case isDigits(key):
		id = key
	default:
		res, found, err := n.st.OutboxGroupResult(ctx, group, outbox.KindLeadAdd)
		if err != nil {
			return "", err
		}
		if lead, err := outbox.LeadIDFromResult(res); found && err == nil {
			id = strconv.FormatInt(lead, 10)
		}
	}
	n.known[group] = id
	return id, nil
}

// ticketColumn is the TICKET cell: the lead ID, else the group's origin
// shortened and marked "(pending)" (its lead is not created yet), else "-".
func ticketColumn(v outboxRowView) string {
	if v.Ticket != "" {
		return v.Ticket
	}
	origin, ok := outbox.TicketOfGroup(v.Group)
	if !ok {
		return "-"
	}
	if r := []rune(origin); len(r) > 8 {
		origin = string(r[:6]) + "…"
	}
	return origin + " (pending)"
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
