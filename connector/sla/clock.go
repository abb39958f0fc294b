package sla

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// DefaultBatch is how many due tickets one Tick reads at a time.
const DefaultBatch = 100

// Options configure New.
type Options struct {
	Store  *store.Store   // required
	Outbox *outbox.Outbox // required
	// Rules returns the rules in force (reloads swap them).
	Rules func() *rules.Rules
	// Schema returns the portal schema map (enumeration item IDs); nil or
	// a nil map: enumeration fields are not written.
	Schema  func() *schema.Map
	Clock   clock.Clock
	Log     zerolog.Logger
	Metrics *metrics.Metrics // may be nil
	// Batch is how many due tickets one read takes (default DefaultBatch).
	Batch int
	// Users reads the members of department pools (pool:NAME with a
	// department); nil: only a pool's listed users are notified.
	Users Users
	// StartWorkflow queues the start of a business process template on the
	// ticket's lead for an escalation step: the ticket engine's, which
	// starts every workflow (desk.Engine); nil: steps start none.
	StartWorkflow func(ctx context.Context, tx *store.Tx, t *ticket.Ticket, template int, why string, now time.Time) error
}

// Clock is the SLA clock: Tick fires due escalations, Update recomputes one
// ticket's SLA after a change.
type Clock struct {
	o    Options
	log  zerolog.Logger
	deps departments
	past pastData
}

// New returns the SLA clock and registers its outbox kinds
// (KindTodoDeadline, KindTodoResponsible, KindTodoUpdate) and the hooks
// that remember the ticket's to-do ID.
func New(o Options) (*Clock, error) {
	if o.Store == nil || o.Outbox == nil || o.Rules == nil {
		return nil, errors.New("sla: store, outbox and rules are required")
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Schema == nil {
		o.Schema = func() *schema.Map { return nil }
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	c := &Clock{o: o, log: o.Log.With().Str("component", "sla").Logger()}
	o.Outbox.Register(KindTodoDeadline, todoWrite{st: o.Store, kind: KindTodoDeadline})
	o.Outbox.Register(KindTodoResponsible, todoWrite{st: o.Store, kind: KindTodoResponsible, responsible: true})
	o.Outbox.Register(KindTodoUpdate, todoUpdate{st: o.Store})
	o.Outbox.OnDone(outbox.KindTodoAdd, rememberTodo)
	for _, k := range []string{KindTodoDeadline, KindTodoResponsible, KindTodoUpdate} {
		o.Outbox.OnDone(k, rememberResult)
	}
	return c, nil
}

// Tick handles every ticket whose next due time is at or before now and
// returns how many it looked at. One ticket's failure is logged and does
// not stop the others.
func (c *Clock) Tick(ctx context.Context, now time.Time) (int, error) {
	seen := map[int64]bool{}
	n := 0
	for range 1000 {
		due, err := c.o.Store.DueTickets(ctx, now, c.o.Batch)
		if err != nil {
			return n, fmt.Errorf("sla tick: %w", err)
		}
		if n == 0 && len(due) > 0 {
			// Department members once per tick, outside the transactions.
			c.refreshDepartments(ctx)
		}
		progress := false
		for _, t := range due {
			if seen[t.LeadID] {
				continue
			}
			seen[t.LeadID] = true
			progress = true
			n++
			if err := c.UpdateTicket(ctx, t.LeadID, now); err != nil {
				if ctx.Err() != nil {
					return n, ctx.Err()
				}
				c.log.Error().Err(err).Int64("lead", t.LeadID).Msg("SLA update failed")
			}
		}
		if len(due) < c.o.Batch || !progress {
			break
		}
	}
	return n, nil
}

// UpdateTicket runs Update for one ticket in its own transaction.
func (c *Clock) UpdateTicket(ctx context.Context, leadID int64, now time.Time) error {
	err := c.o.Store.WithTx(ctx, func(tx *store.Tx) error {
		t, err := tx.Ticket(ctx, leadID)
		if err != nil {
			return err
		}
		return c.Update(ctx, tx, &t, now)
	})
	if err == nil {
		c.o.Outbox.Wake()
	}
	return err
}

// Update recomputes the ticket's SLA at now inside the caller's
// transaction: due dates from its policy and timeline, the latest due step
// of each open target fired (recorded done with its writes), the SLA
// fields and the to-do written when they changed, the next due time set,
// and the ticket saved.
func (c *Clock) Update(ctx context.Context, tx *store.Tx, t *ticket.Ticket, now time.Time) error {
	r := c.o.Rules()
	var p *rules.Policy
	if r != nil && t.Policy != "" {
		p = r.PolicyByName(t.Policy)
	}
	if p == nil {
		t.NextDueAt = time.Time{}
		return tx.UpsertTicket(ctx, *t, now)
	}
	tl, err := LoadTimeline(ctx, tx, *t)
	if err != nil {
		return err
	}
	sched := p.Schedule(tl)
	if sched.PastDataEnd {
		c.notePastData(p, t.LeadID, now)
	}
	t.FirstResponseDue, t.NextResponseDue, t.ResolutionDue = time.Time{}, time.Time{}, time.Time{}
	for _, ts := range sched.Targets {
		switch ts.Target {
		case rules.FirstResponse:
			t.FirstResponseDue = ts.Due
		case rules.NextResponse:
			t.NextResponseDue = ts.Due
		case rules.Resolution:
			t.ResolutionDue = ts.Due
		}
	}
	steps, err := tx.StepsDone(ctx, t.LeadID)
	if err != nil {
		return err
	}
	doneSet := make(map[string]bool, len(steps))
	for _, s := range steps {
		doneSet[s.Step] = true
	}
	done := func(id string) bool { return doneSet[id] }
	if t.ClosedAt.IsZero() && !t.Deleted {
		for _, st := range DueSteps(*t, tl, sched, done, now) {
			isNew, err := tx.MarkStepDone(ctx, store.StepDone{LeadID: t.LeadID, Target: string(st.Target), Step: st.ID, DoneAt: now})
			if err != nil {
				return err
			}
			doneSet[st.ID] = true
			if !isNew {
				continue
			}
			due := targetDue(sched, st.Target)
			if err := c.fire(ctx, tx, r, p, t, st, due, now); err != nil {
				return err
			}
			kind := "warning"
			if !due.IsZero() && !st.FireAt.Before(due) {
				kind = "breach"
			}
			c.o.Metrics.Escalation(p.Name, string(st.Target), kind)
			c.log.Info().Int64("lead", t.LeadID).Str("step", st.ID).Str("at", st.At).Msg("escalation step fired")
		}
	}
	status := Evaluate(*t, tl, sched, done, now)
	if err := c.syncFields(ctx, tx, t, p, status, now); err != nil {
		return err
	}
	t.SLAState = status.State
	t.NextDueAt = status.Next
	return tx.UpsertTicket(ctx, *t, now)
}

func targetDue(s rules.Schedule, target rules.Target) time.Time {
	for _, ts := range s.Targets {
		if ts.Target == target {
			return ts.Due
		}
	}
	return time.Time{}
}

// Group is the outbox group of an existing ticket's writes.
func Group(leadID int64) string { return outbox.LeadGroup(leadID) }

// Version is the suffix that makes a dedupe key unique per decision: the
// same value written again later (after a change back) is a new write,
// while a repeated decision in the same transaction is not.
func Version(now time.Time) string { return "@" + strconv.FormatInt(now.UnixNano(), 36) }
