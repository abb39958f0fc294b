package sla

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/rules"
)

// Users reads portal users (*bitrix.Client has it): the members of a
// department pool are the active users of its department.
type Users interface {
	UserGet(ctx context.Context, filter map[string]any) ([]bitrix.User, error)
}

// departments caches the members of the rules' department pools. The
// clock reloads it once per tick that has due tickets; between ticks
// everyone reads the same copy. A failed reload keeps the previous members.
type departments struct {
	mu      sync.Mutex
	members map[int][]int
	loaded  bool
}

// get returns the cached members (nil before the first load); the map is
// never changed after it is stored, so callers may read it freely.
func (d *departments) get() map[int][]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.members
}

// load reads the active members of every department a pool of r names,
// one user.get (paged) per department, and stores them; with force false
// it does nothing once loaded.
func (d *departments) load(ctx context.Context, users Users, r *rules.Rules, force bool) error {
	d.mu.Lock()
	done := d.loaded
	d.mu.Unlock()
	if users == nil || r == nil || (done && !force) {
		return nil
	}
	var ids []int
	for _, p := range r.Pools {
		if p.Department > 0 && !slices.Contains(ids, p.Department) {
			ids = append(ids, p.Department)
		}
	}
	slices.Sort(ids)
	members := make(map[int][]int, len(ids))
	for _, dep := range ids {
		list, err := users.UserGet(ctx, map[string]any{"ACTIVE": true, "UF_DEPARTMENT": dep})
		if err != nil {
			return fmt.Errorf("members of department %d: %w", dep, err)
		}
		var m []int
		for _, u := range list {
			if u.ID > 0 { // the filter keeps active users only
				m = append(m, int(u.ID))
			}
		}
		slices.Sort(m)
		members[dep] = slices.Compact(m)
	}
	d.mu.Lock()
	d.members, d.loaded = members, true
	d.mu.Unlock()
	return nil
}

// LoadDepartments reads the members of the rules' department pools from
// the portal unless they were read already (a tick reads them again). Call
// it outside a state transaction, before work that may notify or route to
// a department pool (the desk engine does, before each lead change).
func (c *Clock) LoadDepartments(ctx context.Context) error {
	return c.deps.load(ctx, c.o.Users, c.o.Rules(), false)
}

// DepartmentMembers returns the cached members per department, for
// rules.RouteState.Departments. The map must not be changed.
func (c *Clock) DepartmentMembers() map[int][]int { return c.deps.get() }

// refreshDepartments reloads the department members for a tick; a failure
// is logged and the previous members stay.
func (c *Clock) refreshDepartments(ctx context.Context) {
	if err := c.deps.load(ctx, c.o.Users, c.o.Rules(), true); err != nil && ctx.Err() == nil {
		c.log.Warn().Err(err).Msg("department pools: members not refreshed")
	}
}

// poolMembers are a pool's listed users and its department's members.
func (c *Clock) poolMembers(p *rules.Pool) []int {
	out := append([]int(nil), p.Users...)
	if p.Department > 0 {
		out = append(out, c.deps.get()[p.Department]...)
	}
	return out
}
