package outbox

import (
	"context"
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

// crashAfter wraps a portal: after the n-th successful write it "crashes"
// (cancels the run) before the outbox can record the answer.
type crashAfter struct {
	Portal
	method string
	cancel context.CancelFunc
}

func (c *crashAfter) Call(ctx context.Context, method string, params any) (*bitrix.Response, error) {
	resp, err := c.Portal.Call(ctx, method, params)
	if err == nil && method == c.method && c.cancel != nil {
		c.cancel()
		c.cancel = nil
		return nil, context.Canceled
	}
	return resp, err
}

// TestSimulatorExactlyOnce runs a new ticket's writes against the portal
// simulator over real HTTP under its injected faults, and checks that the
// portal holds exactly one record per dedupe key.
func TestSimulatorExactlyOnce(t *testing.T) {
	tests := []struct {
		name   string
		faults sim.Faults
		crash  string // method after which the process dies
		rounds int    // rounds under the fault before it is switched off
		lookup string // the lookup the fault must have caused
	}{
		{name: "timeout with the write applied", faults: sim.Faults{WriteTimeout: true}, rounds: 1, lookup: "crm.lead.list"},
		{name: "write applied after the client gave up", faults: sim.Faults{LateWrite: true, LateWriteDelay: 50 * time.Millisecond}, rounds: 1, lookup: "crm.lead.list"},
		{name: "503 storm", faults: sim.Faults{Error503Rate: 1}, rounds: 2},
		{name: "500 errors", faults: sim.Faults{Error500Rate: 1}, rounds: 2},
		{name: "portal down", faults: sim.Faults{Down: true, DownClose: true}, rounds: 3},
		{name: "crash after lead.add", crash: "crm.lead.add", lookup: "crm.lead.list"},
		{name: "crash after the comment", crash: "crm.timeline.comment.add", lookup: "crm.timeline.comment.list"},
		{name: "crash after the to-do", crash: "crm.activity.todo.add", lookup: "crm.activity.list"},
		{name: "crash after the workflow start", crash: "bizproc.workflow.start", lookup: "bizproc.workflow.instances"},
		{name: "crash after the notification", crash: "im.notify.system.add"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewManual(t0)
			portal := sim.New(sim.Options{Clock: clk, NoLimits: true})
			t.Cleanup(portal.Close)
			srv := httptest.NewServer(portal)
			t.Cleanup(srv.Close)
			tmpl := portal.AddTemplate(sim.Template{Name: "Tech"})
			client, err := bitrix.New(bitrix.Config{WebhookURL: portal.WebhookURL(srv.URL),
				Timeout: 300 * time.Millisecond, MaxRetries: 1, Rate: 200, Burst: 50, RetryWait: time.Millisecond, Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			wrapped := &crashAfter{Portal: client, method: tt.crash}
			var st *store.Store
			var ob *Outbox
			open := func() {
				st, err = store.Open(context.Background(), dir, zerolog.Nop())
				if err != nil {
					t.Fatal(err)
				}
				ob = New(st, wrapped, clk, zerolog.Nop(), Config{Jitter: -1})
			}
			open()
			t.Cleanup(func() { _ = st.Close() })

			origin := "mail:sim-1"
			group := GroupFor(origin)
			err = st.WithTx(context.Background(), func(tx *store.Tx) error {
				for _, e := range []Entry{
					{Kind: KindLeadAdd, DedupeKey: origin, GroupKey: group,
						Payload: map[string]any{"fields": map[string]any{"TITLE": "Printer on fire"}}},
					{Kind: KindWorkflowStart, DedupeKey: origin + ":wf", GroupKey: group, Payload: map[string]any{
						"TEMPLATE_ID": tmpl, "DOCUMENT_ID": []string{"crm", "CCrmDocumentLead", "LEAD_" + LeadID}}},
					{Kind: KindTimelineComment, DedupeKey: origin + ":comment", GroupKey: group,
						Payload: map[string]any{"fields": map[string]any{"ENTITY_ID": LeadID, "ENTITY_TYPE": "lead", "COMMENT": "hello"}}},
					{Kind: KindTodoAdd, DedupeKey: origin + ":todo", GroupKey: group, Payload: map[string]any{
						"ownerTypeId": 1, "ownerId": LeadID, "deadline": "2026-05-14T13:00:00+03:00", "title": "SLA", "description": "first response"}},
					{Kind: KindNotify, DedupeKey: origin + ":notify", GroupKey: group,
						Payload: map[string]any{"USER_ID": 1, "MESSAGE": "new ticket"}},
				} {
					if _, _, err := ob.Enqueue(context.Background(), tx, e); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}

			portal.SetFaults(tt.faults)
			for round := 0; round < 100; round++ {
				if round == tt.rounds {
					portal.SetFaults(sim.Faults{})
				}
				ctx, cancel := context.WithCancel(context.Background())
				if tt.crash != "" {
					wrapped.cancel = cancel
				}
				err := ob.Flush(ctx)
				crashed := ctx.Err() != nil
				cancel()
				if crashed {
					if err := st.Close(); err != nil {
						t.Fatal(err)
					}
					wrapped.method = "" // crash once
					open()
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				stats, err := ob.Stats(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if stats.Depth == 0 {
					break
				}
				if tt.faults.LateWrite && round == 0 {
					// The held lead.add lands before the retry, as it would
					// within 90 s: wait for it rather than for a fixed time.
					waitLeads(t, portal, 1)
				}
				next, found, _ := st.NextOutboxDue(context.Background())
				if !found {
					t.Fatalf("stuck: %+v", stats)
				}
				clk.Set(later(clk.Now().Add(time.Second), next))
			}

			stats, _ := ob.Stats(context.Background())
			if stats.Depth != 0 || stats.Parked != 0 {
				rows, _ := st.OutboxInState(context.Background(), store.OutboxParked, 0)
				t.Fatalf("not delivered: %+v %+v", stats, rows)
			}
			if tt.lookup != "" {
				looked := false
				for _, c := range portal.Calls() {
					looked = looked || c.Method == tt.lookup
				}
				if !looked {
					t.Fatalf("the fault caused no %s lookup: it did not fire", tt.lookup)
				}
			}
			if n := portal.LeadCount(); n != 1 {
				t.Fatalf("%d leads in the portal, want 1", n)
			}
			lead := portal.Leads()[0]
			if lead["ORIGIN_ID"] != origin || lead["ORIGINATOR_ID"] != OriginatorID {
				t.Fatalf("lead origin = %v/%v", lead["ORIGINATOR_ID"], lead["ORIGIN_ID"])
			}
			leadID, _ := LeadIDFromResult([]byte(strings.TrimSpace(toString(lead["ID"]))))
			comments := portal.Comments(int(leadID))
			if len(comments) != 1 || !strings.Contains(comments[0].Text, Marker(origin+":comment")) {
				t.Fatalf("comments on lead %d: %+v", leadID, comments)
			}
			if todos := portal.Todos(); len(todos) != 1 || todos[0].LeadID != int(leadID) {
				t.Fatalf("todos: %+v", todos)
			}
			if notes := portal.Notifications(); len(notes) != 1 {
				t.Fatalf("notifications: %+v", notes)
			}
			var starts int
			for _, w := range portal.WorkflowStarts() {
				if !w.Auto && w.LeadID == int(leadID) {
					starts++
				}
			}
			if starts != 1 {
				t.Fatalf("%d workflow starts, want 1", starts)
			}
		})
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := jsonMarshal(x)
		return string(b)
	}
}

// waitLeads waits until the portal holds n leads (a late write has landed).
func waitLeads(t *testing.T, portal *sim.Portal, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a bound against hanging, not a timing assertion
	for portal.LeadCount() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the held write did not land: %d leads, want %d", portal.LeadCount(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUnknownRowsGoBackToBatches: the rows of a batch whose answer was lost
// are looked up (one request each where the kind has a lookup; these two
// kinds have none), and those not found go out again together in the next
// batch, not one request each.
func TestUnknownRowsGoBackToBatches(t *testing.T) {
	clk, portal, _, ob := simOutbox(t, Config{Jitter: -1})
	const n = 20
	portal.SeedLeads(n, nil)
	ctx := context.Background()
	for i := 1; i <= n; i++ {
		_, _, err := ob.Enqueue(ctx, nil, Entry{Kind: KindLeadUpdate, DedupeKey: "u" + toString(i), GroupKey: "g" + toString(i),
			Payload: LeadUpdate{ID: LeadOf(int64(i)), Fields: map[string]any{"TITLE": "escalated"}}})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = ob.Enqueue(ctx, nil, Entry{Kind: KindNotify, DedupeKey: "n" + toString(i), GroupKey: "h" + toString(i),
			Payload: Notify{UserID: 1, Message: "escalated", Tag: "t" + toString(i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	portal.SetFaults(sim.Faults{WriteDropRate: 1}) // the batch is applied, its answer lost
	if _, err := ob.RunOnce(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	portal.SetFaults(sim.Faults{})
	portal.ResetCalls()
	clk.Advance(2 * time.Minute) // past the lookup delay
	if err := ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if stats, _ := ob.Stats(ctx); stats.Depth != 0 {
		t.Fatalf("outbox not empty: %+v", stats)
	}
	calls := map[string]int{}
	for _, c := range portal.Calls() {
		calls[c.Method]++
	}
	// 20 updates (each with its DATE_MODIFY read) and 20 notifications:
	// 60 commands, two batches.
	if calls["batch"] != 2 || len(calls) != 1 {
		t.Fatalf("requests after the lost answer %v, want two batches", calls)
	}
}

// TestLookupsGoInBatches: after a lost batch answer (60 rows of three
// kinds with lookups, applied) and a crash before the call (30 more, not
// applied), the 90 lookups go out in ceil(90/50) = 2 batch requests; the
// 60 found are done with the IDs the portal holds, the 30 not found go out
// again together in one more batch; no lead, comment or to-do twice.
func TestLookupsGoInBatches(t *testing.T) {
	clk, portal, st, ob := simOutbox(t, Config{Jitter: -1, Batch: 100})
	ctx := context.Background()
	portal.SeedLeads(30, nil) // leads 1..30 take the comments and to-dos
	// enqueue queues, for each i in [from, to], a new lead, a comment on
	// lead i and a to-do on lead i, each in its own group.
	var keys []string
	enqueue := func(from, to int) {
		t.Helper()
		for i := from; i <= to; i++ {
			s := toString(i)
			for _, e := range []Entry{
				{DedupeKey: "mail:" + s, GroupKey: "a" + s, Payload: LeadAdd{Origin: "mail:" + s, Fields: map[string]any{"TITLE": "t" + s}}},
				{DedupeKey: "comment:" + s, GroupKey: "c" + s, Payload: Comment(LeadOf(int64(i)), "reply "+s, nil)},
				{DedupeKey: "todo:" + s, GroupKey: "d" + s, Payload: TodoAdd{OwnerTypeID: 1, OwnerID: LeadOf(int64(i)),
					Deadline: "2026-05-14T13:00:00+03:00", Description: "answer " + s}},
			} {
				if _, _, err := ob.Enqueue(ctx, nil, e); err != nil {
					t.Fatal(err)
				}
				keys = append(keys, e.DedupeKey)
			}
		}
	}
	enqueue(1, 20)
	portal.SetFaults(sim.Faults{WriteDropRate: 1}) // the batches are applied, their answers lost
	if err := ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	portal.SetFaults(sim.Faults{})
	if n := portal.LeadCount(); n != 50 {
		t.Fatalf("%d leads after the lost answers, want 50", n)
	}
	// 30 more rows saved as sent, then a crash before the call.
	enqueue(21, 30)
	due, err := st.DueOutbox(ctx, clk.Now(), 100)
	if err != nil || len(due) != 30 {
		t.Fatalf("due %d rows, %v; want 30", len(due), err)
	}
	for _, r := range due {
		r.Attempts++
		r.State = store.OutboxUnknown
		if err := st.UpdateOutbox(ctx, r, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if unknown, _ := st.OutboxInState(ctx, store.OutboxUnknown, 0); len(unknown) != 90 {
		t.Fatalf("%d unknown rows, want 90", len(unknown))
	}
	portal.ResetCalls()
	clk.Advance(2 * time.Minute) // past the lookup delay
	if err := ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for _, c := range portal.Calls() {
		calls[c.Method]++
	}
	// 2 batches of lookups (50 + 40), then the 30 not found: 10 lead.adds
	// with their DATE_MODIFY reads and 20 more, 40 commands in one batch.
	if calls["batch"] != 3 || len(calls) != 1 {
		t.Fatalf("requests after the lost answers %v, want three batches", calls)
	}

	leads := map[string]int64{}
	for _, l := range portal.Leads() {
		origin := toString(l["ORIGIN_ID"])
		if origin == "" {
			continue // seeded
		}
		if _, twice := leads[origin]; twice {
			t.Fatalf("lead %s twice", origin)
		}
		leads[origin], _ = LeadIDFromResult([]byte(toString(l["ID"])))
	}
	todos := map[int]int{}
	for _, td := range portal.Todos() {
		todos[td.LeadID]++
		if !strings.Contains(td.Description, Marker("todo:"+toString(td.LeadID))) {
			t.Fatalf("to-do %d on lead %d: %q", td.ID, td.LeadID, td.Description)
		}
	}
	for i := 1; i <= 30; i++ {
		s := toString(i)
		if id := leads["mail:"+s]; id == 0 {
			t.Fatalf("no lead mail:%s", s)
		}
		if c := portal.Comments(i); len(c) != 1 || !strings.Contains(c[0].Text, Marker("comment:"+s)) {
			t.Fatalf("comments on lead %d: %+v", i, c)
		}
		if todos[i] != 1 {
			t.Fatalf("%d to-dos on lead %d, want 1", todos[i], i)
		}
	}
	for _, k := range keys {
		row, err := st.OutboxRowByKey(ctx, k)
		if err != nil || row.State != store.OutboxDone {
			t.Fatalf("row %s: %v %+v", k, err, row)
		}
		if strings.HasPrefix(k, "mail:") {
			if id, _ := LeadIDFromResult(row.Result); id != leads[k] {
				t.Fatalf("row %s result %s, the portal's lead %d", k, row.Result, leads[k])
			}
		}
	}
}

// simOutbox is an outbox over a fresh state whose portal is the simulator
// (no limits) over HTTP through a batching client.
func simOutbox(t *testing.T, cfg Config) (*clock.Manual, *sim.Portal, *store.Store, *Outbox) {
	t.Helper()
	clk := clock.NewManual(t0)
	portal := sim.New(sim.Options{Clock: clk, NoLimits: true})
	t.Cleanup(portal.Close)
	srv := httptest.NewServer(portal)
	t.Cleanup(srv.Close)
	client, err := bitrix.New(bitrix.Config{WebhookURL: portal.WebhookURL(srv.URL),
		Timeout: 300 * time.Millisecond, MaxRetries: 1, Rate: 200, Burst: 50, RetryWait: time.Millisecond, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return clk, portal, st, New(st, client, clk, zerolog.Nop(), cfg)
}

// TestBatchedLookupFailsThenReadsOn: a batch of lookups that fails leaves
// its rows unknown, looked up again later; a lookup whose first page does
// not hold the write (55 comments came after it) reads the next page
// alone and finds it. Nothing is written twice.
func TestBatchedLookupFailsThenReadsOn(t *testing.T) {
	clk, portal, st, ob := simOutbox(t, Config{Jitter: -1})
	ctx := context.Background()
	portal.SeedLeads(2, nil)
	entries := []Entry{
		{DedupeKey: "mail:x", GroupKey: "a", Payload: LeadAdd{Origin: "mail:x", Fields: map[string]any{"TITLE": "x"}}},
		{DedupeKey: "comment:1", GroupKey: "c", Payload: Comment(LeadOf(1), "reply", nil)},
		{DedupeKey: "todo:2", GroupKey: "d", Payload: TodoAdd{OwnerTypeID: 1, OwnerID: LeadOf(2),
			Deadline: "2026-05-14T13:00:00+03:00", Description: "answer"}},
	}
	for _, e := range entries {
		if _, _, err := ob.Enqueue(ctx, nil, e); err != nil {
			t.Fatal(err)
		}
	}
	portal.SetFaults(sim.Faults{WriteDropRate: 1})
	if err := ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	portal.SetFaults(sim.Faults{})
	for i := range 55 { // staff comments after the lost one: it is on page 2 now
		if _, err := ob.portal.(*bitrix.Client).Do(ctx, bitrix.TimelineCommentAddCommand(bitrix.KnownID(1), "staff "+toString(i), nil)); err != nil {
			t.Fatal(err)
		}
	}

	portal.SetFaults(sim.Faults{Error500Rate: 1})
	clk.Advance(2 * time.Minute)
	if _, err := ob.RunOnce(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	portal.SetFaults(sim.Faults{})
	for _, e := range entries {
		row, err := st.OutboxRowByKey(ctx, e.DedupeKey)
		if err != nil || row.State != store.OutboxUnknown || row.LastError == "" || !row.NextAttemptAt.After(clk.Now()) {
			t.Fatalf("row %s after a failed lookup batch: %v %+v", e.DedupeKey, err, row)
		}
	}

	portal.ResetCalls()
	for range 20 {
		if err := ob.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		next, found, _ := st.NextOutboxDue(ctx)
		if !found {
			break
		}
		clk.Set(later(clk.Now().Add(time.Second), next))
	}
	calls := map[string]int{}
	for _, c := range portal.Calls() {
		calls[c.Method]++
	}
	if calls["batch"] != 1 || calls["crm.timeline.comment.list"] != 1 || len(calls) != 2 {
		t.Fatalf("requests of the lookups %v, want one batch and the comments' second page", calls)
	}
	for _, e := range entries {
		if row, err := st.OutboxRowByKey(ctx, e.DedupeKey); err != nil || row.State != store.OutboxDone {
			t.Fatalf("row %s: %v %+v", e.DedupeKey, err, row)
		}
	}
	marked := 0
	for _, c := range portal.Comments(1) {
		if strings.Contains(c.Text, Marker("comment:1")) {
			marked++
		}
	}
	if marked != 1 || portal.LeadCount() != 3 || len(portal.Todos()) != 1 {
		t.Fatalf("comments with the marker %d, leads %d, to-dos %d; want 1, 3, 1", marked, portal.LeadCount(), len(portal.Todos()))
	}
}
