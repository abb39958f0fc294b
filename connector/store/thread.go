package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Direction says whether b24desk received or sent a Message-ID.
type Direction string

// Directions of the thread index.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// ThreadEntry maps a Message-ID to its ticket.
type ThreadEntry struct {
	MessageID string
	LeadID    int64
	Direction Direction
}

// PutThread records that messageID belongs to the ticket. A Message-ID
// already recorded keeps its first ticket.
func (a access) PutThread(ctx context.Context, e ThreadEntry, now time.Time) error {
	if e.MessageID == "" {
		return errors.New("put thread: empty Message-ID")
	}
	_, err := a.q.ExecContext(ctx, `
INSERT INTO thread_index (message_id, lead_id, direction, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT(message_id) DO NOTHING`, e.MessageID, e.LeadID, e.Direction, tsNN(now))
	if err != nil {
		return fmt.Errorf("put thread: %w", err)
	}
	return nil
}

// LookupThread returns the entry of the first of messageIDs that is known
// (pass In-Reply-To first, then References newest first).
func (a access) LookupThread(ctx context.Context, messageIDs ...string) (ThreadEntry, bool, error) {
	for _, id := range messageIDs {
		if id == "" {
			continue
		}
		var e ThreadEntry
		err := a.q.QueryRowContext(ctx,
			`SELECT message_id, lead_id, direction FROM thread_index WHERE message_id = ?`, id).
			Scan(&e.MessageID, &e.LeadID, &e.Direction)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return ThreadEntry{}, false, fmt.Errorf("lookup thread: %w", err)
		}
		return e, true, nil
	}
	return ThreadEntry{}, false, nil
}
