package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MessageState is where a received mail is in its handling.
type MessageState string

// Message states.
const (
	MessageSpooled     MessageState = "spooled"     // raw copy saved, ticket work pending
	MessageTicketed    MessageState = "ticketed"    // a new ticket was made from it
	MessageReplied     MessageState = "replied"     // it was added to an existing ticket
	MessageQuarantined MessageState = "quarantined" // nothing usable came out of it
	MessageDone        MessageState = "done"        // moved/flagged in the mailbox: finished
)

// Message is a received mail as the state records it. Raw is the spooled
// copy (nil once retention pruned it or when not loaded).
type Message struct {
	ID          int64
	DedupeKey   string
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	MessageID   string
	State       MessageState
	Raw         []byte
	LeadID      int64
	Error       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const messageCols = `id, dedupe_key, mailbox, uidvalidity, uid, message_id, state, raw, lead_id, error, created_at, updated_at`

func scanMessage(sc interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var created, updated int64
	err := sc.Scan(&m.ID, &m.DedupeKey, &m.Mailbox, &m.UIDValidity, &m.UID, &m.MessageID, &m.State,
		&m.Raw, &m.LeadID, &m.Error, &created, &updated)
	m.CreatedAt, m.UpdatedAt = fromTSNN(created), fromTSNN(updated)
	return m, err
}

// SpoolMessage records a received mail (state spooled unless m.State says
// otherwise) with its raw copy. A second mail with the same DedupeKey is
// not stored again: created is false and id is the existing row's.
func (a access) SpoolMessage(ctx context.Context, m Message, now time.Time) (id int64, created bool, err error) {
	if m.DedupeKey == "" {
		return 0, false, errors.New("spool message: empty dedupe key")
	}
	if m.State == "" {
		m.State = MessageSpooled
	}
	err = a.q.QueryRowContext(ctx, `
INSERT INTO messages (dedupe_key, mailbox, uidvalidity, uid, message_id, state, raw, lead_id, error, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING RETURNING id`,
		m.DedupeKey, m.Mailbox, m.UIDValidity, m.UID, m.MessageID, m.State, m.Raw, m.LeadID, m.Error,
		tsNN(now), tsNN(now)).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("spool message: %w", err)
	}
	err = a.q.QueryRowContext(ctx, `SELECT id FROM messages WHERE dedupe_key = ?`, m.DedupeKey).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("spool message: %w", err)
	}
	return id, false, nil
}

// Message returns the mail with the dedupe key, raw copy included, or
// ErrNotFound.
func (a access) Message(ctx context.Context, dedupeKey string) (Message, error) {
	m, err := scanMessage(a.q.QueryRowContext(ctx,
		`SELECT `+messageCols+` FROM messages WHERE dedupe_key = ?`, dedupeKey))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("message %q: %w", dedupeKey, ErrNotFound)
	}
	if err != nil {
		return Message{}, fmt.Errorf("get message: %w", err)
	}
	return m, nil
}

// MarkMessage moves the mail to a new state, recording its ticket (leadID
// 0 keeps the one recorded) and an error text ("" clears it).
func (a access) MarkMessage(ctx context.Context, dedupeKey string, state MessageState, leadID int64, errText string, now time.Time) error {
	res, err := a.q.ExecContext(ctx, `
UPDATE messages SET state = ?, lead_id = CASE WHEN ? = 0 THEN lead_id ELSE ? END, error = ?, updated_at = ?
WHERE dedupe_key = ?`, state, leadID, leadID, errText, tsNN(now), dedupeKey)
	if err != nil {
		return fmt.Errorf("mark message: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mark message %q: %w", dedupeKey, ErrNotFound)
	}
	return nil
}

// MessagesInState lists mails in the state, oldest first, with their raw
// copies (for resuming spooled work after a restart); limit ≤ 0 means 100.
func (a access) MessagesInState(ctx context.Context, state MessageState, limit int) ([]Message, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := a.q.QueryContext(ctx,
		`SELECT `+messageCols+` FROM messages WHERE state = ? ORDER BY id LIMIT ?`, state, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MessageFilter selects mails for ListMessages.
type MessageFilter struct {
	// State is required.
	State MessageState
	// Mailbox, when set, keeps that mailbox's mails only.
	Mailbox string
	// AfterID pages: only rows with a larger ID (pass the last one seen).
	AfterID int64
	// Limit ≤ 0 means 100.
	Limit int
	// WithRaw loads the raw copies too (else Raw is nil).
	WithRaw bool
	// MaxRawBytes, with WithRaw, ends the page once the raw copies read
	// add up to it (the first row is always read): it bounds the memory a
	// page of large mails takes. 0 means no bound.
	MaxRawBytes int
}

// ListMessages lists mails by state (and mailbox), by ID, a page at a
// time; without WithRaw the raw copies stay in the database.
func (a access) ListMessages(ctx context.Context, f MessageFilter) ([]Message, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	cols := `id, dedupe_key, mailbox, uidvalidity, uid, message_id, state, NULL, lead_id, error, created_at, updated_at`
	if f.WithRaw {
		cols = messageCols
	}
	query := `SELECT ` + cols + ` FROM messages WHERE state = ? AND id > ?`
	args := []any{f.State, f.AfterID}
	if f.Mailbox != "" {
		query += ` AND mailbox = ?`
		args = append(args, f.Mailbox)
	}
	query += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := a.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	size := 0
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list messages: %w", err)
		}
		out = append(out, m)
		if size += len(m.Raw); f.MaxRawBytes > 0 && size >= f.MaxRawBytes {
			break
		}
	}
	return out, rows.Err()
}
