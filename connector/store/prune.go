package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// PruneResult says what a retention run removed.
type PruneResult struct {
	RawMails      int64 // spooled raw copies deleted (the message rows stay)
	OutboxHistory int64 // done/dropped outbox rows deleted
	EventKeys     int64 // event dedupe keys forgotten
	MailOut       int64 // sent or failed outbound mail records deleted
	AckCounts     int64 // acknowledgement counts of old days deleted
	Echoes        int64 // expired records of a lead's expected echoes deleted
	TicketState   int64 // per-ticket state rows of tickets long deleted, or of none (see ticketStateTables)
	MailDrafts    int64 // drafts of mail tickets whose lead.add will never be done
	PersonalData  int64 // rows of tickets long deleted whose personal data was forgotten (see forgetDeleted)
}

// ticketStateTables are the per-ticket tables (keyed by lead_id) whose rows
// Prune deletes once nothing can read them again: when the lead's ticket
// was deleted more than the retention ago (a deleted ticket is never
// reopened nor written again: desk ignores its lead's changes and replies;
// updated_at is when it was marked deleted), or when the state has no
// ticket row for the lead at all. Every writer of these tables writes them
// in the transaction that has the ticket row (the ticket is read first, or
// written in the same transaction), and tickets rows are never deleted, so
// an orphan is a leftover (a row an older version kept in settings and
// migration 14 moved, a hand-edited state), never state written ahead of
// its ticket. Open and closed tickets (a closed one can be reopened by a
// customer reply) keep theirs however old.
//
// Not here: mail_drafts (keyed by the mail's origin, they exist before
// their ticket: see pruneMailDrafts) and mail_waits (keyed by the mail:
// a handled mail waits for its portal write, then the intake deletes its
// wait when it moves the mail, deleted ticket or not).
var ticketStateTables = []string{"ticket_timeline", "ticket_pauses", "ticket_todo", "ticket_echoes",
	"spam_lessons", "spam_taught", "escalation_steps_done"}

// Prune deletes personal data and history older than olderThan before now:
// the raw copies of mails whose handling finished (a mail still spooled is
// work, never deleted), finished outbox rows, event dedupe keys, records of
// sent or failed outbound mail (one still sending is kept), the daily
// acknowledgement counts per sender, and the expected echoes of leads
// whose echo window has passed (now, not the retention: an expired window
// is never read again); then the per-ticket state of tickets deleted more
// than olderThan ago or of no ticket (ticketStateTables), and the drafts of
// mail tickets whose lead.add was given up or pruned (pruneMailDrafts);
// last the personal data in the rows such a ticket keeps (forgetDeleted).
func (s *Store) Prune(ctx context.Context, now time.Time, olderThan time.Duration) (PruneResult, error) {
	before := now.Add(-olderThan)
	cutoff := tsNN(before)
	// Acknowledgement days are dates in the mailbox's zone: a day of margin
	// keeps a day that is still "today" somewhere.
	ackDay := before.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	var r PruneResult
	err := s.WithTx(ctx, func(tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE messages SET raw = NULL
WHERE raw IS NOT NULL AND state != 'spooled' AND created_at < ?`, cutoff)
		if err != nil {
			return fmt.Errorf("prune mail: %w", err)
		}
		r.RawMails, _ = res.RowsAffected()
		res, err = tx.q.ExecContext(ctx, `DELETE FROM outbox WHERE state IN ('done', 'dropped') AND updated_at < ?`, cutoff)
		if err != nil {
			return fmt.Errorf("prune outbox: %w", err)
		}
		r.OutboxHistory, _ = res.RowsAffected()
		res, err = tx.q.ExecContext(ctx, `DELETE FROM event_dedupe WHERE seen_at < ?`, cutoff)
		if err != nil {
			return fmt.Errorf("prune events: %w", err)
		}
		r.EventKeys, _ = res.RowsAffected()
		if r.MailOut, err = tx.PruneMailOut(ctx, before); err != nil {
			return err
		}
		res, err = tx.q.ExecContext(ctx, `DELETE FROM ack_count WHERE day < ?`, ackDay)
		if err != nil {
			return fmt.Errorf("prune ack counts: %w", err)
		}
		r.AckCounts, _ = res.RowsAffected()
		res, err = tx.q.ExecContext(ctx, `DELETE FROM ticket_echoes WHERE expires_at < ?`, tsNN(now))
		if err != nil {
			return fmt.Errorf("prune echoes: %w", err)
		}
		r.Echoes, _ = res.RowsAffected()
		for _, table := range ticketStateTables {
			res, err = tx.q.ExecContext(ctx, `DELETE FROM `+table+` WHERE NOT EXISTS (SELECT 1 FROM tickets t
WHERE t.lead_id = `+table+`.lead_id AND (t.deleted = 0 OR t.updated_at >= ?))`, cutoff)
			if err != nil {
				return fmt.Errorf("prune %s: %w", table, err)
			}
			n, _ := res.RowsAffected()
			r.TicketState += n
		}
		if r.MailDrafts, err = tx.pruneMailDrafts(ctx, cutoff); err != nil {
			return err
		}
		r.PersonalData, err = tx.forgetDeleted(ctx, cutoff)
		return err
	})
	if err != nil {
		return PruneResult{}, err
	}
	s.log.Info().Int64("raw_mails", r.RawMails).Int64("outbox_rows", r.OutboxHistory).
		Int64("event_keys", r.EventKeys).Int64("mail_out", r.MailOut).Int64("ack_counts", r.AckCounts).Int64("echoes", r.Echoes).
		Int64("ticket_state", r.TicketState).Int64("mail_drafts", r.MailDrafts).Int64("personal_data", r.PersonalData).
		Msg("retention prune")
	return r, nil
}

// deletedBefore selects the tickets whose lead was deleted before the
// cutoff (updated_at is when it was marked deleted: ticketStateTables).
const deletedBefore = `SELECT lead_id FROM tickets WHERE deleted = 1 AND updated_at < ?`

// forgetDeleted forgets the personal data of tickets whose lead was
// deleted before cutoff (152-FZ, GDPR: kept no longer than its purpose) in
// the rows that stay: a deleted ticket keeps its ticket row, its mails'
// rows and its thread entries, so that a later mail naming its thread is
// still threaded to it (a comment on the deleted lead, as before) and a
// mail read again is still known. It blanks the ticket's requester
// address, the Message-ID and note of its handled mails' rows (a spooled
// one is still work; the mailbox and UID stay: the row's dedupe key, not
// the sender's data), and replaces each
// Message-ID of its thread entries by its hash (hashedThreadKey), which
// LookupThread still finds. The portal's copy (the lead) is the portal's
// to delete. It returns the rows changed; a second run changes none.
func (tx *Tx) forgetDeleted(ctx context.Context, cutoff int64) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE tickets SET requester = ''
WHERE deleted = 1 AND updated_at < ? AND requester != ''`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("forget deleted tickets' requesters: %w", err)
	}
	n, _ := res.RowsAffected()
	res, err = tx.q.ExecContext(ctx, `UPDATE messages SET message_id = '', error = ''
WHERE (message_id != '' OR error != '') AND state != 'spooled' AND lead_id IN (`+deletedBefore+`)`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("forget deleted tickets' mails: %w", err)
	}
	m, _ := res.RowsAffected()
	n += m
	rows, err := tx.q.QueryContext(ctx, `SELECT message_id FROM thread_index
WHERE substr(message_id, 1, `+strconv.Itoa(len(hashedThreadPrefix))+`) != ? AND lead_id IN (`+deletedBefore+`)`,
		hashedThreadPrefix, cutoff)
	if err != nil {
		return 0, fmt.Errorf("forget deleted tickets' thread: %w", err)
	}
	var ids []string // read whole first: PostgreSQL runs one statement at a time on a transaction
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("forget deleted tickets' thread: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("forget deleted tickets' thread: %w", err)
	}
	for _, id := range ids {
		key := hashedThreadKey(id)
		res, err := tx.q.ExecContext(ctx, `UPDATE thread_index SET message_id = ?
WHERE message_id = ? AND NOT EXISTS (SELECT 1 FROM thread_index WHERE message_id = ?)`, key, id, key)
		if err != nil {
			return 0, fmt.Errorf("forget deleted tickets' thread: %w", err)
		}
		if changed, _ := res.RowsAffected(); changed == 0 {
			// Recorded again after an earlier run hashed it: the hash stays.
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM thread_index WHERE message_id = ?`, id); err != nil {
				return 0, fmt.Errorf("forget deleted tickets' thread: %w", err)
			}
		}
		n++
	}
	return n, nil
}
