package desk_test

import (
	"context"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/sla"
)

// TestOwnEchoNotRead: the event of a lead write b24desk's outbox sent is
// not read back (crm.lead.get) and reconcile has the lead's DATE_MODIFY
// after it; the next event of the lead, a staff change, is read and acted
// on; and an expected echo that never came expires.
func TestOwnEchoNotRead(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	e.skipEchoes = true
	e.restart()
	id := e.mailTicket("enterprise", 11) // the SLA clock's first update: SLA fields and the to-do, in a batch
	batches := 0
	for _, c := range e.portal.Calls() {
		if c.Method == "batch" {
			batches++
		}
	}
	if batches == 0 {
		t.Fatal("the SLA writes were not sent in a batch: the test proves nothing")
	}
	// An update's DATE_MODIFY of this very second is not kept as seen: a
	// staff change in the same second is still found by reconcile.
	if got := e.ticket(id).LastDateModify; !got.IsZero() {
		t.Fatalf("ticket's DATE_MODIFY %v recorded in the second of b24desk's write", got)
	}

	e.portal.ResetCalls()
	e.event(id, events.EventLeadUpdate) // the echo of the SLA update
	if n := len(e.portal.Calls()); n != 0 {
		t.Fatalf("the echo of b24desk's own write cost %d requests: %+v", n, e.portal.Calls())
	}

	e.staff(id, map[string]any{"STATUS_ID": "IN_PROCESS"})
	if got := e.ticket(id).Status; got != "IN_PROCESS" {
		t.Fatalf("staff moved the lead to IN_PROCESS, ticket has %q: the staff change was taken for an echo", got)
	}
	reads := 0
	for _, c := range e.portal.Calls() {
		if c.Method == "crm.lead.get" {
			reads++
		}
	}
	if reads != 1 {
		t.Fatalf("%d reads of the staff change, want 1", reads)
	}

	// b24desk writes the lead again: an echo is expected. If it never
	// comes, it stops being expected after desk.EchoWindow and does not
	// swallow a later staff change.
	_, _, err := e.ob.Enqueue(context.Background(), nil, outbox.Entry{DedupeKey: "echo-test", GroupKey: sla.Group(id),
		Payload: outbox.LeadUpdate{ID: outbox.LeadOf(id), Fields: map[string]any{"COMMENTS": "b24desk"}, Params: outbox.Feed(false)}})
	if err != nil {
		t.Fatal(err)
	}
	e.flush()
	e.clk.Set(e.clk.Now().Add(desk.EchoWindow + time.Second))
	e.portal.ResetCalls()
	e.staff(id, map[string]any{"COMMENTS": "позвонил клиенту"})
	reads = 0
	for _, c := range e.portal.Calls() {
		if c.Method == "crm.lead.get" {
			reads++
		}
	}
	if reads != 1 {
		t.Fatalf("a staff change after an expired echo was read %d times, want 1", reads)
	}
}
