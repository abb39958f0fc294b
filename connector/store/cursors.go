package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Cursor is a mailbox's position: the UIDVALIDITY it was read under, the
// last UID taken in (spooled) and the time of the last successful check.
type Cursor struct {
	Mailbox     string
	UIDValidity uint32
	LastUID     uint32
	LastOKAt    time.Time
}

// Cursor returns the mailbox's cursor; found is false when the mailbox was
// never read (first start).
func (a access) Cursor(ctx context.Context, mailbox string) (c Cursor, found bool, err error) {
	var ok sql.NullInt64
	err = a.q.QueryRowContext(ctx,
		`SELECT mailbox, uidvalidity, last_uid, last_ok_at FROM mailbox_cursors WHERE mailbox = ?`, mailbox).
		Scan(&c.Mailbox, &c.UIDValidity, &c.LastUID, &ok)
	if errors.Is(err, sql.ErrNoRows) {
		return Cursor{}, false, nil
	}
	if err != nil {
		return Cursor{}, false, fmt.Errorf("get cursor %q: %w", mailbox, err)
	}
	c.LastOKAt = fromTS(ok)
	return c, true, nil
}

// SetCursor stores the mailbox's cursor.
func (a access) SetCursor(ctx context.Context, c Cursor) error {
	_, err := a.q.ExecContext(ctx, `
INSERT INTO mailbox_cursors (mailbox, uidvalidity, last_uid, last_ok_at) VALUES (?, ?, ?, ?)
ON CONFLICT(mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,
	last_uid = excluded.last_uid, last_ok_at = excluded.last_ok_at`,
		c.Mailbox, c.UIDValidity, c.LastUID, ts(c.LastOKAt))
	if err != nil {
		return fmt.Errorf("set cursor %q: %w", c.Mailbox, err)
	}
	return nil
}

// Cursors lists every mailbox cursor, ordered by mailbox.
func (a access) Cursors(ctx context.Context) ([]Cursor, error) {
	rows, err := a.q.QueryContext(ctx,
		`SELECT mailbox, uidvalidity, last_uid, last_ok_at FROM mailbox_cursors ORDER BY mailbox`)
	if err != nil {
		return nil, fmt.Errorf("list cursors: %w", err)
	}
	defer rows.Close()
	var out []Cursor
	for rows.Next() {
		var c Cursor
		var ok sql.NullInt64
		if err := rows.Scan(&c.Mailbox, &c.UIDValidity, &c.LastUID, &ok); err != nil {
			return nil, fmt.Errorf("list cursors: %w", err)
		}
		c.LastOKAt = fromTS(ok)
		out = append(out, c)
	}
	return out, rows.Err()
}
