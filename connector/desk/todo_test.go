package desk_test

import (
	"context"
	"testing"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
)

// todos returns the lead's to-dos in the simulator, oldest first.
func (e *env) todos(id int64) []sim.Todo {
	var out []sim.Todo
	for _, td := range e.portal.Todos() {
		if td.LeadID == int(id) {
			out = append(out, td)
		}
	}
	return out
}

// todo returns the lead's newest to-do in the simulator, and fails when
// an older one is still open: a ticket shows at most one open to-do.
func (e *env) todo(id int64) sim.Todo {
	e.t.Helper()
	all := e.todos(id)
	if len(all) == 0 {
		e.t.Fatalf("lead %d has no to-do", id)
	}
	for _, td := range all[:len(all)-1] {
		if !td.Completed {
			e.t.Fatalf("lead %d has an older open to-do: %+v", id, all)
		}
	}
	return all[len(all)-1]
}

// TestTodoFollowsClosing: the ticket's to-do is completed when the ticket
// closes (once: the echo and later ticks write nothing) and a new to-do
// with the new deadline is added when the ticket is reopened, by a person
// in the portal or by a customer reply (crm.activity.update does not set
// DEADLINE: api-reference/crm/timeline/activities/activity-base/crm-activity-update.md);
// closing again completes it.
func TestTodoFollowsClosing(t *testing.T) {
	ctx := context.Background()
	reopeners := []struct {
		name   string
		reopen func(e *env, id int64)
	}{
		{name: "stage set back by a person", reopen: func(e *env, id int64) {
			e.staff(id, map[string]any{"STATUS_ID": "IN_PROCESS"})
		}},
		{name: "customer reply", reopen: func(e *env, id int64) {
			if err := e.st.WithTx(ctx, func(tx *store.Tx) error {
				return e.eng.CustomerReplied(ctx, tx, id, e.clk.Now())
			}); err != nil {
				t.Fatal(err)
			}
			e.flush()
		}},
	}
	for _, tt := range reopeners {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, at(10, 10, 0))
			id := e.mailTicket("enterprise", 11)
			if td := e.todo(id); td.Completed || !td.Deadline.Equal(at(10, 12, 0)) {
				t.Fatalf("open ticket's to-do %+v", td)
			}

			e.clk.Set(at(10, 11, 0))
			e.staff(id, map[string]any{"STATUS_ID": "PROCESSED"})
			if td := e.todo(id); !td.Completed {
				t.Fatalf("closed ticket's to-do not completed: %+v", td)
			}
			e.portal.ResetCalls()
			e.event(id, events.EventLeadUpdate) // echo of our own writes
			e.clk.Set(at(20, 12, 0))
			e.tick()
			if w := e.writes(); len(w) != 0 {
				t.Fatalf("writes after closing: %v", w)
			}

			e.clk.Set(at(11, 10, 0))
			tt.reopen(e, id)
			tk := e.ticket(id)
			if !tk.ClosedAt.IsZero() {
				t.Fatalf("not reopened: %+v", tk)
			}
			want := tk.ResolutionDue // first response met; a reply starts the next response
			if !tk.NextResponseDue.IsZero() && tk.NextResponseDue.Before(want) {
				want = tk.NextResponseDue
			}
			td := e.todo(id)
			if td.Completed || want.IsZero() || !td.Deadline.Equal(want) || len(e.todos(id)) != 2 {
				t.Fatalf("reopened ticket's to-dos %+v, want a new open one due %v", e.todos(id), want.In(msk))
			}

			e.clk.Set(at(11, 11, 0))
			e.staff(id, map[string]any{"STATUS_ID": "PROCESSED"})
			if td := e.todo(id); !td.Completed {
				t.Fatalf("closed again, to-do not completed: %+v", td)
			}
		})
	}
}

// TestTodoOfDeletedLeadLeftAlone: a deleted ticket's to-do is not touched.
func TestTodoOfDeletedLeadLeftAlone(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	id := e.mailTicket("enterprise", 11)
	if err := e.portal.DeleteLead(int(id)); err != nil {
		t.Fatal(err)
	}
	e.portal.ResetCalls()
	e.event(id, events.EventLeadDelete)
	e.clk.Set(at(20, 12, 0))
	e.tick()
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("writes for a deleted ticket: %v", w)
	}
	if td := e.todo(id); td.Completed {
		t.Fatalf("deleted ticket's to-do completed: %+v", td)
	}
}

// TestTodoStaffTouched: staff mark the ticket's to-do done or delete it in
// the portal (then crm.activity.todo.updateDeadline answers 400
// CAN_NOT_UPDATE_COMPLETED_TODO or NOT_FOUND:
// api-reference/crm/timeline/activities/todo/crm-activity-todo-update-deadline.md).
// That is the to-do gone, not a refusal: when the deadline moves, a new
// to-do carries it, nothing is parked and the ticket keeps moving. A staff
// "Done" changes nothing in the SLA itself.
func TestTodoStaffTouched(t *testing.T) {
	touches := []struct {
		name  string
		touch func(*sim.Portal, int) error
	}{
		{name: "marked done", touch: (*sim.Portal).CompleteTodo},
		{name: "deleted", touch: (*sim.Portal).DeleteTodo},
	}
	for _, tt := range touches {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, at(10, 10, 0))
			id := e.mailTicket("enterprise", 11)
			first := e.todo(id)
			if err := tt.touch(e.portal, first.ID); err != nil {
				t.Fatal(err)
			}
			e.clk.Set(at(10, 10, 30))
			e.tick()
			if tk := e.ticket(id); tk.SLAState != schema.StateOK || !tk.FirstResponseMet.IsZero() {
				t.Fatalf("a staff touch on the to-do changed the SLA: %+v", tk)
			}

			e.clk.Set(at(10, 11, 0))
			e.staff(id, map[string]any{"STATUS_ID": "IN_PROCESS"}) // first response: deadline moves on
			tk := e.ticket(id)
			want := tk.NextDueAt
			if !tk.ResolutionDue.IsZero() {
				want = tk.ResolutionDue
			}
			td := e.todo(id)
			if td.ID == first.ID || td.Completed || !td.Deadline.Equal(want) || td.ResponsibleID != 11 {
				t.Fatalf("to-dos after the deadline moved: %+v, want a new open one due %v", e.todos(id), want.In(msk))
			}

			// The new to-do is the one b24desk keeps moving.
			e.clk.Set(at(10, 11, 30))
			e.staff(id, map[string]any{"STATUS_ID": "PROCESSED"})
			if td := e.todo(id); !td.Completed || len(e.todos(id)) > 2 {
				t.Fatalf("closed ticket's to-dos %+v", e.todos(id))
			}
		})
	}
}

// TestTodoFollowsAssignee: a re-routed ticket's to-do goes to the new
// assignee (crm.activity.todo.updateResponsibleUser:
// api-reference/crm/timeline/activities/todo/crm-activity-todo-update-responsible-user.md),
// whether a person reassigns the lead or a reclassification routes it;
// a to-do staff completed meanwhile is added again for the new assignee.
func TestTodoFollowsAssignee(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	id := e.mailTicket("enterprise", 11)
	first := e.todo(id)

	e.clk.Set(at(10, 10, 10))
	e.staff(id, map[string]any{"ASSIGNED_BY_ID": 12})
	if td := e.todo(id); td.ID != first.ID || td.ResponsibleID != 12 || !td.Deadline.Equal(first.Deadline) {
		t.Fatalf("to-do after a reassignment %+v, want the same one for user 12", e.todos(id))
	}

	if err := e.portal.CompleteTodo(first.ID); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(at(10, 10, 20))
	e.staff(id, map[string]any{"ASSIGNED_BY_ID": 13})
	td := e.todo(id)
	if td.ID == first.ID || td.Completed || td.ResponsibleID != 13 || !td.Deadline.Equal(first.Deadline) {
		t.Fatalf("to-dos after a reassignment of a done to-do %+v, want a new open one for user 13", e.todos(id))
	}
}
