package desk_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/connector/store/storetest"
	"github.com/b24desk/b24desk/rules"
)

// TestTodoAcrossUpgrade: an older binary kept a ticket's to-do ID and
// timeline in settings rows (the outbox history of the to-do's add long
// pruned). After the upgrade the ticket keeps its to-do: a reassignment
// gives the same to-do to the new assignee instead of adding a second one,
// and closing the ticket completes it.
func TestTodoAcrossUpgrade(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, at(10, 10, 0))
	id := e.mailTicket("enterprise", 11)
	first := e.todo(id)
	tk := e.ticket(id)
	tl, found, err := e.st.TicketTimeline(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	lead := strconv.FormatInt(id, 10)
	old := map[string]string{"sla.todo:" + lead: strconv.Itoa(first.ID)}
	if found {
		b, _ := json.Marshal(struct {
			CustomerReply time.Time        `json:"customer_reply,omitzero"`
			Paused        []rules.Interval `json:"paused,omitempty"`
		}{tl.CustomerReply, tl.Paused})
		old["sla.timeline:"+lead] = string(b)
	}
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	e.dir = t.TempDir()
	if err := store.BuildOldState(ctx, e.dir, storetest.BeforeTicketTables, old); err != nil {
		t.Fatal(err)
	}
	e.open()
	if err := e.st.UpsertTicket(ctx, tk, e.clk.Now()); err != nil { // the older binary's ticket row
		t.Fatal(err)
	}

	e.clk.Set(at(10, 10, 10))
	e.staff(id, map[string]any{"ASSIGNED_BY_ID": 12})
	if td := e.todo(id); td.ID != first.ID || td.ResponsibleID != 12 || len(e.todos(id)) != 1 {
		t.Fatalf("to-dos after a reassignment %+v, want the same one (%d) for user 12", e.todos(id), first.ID)
	}
	e.clk.Set(at(10, 10, 20))
	e.staff(id, map[string]any{"STATUS_ID": "PROCESSED"})
	if td := e.todo(id); td.ID != first.ID || !td.Completed || len(e.todos(id)) != 1 {
		t.Fatalf("to-dos after closing %+v, want the same one (%d) completed", e.todos(id), first.ID)
	}
}
