package outbox

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/rs/zerolog"
)

// refuseTodos makes the portal refuse every to-do write: each
// crm.activity.todo.add names an owner type the simulator does not know,
// so the simulator itself answers 400 NOT_FOUND ("Owner not found").
type refuseTodos struct{ *bitrix.Client }

func (r refuseTodos) Batch(ctx context.Context, cmds []bitrix.BatchCmd, halt bool) ([]bitrix.BatchResult, error) {
	for i, c := range cmds {
		if c.Method == "crm.activity.todo.add" {
			cmds[i].Params["ownerTypeId"] = 999
		}
	}
	return r.Client.Batch(ctx, cmds, halt)
}

// TestBatchOrderAndIsolation sends ten new tickets' writes through the
// simulator over HTTP: every write goes in batch requests (a new lead's side
// writes ride along with its crm.lead.add through $result references),
// each ticket's comments land in order, and a refused to-do write of every
// ticket is parked on its own while the ticket's other writes are done.
func TestBatchOrderAndIsolation(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC))
	portal := sim.New(sim.Options{Clock: clk, NoLimits: true})
	t.Cleanup(portal.Close)
	srv := httptest.NewServer(portal)
	t.Cleanup(srv.Close)
	tmpl := portal.AddTemplate(sim.Template{Name: "Tech"})
	client, err := bitrix.New(bitrix.Config{WebhookURL: portal.WebhookURL(srv.URL), Clock: clk, Rate: 200, Burst: 50})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ob := New(st, refuseTodos{client}, clk, zerolog.Nop(), Config{Jitter: -1})

	const tickets = 10
	ctx := context.Background()
	err = st.WithTx(ctx, func(tx *store.Tx) error {
		for i := range tickets {
			origin := fmt.Sprintf("mail:batch-%d", i)
			group := GroupFor(origin)
			for _, e := range []Entry{
				{DedupeKey: origin, Payload: LeadAdd{Fields: map[string]any{"TITLE": fmt.Sprint("Ticket ", i)}, Params: Feed(true)}},
				{DedupeKey: origin + ":wf", Payload: WorkflowStart{TemplateID: int64(tmpl)}},
				{DedupeKey: origin + ":c1", Payload: Comment(LeadRef{}, "first", nil)},
				{DedupeKey: origin + ":todo", Payload: TodoAdd{OwnerTypeID: 1, Deadline: "2026-05-14T13:00:00+03:00", Description: "SLA"}},
				{DedupeKey: origin + ":stage", Payload: LeadUpdate{Fields: map[string]any{"STATUS_ID": "IN_PROCESS"}, Params: Feed(false)}},
				{DedupeKey: origin + ":c2", Payload: Comment(LeadRef{}, "second", nil)},
			} {
				e.GroupKey = group
				if _, _, err := ob.Enqueue(ctx, tx, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	portal.ResetCalls()
	if err := ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// Round 1: 10 lead.adds with their workflow, first comment and to-do
	// (40 commands); round 2: the stage and the second comment (20).
	calls := portal.Calls()
	if len(calls) != 2 || calls[0].Method != "batch" || calls[1].Method != "batch" {
		t.Fatalf("requests = %+v, want 2 batch requests", calls)
	}
	if n := portal.LeadCount(); n != tickets {
		t.Fatalf("%d leads, want %d", n, tickets)
	}
	starts := 0
	for _, w := range portal.WorkflowStarts() {
		if !w.Auto {
			starts++
		}
	}
	if starts != tickets {
		t.Fatalf("%d workflow starts, want %d", starts, tickets)
	}
	for _, l := range portal.Leads() {
		id, _ := LeadIDFromResult([]byte(toString(l["ID"])))
		if l["STATUS_ID"] != "IN_PROCESS" {
			t.Fatalf("lead %d stage %v: the ticket stopped behind its refused to-do", id, l["STATUS_ID"])
		}
		cs := portal.Comments(int(id))
		if len(cs) != 2 || !strings.HasPrefix(cs[0].Text, "first") || !strings.HasPrefix(cs[1].Text, "second") || cs[0].ID > cs[1].ID {
			t.Fatalf("lead %d comments out of order: %+v", id, cs)
		}
	}
	if todos := portal.Todos(); len(todos) != 0 {
		t.Fatalf("to-dos %+v: the portal was to refuse them", todos)
	}
	parked, _ := st.OutboxInState(ctx, store.OutboxParked, 0)
	if len(parked) != tickets {
		t.Fatalf("%d parked rows, want the %d to-dos", len(parked), tickets)
	}
	for _, r := range parked {
		if r.Kind != KindTodoAdd || !strings.Contains(r.LastError, "NOT_FOUND") {
			t.Fatalf("parked %s: %q", r.Kind, r.LastError)
		}
	}
	if s, _ := ob.Stats(ctx); s.Depth != 0 {
		t.Fatalf("left to deliver: %+v", s)
	}
}
