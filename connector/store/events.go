package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// eventQueueSchema is the migration of the durable portal event queue
// (appended to the migration list).
const eventQueueSchema = `
CREATE TABLE event_queue (
	id              INTEGER PRIMARY KEY,
	lead_id         INTEGER NOT NULL,
	event           TEXT NOT NULL,
	at              INTEGER NOT NULL,
	date_modify     INTEGER,
	dedupe_key      TEXT NOT NULL UNIQUE,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX event_queue_due ON event_queue(next_attempt_at, id);
`

// QueuedEvent is a portal change recorded for the ticket engine and not yet
// accepted by it.
type QueuedEvent struct {
	ID         int64
	LeadID     int64
	Event      string    // ONCRMLEADUPDATE, reconcile, deleted...
	At         time.Time // when the change was noticed
	DateModify time.Time // the lead's DATE_MODIFY when known
	Attempts   int
	LastError  string
}

// RecordEvent queues a change. isNew is false when an identical change
// (same dedupe key) is already queued; nothing new is stored then, but if
// that change is being processed right now its row is re-armed, so the lead
// is read once more afterwards. Keys are not remembered after a change is
// done: the portal sends only the lead ID and the same key for two changes
// made in one second, so a key seen before may carry a change nobody has
// read yet, and reading a lead again is harmless (the engine ignores what
// did not change).
func (a access) RecordEvent(ctx context.Context, e QueuedEvent, dedupeKey string) (isNew bool, err error) {
	var version int64
	err = a.q.QueryRowContext(ctx, `INSERT INTO event_queue
(lead_id, event, at, date_modify, dedupe_key, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT(dedupe_key) DO UPDATE SET version = event_queue.version + 1,
	next_attempt_at = CASE WHEN excluded.next_attempt_at < event_queue.next_attempt_at
		THEN excluded.next_attempt_at ELSE event_queue.next_attempt_at END
RETURNING version`,
		e.LeadID, e.Event, tsNN(e.At), ts(e.DateModify), dedupeKey, tsNN(e.At)).Scan(&version)
	if err != nil {
		return false, fmt.Errorf("record event: %w", err)
	}
	return version == 0, nil
}

// PendingEvents returns up to limit queued changes due at now, oldest first.
func (a access) PendingEvents(ctx context.Context, now time.Time, limit int) ([]QueuedEvent, error) {
	if limit <= 0 {
		limit = 100
	}
	// Rows handed out remember their version: a repeat recorded while they
	// are processed bumps it, and DoneEvent then keeps the row.
	rows, err := a.q.QueryContext(ctx, `UPDATE event_queue SET picked = version
WHERE id IN (SELECT id FROM event_queue WHERE next_attempt_at <= ? ORDER BY id LIMIT ?)
RETURNING id, lead_id, event, at, date_modify, attempts, last_error`, tsNN(now), limit)
	if err != nil {
		return nil, fmt.Errorf("pending events: %w", err)
	}
	defer rows.Close()
	var out []QueuedEvent
	for rows.Next() {
		var e QueuedEvent
		var at int64
		var dm sql.NullInt64
		if err := rows.Scan(&e.ID, &e.LeadID, &e.Event, &at, &dm, &e.Attempts, &e.LastError); err != nil {
			return nil, fmt.Errorf("pending events: %w", err)
		}
		e.At, e.DateModify = fromTSNN(at), fromTS(dm)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending events: %w", err)
	}
	// RETURNING gives no order.
	slices.SortFunc(out, func(a, b QueuedEvent) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// DoneEvent removes a change the engine accepted, unless a repeat arrived
// while it was processed: the row then stays due and is read again.
func (a access) DoneEvent(ctx context.Context, id int64) error {
	if _, err := a.q.ExecContext(ctx, `DELETE FROM event_queue WHERE id = ? AND version = picked`, id); err != nil {
		return fmt.Errorf("done event %d: %w", id, err)
	}
	return nil
}

// RetryEvent counts a failed attempt of a change and sets its next attempt;
// reason is kept for operators (it must not hold a secret).
func (a access) RetryEvent(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := a.q.ExecContext(ctx, `UPDATE event_queue
SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`, tsNN(next), reason, id)
	if err != nil {
		return fmt.Errorf("retry event %d: %w", id, err)
	}
	return nil
}

// EventQueueLen counts the queued changes.
func (a access) EventQueueLen(ctx context.Context) (int, error) {
	var n int
	if err := a.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM event_queue`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
