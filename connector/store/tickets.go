package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

const ticketCols = `lead_id, ` + ticketFields

// ticketFields are the columns of a ticket but its lead ID (a mail's
// draft ticket has the same, see maildrafts.go).
const ticketFields = `origin_id, type, status, assignee, tier, priority, policy, requester, created_at,
first_response_due, first_response_met, next_response_due, next_response_met, resolution_due, resolution_met,
paused_since, paused_total_seconds, next_due_at, sla_state, last_date_modify, last_written, closed_at, deleted, updated_at`

func scanTicket(sc interface{ Scan(...any) error }) (ticket.Ticket, error) {
	var t ticket.Ticket
	var origin sql.NullString
	var created, updated int64
	var frd, frm, nrd, nrm, rd, rm, ps, nd, ldm, closed sql.NullInt64
	var paused int64
	var written string
	err := sc.Scan(&t.LeadID, &origin, &t.Type, &t.Status, &t.Assignee, &t.Tier, &t.Priority, &t.Policy,
		&t.Requester, &created, &frd, &frm, &nrd, &nrm, &rd, &rm, &ps, &paused, &nd, &t.SLAState, &ldm,
		&written, &closed, &t.Deleted, &updated)
	if err != nil {
		return ticket.Ticket{}, err
	}
	t.OriginID = origin.String
	t.CreatedAt, t.UpdatedAt = fromTSNN(created), fromTSNN(updated)
	t.FirstResponseDue, t.FirstResponseMet = fromTS(frd), fromTS(frm)
	t.NextResponseDue, t.NextResponseMet = fromTS(nrd), fromTS(nrm)
	t.ResolutionDue, t.ResolutionMet = fromTS(rd), fromTS(rm)
	t.PausedSince, t.PausedTotal = fromTS(ps), time.Duration(paused)*time.Second
	t.NextDueAt, t.LastDateModify, t.ClosedAt = fromTS(nd), fromTS(ldm), fromTS(closed)
	t.LastWritten = json.RawMessage(written)
	return t, nil
}

// UpsertTicket writes the whole ticket (insert or replace by lead ID) and
// records what changed in the ticket's history. Read, change and upsert
// inside WithTx to avoid lost updates.
func (a access) UpsertTicket(ctx context.Context, t ticket.Ticket, now time.Time) error {
	if t.LeadID <= 0 {
		return fmt.Errorf("upsert ticket: invalid lead ID %d", t.LeadID)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	old, err := a.Ticket(ctx, t.LeadID)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("upsert ticket: %w", err)
	}
	values, err := ticketValues(t, now)
	if err != nil {
		return fmt.Errorf("upsert ticket %d: %w", t.LeadID, err)
	}
	_, err = a.q.ExecContext(ctx, `INSERT INTO tickets (`+ticketCols+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(lead_id) DO UPDATE SET origin_id = excluded.origin_id, type = excluded.type,
	status = excluded.status, assignee = excluded.assignee, tier = excluded.tier,
	priority = excluded.priority, policy = excluded.policy, requester = excluded.requester,
	created_at = excluded.created_at, first_response_due = excluded.first_response_due,
	first_response_met = excluded.first_response_met, next_response_due = excluded.next_response_due,
	next_response_met = excluded.next_response_met, resolution_due = excluded.resolution_due,
	resolution_met = excluded.resolution_met, paused_since = excluded.paused_since,
	paused_total_seconds = excluded.paused_total_seconds, next_due_at = excluded.next_due_at,
	sla_state = excluded.sla_state, last_date_modify = excluded.last_date_modify,
	last_written = excluded.last_written, closed_at = excluded.closed_at, deleted = excluded.deleted,
	updated_at = excluded.updated_at`, append([]any{t.LeadID}, values...)...)
	if err != nil {
		return fmt.Errorf("upsert ticket %d: %w", t.LeadID, err)
	}
	return a.recordHistory(ctx, old, found, t, now)
}

// ticketValues are the stored values of the ticket's ticketFields, with
// now as its update time.
func ticketValues(t ticket.Ticket, now time.Time) ([]any, error) {
	written := string(t.LastWritten)
	if written == "" {
		written = "{}"
	} else if !json.Valid(t.LastWritten) {
		return nil, errors.New("last written is not JSON")
	}
	var origin any
	if t.OriginID != "" {
		origin = t.OriginID
	}
	return []any{origin, t.Type, t.Status, t.Assignee, t.Tier, t.Priority, t.Policy, t.Requester,
		tsNN(t.CreatedAt), ts(t.FirstResponseDue), ts(t.FirstResponseMet), ts(t.NextResponseDue),
		ts(t.NextResponseMet), ts(t.ResolutionDue), ts(t.ResolutionMet), ts(t.PausedSince),
		int64(t.PausedTotal / time.Second), ts(t.NextDueAt), t.SLAState, ts(t.LastDateModify), written,
		ts(t.ClosedAt), t.Deleted, tsNN(now)}, nil
}

// Ticket returns the ticket of the lead, or ErrNotFound.
func (a access) Ticket(ctx context.Context, leadID int64) (ticket.Ticket, error) {
	t, err := scanTicket(a.q.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE lead_id = ?`, leadID))
	if errors.Is(err, sql.ErrNoRows) {
		return ticket.Ticket{}, fmt.Errorf("ticket %d: %w", leadID, ErrNotFound)
	}
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("get ticket %d: %w", leadID, err)
	}
	return t, nil
}

// TicketByOrigin returns the ticket created with the ORIGIN_ID, or ErrNotFound.
func (a access) TicketByOrigin(ctx context.Context, originID string) (ticket.Ticket, error) {
	t, err := scanTicket(a.q.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE origin_id = ?`, originID))
	if errors.Is(err, sql.ErrNoRows) {
		return ticket.Ticket{}, fmt.Errorf("ticket with origin %q: %w", originID, ErrNotFound)
	}
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("get ticket by origin: %w", err)
	}
	return t, nil
}

// DueTickets returns open tickets whose NextDueAt is at or before now,
// earliest first, at most limit (≤ 0 means 100). It reads the next-due index
// only, never all tickets.
func (a access) DueTickets(ctx context.Context, now time.Time, limit int) ([]ticket.Ticket, error) {
	if limit <= 0 {
		limit = 100
	}
	return a.listTickets(ctx, `SELECT `+ticketCols+` FROM tickets
WHERE next_due_at IS NOT NULL AND next_due_at <= ? AND closed_at IS NULL AND deleted = 0
ORDER BY next_due_at, lead_id LIMIT ?`, tsNN(now), limit)
}

// OpenTickets returns tickets neither closed nor deleted with a lead ID
// above afterID, by lead ID, at most limit (≤ 0 means 500): page with the
// last ID returned.
func (a access) OpenTickets(ctx context.Context, afterID int64, limit int) ([]ticket.Ticket, error) {
	if limit <= 0 {
		limit = 500
	}
	return a.listTickets(ctx, `SELECT `+ticketCols+` FROM tickets
WHERE closed_at IS NULL AND deleted = 0 AND lead_id > ? ORDER BY lead_id LIMIT ?`, afterID, limit)
}

// Tickets returns every ticket, closed and deleted ones included, with a
// lead ID above afterID, by lead ID, at most limit (≤ 0 means 500): page
// with the last ID returned.
func (a access) Tickets(ctx context.Context, afterID int64, limit int) ([]ticket.Ticket, error) {
	if limit <= 0 {
		limit = 500
	}
	return a.listTickets(ctx, `SELECT `+ticketCols+` FROM tickets
WHERE lead_id > ? ORDER BY lead_id LIMIT ?`, afterID, limit)
}

func (a access) listTickets(ctx context.Context, query string, args ...any) ([]ticket.Ticket, error) {
	rows, err := a.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	var out []ticket.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
