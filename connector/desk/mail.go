package desk

import (
	"context"
	"errors"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// NewTicket opens a ticket from a customer's mail, inside the intake's
// transaction. It is the I/O around the pure step ticket.Open: a mail
// whose ticket exists already (the same mail in another mailbox, or
// again) opens nothing; otherwise the rules decide type, priority, tier,
// assignee and SLA from the routing positions in the state, ticket.Open
// turns the decision into the drafted ticket and its opening plan, and
// NewTicket queues the plan's lead.add and the type's workflow in the
// lead's group, records the routing advance and the classification inputs
// (open) and keeps the draft until the lead exists: the lead.add hook
// (RegisterHooks) records it as the ticket. A junk mail (m.Junk) is
// created in the junk stage, closed: not routed (the positions stay), no
// SLA, no workflow, no live-feed event.
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
	if m.Junk {
		o.d.State = o.before // junk is not routed: the positions stay
	}
	t, p := ticket.Open(r, m, o.d, e.o.Schema(), now)
	group := outbox.GroupFor(m.Origin)
	if _, _, err := e.o.Outbox.Enqueue(ctx, tx, outbox.Entry{
		DedupeKey: key, GroupKey: group,
		Payload: outbox.LeadAdd{Origin: m.Origin, Fields: p.Lead, Params: outbox.Feed(p.Feed)},
	}); err != nil {
		return ticket.Opened{}, err
	}
	if err := e.open(ctx, tx, r, o, m.Origin); err != nil {
		return ticket.Opened{}, err
	}
	// The zero LeadRef: the lead this ticket's lead.add creates.
	if err := e.workflow(ctx, tx, p.Workflow, outbox.LeadRef{}, group, "mail.workflow:"+m.Origin); err != nil {
		return ticket.Opened{}, err
	}
	// The draft is kept in the state until the lead exists: the lead.add
	// hook (RegisterHooks) makes it the ticket.
	if err := tx.PutMailDraft(ctx, store.MailDraft{Row: m.Row, MessageID: m.MessageID, Ticket: t}, now); err != nil {
		return ticket.Opened{}, err
	}
	return ticket.Opened{Wait: key, Type: t.Type, Junk: m.Junk}, nil
}
