package rules

import (
	"strconv"
	"strings"
)

// RouteState is what routing needs to remember between tickets. The daemon
// persists it; Route takes it and returns the updated copy, never changing
// the one passed in.
type RouteState struct {
	// Next is the round-robin position per pool.
	Next map[string]int
	// Open counts the open tickets per user (for least_open).
	Open map[int]int
	// Inactive users (fired, blocked) get no tickets.
	Inactive map[int]bool
	// Away users (on leave today) get no tickets, besides the rules' away list.
	Away map[int]bool
	// Departments holds the members of the departments department pools
	// name, resolved by the caller from the portal.
	Departments map[int][]int
}

// Assignment is the routing decision for a ticket.
type Assignment struct {
	// Rule is the route rule that matched ("" when none did).
	Rule string
	Why  string
	Pool string
	// User is the assignee, 0 when no rule matched.
	User int
	// Fallback is true when nobody in the pool was available.
	Fallback bool
	// Observers are the users to add as observers.
	Observers []int
}

// NeedsRouting reports whether a lead's ASSIGNED_BY_ID counts as nobody yet:
// empty, 0 or one of the rules' unassigned_users.
func (r *Rules) NeedsRouting(assignee string) bool {
	if assignee == "" || assignee == "0" {
		return true
	}
	id, err := strconv.Atoi(assignee)
	if err != nil {
		return false
	}
	for _, u := range r.UnassignedUsers {
		if u == id {
			return true
		}
	}
	return false
}

// Route picks the route rule for an input (with its decided ticket fields)
// and an assignee from the rule's pool.
func (r *Rules) Route(in *Input, st RouteState) (Assignment, RouteState) {
	ev := newEval(in, r.BodyLimit)
	for _, rule := range r.RouteRules {
		if !rule.When.eval0(ev) {
			continue
		}
		user, fb, next := r.Pick(rule.Assign, st)
		a := Assignment{Rule: rule.Name, Why: rule.When.explain(ev), Pool: rule.Assign, User: user, Fallback: fb}
		a.Observers = r.expand(rule.Observers, user, next)
		return a, next
	}
	return Assignment{}, st
}

// Pick chooses a user from a pool by its strategy and returns the updated
// state (round-robin position advanced, the user's open count up by one).
// A pool with no available user gives its fallback user (fallback = true).
// An unknown pool gives 0.
func (r *Rules) Pick(pool string, st RouteState) (user int, fallback bool, next RouteState) {
	p, ok := r.Pools[pool]
	if !ok {
		return 0, false, st
	}
	members := r.members(p, st)
	avail := make([]int, 0, len(members))
	for _, u := range members {
		if r.available(u, st) {
			avail = append(avail, u)
		}
	}
	next = st
	if len(avail) == 0 {
		next.Open = bump(st.Open, p.Fallback)
		return p.Fallback, true, next
	}
	switch p.Strategy {
	case Fixed:
		user = avail[0]
	case LeastOpen:
		user = avail[0]
		for _, u := range avail[1:] {
			if st.Open[u] < st.Open[user] {
				user = u
			}
		}
	default: // round_robin: the first available member at or after the position
		pos := st.Next[pool]
		if pos < 0 {
			pos = 0
		}
		for k := 0; k < len(members); k++ {
			i := (pos + k) % len(members)
			if r.available(members[i], st) {
				user = members[i]
				next.Next = copyMap(st.Next)
				next.Next[pool] = (i + 1) % len(members)
				break
			}
		}
	}
	next.Open = bump(st.Open, user)
	return user, false, next
}

func (r *Rules) members(p *Pool, st RouteState) []int {
	if p.Department == 0 {
		return p.Users
	}
	out := append([]int(nil), p.Users...)
	return append(out, st.Departments[p.Department]...)
}

func (r *Rules) available(u int, st RouteState) bool {
	if st.Inactive[u] || st.Away[u] {
		return false
	}
	for _, a := range r.Away {
		if a == u {
			return false
		}
	}
	return true
}

// expand turns observer entries (user IDs, pool:NAME) into user IDs without
// repeats and without the assignee.
func (r *Rules) expand(entries []string, assignee int, st RouteState) []int {
	var out []int
	seen := map[int]bool{assignee: true}
	add := func(u int) {
		if u > 0 && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, e := range entries {
		if name, ok := strings.CutPrefix(e, "pool:"); ok {
			if p, ok := r.Pools[name]; ok {
				for _, u := range r.members(p, st) {
					add(u)
				}
			}
			continue
		}
		if id, err := strconv.Atoi(e); err == nil {
			add(id)
		}
	}
	return out
}

func bump(m map[int]int, u int) map[int]int {
	out := make(map[int]int, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[u]++
	return out
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
