package desk

import (
	"context"
	"strconv"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// change applies what differs between the lead and the ticket. A field
// whose difference is only the portal not having applied b24desk's own
// pending write yet is not a change.
func (e *Engine) change(ctx context.Context, tx *store.Tx, r *rules.Rules, t *ticket.Ticket, lead *bitrix.Lead, seen, now time.Time) error {
	at := changeTime(lead, now)
	t.LastDateModify = seen
	tl, err := sla.LoadTimeline(ctx, tx, *t)
	if err != nil {
		return err
	}
	leadAssignee := strconv.FormatInt(lead.AssignedByID, 10)
	if lead.StatusID != "" && lead.StatusID != t.Status && !e.stale(ctx, tx, t, "STATUS_ID", t.Status) {
		e.log.Info().Int64("lead", t.LeadID).Str("from", t.Status).Str("to", lead.StatusID).Msg("stage changed")
		if err := e.spamLesson(ctx, tx, r, t.LeadID, t.Status, lead.StatusID, now); err != nil {
			return err
		}
		t.EnterStage(r, &tl, lead.StatusID, at)
		t.Observe("STATUS_ID", lead.StatusID)
	}
	retyped := false
	if lead.SourceID != t.Type && r.IsTicketType(lead.SourceID) && !e.stale(ctx, tx, t, "SOURCE_ID", t.Type) {
		e.log.Info().Int64("lead", t.LeadID).Str("from", t.Type).Str("to", lead.SourceID).Msg("type changed")
		if err := e.reclassify(ctx, tx, r, t, lead, now); err != nil {
			return err
		}
		retyped = true
	}
	if !retyped && lead.AssignedByID > 0 && lead.AssignedByID != t.Assignee &&
		!e.stale(ctx, tx, t, "ASSIGNED_BY_ID", strconv.FormatInt(t.Assignee, 10)) {
		e.log.Info().Int64("lead", t.LeadID).Int64("from", t.Assignee).Str("to", leadAssignee).Msg("assignee changed")
		t.Assignee = lead.AssignedByID
		t.Observe("ASSIGNED_BY_ID", leadAssignee)
	}
	if err := sla.SaveTimeline(ctx, tx, t.LeadID, tl); err != nil {
		return err
	}
	return e.sla.Update(ctx, tx, t, now)
}

// stale reports whether b24desk's last write of the field set the value
// the ticket holds and is not done yet: the portal still shows the older
// value, which is no change by a person.
func (e *Engine) stale(ctx context.Context, tx *store.Tx, t *ticket.Ticket, field, ticketValue string) bool {
	w := ticket.ParseWritten(t.LastWritten)
	key := w[ticket.WrittenKeyPrefix+field]
	if key == "" || !w.Same(field, ticketValue) {
		return false
	}
	row, err := tx.OutboxRowByKey(ctx, key)
	if err != nil {
		return false
	}
	return row.State != store.OutboxDone && row.State != store.OutboxDropped
}

// reclassify routes the ticket again for its new type, applies the new
// type's SLA policy (its targets count from the creation on the new
// calendar; a deadline already past breaches at once and only its latest
// step fires) and starts the new type's workflow.
func (e *Engine) reclassify(ctx context.Context, tx *store.Tx, r *rules.Rules, t *ticket.Ticket, lead *bitrix.Lead, now time.Time) error {
	t.Type = lead.SourceID
	t.Observe("SOURCE_ID", t.Type)
	in := e.input(lead)
	in.Ticket.Type, in.Ticket.Priority, in.Ticket.Tier = t.Type, t.Priority, t.Tier
	in.Ticket.Assignee = strconv.FormatInt(t.Assignee, 10)
	plan := ticket.Plan{Workflow: ticket.TypeWorkflow(r, t.Type), WorkflowWhy: "type:" + t.Type}
	before, err := e.routeState(ctx, tx, r)
	if err != nil {
		return err
	}
	a, after := r.Route(&in, before)
	if a.User > 0 {
		if err := saveRouteState(ctx, tx, before, after); err != nil {
			return err
		}
		if int64(a.User) != t.Assignee {
			t.Assignee = int64(a.User)
			in.Ticket.Assignee = strconv.Itoa(a.User)
			plan.Fields, plan.Why = map[string]string{"ASSIGNED_BY_ID": strconv.Itoa(a.User)}, "route:"+t.Type
		}
	}
	policy := ""
	if p := r.Policy(&in); p != nil {
		policy = p.Name
	}
	if policy != t.Policy {
		t.Policy = policy
		if err := tx.ClearSteps(ctx, t.LeadID, ""); err != nil {
			return err
		}
	}
	return e.apply(ctx, tx, t, plan, now)
}
