package sla

import (
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/rules"
)

// Status is what the portal shows of a ticket's SLA.
type Status struct {
	// State is one of schema.StateOK, StateWarning, StateBreached,
	// StatePaused, StateMet.
	State string
	// Due is the earliest deadline of a target not met yet, passed or not
	// (an overdue one stays until met, so the to-do shows red); zero when
	// none is known (nothing open, or paused).
	Due time.Time
	// Next is when the clock must look at the ticket again: the earliest
	// step not done or deadline still ahead (zero: nothing left).
	Next time.Time
}

// Met reports whether the ticket met the target: first response and
// resolution once met stay met; the next response counts only when met
// after the customer's latest reply.
func Met(t ticket.Ticket, tl rules.Timeline, target rules.Target) bool {
	switch target {
	case rules.FirstResponse:
		return !t.FirstResponseMet.IsZero()
	case rules.NextResponse:
		return !t.NextResponseMet.IsZero() && !t.NextResponseMet.Before(tl.CustomerReply)
	case rules.Resolution:
		return !t.ResolutionMet.IsZero()
	}
	return false
}

// Evaluate derives the SLA status of a ticket from its row, timeline and
// schedule at now. done reports the escalation steps carried out (nil:
// none). It is pure: the SLA clock and the desk engine both use it.
//
// The state is, by precedence: met when the ticket is closed or every
// target is met; breached when a deadline of an open target has passed;
// paused while the ticket waits for the customer; warning when a step
// before a deadline has fired; ok otherwise.
func Evaluate(t ticket.Ticket, tl rules.Timeline, s rules.Schedule, done func(id string) bool, now time.Time) Status {
	if !t.ClosedAt.IsZero() || t.Deleted {
		return Status{State: schema.StateMet}
	}
	var st Status
	var breached, warned bool
	open := 0
	for _, ts := range s.Targets {
		if Met(t, tl, ts.Target) {
			continue
		}
		open++
		if !ts.Due.IsZero() {
			st.Due = earliest(st.Due, ts.Due)
			if ts.Due.After(now) {
				st.Next = earliest(st.Next, ts.Due)
			} else {
				breached = true
			}
		}
		for _, step := range ts.Steps {
			if step.FireAt.IsZero() {
				continue
			}
			if !step.FireAt.After(now) {
				if ts.Due.IsZero() || step.FireAt.Before(ts.Due) {
					warned = true
				}
				continue
			}
			if done == nil || !done(step.ID) {
				st.Next = earliest(st.Next, step.FireAt)
			}
		}
	}
	switch {
	case breached:
		st.State = schema.StateBreached
	case !t.PausedSince.IsZero():
		st.State = schema.StatePaused
	case warned:
		st.State = schema.StateWarning
	case open == 0 && len(s.Targets) > 0:
		st.State = schema.StateMet
	default:
		st.State = schema.StateOK
	}
	return st
}

// DueSteps returns the steps to fire at now: per open target only the
// latest step whose time has come, unless it is done (rules.Schedule.Due
// restricted to targets not met).
func DueSteps(t ticket.Ticket, tl rules.Timeline, s rules.Schedule, done func(id string) bool, now time.Time) []rules.StepTime {
	open := rules.Schedule{Policy: s.Policy}
	for _, ts := range s.Targets {
		if !Met(t, tl, ts.Target) {
			open.Targets = append(open.Targets, ts)
		}
	}
	return open.Due(done, now)
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
