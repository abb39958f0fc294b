package mail

import (
	"context"
	"errors"

	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// finishPage bounds the handled mails looked at per round.
const finishPage = 200

// unfinishedStates are the states of mail handled but not yet moved.
var unfinishedStates = [...]store.MessageState{store.MessageTicketed, store.MessageReplied, store.MessageQuarantined}

// finish moves handled mail whose portal work is durably done: \Seen and
// the processed folder (or left in place), or the quarantine folder. Mail
// still waiting for the portal is left untouched. A page of ready mails is
// moved with one STORE and one MOVE per destination, then marked done in
// one transaction (a crash in between moves nothing twice: a UID no
// longer in the folder is ignored by the server).
func (i *Intake) finish(ctx context.Context, box *imapbox.Box, uidValidity uint32) error {
	for _, state := range unfinishedStates {
		var after int64
		for {
			rows, err := i.opts.Store.ListMessages(ctx, store.MessageFilter{
				State: state, Mailbox: i.name, AfterID: after, Limit: finishPage})
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				break
			}
			after = rows[len(rows)-1].ID
			if err := i.finishPage(ctx, box, uidValidity, rows); err != nil {
				return err
			}
			if len(rows) < finishPage {
				break
			}
		}
	}
	return nil
}

// finished is a handled mail ready to be marked done.
type finished struct {
	row  store.Message
	lead int64
}

func (i *Intake) finishPage(ctx context.Context, box *imapbox.Box, uidValidity uint32, rows []store.Message) error {
	var done []finished
	var processed, quarantine []uint32
	for _, row := range rows {
		w, ready, err := i.ready(ctx, row)
		if err != nil {
			return err
		}
		if !ready {
			continue
		}
		done = append(done, finished{row: row, lead: w.Lead})
		switch {
		case row.UIDValidity != uidValidity:
			// The UID is void (UIDVALIDITY changed); the mail is read again and deduped.
		case row.State == store.MessageQuarantined || w.Quarantine:
			quarantine = append(quarantine, row.UID)
		default:
			processed = append(processed, row.UID)
		}
	}
	if len(done) == 0 {
		return nil
	}
	if err := box.QuarantineMany(ctx, quarantine); err != nil {
		return err
	}
	if err := box.DoneMany(ctx, processed, i.opts.Mailbox.LeaveInPlace); err != nil {
		return err
	}
	now := i.clk.Now()
	return i.opts.Store.WithTx(ctx, func(tx *store.Tx) error {
		for _, f := range done {
			if err := tx.MarkMessage(ctx, f.row.DedupeKey, store.MessageDone, f.lead, f.row.Error, now); err != nil {
				return err
			}
			if err := tx.DeleteMailWait(ctx, f.row.DedupeKey); err != nil {
				return err
			}
		}
		return nil
	})
}

// ready reports whether the mail's portal work is done, filling the lead
// ID from the outbox result when it was not known yet.
func (i *Intake) ready(ctx context.Context, row store.Message) (wait, bool, error) {
	w, err := i.opts.Store.MailWaitOf(ctx, row.DedupeKey)
	if err != nil {
		return w, false, err
	}
	if w.Outbox == "" {
		return w, true, nil
	}
	if _, mailLead := outbox.MailLeadOrigin(w.Outbox); row.LeadID > 0 && mailLead {
		// The lead.add hook recorded the lead on this row when the write
		// was done (in the same transaction): no need to read the outbox.
		w.Lead = row.LeadID
		return w, true, nil
	}
	state, err := i.opts.Store.OutboxStateByKey(ctx, w.Outbox)
	if errors.Is(err, store.ErrNotFound) {
		return w, true, nil // pruned history: long done
	}
	if err != nil {
		return w, false, err
	}
	switch state {
	case store.OutboxDone:
		if _, mailLead := outbox.MailLeadOrigin(w.Outbox); w.Lead == 0 && mailLead {
			// The same mail's lead from another mailbox: read the result.
			r, err := i.opts.Store.OutboxStatusByKey(ctx, w.Outbox)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return w, false, err
			}
			w.Lead, _ = outbox.LeadIDFromResult(r.Result)
		}
		return w, true, nil
	case store.OutboxDropped:
		return w, true, nil // an operator gave the write up: do not hold the mail forever
	default:
		return w, false, nil
	}
}

// hasUnfinished reports whether mail of this mailbox waits: handled mail
// waiting for the portal, or a spooled reply waiting for its ticket's lead
// (the loop then waits a short while only).
func (i *Intake) hasUnfinished(ctx context.Context) (bool, error) {
	for _, state := range append([]store.MessageState{store.MessageSpooled}, unfinishedStates[:]...) {
		rows, err := i.opts.Store.ListMessages(ctx, store.MessageFilter{State: state, Mailbox: i.name, Limit: 1})
		if err != nil {
			return false, err
		}
		if len(rows) > 0 {
			return true, nil
		}
	}
	return false, nil
}
