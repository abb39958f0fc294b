package desk

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// RegisterHooks adds the completion hook of tickets opened from mail
// (NewTicket) to the outbox: when a mail's lead.add is done, in the same
// transaction, the ticket is recorded
// (type, status, assignee, tier, priority, policy, requester, SLA times),
// the mail's Message-ID is indexed for threading (pending thread entries
// of the ticket get the lead ID) and the mail is marked
// ticketed with the lead ID. Call it once per outbox, whatever the number
// of mailboxes.
func RegisterHooks(o *outbox.Outbox, clk clock.Clock) {
	o.OnDone(outbox.KindLeadAdd, func(ctx context.Context, tx *store.Tx, row outbox.Row, result json.RawMessage) error {
		origin, ok := outbox.MailLeadOrigin(row.DedupeKey)
		if !ok {
			return nil // not a mail's lead
		}
		d, found, err := tx.MailDraft(ctx, origin)
		if err != nil || !found {
			return err
		}
		lead, err := outbox.LeadIDFromResult(result)
		if err != nil {
			return err
		}
		now := clk.Now()
		t := d.Ticket
		t.LeadID = lead
		if err := tx.UpsertTicket(ctx, t, now); err != nil {
			return err
		}
		if err := tx.ResolveThread(ctx, origin, lead); err != nil {
			return err
		}
		if d.MessageID != "" {
			e := store.ThreadEntry{MessageID: d.MessageID, LeadID: lead, Direction: store.DirectionIn}
			if err := tx.PutThread(ctx, e, now); err != nil {
				return err
			}
		}
		if d.Row != "" {
			err := tx.MarkMessage(ctx, d.Row, store.MessageTicketed, lead, "", now)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return tx.DeleteMailDraft(ctx, origin)
	})
}
