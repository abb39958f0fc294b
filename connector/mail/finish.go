package mail

import (
	"context"
	"encoding/json"
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
// still waiting for the portal is left untouched.
func (i *Intake) finish(ctx context.Context, box *imapbox.Box, uidValidity uint32) error {
	for _, state := range unfinishedStates {
		rows, err := i.opts.Store.MessagesInState(ctx, state, finishPage)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if row.Mailbox != i.name {
				continue
			}
			if err := i.finishOne(ctx, box, uidValidity, row); err != nil {
				return err
			}
		}
	}
	return nil
}

func (i *Intake) finishOne(ctx context.Context, box *imapbox.Box, uidValidity uint32, row store.Message) error {
	w, ready, err := i.ready(ctx, row)
	if err != nil || !ready {
		return err
	}
	if row.UIDValidity == uidValidity {
		quarantine := row.State == store.MessageQuarantined || w.Quarantine
		if quarantine {
			err = box.Quarantine(ctx, row.UID)
		} else {
			err = box.Done(ctx, row.UID, i.opts.Mailbox.LeaveInPlace)
		}
		if err != nil {
			return err
		}
	} // else: the UID is void (UIDVALIDITY changed); the mail is read again and deduped
	now := i.clk.Now()
	return i.opts.Store.WithTx(ctx, func(tx *store.Tx) error {
		if err := tx.MarkMessage(ctx, row.DedupeKey, store.MessageDone, w.Lead, row.Error, now); err != nil {
			return err
		}
		return tx.PutSetting(ctx, waitPrefix+row.DedupeKey, "")
	})
}

// ready reports whether the mail's portal work is done, filling the lead
// ID from the outbox result when it was not known yet.
func (i *Intake) ready(ctx context.Context, row store.Message) (wait, bool, error) {
	var w wait
	raw, found, err := i.opts.Store.Setting(ctx, waitPrefix+row.DedupeKey)
	if err != nil {
		return w, false, err
	}
	if found && raw != "" {
		if err := json.Unmarshal([]byte(raw), &w); err != nil {
			w = wait{}
		}
	}
	if w.Outbox == "" {
		return w, true, nil
	}
	r, err := i.opts.Store.OutboxRowByKey(ctx, w.Outbox)
	if errors.Is(err, store.ErrNotFound) {
		return w, true, nil // pruned history: long done
	}
	if err != nil {
		return w, false, err
	}
	switch r.State {
	case store.OutboxDone:
		if w.Lead == 0 && r.Kind == outbox.KindLeadAdd {
			w.Lead, _ = outbox.LeadIDFromResult(r.Result)
		}
		return w, true, nil
	case store.OutboxDropped:
		return w, true, nil // an operator gave the write up: do not hold the mail forever
	default:
		return w, false, nil
	}
}

// hasUnfinished reports whether handled mail of this mailbox waits for the
// portal (the loop then waits a short while only).
func (i *Intake) hasUnfinished(ctx context.Context) (bool, error) {
	for _, state := range unfinishedStates {
		rows, err := i.opts.Store.MessagesInState(ctx, state, finishPage)
		if err != nil {
			return false, err
		}
		for _, row := range rows {
			if row.Mailbox == i.name {
				return true, nil
			}
		}
	}
	return false, nil
}
