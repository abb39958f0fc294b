package sla

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// LeadUpdate enqueues a crm.lead.update of the ticket's lead with the
// fields (values as sent: enumerations by item ID) and records them in the
// ticket's LastWritten, for echo detection. Fields already written with
// the same value are left out; nothing is enqueued when none is left.
// key names the write (lead, what, value); a version suffix is added.
func LeadUpdate(ctx context.Context, ob *outbox.Outbox, tx *store.Tx, t *ticket.Ticket,
	fields map[string]string, key string, now time.Time) error {
	w := ticket.ParseWritten(t.LastWritten)
	send := map[string]any{}
	for k, v := range fields {
		if prev, ok := w[k]; (ok && ticket.SameValue(prev, v)) || (!ok && v == "") {
			continue
		}
		send[k] = v
		w[k] = v
	}
	if len(send) == 0 {
		return nil
	}
	dedupe := "lead.update:" + strconv.FormatInt(t.LeadID, 10) + ":" + key + Version(now)
	for k := range send {
		w[ticket.WrittenKeyPrefix+k] = dedupe
	}
	_, _, err := ob.Enqueue(ctx, tx, outbox.Entry{
		DedupeKey: dedupe, GroupKey: Group(t.LeadID),
		Payload: outbox.LeadUpdate{ID: outbox.LeadOf(t.LeadID), Fields: send, Params: outbox.Feed(false)},
	})
	if err != nil {
		return err
	}
	t.LastWritten = w.Raw()
	return nil
}

// SetFields converts a rules `set` map (priority, type, tier, UF_CRM_*)
// into lead fields as sent, updating the ticket's own copy.
func SetFields(m *schema.Map, t *ticket.Ticket, set map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range set {
		switch strings.ToLower(k) {
		case "priority":
			t.Priority = v
			if id, ok := ticket.EnumID(m, schema.FieldPriority, v); ok {
				out[schema.FieldPriority] = id
			}
		case "type":
			t.Type = v
			out["SOURCE_ID"] = v
		case "tier":
			t.Tier = v
			out[schema.FieldTier] = v
		default:
			if strings.HasPrefix(k, "UF_CRM_") {
				out[k] = v
			}
		}
	}
	return out
}

// syncFields writes the SLA state and due fields when they changed and
// creates or moves the ticket's to-do.
func (c *Clock) syncFields(ctx context.Context, tx *store.Tx, t *ticket.Ticket, p *rules.Policy, s Status, now time.Time) error {
	loc := p.Calendar.Location
	fields := map[string]string{schema.FieldSLADue: FormatTime(s.Due, loc)}
	if id, ok := ticket.EnumID(c.o.Schema(), schema.FieldSLAState, s.State); ok {
		fields[schema.FieldSLAState] = id
	}
	if err := LeadUpdate(ctx, c.o.Outbox, tx, t, fields, "sla:"+s.State, now); err != nil {
		return err
	}
	return c.syncTodo(ctx, tx, t, s, loc, now)
}

// syncTodo keeps one to-do per ticket carrying the nearest open deadline
// and given to the assignee: added once (dedupe key todo:LEAD), later moved
// and re-assigned (a to-do staff completed or deleted meanwhile is added
// again by those writes); completed when the ticket closes, and a new one
// added when the ticket is reopened (crm.activity.update does not set
// DEADLINE, so a completed to-do cannot be reopened with a new deadline).
// A paused or met ticket's to-do keeps its deadline; a deleted ticket's
// to-do is left alone (it went with the lead).
func (c *Clock) syncTodo(ctx context.Context, tx *store.Tx, t *ticket.Ticket, s Status, loc *time.Location, now time.Time) error {
	if t.Deleted {
		return nil
	}
	w := ticket.ParseWritten(t.LastWritten)
	prev, had := w[ticket.WrittenTodoDeadline]
	completed := w[ticket.WrittenTodoCompleted] == "Y"
	if !t.ClosedAt.IsZero() {
		if !had || completed {
			return nil
		}
		w[ticket.WrittenTodoCompleted] = "Y"
		return c.todoUpdate(ctx, tx, t, w, map[string]string{"COMPLETED": "Y"}, "done", now)
	}
	if s.Due.IsZero() || t.Assignee <= 0 {
		return nil
	}
	deadline := FormatTime(s.Due, loc)
	assignee := strconv.FormatInt(t.Assignee, 10)
	prevAssignee, knownAssignee := w[ticket.WrittenTodoResponsible]
	moved := !had || completed || !ticket.SameValue(prev, deadline)
	// A to-do added before the responsible was recorded keeps its own.
	reassigned := had && !completed && knownAssignee && prevAssignee != assignee
	if !moved && !reassigned {
		if !knownAssignee {
			w[ticket.WrittenTodoResponsible] = assignee
			t.LastWritten = w.Raw()
		}
		return nil
	}
	id := strconv.FormatInt(t.LeadID, 10)
	w[ticket.WrittenTodoDeadline] = deadline
	w[ticket.WrittenTodoResponsible] = assignee
	delete(w, ticket.WrittenTodoCompleted)
	pl := todoPayload{Lead: t.LeadID, Deadline: deadline, Responsible: t.Assignee}
	var entries []outbox.Entry
	switch {
	case !had:
		entries = append(entries, outbox.Entry{DedupeKey: outbox.TodoKey(t.LeadID),
			Payload: todoAdd(t.LeadID, deadline, t.Assignee)})
	case moved:
		// Also after a close: the to-do completed then is gone, so the
		// row adds a new one for the current assignee.
		entries = append(entries, outbox.Entry{Kind: KindTodoDeadline,
			DedupeKey: "todo.deadline:" + id + ":" + deadline + Version(now), Payload: pl})
	}
	if reassigned {
		entries = append(entries, outbox.Entry{Kind: KindTodoResponsible,
			DedupeKey: "todo.responsible:" + id + ":" + assignee + Version(now), Payload: pl})
	}
	for _, e := range entries {
		e.GroupKey = Group(t.LeadID)
		if _, _, err := c.o.Outbox.Enqueue(ctx, tx, e); err != nil {
			return err
		}
	}
	t.LastWritten = w.Raw()
	return nil
}

// todoUpdate enqueues a crm.activity.update of the ticket's to-do and
// keeps w (already changed by the caller) as the ticket's LastWritten.
func (c *Clock) todoUpdate(ctx context.Context, tx *store.Tx, t *ticket.Ticket, w ticket.Written,
	fields map[string]string, why string, now time.Time) error {
	_, _, err := c.o.Outbox.Enqueue(ctx, tx, outbox.Entry{
		Kind: KindTodoUpdate, DedupeKey: "todo.update:" + strconv.FormatInt(t.LeadID, 10) + ":" + why + Version(now),
		GroupKey: Group(t.LeadID), Payload: todoPayload{Lead: t.LeadID, Fields: fields},
	})
	if err != nil {
		return err
	}
	t.LastWritten = w.Raw()
	return nil
}
