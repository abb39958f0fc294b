package store

import (
	"context"
	"iter"
)

// RoutingPositions returns the round-robin positions of the pools (0 for a
// pool without one).
func (a access) RoutingPositions(ctx context.Context, pools iter.Seq[string]) (map[string]int, error) {
	out := map[string]int{}
	for pool := range pools {
		pos, err := a.RoutingPosition(ctx, pool)
		if err != nil {
			return nil, err
		}
		out[pool] = pos
	}
	return out, nil
}

// SetRoutingPositions stores the positions in after that differ from
// before (a routing decision's advance).
func (a access) SetRoutingPositions(ctx context.Context, before, after map[string]int) error {
	for pool, pos := range after {
		if pos != before[pool] {
			if err := a.SetRoutingPosition(ctx, pool, pos); err != nil {
				return err
			}
		}
	}
	return nil
}
