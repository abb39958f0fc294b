package events

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/store"
)

// TestStoreQueueSurvivesRestart: a recorded change is drained after the
// state is closed and opened again; a refused one comes back after its
// backoff; a repeated delivery is not queued twice.
func TestStoreQueueSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	q := StoreQueue{Store: st}
	t0 := time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)
	for _, key := range []string{"k1", "k1", "k2"} {
		if _, err := q.Record(ctx, Change{LeadID: 5, Event: EventLeadUpdate, At: t0}, key); err != nil {
			t.Fatal(err)
		}
	}
	_ = st.Close()

	st, err = store.Open(ctx, dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q = StoreQueue{Store: st}
	got, err := q.Pending(ctx, t0, 10)
	if err != nil || len(got) != 2 || got[0].Change.LeadID != 5 || got[0].Change.Event != EventLeadUpdate {
		t.Fatalf("pending after reopen: %+v %v", got, err)
	}
	if err := q.Done(ctx, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := q.Retry(ctx, got[1].ID, t0.Add(time.Minute), "refused"); err != nil {
		t.Fatal(err)
	}
	if p, _ := q.Pending(ctx, t0.Add(30*time.Second), 10); len(p) != 0 {
		t.Fatalf("due before its retry: %+v", p)
	}
	if p, _ := q.Pending(ctx, t0.Add(time.Minute), 10); len(p) != 1 || p[0].Attempts != 1 {
		t.Fatalf("after retry: %+v", p)
	}
}
