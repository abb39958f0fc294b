package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// mailOutSchema is the migration of the outbound mail tables (appended to
// the migration list): one row per mail b24desk sends, the daily count of
// acknowledgements per sender, and the addresses that bounced.
const mailOutSchema = `
CREATE TABLE mail_out (
	id         INTEGER PRIMARY KEY,
	key        TEXT NOT NULL UNIQUE,
	lead_id    INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	content    TEXT NOT NULL DEFAULT '',
	message_id TEXT NOT NULL,
	rcpt       TEXT NOT NULL DEFAULT '',
	state      TEXT NOT NULL DEFAULT 'sending',
	error      TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX mail_out_lead ON mail_out(lead_id, content);
CREATE INDEX mail_out_message ON mail_out(message_id);
CREATE TABLE ack_count (
	sender TEXT NOT NULL,
	day    TEXT NOT NULL,
	count  INTEGER NOT NULL,
	PRIMARY KEY (sender, day)
);
CREATE TABLE mail_bounced (
	addr       TEXT PRIMARY KEY,
	lead_id    INTEGER NOT NULL,
	bounced_at INTEGER NOT NULL
);
`

// MailOutState is where an outbound mail is in its life.
type MailOutState string

// Outbound mail states: recorded (and queued) before SMTP is called, sent
// once the server took it, failed when the server refused it for good.
const (
	MailSending MailOutState = "sending"
	MailSent    MailOutState = "sent"
	MailFailed  MailOutState = "failed"
)

// MailOut is one mail b24desk sends: a staff reply or an acknowledgement.
type MailOut struct {
	ID        int64
	Key       string // unique send key (lead, content, modification time)
	LeadID    int64
	Kind      string // "reply" or "ack"
	Content   string // hash of the content, to see a repeated answer
	MessageID string // without angle brackets
	Rcpt      string // recipients, comma-separated
	State     MailOutState
	Error     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const mailOutCols = `id, key, lead_id, kind, content, message_id, rcpt, state, error, created_at, updated_at`

func scanMailOut(sc interface{ Scan(...any) error }) (MailOut, error) {
	var m MailOut
	var created, updated int64
	err := sc.Scan(&m.ID, &m.Key, &m.LeadID, &m.Kind, &m.Content, &m.MessageID, &m.Rcpt, &m.State, &m.Error, &created, &updated)
	m.CreatedAt, m.UpdatedAt = fromTSNN(created), fromTSNN(updated)
	return m, err
}

// PutMailOut records a mail about to be sent (state sending unless m.State
// says otherwise). A second row with the same Key is not stored: created is
// false.
func (a access) PutMailOut(ctx context.Context, m MailOut, now time.Time) (created bool, err error) {
	if m.Key == "" || m.MessageID == "" {
		return false, errors.New("put mail out: key and Message-ID are required")
	}
	if m.State == "" {
		m.State = MailSending
	}
	res, err := a.q.ExecContext(ctx, `
INSERT INTO mail_out (key, lead_id, kind, content, message_id, rcpt, state, error, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING`,
		m.Key, m.LeadID, m.Kind, m.Content, m.MessageID, m.Rcpt, m.State, m.Error, tsNN(now), tsNN(now))
	if err != nil {
		return false, fmt.Errorf("put mail out: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MailOutByKey returns the outbound mail with the key, or ErrNotFound.
func (a access) MailOutByKey(ctx context.Context, key string) (MailOut, error) {
	m, err := scanMailOut(a.q.QueryRowContext(ctx, `SELECT `+mailOutCols+` FROM mail_out WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return MailOut{}, fmt.Errorf("mail out %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return MailOut{}, fmt.Errorf("get mail out: %w", err)
	}
	return m, nil
}

// MailOutByContent returns the ticket's outbound mails with the content
// hash, newest first.
func (a access) MailOutByContent(ctx context.Context, leadID int64, content string) ([]MailOut, error) {
	rows, err := a.q.QueryContext(ctx, `SELECT `+mailOutCols+` FROM mail_out
WHERE lead_id = ? AND content = ? ORDER BY id DESC LIMIT 20`, leadID, content)
	if err != nil {
		return nil, fmt.Errorf("list mail out: %w", err)
	}
	defer rows.Close()
	var out []MailOut
	for rows.Next() {
		m, err := scanMailOut(rows)
		if err != nil {
			return nil, fmt.Errorf("list mail out: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkMailOut moves an outbound mail to a state with an error text ("" clears it).
func (a access) MarkMailOut(ctx context.Context, key string, state MailOutState, errText string, now time.Time) error {
	res, err := a.q.ExecContext(ctx, `UPDATE mail_out SET state = ?, error = ?, updated_at = ? WHERE key = ?`,
		state, errText, tsNN(now), key)
	if err != nil {
		return fmt.Errorf("mark mail out: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mark mail out %q: %w", key, ErrNotFound)
	}
	return nil
}

// TakeAck counts one acknowledgement to sender on day (e.g. "2026-03-10")
// unless limit is reached: ok is false then.
func (a access) TakeAck(ctx context.Context, sender, day string, limit int) (ok bool, err error) {
	full, err := a.TakeAcks(ctx, []AckQuota{{Key: strings.ToLower(sender), Period: day, Limit: limit}})
	return full < 0, err
}

// AckQuota is one count an acknowledgement takes: the key (a sender's
// address, "domain:…", "all:…", "subject:…"), the period it counts in (a
// day "2026-03-10" or an hour "2026-03-10T14") and the most it allows.
type AckQuota struct {
	Key    string
	Period string
	Limit  int
}

// TakeAcks takes one of every quota, or none: full is the index of the
// first quota already at its limit, -1 when all were taken. Counts live in
// ack_count and are pruned with PruneAcks by their period.
func (a access) TakeAcks(ctx context.Context, quotas []AckQuota) (full int, err error) {
	for i, q := range quotas {
		var n int
		err := a.q.QueryRowContext(ctx, `SELECT count FROM ack_count WHERE sender = ? AND day = ?`, q.Key, q.Period).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return -1, fmt.Errorf("ack count: %w", err)
		}
		if n >= q.Limit {
			return i, nil
		}
	}
	for _, q := range quotas {
		_, err := a.q.ExecContext(ctx, `INSERT INTO ack_count (sender, day, count) VALUES (?, ?, 1)
ON CONFLICT(sender, day) DO UPDATE SET count = ack_count.count + 1`, q.Key, q.Period)
		if err != nil {
			return -1, fmt.Errorf("ack count: %w", err)
		}
	}
	return -1, nil
}

// AckCount sums the counts of key over the periods from since on.
func (a access) AckCount(ctx context.Context, key, since string) (int, error) {
	var n int
	err := a.q.QueryRowContext(ctx, `SELECT COALESCE(SUM(count), 0) FROM ack_count WHERE sender = ? AND day >= ?`, key, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("ack count: %w", err)
	}
	return n, nil
}

// MailOutByMessageID returns the first of our outbound mails whose
// Message-ID is among ids, found false when none is.
func (a access) MailOutByMessageID(ctx context.Context, ids ...string) (m MailOut, found bool, err error) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		m, err := scanMailOut(a.q.QueryRowContext(ctx, `SELECT `+mailOutCols+` FROM mail_out WHERE message_id = ? LIMIT 1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return MailOut{}, false, fmt.Errorf("mail out by Message-ID: %w", err)
		}
		return m, true, nil
	}
	return MailOut{}, false, nil
}

// PruneAcks removes acknowledgement counts of days before day.
func (a access) PruneAcks(ctx context.Context, beforeDay string) error {
	if _, err := a.q.ExecContext(ctx, `DELETE FROM ack_count WHERE day < ?`, beforeDay); err != nil {
		return fmt.Errorf("prune ack counts: %w", err)
	}
	return nil
}

// PruneMailOut removes outbound mail records last changed before the time
// (the retention job); a mail still sending is kept.
func (a access) PruneMailOut(ctx context.Context, before time.Time) (int64, error) {
	res, err := a.q.ExecContext(ctx, `DELETE FROM mail_out WHERE updated_at < ? AND state != ?`, tsNN(before), MailSending)
	if err != nil {
		return 0, fmt.Errorf("prune mail out: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PutBounced records that mail to addr bounced (on the ticket's mail).
func (a access) PutBounced(ctx context.Context, addr string, leadID int64, now time.Time) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO mail_bounced (addr, lead_id, bounced_at) VALUES (?, ?, ?)
ON CONFLICT(addr) DO UPDATE SET lead_id = excluded.lead_id, bounced_at = excluded.bounced_at`,
		strings.ToLower(addr), leadID, tsNN(now))
	if err != nil {
		return fmt.Errorf("put bounced: %w", err)
	}
	return nil
}

// Bounced reports when mail to addr last bounced (zero: never).
func (a access) Bounced(ctx context.Context, addr string) (time.Time, error) {
	var at int64
	err := a.q.QueryRowContext(ctx, `SELECT bounced_at FROM mail_bounced WHERE addr = ?`, strings.ToLower(addr)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("get bounced: %w", err)
	}
	return fromTSNN(at), nil
}

// ThreadOf returns the Message-IDs recorded for the ticket, oldest first
// (at most the newest limit; ≤ 0 means 50): References of an answer.
func (a access) ThreadOf(ctx context.Context, leadID int64, limit int) ([]ThreadEntry, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := a.q.QueryContext(ctx, `SELECT message_id, lead_id, direction FROM thread_index
WHERE lead_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`, leadID, limit)
	if err != nil {
		return nil, fmt.Errorf("thread of %d: %w", leadID, err)
	}
	defer rows.Close()
	var out []ThreadEntry
	for rows.Next() {
		var e ThreadEntry
		if err := rows.Scan(&e.MessageID, &e.LeadID, &e.Direction); err != nil {
			return nil, fmt.Errorf("thread of %d: %w", leadID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// MessagesOfLead returns the received mails recorded for the ticket, newest
// first, raw copies included (nil once pruned), at most limit (≤ 0: 10).
func (a access) MessagesOfLead(ctx context.Context, leadID int64, limit int) ([]Message, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := a.q.QueryContext(ctx,
		`SELECT `+messageCols+` FROM messages WHERE lead_id = ? ORDER BY id DESC LIMIT ?`, leadID, limit)
	if err != nil {
		return nil, fmt.Errorf("messages of %d: %w", leadID, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("messages of %d: %w", leadID, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
