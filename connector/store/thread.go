package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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

// ThreadEntry maps a Message-ID to its ticket. A pending entry (LeadID 0)
// names the ticket by the ORIGIN_ID of its lead.add instead: the lead is
// not created yet.
type ThreadEntry struct {
	MessageID string
	LeadID    int64
	Direction Direction
	// OriginID is the ticket's ORIGIN_ID, set on pending entries.
	OriginID string
}

// Pending reports whether the entry's ticket is not created yet.
func (e ThreadEntry) Pending() bool { return e.LeadID == 0 && e.OriginID != "" }

// PutThread records that messageID belongs to the ticket. A Message-ID
// already recorded keeps its first ticket; a pending entry takes the lead
// ID once one is put.
func (a access) PutThread(ctx context.Context, e ThreadEntry, now time.Time) error {
	if e.MessageID == "" {
		return errors.New("put thread: empty Message-ID")
	}
	_, err := a.q.ExecContext(ctx, `
INSERT INTO thread_index (message_id, lead_id, direction, created_at, origin_id) VALUES (?, ?, ?, ?, ?)
ON CONFLICT(message_id) DO UPDATE SET lead_id = excluded.lead_id
WHERE thread_index.lead_id = 0 AND excluded.lead_id <> 0`, e.MessageID, e.LeadID, e.Direction, tsNN(now), e.OriginID)
	if err != nil {
		return fmt.Errorf("put thread: %w", err)
	}
	return nil
}

// hashedThreadPrefix starts the thread index key of a Message-ID that
// retention hashed (see hashedThreadKey).
const hashedThreadPrefix = "sha256:"

// hashedThreadKey is the key a Message-ID keeps in the thread index once
// retention forgot its ticket's personal data (Prune): its SHA-256, which
// still finds the ticket from the Message-ID a later reply names but does
// not give the Message-ID back.
func hashedThreadKey(messageID string) string {
	sum := sha256.Sum256([]byte(messageID))
	return hashedThreadPrefix + hex.EncodeToString(sum[:])
}

// LookupThread returns the entry of the first of messageIDs that is known,
// as recorded or hashed by retention (pass In-Reply-To first, then
// References newest first).
func (a access) LookupThread(ctx context.Context, messageIDs ...string) (ThreadEntry, bool, error) {
	for _, id := range messageIDs {
		if id == "" {
			continue
		}
		e := ThreadEntry{MessageID: id}
		err := a.q.QueryRowContext(ctx, `SELECT lead_id, direction, origin_id FROM thread_index
WHERE message_id IN (?, ?) LIMIT 1`, id, hashedThreadKey(id)).
			Scan(&e.LeadID, &e.Direction, &e.OriginID)
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

// ResolveThread gives the pending entries of the ticket with ORIGIN_ID
// originID their lead ID, once its lead.add is done.
func (a access) ResolveThread(ctx context.Context, originID string, leadID int64) error {
	if originID == "" || leadID == 0 {
		return nil
	}
	_, err := a.q.ExecContext(ctx,
		`UPDATE thread_index SET lead_id = ? WHERE origin_id = ? AND lead_id = 0`, leadID, originID)
	if err != nil {
		return fmt.Errorf("resolve thread %q: %w", originID, err)
	}
	return nil
}
