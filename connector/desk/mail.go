package desk

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// NewTicket opens a ticket from a customer's mail, inside the intake's
// transaction: it decides type, priority, tier, assignee and SLA with the
// rules and queues the lead.add (and the type's workflow) in the lead's
// group; the ticket is recorded when the lead.add is done (RegisterHooks).
// A mail whose ticket exists already (the same mail in another mailbox, or
// again) opens nothing. A junk mail (m.Junk) is created in the junk
// stage, closed: not routed, no SLA, no workflow, no live-feed event.
func (e *Engine) NewTicket(ctx context.Context, tx *store.Tx, m ticket.Mail, now time.Time) (ticket.Opened, error) {
	key := outbox.MailLeadKey(m.Origin)
	if _, err := tx.OutboxRowByKey(ctx, key); err == nil {
		return ticket.Opened{Duplicate: true, Wait: key}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return ticket.Opened{}, err
	}
	if t, err := tx.TicketByOrigin(ctx, m.Origin); err == nil {
		return ticket.Opened{Duplicate: true, Lead: t.LeadID}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return ticket.Opened{}, err
	}
	r := e.o.Rules()
	if r == nil {
		return ticket.Opened{}, errors.New("no rules loaded")
	}
	o, err := e.decide(ctx, tx, r, m.Input(), now)
	if err != nil {
		return ticket.Opened{}, err
	}
	status := "NEW"
	if len(r.Statuses.New) > 0 {
		status = r.Statuses.New[0]
	}
	if m.Junk {
		o.junk()
		status = junkStage(r)
	}
	d := o.d
	fields := map[string]any{
		"TITLE":              m.Title,
		"NAME":               m.FirstName,
		"SOURCE_ID":          d.Type,
		"SOURCE_DESCRIPTION": m.Description,
		"STATUS_ID":          status,
		schema.FieldTier:     d.Tier,
		"COMMENTS":           m.Comments,
	}
	if m.LastName != "" {
		fields["LAST_NAME"] = m.LastName
	}
	if m.From != "" {
		fields["EMAIL"] = []map[string]string{{"VALUE": m.From, "VALUE_TYPE": "WORK"}}
	}
	for k, v := range d.Fields {
		fields[k] = v
	}
	if d.Route.User > 0 {
		fields["ASSIGNED_BY_ID"] = d.Route.User
	}
	sm := e.o.Schema()
	enum := func(field, value string) {
		if sm == nil || value == "" {
			return
		}
		if id, ok := sm.EnumID(field, value); ok {
			fields[field] = id
		}
	}
	enum(schema.FieldPriority, d.Priority)
	if !m.Junk {
		enum(schema.FieldSLAState, schema.StateOK)
	}
	if m.SpamScore != nil {
		fields[schema.FieldSpamScore] = *m.SpamScore
	}
	var firstDue, resolutionDue time.Time
	for _, t := range d.Schedule.Targets {
		switch t.Target {
		case rules.FirstResponse:
			firstDue = t.Due
		case rules.Resolution:
			resolutionDue = t.Due
		}
	}
	if !firstDue.IsZero() {
		fields[schema.FieldSLADue] = firstDue.Format(time.RFC3339)
	}
	if len(m.Files) > 0 {
		fields[schema.FieldFiles] = fileFields(m.Files)
	}

	group := outbox.GroupFor(m.Origin)
	if _, _, err := e.o.Outbox.Enqueue(ctx, tx, outbox.Entry{
		DedupeKey: key, GroupKey: group,
		Payload: outbox.LeadAdd{Origin: m.Origin, Fields: fields, Params: outbox.Feed(!m.Junk)},
	}); err != nil {
		return ticket.Opened{}, err
	}
	if err := e.open(ctx, tx, r, o, m.Origin); err != nil {
		return ticket.Opened{}, err
	}
	if !m.Junk {
		// The zero LeadRef: the lead this ticket's lead.add creates.
		err := e.workflow(ctx, tx, typeWorkflow(r, d.Type), outbox.LeadRef{}, group, "mail.workflow:"+m.Origin)
		if err != nil {
			return ticket.Opened{}, err
		}
	}
	nextDue, _ := d.Schedule.Next(nil, now)
	// What the lead.add wrote, so that the SLA clock's first update of the
	// new ticket writes nothing again (the SLA state included).
	written, _ := json.Marshal(map[string]any{"STATUS_ID": status, "SOURCE_ID": d.Type,
		"ASSIGNED_BY_ID": fields["ASSIGNED_BY_ID"], schema.FieldSLADue: fields[schema.FieldSLADue],
		schema.FieldSLAState: fields[schema.FieldSLAState]})
	// The draft is kept in the state until the lead exists: the lead.add
	// hook (RegisterHooks) makes it the ticket.
	dr := store.MailDraft{Row: m.Row, MessageID: m.MessageID, Ticket: ticket.Ticket{
		OriginID: m.Origin, Type: d.Type, Status: status, Assignee: int64(d.Route.User), Tier: d.Tier,
		Priority: d.Priority, Policy: d.Schedule.Policy, Requester: strings.ToLower(m.From),
		CreatedAt: now, FirstResponseDue: firstDue, ResolutionDue: resolutionDue, NextDueAt: nextDue,
		SLAState: schema.StateOK, LastWritten: written,
	}}
	if m.Junk {
		dr.Ticket.ClosedAt, dr.Ticket.SLAState = now, ""
	}
	if err := tx.PutMailDraft(ctx, dr, now); err != nil {
		return ticket.Opened{}, err
	}
	return ticket.Opened{Wait: key, Type: d.Type, Junk: m.Junk}, nil
}

// fileFields renders files for a file user field.
func fileFields(files []bitrix.FileData) []map[string][2]string {
	out := make([]map[string][2]string, 0, len(files))
	for _, f := range files {
		out = append(out, map[string][2]string{"fileData": {f.Name, f.Base64}})
	}
	return out
}

// junkStage is the stage spam tickets are created in.
func junkStage(r *rules.Rules) string {
	if r.Spam.JunkStage != "" {
		return r.Spam.JunkStage
	}
	return rules.DefaultJunkStage
}
