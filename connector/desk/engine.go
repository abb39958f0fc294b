package desk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Client is the part of the Bitrix24 client the engine reads with
// (*bitrix.Client has it).
type Client interface {
	LeadGet(ctx context.Context, id int64) (*bitrix.Lead, error)
}

// DefaultReopenWindow is how long after closing a customer's reply reopens
// a ticket.
const DefaultReopenWindow = 14 * 24 * time.Hour

// Options configure New.
type Options struct {
	Store  *store.Store   // required
	Outbox *outbox.Outbox // required
	Client Client         // required
	// Rules returns the rules in force (reloads swap them).
	Rules func() *rules.Rules
	// Schema returns the portal schema map (enumeration item IDs).
	Schema  func() *schema.Map
	Clock   clock.Clock
	Log     zerolog.Logger
	Metrics *metrics.Metrics // may be nil
	// WebhookUserID is the webhook's user: a hand-made lead assigned to it
	// counts as unassigned and is routed.
	WebhookUserID int
	// ReopenWindow is how long after closing a customer reply reopens the
	// ticket (0: DefaultReopenWindow; negative: never).
	ReopenWindow time.Duration
	// LearnSpam: staff moving tickets into or out of the rules' junk stage
	// (or closing them) queue lessons for the spam filter (spam.Learner).
	LearnSpam bool
	// Users reads the members of department pools for routing and for
	// the SLA clock's notifications; nil: the Client when it can
	// (*bitrix.Client can), else department pools have no members.
	Users sla.Users
	// Departments returns the members of the rules' department pools for
	// routing (rules.RouteState.Departments); nil: the SLA clock's cache
	// (Clock.DepartmentMembers).
	Departments func() map[int][]int
	// Acknowledge queues the acknowledgement of a lead adopted from an
	// intake source, in the adoption's transaction (outbound's
	// AckAdopted); nil: none.
	Acknowledge func(ctx context.Context, tx *store.Tx, lead *bitrix.Lead, t ticket.Ticket) error
	// SkipEchoes applies b24desk's own lead writes when the outbox
	// records them and skips the read of their portal events (see
	// Echoes). The daemon sets it; it needs the portal's events to come
	// back (events.mode webhook or offline); in poll mode it saves the
	// reconcile reads of b24desk's own writes.
	SkipEchoes bool
}

// Engine is the ticket engine; it implements events.Sink.
type Engine struct {
	o   Options
	sla *sla.Clock
	log zerolog.Logger
}

var _ events.Sink = (*Engine)(nil)

// New checks the options and returns the engine.
func New(o Options) (*Engine, error) {
	if o.Store == nil || o.Outbox == nil || o.Client == nil || o.Rules == nil {
		return nil, errors.New("desk: store, outbox, client and rules are required")
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Schema == nil {
		o.Schema = func() *schema.Map { return nil }
	}
	if o.ReopenWindow == 0 {
		o.ReopenWindow = DefaultReopenWindow
	}
	if u, ok := o.Client.(sla.Users); ok && o.Users == nil {
		o.Users = u
	}
	e := &Engine{o: o, log: o.Log.With().Str("component", "desk").Logger()}
	c, err := sla.New(sla.Options{Store: o.Store, Outbox: o.Outbox, Rules: o.Rules, Schema: o.Schema,
		Clock: o.Clock, Log: o.Log, Metrics: o.Metrics, Users: o.Users, StartWorkflow: e.startWorkflow})
	if err != nil {
		return nil, err
	}
	e.sla = c
	if e.o.Departments == nil {
		e.o.Departments = e.sla.DepartmentMembers
	}
	if o.SkipEchoes {
		o.Outbox.OnLeadWritten(e.leadWritten)
	}
	return e, nil
}

// SLA returns the engine's SLA clock (for the scheduler).
func (e *Engine) SLA() *sla.Clock { return e.sla }

// LeadChanged acts on a notice that a lead may have changed. It is safe to
// call twice for the same change: the second call finds nothing new.
func (e *Engine) LeadChanged(ctx context.Context, c events.Change) error {
	_, err := e.LeadChangedWith(ctx, c)
	return err
}

// LeadChangedWith is LeadChanged that also returns the lead it read
// (crm.lead.get, or the read PrefetchLeads made for the change's drain:
// see Batched reads), so that a caller acting on the same change (outbound's
// staff answers) need not read it again. The lead is nil when none was read
// (a delete, a lead that is gone, a read that failed); it is returned also
// with an error of the engine's own step after the read, and also for a
// lead that is not a ticket.
func (e *Engine) LeadChangedWith(ctx context.Context, c events.Change) (*bitrix.Lead, error) {
	id := int64(c.LeadID)
	if id <= 0 {
		return nil, nil
	}
	now := e.o.Clock.Now()
	if c.Event == events.EventLeadDelete || c.Event == events.EventDeleted {
		return nil, e.closeDeleted(ctx, id, now)
	}
	if e.o.SkipEchoes {
		if own, err := e.ownEcho(ctx, c); own || err != nil {
			return nil, err // b24desk's own write: applied when it was done
		}
	}
	lead, readAt, err := e.readLead(ctx, id, now)
	if errors.Is(err, bitrix.ErrNotFound) {
		return nil, e.closeDeleted(ctx, id, now)
	}
	if err != nil {
		return nil, fmt.Errorf("lead %d: %w", id, err)
	}
	return lead, e.leadRead(ctx, id, lead, readAt, now)
}

// leadRead acts on a lead read at readAt: a hand-made ticket is recorded, a
// known ticket's change applied; a lead that is not a ticket is left alone.
func (e *Engine) leadRead(ctx context.Context, id int64, lead *bitrix.Lead, readAt, now time.Time) error {
	r := e.o.Rules()
	if r == nil {
		return errors.New("desk: no rules loaded")
	}
	if lead.OriginatorID != outbox.OriginatorID && !r.IsTicketSource(lead.SourceID) {
		return nil // not a ticket: never read into state, never written
	}
	if err := e.sla.LoadDepartments(ctx); err != nil {
		// Department pools route to their fallback until a tick reads them.
		e.log.Warn().Err(err).Msg("department pools: members not read")
	}
	seen := seenModify(lead, readAt)
	err := e.o.Store.WithTx(ctx, func(tx *store.Tx) error {
		t, err := tx.Ticket(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			if lead.OriginatorID == outbox.OriginatorID {
				// Created by b24desk, not recorded yet: the lead.add hook
				// records it; never classify it from its fields.
				return nil
			}
			if r.IsIntakeSource(lead.SourceID) {
				return e.adopt(ctx, tx, r, lead, seen, now)
			}
			return e.handMade(ctx, tx, r, lead, seen, now)
		}
		if err != nil {
			return err
		}
		if t.Deleted {
			return nil
		}
		return e.change(ctx, tx, r, &t, lead, seen, now)
	})
	if err != nil {
		return err
	}
	e.o.Outbox.Wake()
	return nil
}

// closeDeleted closes the ticket of a deleted lead and stops its clock; the
// to-do is left alone (it went with the lead).
func (e *Engine) closeDeleted(ctx context.Context, id int64, now time.Time) error {
	return e.o.Store.WithTx(ctx, func(tx *store.Tx) error {
		t, err := tx.Ticket(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || t.Deleted {
			return err
		}
		t.Delete(now)
		e.log.Info().Int64("lead", id).Msg("lead deleted: ticket closed")
		return tx.UpsertTicket(ctx, t, now)
	})
}

// changeTime is when a change seen at now happened: the lead's DATE_MODIFY
// when it is known and not in the future.
func changeTime(lead *bitrix.Lead, now time.Time) time.Time {
	if !lead.DateModify.IsZero() && !lead.DateModify.After(now) {
		return lead.DateModify
	}
	return now
}

// seenModify is the DATE_MODIFY to record: zero when the lead was read in
// the same second as its DATE_MODIFY, so that a later change within that
// second is looked at again (events.Known).
func seenModify(lead *bitrix.Lead, now time.Time) time.Time {
	if lead.DateModify.IsZero() || now.Sub(lead.DateModify) < time.Second {
		return time.Time{}
	}
	return lead.DateModify
}
