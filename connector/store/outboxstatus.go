package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// OutboxStatusByKey returns the row with the dedupe key without its
// payload (Payload is nil): for callers that only wait for a write's state
// and result, such as the mail intake before it moves a mail. ErrNotFound
// when there is no such row.
func (a access) OutboxStatusByKey(ctx context.Context, dedupeKey string) (OutboxRow, error) {
	cols := `id, kind, '', dedupe_key, group_key, attempts, next_attempt_at, state, last_error, result, created_at, updated_at`
	r, err := scanOutbox(a.q.QueryRowContext(ctx, `SELECT `+cols+` FROM outbox WHERE dedupe_key = ?`, dedupeKey))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxRow{}, fmt.Errorf("outbox row %q: %w", dedupeKey, ErrNotFound)
	}
	if err != nil {
		return OutboxRow{}, fmt.Errorf("get outbox status: %w", err)
	}
	r.Payload = nil
	return r, nil
}

// OutboxStateByKey returns the state of the row with the dedupe key, read
// from an index alone (the row and its payload are not touched): cheap
// enough to ask for many waiting rows on every round. ErrNotFound when
// there is no such row.
func (a access) OutboxStateByKey(ctx context.Context, dedupeKey string) (OutboxState, error) {
	var st OutboxState
	err := a.q.QueryRowContext(ctx,
		`SELECT state FROM outbox INDEXED BY outbox_key_state WHERE dedupe_key = ?`, dedupeKey).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("outbox row %q: %w", dedupeKey, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get outbox state: %w", err)
	}
	return st, nil
}
