package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OutboxState is the life stage of an outbox row.
type OutboxState string

// Outbox row states. Pending and unknown rows are work; parked rows wait for
// an operator and block the rows after them in their group; done and dropped
// rows are history until retention prunes them.
const (
	OutboxPending OutboxState = "pending" // to be sent at next_attempt_at
	OutboxUnknown OutboxState = "unknown" // sent, outcome unknown: look up first at next_attempt_at
	OutboxDone    OutboxState = "done"
	OutboxParked  OutboxState = "parked"  // failed for good; keeps its error
	OutboxDropped OutboxState = "dropped" // given up by an operator
)

// OutboxRow is one portal write (see connector/outbox for its life).
type OutboxRow struct {
	ID            int64
	Kind          string
	Payload       json.RawMessage
	DedupeKey     string
	GroupKey      string // rows of one group run in ID order ("" = no group)
	Attempts      int
	NextAttemptAt time.Time
	State         OutboxState
	LastError     string
	Result        json.RawMessage // nil until done
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const outboxCols = `id, kind, payload, dedupe_key, group_key, attempts, next_attempt_at, state, last_error, result, created_at, updated_at`

func scanOutbox(sc interface{ Scan(...any) error }) (OutboxRow, error) {
	var r OutboxRow
	var payload string
	var result sql.NullString
	var next, created, updated int64
	err := sc.Scan(&r.ID, &r.Kind, &payload, &r.DedupeKey, &r.GroupKey, &r.Attempts, &next, &r.State,
		&r.LastError, &result, &created, &updated)
	if err != nil {
		return OutboxRow{}, err
	}
	r.Payload = json.RawMessage(payload)
	if result.Valid {
		r.Result = json.RawMessage(result.String)
	}
	r.NextAttemptAt, r.CreatedAt, r.UpdatedAt = fromTSNN(next), fromTSNN(created), fromTSNN(updated)
	return r, nil
}

// EnqueueOutbox inserts a pending row due at r.NextAttemptAt (now when
// zero). A row with the same dedupe key already present (in any state) is
// left as it is: created is false and id is the existing row's.
func (a access) EnqueueOutbox(ctx context.Context, r OutboxRow, now time.Time) (id int64, created bool, err error) {
	if r.Kind == "" || r.DedupeKey == "" {
		return 0, false, errors.New("enqueue outbox: kind and dedupe key are required")
	}
	if !json.Valid(r.Payload) {
		return 0, false, fmt.Errorf("enqueue outbox %s: payload is not JSON", r.Kind)
	}
	if r.NextAttemptAt.IsZero() {
		r.NextAttemptAt = now
	}
	err = a.q.QueryRowContext(ctx, `INSERT INTO outbox (kind, payload, dedupe_key, group_key, attempts,
	next_attempt_at, state, last_error, result, created_at, updated_at)
VALUES (?, ?, ?, ?, 0, ?, 'pending', '', NULL, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING RETURNING id`,
		r.Kind, string(r.Payload), r.DedupeKey, r.GroupKey, tsNN(r.NextAttemptAt), tsNN(now), tsNN(now)).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("enqueue outbox: %w", err)
	}
	if err := a.q.QueryRowContext(ctx, `SELECT id FROM outbox WHERE dedupe_key = ?`, r.DedupeKey).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("enqueue outbox: %w", err)
	}
	return id, false, nil
}

// OutboxRowByID returns the row, or ErrNotFound.
func (a access) OutboxRowByID(ctx context.Context, id int64) (OutboxRow, error) {
	r, err := scanOutbox(a.q.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxRow{}, fmt.Errorf("outbox row %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return OutboxRow{}, fmt.Errorf("get outbox row %d: %w", id, err)
	}
	return r, nil
}

// OutboxRowByKey returns the row with the dedupe key, or ErrNotFound.
func (a access) OutboxRowByKey(ctx context.Context, dedupeKey string) (OutboxRow, error) {
	r, err := scanOutbox(a.q.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE dedupe_key = ?`, dedupeKey))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxRow{}, fmt.Errorf("outbox row %q: %w", dedupeKey, ErrNotFound)
	}
	if err != nil {
		return OutboxRow{}, fmt.Errorf("get outbox row: %w", err)
	}
	return r, nil
}

// DueOutbox returns pending and unknown rows due at now whose group has no
// earlier unfinished (pending, unknown or parked) row, in due order.
func (a access) DueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxRow, error) {
	if limit <= 0 {
		limit = 50
	}
	return a.listOutbox(ctx, `SELECT `+outboxCols+` FROM outbox o
WHERE o.next_attempt_at <= ? AND `+runnable+`
ORDER BY o.next_attempt_at, o.id LIMIT ?`, tsNN(now), limit)
}

// runnable is the condition of a pending or unknown row not blocked by an
// earlier unfinished row of its group nor, for a side write (a group
// "ticket:K#lane", see connector/outbox keys.go), by its ticket's lead.add not done
// yet (every side write needs the lead to exist).
const runnable = `o.state IN ('pending', 'unknown')
  AND (o.group_key = '' OR NOT EXISTS (SELECT 1 FROM outbox e
       WHERE e.group_key = o.group_key AND e.id < o.id AND e.state IN ('pending', 'unknown', 'parked')))
  AND (o.group_key NOT LIKE '%#%' OR NOT EXISTS (SELECT 1 FROM outbox c
       WHERE c.group_key = substr(` + laneTrimmed + `, 1, length(` + laneTrimmed + `) - 1)
       AND c.kind = 'lead.add' AND c.state IN ('pending', 'unknown', 'parked')))`

// laneTrimmed is a side write's group without its lane's name ("K#todo" →
// "K#"): lanes are lower-case ASCII letters. Portable SQL (rtrim with a set
// of characters is in SQLite and PostgreSQL; instr and strpos are not in
// both).
const laneTrimmed = `rtrim(o.group_key, 'abcdefghijklmnopqrstuvwxyz')`

// DueLaneHeads returns the pending rows due at now that head one of the
// groups (a ticket's side lanes: its lead.add is left aside, the caller
// sends them along with it), in ID order.
func (a access) DueLaneHeads(ctx context.Context, groups []string, now time.Time) ([]OutboxRow, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(groups)+1)
	for _, g := range groups {
		args = append(args, g)
	}
	args = append(args, tsNN(now))
	return a.listOutbox(ctx, `SELECT `+outboxCols+` FROM outbox o
WHERE o.group_key IN (?`+strings.Repeat(", ?", len(groups)-1)+`) AND o.state = 'pending' AND o.next_attempt_at <= ?
  AND NOT EXISTS (SELECT 1 FROM outbox e
       WHERE e.group_key = o.group_key AND e.id < o.id AND e.state IN ('pending', 'unknown', 'parked'))
ORDER BY o.id`, args...)
}

// NextOutboxDue returns the earliest next attempt time of a row DueOutbox
// could return (found false when there is none: rows waiting behind a
// parked row do not count).
func (a access) NextOutboxDue(ctx context.Context) (t time.Time, found bool, err error) {
	var n sql.NullInt64
	err = a.q.QueryRowContext(ctx, `SELECT MIN(o.next_attempt_at) FROM outbox o WHERE `+runnable).Scan(&n)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next outbox due: %w", err)
	}
	return fromTS(n), n.Valid, nil
}

// OutboxInState lists rows in the state by ID, at most limit (≤ 0: 100).
func (a access) OutboxInState(ctx context.Context, state OutboxState, limit int) ([]OutboxRow, error) {
	if limit <= 0 {
		limit = 100
	}
	return a.listOutbox(ctx, `SELECT `+outboxCols+` FROM outbox WHERE state = ? ORDER BY id LIMIT ?`, state, limit)
}

// OutboxGroupResult returns the result of the group's first done row of the
// kind (e.g. the lead ID of the group's lead.add); found is false when there
// is none.
func (a access) OutboxGroupResult(ctx context.Context, group, kind string) (json.RawMessage, bool, error) {
	var res sql.NullString
	err := a.q.QueryRowContext(ctx, `SELECT result FROM outbox WHERE group_key = ? AND kind = ? AND state = 'done'
ORDER BY id LIMIT 1`, group, kind).Scan(&res)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("outbox group result: %w", err)
	}
	return json.RawMessage(res.String), res.Valid, nil
}

// UpdateOutbox writes the row's attempts, next attempt time, state, error
// and result.
func (a access) UpdateOutbox(ctx context.Context, r OutboxRow, now time.Time) error {
	var result any
	if r.Result != nil {
		result = string(r.Result)
	}
	res, err := a.q.ExecContext(ctx, `UPDATE outbox SET attempts = ?, next_attempt_at = ?, state = ?,
	last_error = ?, result = ?, updated_at = ? WHERE id = ?`,
		r.Attempts, tsNN(r.NextAttemptAt), r.State, r.LastError, result, tsNN(now), r.ID)
	if err != nil {
		return fmt.Errorf("update outbox row %d: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update outbox row %d: %w", r.ID, ErrNotFound)
	}
	return nil
}

// OutboxStats counts the outbox.
type OutboxStats struct {
	Pending       int       // pending + unknown rows
	Unknown       int       // rows waiting for a lookup
	Parked        int       // rows an operator must look at
	OldestPending time.Time // creation time of the oldest pending/unknown row (zero: none)
}

// OutboxStats counts pending, unknown and parked rows.
func (a access) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var s OutboxStats
	var oldest sql.NullInt64
	err := a.q.QueryRowContext(ctx, `SELECT
	COUNT(CASE WHEN state IN ('pending', 'unknown') THEN 1 END), COUNT(CASE WHEN state = 'unknown' THEN 1 END),
	COUNT(CASE WHEN state = 'parked' THEN 1 END), MIN(CASE WHEN state IN ('pending', 'unknown') THEN created_at END)
FROM outbox WHERE state IN ('pending', 'unknown', 'parked')`).Scan(&s.Pending, &s.Unknown, &s.Parked, &oldest)
	if err != nil {
		return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	s.OldestPending = fromTS(oldest)
	return s, nil
}

func (a access) listOutbox(ctx context.Context, query string, args ...any) ([]OutboxRow, error) {
	rows, err := a.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		r, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list outbox: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// OutboxGroupRow returns the group's first row of the kind in any state
// (e.g. a ticket's lead.add); found is false when there is none.
func (a access) OutboxGroupRow(ctx context.Context, group, kind string) (OutboxRow, bool, error) {
	r, err := scanOutbox(a.q.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE group_key = ? AND kind = ?
ORDER BY id LIMIT 1`, group, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxRow{}, false, nil
	}
	if err != nil {
		return OutboxRow{}, false, fmt.Errorf("outbox group row: %w", err)
	}
	return r, true, nil
}
