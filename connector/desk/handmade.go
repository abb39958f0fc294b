package desk

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// handMade takes in a lead a person made in the portal with a ticket type:
// classified from its fields, routed when nobody real is assigned (the
// webhook's user or one of the rules' unassigned_users), given an SLA
// policy counting from its creation, and its type's workflow started.
func (e *Engine) handMade(ctx context.Context, tx *store.Tx, r *rules.Rules, lead *bitrix.Lead, seen, now time.Time) error {
	return e.takeIn(ctx, tx, r, lead, false, seen, now)
}

// adopt takes in a lead of one of the rules' intake sources (a CRM web
// form, a callback, an open channel: DESIGN.md "Which leads are tickets"):
// classified by the same rules as a mail (title, comments, the lead's
// e-mail), its type written as its SOURCE_ID and the original channel kept
// in FieldChannel, then routed, given its SLA policy and workflow like a
// hand-made ticket.
func (e *Engine) adopt(ctx context.Context, tx *store.Tx, r *rules.Rules, lead *bitrix.Lead, seen, now time.Time) error {
	return e.takeIn(ctx, tx, r, lead, true, seen, now)
}

// takeIn records a lead the portal made as a ticket (adopted: the type is
// classified and written, the channel kept); seen is the DATE_MODIFY to
// record (seenModify).
func (e *Engine) takeIn(ctx context.Context, tx *store.Tx, r *rules.Rules, lead *bitrix.Lead, adopted bool, seen, now time.Time) error {
	created := lead.DateCreate
	if created.IsZero() || created.After(now) {
		created = now
	}
	in := e.input(lead)
	if e.o.WebhookUserID > 0 && lead.AssignedByID == int64(e.o.WebhookUserID) {
		in.Ticket.Assignee = ""
	}
	if adopted {
		in.Ticket.Type = "" // the channel is not a type: classify
	}
	o, err := e.decide(ctx, tx, r, in, created)
	if err != nil {
		return err
	}
	typ := lead.SourceID
	if adopted {
		typ = o.d.Type
		if !r.IsTicketType(typ) {
			e.log.Warn().Int64("lead", lead.ID).Str("source", lead.SourceID).Str("type", typ).
				Msg("intake lead not adopted: the rules gave it no ticket type")
			return nil
		}
	}
	o.d.Type = typ
	t, plan := ticket.TakeIn(r, lead, in, o.d, e.o.Schema(), adopted, created)
	if o.d.Route.User <= 0 {
		o.d.State = o.before // nobody picked: the positions stay
	}
	tl := rules.Timeline{Created: created}
	t.LastDateModify = seen
	if lead.StatusID != "" {
		t.EnterStage(r, &tl, lead.StatusID, changeTime(lead, now))
	}
	if err := sla.SaveTimeline(ctx, tx, t.LeadID, tl); err != nil {
		return err
	}
	// An adopted lead's classification inputs are kept for `rules replay`
	// like a mail's (its origin); a hand-made lead's are not ("").
	if err := e.open(ctx, tx, r, o, t.OriginID); err != nil {
		return err
	}
	if err := e.apply(ctx, tx, &t, plan, now); err != nil {
		return err
	}
	channel, what := "portal", "hand-made lead taken in as a ticket"
	if adopted {
		channel, what = "intake", "intake lead adopted as a ticket"
	}
	e.o.Metrics.TicketCreated(t.Type, channel)
	e.log.Info().Int64("lead", t.LeadID).Str("type", t.Type).Str("channel", lead.SourceID).Int64("assignee", t.Assignee).
		Str("policy", t.Policy).Msg(what)
	if err := e.sla.Update(ctx, tx, &t, now); err != nil {
		return err
	}
	if adopted && e.o.Acknowledge != nil {
		return e.o.Acknowledge(ctx, tx, lead, t)
	}
	return nil
}

// input is the lead as the rules see it: its fields as text, the title as
// subject and the comments as body, with the ticket fields it already has
// (the priority enumeration read back to its value).
func (e *Engine) input(lead *bitrix.Lead) rules.Input {
	fields := make(map[string]string, len(lead.Fields))
	for k, raw := range lead.Fields {
		fields[k] = text(raw)
	}
	in := rules.Input{Lead: fields, Subject: lead.Title, Body: lead.Comments, Ticket: rules.TicketFromLead(fields)}
	if p := in.Ticket.Priority; p != "" {
		in.Ticket.Priority = ""
		if m := e.o.Schema(); m != nil {
			if v, ok := m.EnumValue(schema.FieldPriority, p); ok {
				in.Ticket.Priority = v
			}
		}
	}
	if in.Ticket.Assignee == "0" {
		in.Ticket.Assignee = ""
	}
	for _, m := range lead.Emails {
		if m.Value != "" {
			in.From = strings.ToLower(m.Value)
			break
		}
	}
	return in
}

// text renders a raw field value: strings as they are, numbers as digits,
// null and false as empty, anything else as its JSON.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	v := strings.TrimSpace(string(raw))
	if v == "null" || v == "false" {
		return ""
	}
	return v
}
