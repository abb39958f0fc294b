package replay

import (
	"time"

	"github.com/b24desk/b24desk/rules"
)

// RoutingStart says where the replay's routing starts; the output prints
// it with the figures.
const RoutingStart = "each pool's round-robin starts at the member who really got the first ticket the replay routes to that pool (else at its first member); open-ticket counts for least_open start at zero and count only the period's tickets; department pools have no members offline (their fallback user gets the tickets); nobody is away or inactive"

// router replays routing in the order tickets arrived.
type router struct {
	st      rules.RouteState
	started map[string]bool
	open    []held
}

// held is a ticket the replay routed, counted open until it closed.
type held struct {
	user   int
	closed time.Time
}

func newRouter() *router {
	return &router{st: rules.RouteState{Next: map[string]int{}, Open: map[int]int{}}, started: map[string]bool{}}
}

// route assigns a ticket created at created; recorded is the user the
// intake really chose, closed when the ticket was closed (zero: open).
func (rt *router) route(r *rules.Rules, in *rules.Input, created time.Time, recorded int64, closed time.Time) rules.Assignment {
	rt.release(created)
	a, next := r.Route(in, rt.st)
	if p, ok := r.Pools[a.Pool]; ok && !rt.started[a.Pool] {
		rt.started[a.Pool] = true
		if i := indexOf(p.Users, int(recorded)); i >= 0 && a.User != int(recorded) && p.Strategy != rules.Fixed && p.Strategy != rules.LeastOpen {
			st := rt.st
			st.Next = map[string]int{}
			for k, v := range rt.st.Next {
				st.Next[k] = v
			}
			st.Next[a.Pool] = i
			a, next = r.Route(in, st)
		}
	}
	rt.st = next
	if a.User > 0 {
		rt.open = append(rt.open, held{user: a.User, closed: closed})
	}
	return a
}

// release stops counting the tickets closed by t as open.
func (rt *router) release(t time.Time) {
	kept := rt.open[:0]
	for _, h := range rt.open {
		if !h.closed.IsZero() && !h.closed.After(t) {
			open := make(map[int]int, len(rt.st.Open))
			for k, v := range rt.st.Open {
				open[k] = v
			}
			open[h.user]--
			rt.st.Open = open
			continue
		}
		kept = append(kept, h)
	}
	rt.open = kept
}

func indexOf(list []int, x int) int {
	for i, v := range list {
		if v == x {
			return i
		}
	}
	return -1
}
