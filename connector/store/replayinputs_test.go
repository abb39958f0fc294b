package store

import (
	"context"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

// TestReplayInputsFollowHistory keeps a mail ticket's classification
// inputs by origin, reads them back by lead ID for the period, and prunes
// them only once the ticket's history is gone (or when no lead was ever
// made from them).
func TestReplayInputsFollowHistory(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		origin, input string
	}{{"mail:a", `{"v":1,"subject":"first"}`}, {"mail:a", `{"v":1,"subject":"again"}`}, {"mail:orphan", `{"v":1}`}} {
		if err := s.PutReplayInput(ctx, r.origin, t0, []byte(r.input)); err != nil {
			t.Fatal(err)
		}
	}
	tk := ticket.Ticket{LeadID: 5, OriginID: "mail:a", Type: "TECH", Status: "NEW", CreatedAt: t0}
	if err := s.UpsertTicket(ctx, tk, t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReplayInputs(ctx, t0.AddDate(0, 0, -1), t0.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[5]) != `{"v":1,"subject":"first"}` {
		t.Errorf("inputs = %v, want lead 5's first record", got)
	}
	if got, _ := s.ReplayInputs(ctx, t0.Add(time.Hour), time.Time{}); len(got) != 0 {
		t.Errorf("inputs after the ticket's creation = %v", got)
	}
	year := 365 * 24 * time.Hour
	later := t0.Add(2 * year)
	if n, err := s.PruneReplayInputs(ctx, later, year); err != nil || n != 1 {
		t.Fatalf("prune while the history is kept: %d, %v (want the orphan only)", n, err)
	}
	if got, _ := s.ReplayInputs(ctx, time.Time{}, time.Time{}); len(got) != 1 {
		t.Errorf("inputs of a ticket with history pruned: %v", got)
	}
	tk.Status, tk.ClosedAt = "PROCESSED", t0.Add(time.Hour)
	if err := s.UpsertTicket(ctx, tk, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PruneHistory(ctx, later, year); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneReplayInputs(ctx, later, year); err != nil || n != 1 {
		t.Fatalf("prune after the history: %d, %v", n, err)
	}
	if got, _ := s.ReplayInputs(ctx, time.Time{}, time.Time{}); len(got) != 0 {
		t.Errorf("inputs left: %v", got)
	}
}
