package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/events"
)

// simCore stands in for the daemon core: it fetches each changed lead, keeps
// tickets (by the scope rule) and remembers their DATE_MODIFY; it counts
// what it was handed and what it treated as a ticket.
type simCore struct {
	client *bitrix.Client
	mu     sync.Mutex
	known  map[int]time.Time
	open   map[int]bool
	seen   []events.Change
	mark   time.Time
	marked bool
}

func isTicket(source, originator string) bool {
	return originator == "b24desk" || source == "B24D_TECH" || source == "B24D_INCIDENT"
}

func (c *simCore) LeadChanged(ctx context.Context, ch events.Change) error {
	resp, err := c.client.Call(ctx, "crm.lead.get", map[string]any{"id": ch.LeadID})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, ch)
	if errors.Is(err, bitrix.ErrNotFound) {
		delete(c.open, ch.LeadID)
		return nil
	}
	if err != nil {
		return err
	}
	var lead struct {
		SourceID     string          `json:"SOURCE_ID"`
		OriginatorID string          `json:"ORIGINATOR_ID"`
		DateModify   bitrix.FlexTime `json:"DATE_MODIFY"`
	}
	if err := json.Unmarshal(resp.Result, &lead); err != nil {
		return err
	}
	if !isTicket(lead.SourceID, lead.OriginatorID) && !c.open[ch.LeadID] {
		return nil
	}
	c.known[ch.LeadID] = lead.DateModify.Time
	c.open[ch.LeadID] = true
	return nil
}

func (c *simCore) LastDateModify(_ context.Context, id int) (time.Time, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.known[id]
	return t, ok, nil
}

func (c *simCore) OpenTicketIDs(context.Context) ([]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []int
	for id := range c.open {
		ids = append(ids, id)
	}
	return ids, nil
}

func (c *simCore) Get(context.Context) (time.Time, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mark, c.marked, nil
}

func (c *simCore) Set(_ context.Context, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mark, c.marked = t, true
	return nil
}

// changes returns and forgets what the core was handed.
func (c *simCore) changes() []events.Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.seen
	c.seen = nil
	return out
}

// dropper loses the deliveries it is told to, answering 503 like a proxy in
// front of a stopped daemon.
type dropper struct {
	next http.Handler
	drop atomic.Bool
}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.drop.Load() {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	d.next.ServeHTTP(w, r)
}

func TestEndToEndWithSimulator(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC))
	portal := sim.New(sim.Options{Clock: clk, NoLimits: true, EventDelay: time.Millisecond})
	t.Cleanup(portal.Close)
	portalSrv := httptest.NewServer(portal)
	t.Cleanup(portalSrv.Close)
	client, err := bitrix.New(bitrix.Config{WebhookURL: portal.WebhookURL(portalSrv.URL), Rate: 1000, Burst: 1000, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	core := &simCore{client: client, known: map[int]time.Time{}, open: map[int]bool{}}

	queue := events.NewMemoryQueue()
	worker, err := events.NewWorker(events.WorkerOptions{Queue: queue, Sink: core, Clock: clk, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	h, err := events.NewHandler(events.HandlerOptions{Token: portal.AppToken(), Recorder: queue, Clock: clk, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	gate := &dropper{next: h}
	evSrv := httptest.NewServer(gate)
	t.Cleanup(evSrv.Close)
	portal.AddOutgoingWebhook(evSrv.URL+events.Path, events.EventLeadAdd, events.EventLeadUpdate, events.EventLeadDelete)

	rec, err := events.NewReconciler(events.ReconcilerOptions{Client: client, Sink: core, Known: core, Cursor: core,
		OpenTickets: core, IsTicket: isTicket, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}

	add := func(fields map[string]any) int {
		t.Helper()
		resp, err := client.Call(ctx, "crm.lead.add", map[string]any{"fields": fields})
		if err != nil {
			t.Fatal(err)
		}
		var id bitrix.FlexInt
		if err := json.Unmarshal(resp.Result, &id); err != nil {
			t.Fatal(err)
		}
		return int(id)
	}
	delivered := 0
	waitDeliveries := func(n int) {
		t.Helper()
		delivered += n
		deadline := time.Now().Add(10 * time.Second)
		for len(portal.Deliveries()) < delivered {
			if time.Now().After(deadline) {
				t.Fatalf("%d event deliveries, want %d", len(portal.Deliveries()), delivered)
			}
			time.Sleep(2 * time.Millisecond)
		}
		if _, err := worker.DrainOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// 1. A ticket and a sales lead arrive through events.
	ticket := add(map[string]any{"TITLE": "Карта не грузится", "SOURCE_ID": "B24D_TECH"})
	sales := add(map[string]any{"TITLE": "Хочу купить", "SOURCE_ID": "CALL"})
	waitDeliveries(2)
	if got := core.changes(); len(got) != 2 {
		t.Fatalf("core got %v, want the two add events", got)
	}
	if !core.open[ticket] || core.open[sales] {
		t.Fatalf("open tickets %v: want %d only", core.open, ticket)
	}

	// 2. Reconcile after events: nothing to do.
	clk.Advance(30 * time.Second)
	if n, err := rec.RunOnce(ctx, clk.Now()); err != nil || n != 0 {
		t.Fatalf("reconcile after delivered events: %d changes, err %v; want 0", n, err)
	}

	// 3. An update whose event is dropped is recovered by reconcile; the
	// sales lead's change never reaches the core from reconcile.
	gate.drop.Store(true)
	clk.Advance(time.Minute)
	if err := portal.SetLeadFields(ticket, map[string]any{"STATUS_ID": "IN_PROCESS"}); err != nil {
		t.Fatal(err)
	}
	if err := portal.SetLeadFields(sales, map[string]any{"STATUS_ID": "IN_PROCESS"}); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(2)
	if got := core.changes(); len(got) != 0 {
		t.Fatalf("dropped events reached the core: %v", got)
	}
	clk.Advance(30 * time.Second)
	n, err := rec.RunOnce(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := core.changes()
	if n != 1 || len(got) != 1 || got[0].LeadID != ticket || got[0].Event != events.EventReconcile {
		t.Fatalf("reconcile found %d: %+v; want the ticket %d only", n, got, ticket)
	}
	if n, _ := rec.RunOnce(ctx, clk.Now()); n != 0 {
		t.Fatalf("a second reconcile found %d changes, want 0", n)
	}

	// 4. A ticket deleted while its event is lost is found by the sweep.
	if err := portal.DeleteLead(ticket); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(1)
	gate.drop.Store(false)
	n, err = rec.Sweep(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	got = core.changes()
	if n != 1 || len(got) != 1 || got[0].LeadID != ticket || got[0].Event != events.EventDeleted {
		t.Fatalf("sweep found %d: %+v; want ticket %d deleted", n, got, ticket)
	}
	if core.open[ticket] {
		t.Fatal("the deleted ticket is still open")
	}
}
