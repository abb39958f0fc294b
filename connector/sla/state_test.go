package sla_test

import (
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/rules"
)

func TestEvaluate(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)
	due := t0.Add(2 * time.Hour)
	sched := rules.Schedule{Policy: "p", Targets: []rules.TargetSchedule{{
		Target: rules.FirstResponse, Start: t0, Due: due,
		Steps: []rules.StepTime{{ID: "p/first_response/0", FireAt: t0.Add(96 * time.Minute)}, {ID: "p/first_response/1", FireAt: due}},
	}}}
	tests := []struct {
		name      string
		ticket    ticket.Ticket
		now       time.Time
		state     string
		due, next time.Time
	}{
		{name: "fresh", now: t0, state: schema.StateOK, due: due, next: t0.Add(96 * time.Minute)},
		{name: "after 80%", now: t0.Add(100 * time.Minute), state: schema.StateWarning, due: due, next: due},
		{name: "breached", now: due, state: schema.StateBreached, due: due},
		{name: "paused", ticket: ticket.Ticket{PausedSince: t0}, now: t0.Add(time.Minute), state: schema.StatePaused, due: due, next: t0.Add(96 * time.Minute)},
		{name: "met", ticket: ticket.Ticket{FirstResponseMet: t0.Add(time.Minute)}, now: due.Add(time.Hour), state: schema.StateMet},
		{name: "closed", ticket: ticket.Ticket{ClosedAt: t0}, now: t0, state: schema.StateMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sla.Evaluate(tt.ticket, rules.Timeline{Created: t0}, sched, nil, tt.now)
			if got.State != tt.state || !got.Due.Equal(tt.due) || !got.Next.Equal(tt.next) {
				t.Fatalf("got %+v, want state %s due %v next %v", got, tt.state, tt.due, tt.next)
			}
		})
	}
}
