package desk_test

import (
	"context"
	"testing"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/store"
)

// todo returns the lead's one to-do in the simulator.
func (e *env) todo(id int64) sim.Todo {
	e.t.Helper()
	var out []sim.Todo
	for _, td := range e.portal.Todos() {
		if td.LeadID == int(id) {
			out = append(out, td)
		}
	}
	if len(out) != 1 {
		e.t.Fatalf("lead %d has %d to-dos, want one: %+v", id, len(out), out)
	}
	return out[0]
}

// TestTodoFollowsClosing: the ticket's to-do is completed when the ticket
// closes (once: the echo and later ticks write nothing) and reopened with
// the new deadline when the ticket is reopened, by a person in the portal
// or by a customer reply; closing again completes it again.
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
			if td.Completed || want.IsZero() || !td.Deadline.Equal(want) {
				t.Fatalf("reopened ticket's to-do %+v, want open and due %v", td, want.In(msk))
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
