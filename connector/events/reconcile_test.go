package events

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
)

var (
	moscow = time.FixedZone("MSK", 3*3600)
	t0     = time.Date(2026, 5, 14, 10, 0, 0, 0, moscow)
)

type reconcileEnv struct {
	portal *fakePortal
	state  *memState
	sink   *coreSink
	r      *Reconciler
}

func newReconcileEnv(t *testing.T) *reconcileEnv {
	t.Helper()
	e := &reconcileEnv{portal: newFakePortal(), state: newMemState()}
	e.sink = &coreSink{state: e.state, refuse: map[int]bool{}}
	r, err := NewReconciler(ReconcilerOptions{
		Client: e.portal, Sink: e.sink, Known: e.state, Cursor: e.state, OpenTickets: e.state,
		IsTicket: ticketTypes("B24D_TECH", "B24D_INCIDENT"), Location: moscow, Logger: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.r = r
	return e
}

func (e *reconcileEnv) run(t *testing.T, now time.Time) []int {
	t.Helper()
	e.sink.reset()
	if _, err := e.r.RunOnce(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	ids := e.sink.ids()
	slices.Sort(ids)
	return ids
}

func TestReconcileScopeAndDedupe(t *testing.T) {
	e := newReconcileEnv(t)
	e.portal.put(1, t0.Add(1*time.Second), "B24D_TECH", "")    // hand-made ticket
	e.portal.put(2, t0.Add(2*time.Second), "EMAIL", "b24desk") // b24desk's own
	e.portal.put(3, t0.Add(3*time.Second), "CALL", "")         // a sales lead
	e.portal.put(4, t0.Add(4*time.Second), "B24D_INCIDENT", "")
	e.portal.put(5, t0.Add(5*time.Second), "WEB", "") // a ticket retyped to a sales source
	e.state.known[4] = t0.Add(4 * time.Second)        // already processed
	e.state.known[5] = t0

	if got, want := e.run(t, t0.Add(time.Minute)), []int{1, 2, 5}; !slices.Equal(got, want) {
		t.Fatalf("first run delivered %v, want %v", got, want)
	}
	if mark, _, _ := e.state.Get(context.Background()); !mark.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("mark = %v, want the greatest DATE_MODIFY %v", mark, t0.Add(5*time.Second))
	}
	if got := e.run(t, t0.Add(2*time.Minute)); len(got) != 0 {
		t.Fatalf("nothing changed, yet the second run delivered %v", got)
	}
	// A missed event: lead 1 changes again; the sales lead changes too.
	e.portal.put(1, t0.Add(90*time.Second), "B24D_TECH", "")
	e.portal.put(3, t0.Add(91*time.Second), "CALL", "")
	if got, want := e.run(t, t0.Add(3*time.Minute)), []int{1}; !slices.Equal(got, want) {
		t.Fatalf("third run delivered %v, want %v", got, want)
	}
}

func TestReconcileFilterHasOffsetAndMargin(t *testing.T) {
	e := newReconcileEnv(t)
	_ = e.state.Set(context.Background(), t0.Add(5*time.Minute).In(time.UTC))
	e.run(t, t0.Add(10*time.Minute))
	got, _ := e.portal.filters[0][">=DATE_MODIFY"].(string)
	if want := "2026-05-14T10:04:00+03:00"; got != want {
		t.Fatalf("filter >=DATE_MODIFY = %q, want %q (mark − 60s, portal offset)", got, want)
	}
}

func TestReconcileFirstRunLooksBack(t *testing.T) {
	e := newReconcileEnv(t)
	e.portal.put(1, t0.Add(-23*time.Hour), "B24D_TECH", "")
	e.portal.put(2, t0.Add(-25*time.Hour), "B24D_TECH", "")
	if got, want := e.run(t, t0), []int{1}; !slices.Equal(got, want) {
		t.Fatalf("first run delivered %v, want %v", got, want)
	}
}

func TestReconcileManyLeadsInOneSecond(t *testing.T) {
	e := newReconcileEnv(t)
	var want []int
	for id := 1; id <= 137; id++ { // a bulk import: 137 leads in one second
		e.portal.put(id, t0, "B24D_TECH", "")
		want = append(want, id)
	}
	for id := 200; id < 260; id++ {
		e.portal.put(id, t0.Add(time.Duration(id)*time.Second), "B24D_TECH", "")
		want = append(want, id)
	}
	got := e.run(t, t0.Add(time.Hour))
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %d changes (%v...), want each of %d exactly once", len(got), got[:min(5, len(got))], len(want))
	}
}

// A lead modified while the scan runs moves to the end of the order; an
// offset-paged scan would then skip the row that slid into its place.
func TestReconcileLeadModifiedDuringScan(t *testing.T) {
	e := newReconcileEnv(t)
	var want []int
	for id := 1; id <= 120; id++ {
		e.portal.put(id, t0.Add(time.Duration(id)*time.Second), "B24D_TECH", "")
		want = append(want, id)
	}
	e.portal.onList = func(n int) {
		if n == 2 { // after the first page: lead 10 (seen) is edited
			e.portal.put(10, t0.Add(time.Hour), "B24D_TECH", "")
		}
	}
	got := e.run(t, t0.Add(2*time.Hour))
	seen := map[int]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if seen[id] == 0 {
			t.Fatalf("lead %d was skipped by the scan", id)
		}
	}
	if seen[10] != 2 {
		t.Fatalf("lead 10 delivered %d times, want 2 (before and after its edit)", seen[10])
	}
}

func TestReconcileSinkRefusalKeepsTheRow(t *testing.T) {
	e := newReconcileEnv(t)
	for id := 1; id <= 5; id++ {
		e.portal.put(id, t0.Add(time.Duration(id)*time.Minute), "B24D_TECH", "")
	}
	e.sink.refuse[3] = true
	_, err := e.r.RunOnce(context.Background(), t0.Add(time.Hour))
	if err == nil {
		t.Fatal("no error when the sink refused a change")
	}
	if got := e.sink.ids(); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("delivered %v before the refusal, want [1 2]", got)
	}
	if mark, _, _ := e.state.Get(context.Background()); !mark.Equal(t0.Add(2 * time.Minute)) {
		t.Fatalf("mark = %v, want %v (the last accepted row)", mark, t0.Add(2*time.Minute))
	}
	delete(e.sink.refuse, 3)
	if got, want := e.run(t, t0.Add(2*time.Hour)), []int{3, 4, 5}; !slices.Equal(got, want) {
		t.Fatalf("after the refusal ended: delivered %v, want %v", got, want)
	}
}

func TestReconcilePortalErrorKeepsMark(t *testing.T) {
	e := newReconcileEnv(t)
	_ = e.state.Set(context.Background(), t0)
	e.portal.onList = func(int) {}
	failing := &failingClient{err: &bitrix.APIError{Status: 503, Code: "QUERY_LIMIT_EXCEEDED", Method: "crm.lead.list", Kind: bitrix.ErrRateLimited}}
	e.r.o.Client = failing
	_, err := e.r.RunOnce(context.Background(), t0.Add(time.Hour))
	if !errors.Is(err, bitrix.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited wrapped", err)
	}
	if mark, _, _ := e.state.Get(context.Background()); !mark.Equal(t0) {
		t.Fatalf("mark moved to %v on a failed scan", mark)
	}
}

// failingClient fails every call with err.
type failingClient struct{ err error }

func (f *failingClient) LeadList(context.Context, bitrix.ListOptions) ([]bitrix.Lead, *int, error) {
	return nil, nil, f.err
}

func (f *failingClient) LeadGet(context.Context, int64) (*bitrix.Lead, error) { return nil, f.err }

func (f *failingClient) EventOfflineGet(context.Context, bitrix.OfflineQuery) (bitrix.OfflineEvents, error) {
	return bitrix.OfflineEvents{}, f.err
}

func (f *failingClient) EventOfflineClear(context.Context, string, []int64) error { return f.err }

func (f *failingClient) EventOfflineError(context.Context, string, []string) error { return f.err }

func TestSweep(t *testing.T) {
	e := newReconcileEnv(t)
	now := t0.Add(time.Hour)
	for id := 1; id <= 120; id++ {
		e.portal.put(id, t0, "B24D_TECH", "")
		e.state.known[id] = t0
		e.state.open = append(e.state.open, id)
	}
	e.portal.remove(7)
	e.portal.remove(77)
	e.portal.put(8, t0.Add(time.Minute), "B24D_TECH", "") // an edit whose event was lost
	n, err := e.r.Sweep(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for _, c := range e.sink.changes {
		got[c.LeadID] = c.Event
	}
	want := map[int]string{7: EventDeleted, 77: EventDeleted, 8: EventSweep}
	if n != 3 || len(got) != 3 || got[7] != want[7] || got[77] != want[77] || got[8] != want[8] {
		t.Fatalf("sweep found %d: %v, want %v", n, got, want)
	}
	lists := strings.Count(strings.Join(e.portal.calls, " "), "crm.lead.list")
	if lists != 3 {
		t.Fatalf("%d list requests for 120 tickets, want 3", lists)
	}
}

func TestSweepDoesNotGuessOnOtherErrors(t *testing.T) {
	e := newReconcileEnv(t)
	e.state.open = []int{1, 2}
	e.portal.put(1, t0, "B24D_TECH", "")
	e.state.known[1] = t0
	e.portal.getErr[2] = &bitrix.APIError{Status: 403, Code: "ACCESS_DENIED", Method: "crm.lead.get", Kind: bitrix.ErrAccessDenied}
	_, err := e.r.Sweep(context.Background(), t0)
	if !errors.Is(err, bitrix.ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
	if len(e.sink.changes) != 0 {
		t.Fatalf("sink got %v; a lead hidden by access rights is not deleted", e.sink.changes)
	}
}
