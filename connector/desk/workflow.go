package desk

import (
	"context"
	"strconv"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
)

// workflow queues the start of a business process template on the lead
// unless the portal starts it by itself (schema.Map.StartsByItself: any
// AUTO_EXECUTE; on create it already ran for the lead, on update the
// portal runs it on b24desk's own writes). It is the one place a workflow
// is started: a new ticket's type, a reclassification, an escalation step
// (sla.Options.StartWorkflow). lead is outbox.LeadOf an existing lead, or
// the zero LeadRef: the lead the group's lead.add creates; key is the
// row's dedupe key.
func (e *Engine) workflow(ctx context.Context, tx *store.Tx, template int, lead outbox.LeadRef, group, key string) error {
	if template <= 0 || e.o.Schema().StartsByItself(template) {
		return nil
	}
	_, _, err := e.o.Outbox.Enqueue(ctx, tx, outbox.Entry{DedupeKey: key, GroupKey: group,
		Payload: outbox.WorkflowStart{TemplateID: int64(template), Lead: lead}})
	return err
}

// startWorkflow starts a template on an existing ticket's lead; why names
// the reason (e.g. "type:B24D_INCIDENT", "step:ID").
func (e *Engine) startWorkflow(ctx context.Context, tx *store.Tx, t *ticket.Ticket, template int, why string, now time.Time) error {
	key := "workflow:" + strconv.FormatInt(t.LeadID, 10) + ":" + strconv.Itoa(template) + ":" + why + sla.Version(now)
	return e.workflow(ctx, tx, template, outbox.LeadOf(t.LeadID), sla.Group(t.LeadID), key)
}

// apply queues a transition's plan of writes on the ticket's lead: its
// fields (sla.LeadUpdate, recorded in the ticket's LastWritten), then its
// workflow.
func (e *Engine) apply(ctx context.Context, tx *store.Tx, t *ticket.Ticket, p ticket.Plan, now time.Time) error {
	if err := sla.LeadUpdate(ctx, e.o.Outbox, tx, t, p.Fields, p.Why, now); err != nil {
		return err
	}
	return e.startWorkflow(ctx, tx, t, p.Workflow, p.WorkflowWhy, now)
}
