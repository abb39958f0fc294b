package desk

import (
	"context"
	"time"

	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// opening is a new ticket as the rules decided it, before anything is
// written: every ticket is opened through decide and open, whether it
// comes from a mail (the lead is created) or from a lead the portal made
// (a hand-made lead, or one adopted from an intake source).
type opening struct {
	in     rules.Input
	d      rules.Decision
	before rules.RouteState // the routing positions the decision started from
	at     time.Time        // the ticket's creation: its SLA counts from it
}

// decide classifies the new ticket, routes it (when nobody real is
// assigned) and picks its SLA policy, counting from at.
func (e *Engine) decide(ctx context.Context, tx *store.Tx, r *rules.Rules, in rules.Input, at time.Time) (opening, error) {
	before, err := e.routeState(ctx, tx, r)
	if err != nil {
		return opening{}, err
	}
	return opening{in: in, d: r.Decide(in, before, at), before: before, at: at}, nil
}

// open records what every new ticket records, in the transaction that
// queues its writes: the routing positions its decision advanced and its
// classification inputs for `rules replay` under origin (the key its
// ticket is found by; "" keeps none). The caller queues the ticket's
// writes and its type's workflow (Engine.workflow).
func (e *Engine) open(ctx context.Context, tx *store.Tx, r *rules.Rules, o opening, origin string) error {
	if err := saveRouteState(ctx, tx, o.before, o.d.State); err != nil {
		return err
	}
	if origin == "" {
		return nil
	}
	b, err := replay.Keep(r, o.in)
	if err != nil {
		return err
	}
	return tx.PutReplayInput(ctx, origin, o.at, b)
}
