package rules

import (
	"strconv"
	"time"
)

// Decision is everything the rules decide for a new ticket, with the trail
// of rules that matched.
type Decision struct {
	Classification
	Route Assignment
	// Routed is false when the input already had a real assignee.
	Routed bool
	// Policy is the SLA policy that applies, nil for none.
	Policy   *Policy
	Schedule Schedule
	// State is the routing state after the assignment.
	State RouteState
}

// Decide runs classify, route and SLA for an input created at the given
// time: the dry run of `b24desk rules test` and the intake's single call.
func (r *Rules) Decide(in Input, st RouteState, created time.Time) Decision {
	d := Decision{State: st}
	d.Classification = r.Classify(&in)
	in.Ticket.Type, in.Ticket.Priority, in.Ticket.Tier = d.Type, d.Priority, d.Tier
	if r.NeedsRouting(in.Ticket.Assignee) {
		d.Routed = true
		d.Route, d.State = r.Route(&in, st)
		if d.Route.User > 0 {
			in.Ticket.Assignee = strconv.Itoa(d.Route.User)
		}
	}
	if p := r.Policy(&in); p != nil {
		d.Policy = p
		d.Schedule = p.Schedule(Timeline{Created: created})
	}
	return d
}
