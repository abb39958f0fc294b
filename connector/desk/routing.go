package desk

import (
	"context"
	"maps"

	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// routeState reads the routing positions of every pool (round robin: the
// next member of each) with the members of department pools the engine
// knows.
func (e *Engine) routeState(ctx context.Context, tx *store.Tx, r *rules.Rules) (rules.RouteState, error) {
	next, err := tx.RoutingPositions(ctx, maps.Keys(r.Pools))
	if err != nil {
		return rules.RouteState{}, err
	}
	return rules.RouteState{Next: next, Departments: e.o.Departments()}, nil
}

// saveRouteState persists the positions a routing decision advanced.
func saveRouteState(ctx context.Context, tx *store.Tx, before, after rules.RouteState) error {
	return tx.SetRoutingPositions(ctx, before.Next, after.Next)
}
