package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

// Mail intake state (connector/mail): the ticket drafted for a mail's
// lead.add until the lead exists, and what a handled mail waits for before
// it is moved out of the intake folder.
//
// A draft holds the whole ticket but its lead ID, in the tickets table's
// columns (ticketFields): the lead.add hook makes it the ticket's row.
const mailDraftsSchema = `
CREATE TABLE mail_drafts (
	origin_id            TEXT PRIMARY KEY,
	message_key          TEXT NOT NULL DEFAULT '',
	message_id           TEXT NOT NULL DEFAULT '',
	type                 TEXT NOT NULL DEFAULT '',
	status               TEXT NOT NULL DEFAULT '',
	assignee             INTEGER NOT NULL DEFAULT 0,
	tier                 TEXT NOT NULL DEFAULT '',
	priority             TEXT NOT NULL DEFAULT '',
	policy               TEXT NOT NULL DEFAULT '',
	requester            TEXT NOT NULL DEFAULT '',
	created_at           INTEGER NOT NULL,
	first_response_due   INTEGER,
	first_response_met   INTEGER,
	next_response_due    INTEGER,
	next_response_met    INTEGER,
	resolution_due       INTEGER,
	resolution_met       INTEGER,
	paused_since         INTEGER,
	paused_total_seconds INTEGER NOT NULL DEFAULT 0,
	next_due_at          INTEGER,
	sla_state            TEXT NOT NULL DEFAULT '',
	last_date_modify     INTEGER,
	last_written         TEXT NOT NULL DEFAULT '{}',
	closed_at            INTEGER,
	deleted              INTEGER NOT NULL DEFAULT 0,
	updated_at           INTEGER NOT NULL
);
CREATE TABLE mail_waits (
	message_key TEXT PRIMARY KEY,
	outbox_key  TEXT NOT NULL DEFAULT '',
	lead_id     INTEGER NOT NULL DEFAULT 0,
	quarantine  INTEGER NOT NULL DEFAULT 0
);
`

// MailDraft is the ticket drafted for a mail's lead.add, keyed by the
// ticket's OriginID (the lead.add's ORIGIN_ID).
type MailDraft struct {
	Ticket    ticket.Ticket // LeadID is not kept: the lead does not exist yet
	MessageID string        // the mail's Message-ID, for the thread index
	Row       string        // the mail's messages row (its dedupe key)
}

// PutMailDraft stores the draft (replacing one of the same origin) at now.
// Call it inside WithTx.
func (a access) PutMailDraft(ctx context.Context, d MailDraft, now time.Time) error {
	if d.Ticket.OriginID == "" {
		return errors.New("put mail draft: the ticket has no origin ID")
	}
	values, err := ticketValues(d.Ticket, now)
	if err != nil {
		return fmt.Errorf("put mail draft %q: %w", d.Ticket.OriginID, err)
	}
	// Delete and insert: a draft is replaced whole (a mail handled again
	// after a rollback), without a second list of its columns.
	if err := a.DeleteMailDraft(ctx, d.Ticket.OriginID); err != nil {
		return err
	}
	_, err = a.q.ExecContext(ctx, `INSERT INTO mail_drafts (message_key, message_id, `+ticketFields+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{d.Row, d.MessageID}, values...)...)
	if err != nil {
		return fmt.Errorf("put mail draft %q: %w", d.Ticket.OriginID, err)
	}
	return nil
}

// MailDraft returns the draft of the origin (found false when there is
// none: never drafted, or its lead was recorded).
func (a access) MailDraft(ctx context.Context, origin string) (d MailDraft, found bool, err error) {
	row := a.q.QueryRowContext(ctx, `SELECT message_key, message_id, 0, `+ticketFields+` FROM mail_drafts WHERE origin_id = ?`, origin)
	d.Ticket, err = scanTicket(prefixScanner{row: row, dest: []any{&d.Row, &d.MessageID}})
	if errors.Is(err, sql.ErrNoRows) {
		return MailDraft{}, false, nil
	}
	if err != nil {
		return MailDraft{}, false, fmt.Errorf("mail draft %q: %w", origin, err)
	}
	return d, true, nil
}

// DeleteMailDraft removes the origin's draft (absent is not an error).
func (a access) DeleteMailDraft(ctx context.Context, origin string) error {
	if _, err := a.q.ExecContext(ctx, `DELETE FROM mail_drafts WHERE origin_id = ?`, origin); err != nil {
		return fmt.Errorf("delete mail draft %q: %w", origin, err)
	}
	return nil
}

// MailLeadKeyPrefix begins the outbox dedupe key of a mail ticket's
// lead.add, followed by the draft's origin (outbox.MailLeadKey).
const MailLeadKeyPrefix = "mail.lead:"

// pruneMailDrafts deletes the drafts stored before cutoff (a tsNN) whose
// lead.add will never be done: dropped by an operator or for good, or no
// longer in the outbox at all. A draft waiting for its lead (its lead.add
// pending, unknown or parked, which an operator can retry) is kept however
// old; a done lead.add's hook deletes the draft itself. Call it inside
// WithTx.
func (a access) pruneMailDrafts(ctx context.Context, cutoff int64) (int64, error) {
	res, err := a.q.ExecContext(ctx, `DELETE FROM mail_drafts WHERE updated_at < ? AND NOT EXISTS (SELECT 1 FROM outbox o
WHERE o.dedupe_key = '`+MailLeadKeyPrefix+`' || mail_drafts.origin_id AND o.state IN ('pending', 'unknown', 'parked'))`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("prune mail drafts: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// prefixScanner scans the leading columns into dest and hands the rest to
// the caller's Scan.
type prefixScanner struct {
	row  interface{ Scan(...any) error }
	dest []any
}

func (p prefixScanner) Scan(rest ...any) error { return p.row.Scan(append(p.dest, rest...)...) }

// MailWait is what a handled mail waits for before it is moved.
type MailWait struct {
	// Outbox is the dedupe key of the outbox row that must be done ("":
	// nothing to wait for).
	Outbox string
	// Lead is the ticket the mail went to, when known already.
	Lead int64
	// Quarantine moves the mail to the quarantine folder instead of the
	// processed one (an oversize original).
	Quarantine bool
}

// PutMailWait records what the mail (its messages row's dedupe key) waits
// for.
func (a access) PutMailWait(ctx context.Context, message string, w MailWait) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO mail_waits (message_key, outbox_key, lead_id, quarantine) VALUES (?, ?, ?, ?)
ON CONFLICT(message_key) DO UPDATE SET outbox_key = excluded.outbox_key, lead_id = excluded.lead_id,
	quarantine = excluded.quarantine`, message, w.Outbox, w.Lead, w.Quarantine)
	if err != nil {
		return fmt.Errorf("put mail wait %q: %w", message, err)
	}
	return nil
}

// MailWaitOf returns what the mail waits for (zero when nothing was
// recorded).
func (a access) MailWaitOf(ctx context.Context, message string) (MailWait, error) {
	var w MailWait
	err := a.q.QueryRowContext(ctx, `SELECT outbox_key, lead_id, quarantine FROM mail_waits WHERE message_key = ?`, message).
		Scan(&w.Outbox, &w.Lead, &w.Quarantine)
	if errors.Is(err, sql.ErrNoRows) {
		return MailWait{}, nil
	}
	if err != nil {
		return MailWait{}, fmt.Errorf("mail wait %q: %w", message, err)
	}
	return w, nil
}

// DeleteMailWait forgets what the mail waited for (absent is not an
// error).
func (a access) DeleteMailWait(ctx context.Context, message string) error {
	if _, err := a.q.ExecContext(ctx, `DELETE FROM mail_waits WHERE message_key = ?`, message); err != nil {
		return fmt.Errorf("delete mail wait %q: %w", message, err)
	}
	return nil
}
