package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/rules"
)

// Per-ticket state beside the tickets row: the SLA timeline's customer
// reply and pause spans, the ticket's to-do and the echoes of b24desk's own
// lead writes still expected. Each table is keyed by the lead; mail drafts
// and waits are in maildrafts.go, spam lessons in spamlessons.go.
const ticketStateSchema = `
CREATE TABLE ticket_timeline (
	lead_id        INTEGER PRIMARY KEY,
	customer_reply INTEGER
);
CREATE TABLE ticket_pauses (
	lead_id    INTEGER NOT NULL,
	seq        INTEGER NOT NULL,
	started_at INTEGER NOT NULL,
	ended_at   INTEGER,
	PRIMARY KEY (lead_id, seq)
);
CREATE TABLE ticket_todo (
	lead_id INTEGER PRIMARY KEY,
	todo_id INTEGER NOT NULL
);
CREATE TABLE ticket_echoes (
	lead_id    INTEGER PRIMARY KEY,
	expected   INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
`

// Timeline is the part of a ticket's SLA timeline its tickets row does not
// keep (the row has PausedSince and PausedTotal only): the customer's
// latest reply and every pause span, in order (an open span has a zero
// End).
type Timeline struct {
	CustomerReply time.Time
	Paused        []rules.Interval
}

// TicketTimeline returns the lead's timeline (found false when none was
// stored).
func (a access) TicketTimeline(ctx context.Context, lead int64) (tl Timeline, found bool, err error) {
	var reply sql.NullInt64
	err = a.q.QueryRowContext(ctx, `SELECT customer_reply FROM ticket_timeline WHERE lead_id = ?`, lead).Scan(&reply)
	if errors.Is(err, sql.ErrNoRows) {
		return Timeline{}, false, nil
	}
	if err != nil {
		return Timeline{}, false, fmt.Errorf("ticket %d timeline: %w", lead, err)
	}
	tl.CustomerReply = fromTS(reply)
	rows, err := a.q.QueryContext(ctx, `SELECT started_at, ended_at FROM ticket_pauses WHERE lead_id = ? ORDER BY seq`, lead)
	if err != nil {
		return Timeline{}, false, fmt.Errorf("ticket %d pauses: %w", lead, err)
	}
	defer rows.Close()
	for rows.Next() {
		var start int64
		var end sql.NullInt64
		if err := rows.Scan(&start, &end); err != nil {
			return Timeline{}, false, fmt.Errorf("ticket %d pauses: %w", lead, err)
		}
		tl.Paused = append(tl.Paused, rules.Interval{Start: fromTSNN(start), End: fromTS(end)})
	}
	if err := rows.Err(); err != nil {
		return Timeline{}, false, fmt.Errorf("ticket %d pauses: %w", lead, err)
	}
	return tl, true, nil
}

// PutTicketTimeline stores the lead's timeline, replacing the one stored.
// Call it inside WithTx: its rows are written one by one.
func (a access) PutTicketTimeline(ctx context.Context, lead int64, tl Timeline) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO ticket_timeline (lead_id, customer_reply) VALUES (?, ?)
ON CONFLICT(lead_id) DO UPDATE SET customer_reply = excluded.customer_reply`, lead, ts(tl.CustomerReply))
	if err != nil {
		return fmt.Errorf("put ticket %d timeline: %w", lead, err)
	}
	if _, err := a.q.ExecContext(ctx, `DELETE FROM ticket_pauses WHERE lead_id = ?`, lead); err != nil {
		return fmt.Errorf("put ticket %d pauses: %w", lead, err)
	}
	for i, p := range tl.Paused {
		_, err := a.q.ExecContext(ctx, `INSERT INTO ticket_pauses (lead_id, seq, started_at, ended_at) VALUES (?, ?, ?, ?)`,
			lead, i, tsNN(p.Start), ts(p.End))
		if err != nil {
			return fmt.Errorf("put ticket %d pauses: %w", lead, err)
		}
	}
	return nil
}

// TicketTodo returns the ID of the lead's to-do b24desk may change (0: it
// has none: completed, or gone); found is false when none was recorded.
func (a access) TicketTodo(ctx context.Context, lead int64) (id int64, found bool, err error) {
	err = a.q.QueryRowContext(ctx, `SELECT todo_id FROM ticket_todo WHERE lead_id = ?`, lead).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("ticket %d to-do: %w", lead, err)
	}
	return id, true, nil
}

// PutTicketTodo records the lead's to-do ID (0: none b24desk may change).
func (a access) PutTicketTodo(ctx context.Context, lead, id int64) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO ticket_todo (lead_id, todo_id) VALUES (?, ?)
ON CONFLICT(lead_id) DO UPDATE SET todo_id = excluded.todo_id`, lead, max(id, 0))
	if err != nil {
		return fmt.Errorf("put ticket %d to-do: %w", lead, err)
	}
	return nil
}

// Echoes are the events of b24desk's own writes of a lead still expected
// (connector/desk echo.go): N of them, until Until.
type Echoes struct {
	N     int
	Until time.Time
}

// ExpectedEchoes returns the lead's expected echoes (zero when none were
// recorded; expiry is the caller's).
func (a access) ExpectedEchoes(ctx context.Context, lead int64) (Echoes, error) {
	var x Echoes
	var until int64
	err := a.q.QueryRowContext(ctx, `SELECT expected, expires_at FROM ticket_echoes WHERE lead_id = ?`, lead).Scan(&x.N, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return Echoes{}, nil
	}
	if err != nil {
		return Echoes{}, fmt.Errorf("lead %d echoes: %w", lead, err)
	}
	x.Until = fromTSNN(until)
	return x, nil
}

// PutExpectedEchoes records the lead's expected echoes; N ≤ 0 forgets them.
func (a access) PutExpectedEchoes(ctx context.Context, lead int64, x Echoes) error {
	var err error
	if x.N <= 0 {
		_, err = a.q.ExecContext(ctx, `DELETE FROM ticket_echoes WHERE lead_id = ?`, lead)
	} else {
		_, err = a.q.ExecContext(ctx, `INSERT INTO ticket_echoes (lead_id, expected, expires_at) VALUES (?, ?, ?)
ON CONFLICT(lead_id) DO UPDATE SET expected = excluded.expected, expires_at = excluded.expires_at`, lead, x.N, tsNN(x.Until))
	}
	if err != nil {
		return fmt.Errorf("put lead %d echoes: %w", lead, err)
	}
	return nil
}
