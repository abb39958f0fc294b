package desk

import (
	"context"
	"time"

	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// CustomerReplied records a customer's reply to a ticket inside the mail
// intake's transaction: the next-response target starts; a ticket waiting
// for the customer moves to the rules' on_customer_reply stage and its
// clock resumes; a closed ticket within the reopen window is reopened
// (stage on_customer_reply, else the first `new` stage, else NEW).
func (e *Engine) CustomerReplied(ctx context.Context, tx *store.Tx, leadID int64, at time.Time) error {
	t, err := tx.Ticket(ctx, leadID)
	if err != nil {
		return err
	}
	if t.Deleted {
		return nil
	}
	if err := tx.CustomerReplyHistory(ctx, leadID, at); err != nil {
		return err
	}
	r := e.o.Rules()
	if r == nil {
		return nil
	}
	tl, err := sla.LoadTimeline(ctx, tx, t)
	if err != nil {
		return err
	}
	if err := e.apply(ctx, tx, &t, t.CustomerReplied(r, &tl, at, e.o.ReopenWindow), at); err != nil {
		return err
	}
	if err := tx.ClearSteps(ctx, leadID, string(rules.NextResponse)); err != nil {
		return err
	}
	if err := sla.SaveTimeline(ctx, tx, leadID, tl); err != nil {
		return err
	}
	return e.sla.Update(ctx, tx, &t, at)
}

// StaffReplied records a staff answer sent by b24desk: the first response
// and, after a customer reply, the next response are met.
func (e *Engine) StaffReplied(ctx context.Context, tx *store.Tx, leadID int64, at time.Time) error {
	t, err := tx.Ticket(ctx, leadID)
	if err != nil {
		return err
	}
	if t.Deleted {
		return nil
	}
	tl, err := sla.LoadTimeline(ctx, tx, t)
	if err != nil {
		return err
	}
	t.Answered(&tl, at)
	return e.sla.Update(ctx, tx, &t, at)
}
