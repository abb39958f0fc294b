package desk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/events"
)

// burst makes n mail tickets, then changes each lead as staff do (every
// third one's stage, the others' assignee) and queues the update events.
func (e *env) burst(q *events.MemoryQueue, n int) []int64 {
	e.t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = e.mailTicket("enterprise", 11)
	}
	e.clk.Set(e.clk.Now().Add(20 * time.Minute))
	for i, id := range ids {
		fields := map[string]any{"ASSIGNED_BY_ID": 12 + i%2}
		if i%3 == 0 {
			fields = map[string]any{"STATUS_ID": "B24D_WAIT"}
		}
		if err := e.portal.SetLeadFields(int(id), fields); err != nil {
			e.t.Fatal(err)
		}
		e.queue(q, id, events.EventLeadUpdate)
	}
	return ids
}

// serveVia serves the simulator through h (nil: as is) to a client whose
// own limiter does not slow the test's many requests down (the simulator
// counts them), and rebuilds the engine on it.
func (e *env) serveVia(h http.Handler) {
	e.t.Helper()
	if h == nil {
		h = e.portal
	}
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	var err error
	e.client, err = bitrix.New(bitrix.Config{WebhookURL: e.portal.WebhookURL(srv.URL), Logger: zerolog.Nop(),
		MaxRetries: -1, Clock: e.clk, Rate: 1000, Burst: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	e.restart()
}

func (e *env) queue(q *events.MemoryQueue, id int64, event string) {
	e.t.Helper()
	c := events.Change{LeadID: int(id), Event: event, At: e.clk.Now()}
	if _, err := q.Record(context.Background(), c, event+":"+strconv.FormatInt(id, 10)+":"+e.clk.Now().String()); err != nil {
		e.t.Fatal(err)
	}
}

// drain runs the events worker once over the queue into sink, then
// delivers the writes; batches and single count the requests that read
// the leads (before the writes, which go in batch requests too).
func (e *env) drain(q *events.MemoryQueue, sink events.Sink) (accepted, batches, single int) {
	e.t.Helper()
	w, err := events.NewWorker(events.WorkerOptions{Queue: q, Sink: sink, Clock: e.clk, Logger: zerolog.Nop()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.portal.ResetCalls()
	n, err := w.DrainOnce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	batches, single = e.reads()
	e.flush()
	return n, batches, single
}

// reads counts the requests that read leads: batch requests and single
// crm.lead.get, as the simulator received them.
func (e *env) reads() (batches, single int) {
	for _, c := range e.portal.Calls() {
		switch c.Method {
		case "batch":
			batches++
		case "crm.lead.get":
			single++
		}
	}
	return batches, single
}

// TestChangesReadTogether: 60 staff changes queued (one lead deleted
// meanwhile, one more lead's delete event among them) are read in two batch
// requests (50 + 10 crm.lead.get) and leave every ticket as reading them
// one by one does.
func TestChangesReadTogether(t *testing.T) {
	const n = 60
	run := func(together bool) (*env, []int64, int, int) {
		e := newEnv(t, at(10, 10, 0))
		e.serveVia(nil)
		q := events.NewMemoryQueue()
		ids := e.burst(q, n)
		if err := e.portal.DeleteLead(int(ids[7])); err != nil { // gone before the drain
			t.Fatal(err)
		}
		if err := e.portal.DeleteLead(int(ids[8])); err != nil {
			t.Fatal(err)
		}
		e.queue(q, ids[8], events.EventLeadDelete)
		var sink events.Sink = e.eng
		if !together {
			sink = events.SinkFunc(e.eng.LeadChanged) // no Prefetcher: one read per change
		}
		got, b, s := e.drain(q, sink)
		if got != n+1 {
			t.Fatalf("together=%v: %d changes accepted, want %d", together, got, n+1)
		}
		return e, ids, b, s
	}
	one, ids, b, s := run(false)
	if b != 0 || s != n {
		t.Fatalf("one by one: %d batch and %d crm.lead.get requests, want 0 and %d", b, s, n)
	}
	all, _, b, s := run(true)
	if b != 2 || s != 0 {
		t.Fatalf("together: %d batch and %d crm.lead.get requests, want 2 and 0", b, s)
	}
	for i, id := range ids {
		got, want := all.ticket(id), one.ticket(id)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("lead %d: ticket\n%+v\nread one by one\n%+v", id, got, want)
		}
		switch {
		case i == 7 || i == 8:
			if !got.Deleted {
				t.Errorf("lead %d deleted in the portal: ticket not closed", id)
			}
		case i%3 == 0:
			if got.Status != "B24D_WAIT" || got.PausedSince.IsZero() {
				t.Errorf("lead %d: status %q paused %v", id, got.Status, got.PausedSince)
			}
		default:
			if got.Assignee != int64(12+i%2) {
				t.Errorf("lead %d: assignee %d", id, got.Assignee)
			}
		}
	}
}

// tamper sits between the client and the simulator and spoils the answers
// of one lead's crm.lead.get inside batch requests: refused (ACCESS_DENIED
// in result_error) or garbled (a result that is no lead).
type tamper struct {
	next http.Handler
	mu   sync.Mutex
	keys map[string]string // command key → "refuse" or "garble"
}

func (p *tamper) set(keys map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = keys
}

func (p *tamper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	p.mu.Lock()
	keys := p.keys
	p.mu.Unlock()
	if strings.Contains(r.URL.Path, "/batch") && len(keys) > 0 {
		var ans map[string]any
		if json.Unmarshal(body, &ans) == nil {
			sec, _ := ans["result"].(map[string]any)
			res, _ := sec["result"].(map[string]any)
			errs, _ := sec["result_error"].(map[string]any)
			if errs == nil {
				errs = map[string]any{}
				sec["result_error"] = errs
			}
			for k, how := range keys {
				if _, ok := res[k]; !ok {
					continue
				}
				if how == "refuse" {
					delete(res, k)
					errs[k] = map[string]any{"error": "ACCESS_DENIED", "error_description": "Access denied."}
				} else {
					res[k] = "garbled"
				}
			}
			body, _ = json.Marshal(ans)
		}
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(bytes.Clone(body))
}

// TestChangesReadTogetherOneBadResult: one lead's read refused and another's
// garbled inside the batch: the other changes are applied, those two stay
// queued and are applied when retried.
func TestChangesReadTogetherOneBadResult(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	proxy := &tamper{next: e.portal}
	e.serveVia(proxy) // the engine reads through the proxy
	q := events.NewMemoryQueue()
	ids := e.burst(q, 10)
	refused, garbled := ids[3], ids[4] // stage changes: i%3 == 0 for 3; assignee for 4
	key := func(id int64) string { return "lead_" + strconv.FormatInt(id, 10) }
	proxy.set(map[string]string{key(refused): "refuse", key(garbled): "garble"})
	got, b, s := e.drain(q, e.eng)
	if got != 8 {
		t.Fatalf("%d changes accepted, want 8", got)
	}
	if b != 1 || s != 0 {
		t.Fatalf("%d batch and %d crm.lead.get requests, want 1 and 0", b, s)
	}
	if q.Len() != 2 {
		t.Fatalf("%d changes still queued, want the 2 spoilt ones", q.Len())
	}
	if got := e.ticket(ids[5]).Assignee; got != 13 {
		t.Fatalf("lead %d beside the spoilt ones: assignee %d, want 13", ids[5], got)
	}
	if got := e.ticket(refused).Status; got == "B24D_WAIT" {
		t.Fatalf("refused read applied: status %q", got)
	}
	if got := e.ticket(garbled).Assignee; got != 11 {
		t.Fatalf("garbled read applied: assignee %d", got)
	}

	proxy.set(nil)
	e.clk.Set(e.clk.Now().Add(2 * time.Second)) // past the first retry's wait
	if got, _, _ := e.drain(q, e.eng); got != 2 {
		t.Fatalf("retry: %d changes accepted, want 2", got)
	}
	if got := e.ticket(refused).Status; got != "B24D_WAIT" {
		t.Fatalf("refused read retried: status %q", got)
	}
	if got := e.ticket(garbled).Assignee; got != 12 {
		t.Fatalf("garbled read retried: assignee %d", got)
	}
}

// TestEchoesNotReadTogether: the leads whose queued changes are all echoes
// of b24desk's own writes, or deletes, are not read with the others: with
// one lead left to read it is read alone, as before.
func TestEchoesNotReadTogether(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	e.skipEchoes = true
	e.serveVia(nil)
	q := events.NewMemoryQueue()
	var ids []int64
	for range 4 {
		ids = append(ids, e.mailTicket("enterprise", 11)) // each expects the echo of its SLA write
	}
	e.clk.Set(e.clk.Now().Add(time.Minute))
	e.queue(q, ids[0], events.EventLeadUpdate) // echoes only
	e.queue(q, ids[1], events.EventLeadUpdate)
	e.queue(q, ids[2], events.EventLeadUpdate) // the echo, then a staff change
	if err := e.portal.SetLeadFields(int(ids[2]), map[string]any{"STATUS_ID": "IN_PROCESS"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(e.clk.Now().Add(time.Second))
	e.queue(q, ids[2], events.EventLeadUpdate)
	if err := e.portal.DeleteLead(int(ids[3])); err != nil {
		t.Fatal(err)
	}
	e.queue(q, ids[3], events.EventLeadDelete)
	got, b, s := e.drain(q, e.eng)
	if got != 5 {
		t.Fatalf("%d changes accepted, want 5", got)
	}
	if b != 0 || s != 1 {
		t.Fatalf("%d batch and %d crm.lead.get requests, want 0 and 1: echoes or a delete were read", b, s)
	}
	if st := e.ticket(ids[2]).Status; st != "IN_PROCESS" {
		t.Fatalf("staff change after the echo: status %q", st)
	}
	if !e.ticket(ids[3]).Deleted {
		t.Fatal("deleted lead's ticket not closed")
	}
}

// TestReconcileAndSweepReadTogether: 60 changed tickets found by reconcile
// (pages of 50 and 10) and then by the sweep are read with one batch
// request per page, not one crm.lead.get each, and applied.
func TestReconcileAndSweepReadTogether(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	e.serveVia(nil)
	ids := e.burst(events.NewMemoryQueue(), 60) // the events are lost: reconcile finds the changes
	state := events.StoreState{Store: e.st}
	r, err := events.NewReconciler(events.ReconcilerOptions{Client: e.client, Sink: e.eng, Known: state, Cursor: state,
		OpenTickets: state, Logger: zerolog.Nop(),
		IsTicket: func(source, originator string) bool { return originator == "b24desk" || e.rules.IsTicketSource(source) }})
	if err != nil {
		t.Fatal(err)
	}
	count := func() (batches, single, lists int) {
		batches, single = e.reads()
		for _, c := range e.portal.Calls() {
			if c.Method == "crm.lead.list" {
				lists++
			}
		}
		return batches, single, lists
	}
	e.portal.ResetCalls()
	found, err := r.RunOnce(context.Background(), e.clk.Now())
	if err != nil || found != 60 {
		t.Fatalf("reconcile found %d, %v; want 60", found, err)
	}
	if b, s, l := count(); b != 2 || s != 0 {
		t.Fatalf("reconcile: %d list pages, %d batch and %d crm.lead.get requests; want a batch for each of the 2 pages with changes", l, b, s)
	}
	e.flush()
	for i, id := range ids {
		if tk := e.ticket(id); i%3 != 0 && tk.Assignee != int64(12+i%2) {
			t.Fatalf("lead %d: assignee %d", id, tk.Assignee)
		}
	}

	for _, id := range ids {
		if err := e.portal.SetLeadFields(int(id), map[string]any{"ASSIGNED_BY_ID": 41}); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Set(e.clk.Now().Add(time.Minute))
	e.portal.ResetCalls()
	found, err = r.Sweep(context.Background(), e.clk.Now())
	if err != nil || found != 60 {
		t.Fatalf("sweep found %d, %v; want 60", found, err)
	}
	if b, s, l := count(); b != 2 || s != 0 || l != 2 {
		t.Fatalf("sweep: %d list pages, %d batch and %d crm.lead.get requests; want 2, 2, 0", l, b, s)
	}
	e.flush()
	for _, id := range ids {
		if tk := e.ticket(id); tk.Assignee != 41 {
			t.Fatalf("lead %d after the sweep: assignee %d", id, tk.Assignee)
		}
	}
}
