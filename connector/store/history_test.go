package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

// TestHistoryFollowsTicket saves a ticket through its life and checks the
// lasting record: targets with deadlines and met times, the next-response
// cycles opened by customer replies, pauses, escalations, close, reopen.
func TestHistoryFollowsTicket(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	tk := ticket.Ticket{LeadID: 7, Type: "TECH", Tier: "partner", Policy: "std", Assignee: 3, Status: "NEW",
		Requester: "Ann <ann@Example.RU>", CreatedAt: t0, FirstResponseDue: at(2), ResolutionDue: at(8)}
	save := func(now time.Time) {
		t.Helper()
		if err := s.WithTx(ctx, func(tx *Tx) error { return tx.UpsertTicket(ctx, tk, now) }); err != nil {
			t.Fatal(err)
		}
	}
	save(t0)
	tk.Assignee = 5
	save(at(1))
	tk.Status, tk.FirstResponseMet = "IN_PROCESS", at(3) // late: breached
	save(at(3))
	tk.Status, tk.PausedSince = "WAIT", at(4)
	save(at(4))
	tk.Status, tk.PausedSince, tk.PausedTotal = "IN_PROCESS", time.Time{}, 90*time.Minute
	tk.ResolutionDue = at(10) // pushed by the pause
	save(at(5))
	if err := s.WithTx(ctx, func(tx *Tx) error { return tx.CustomerReplyHistory(ctx, 7, at(6)) }); err != nil {
		t.Fatal(err)
	}
	tk.NextResponseDue = at(7)
	save(at(6))
	if _, err := s.MarkStepDone(ctx, StepDone{LeadID: 7, Target: "resolution", Step: "std/resolution/0", DoneAt: at(6)}); err != nil {
		t.Fatal(err)
	}
	tk.NextResponseMet = at(7)
	tk.Status, tk.ClosedAt, tk.ResolutionMet = "CONVERTED", at(9), at(9)
	save(at(9))
	tk.Status, tk.ClosedAt, tk.ResolutionMet = "NEW", time.Time{}, time.Time{}
	save(at(10))

	h, err := s.HistoryTicket(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if h.SenderDomain != "example.ru" || h.Assignee != 5 || h.Reopens != 1 || !h.ClosedAt.IsZero() || h.Stage != "NEW" {
		t.Errorf("record = %+v", h)
	}
	want := []HistoryTarget{
		{Target: TargetFirstResponse, Cycle: 1, Start: t0, Due: at(2), Met: at(3)},
		{Target: TargetNextResponse, Cycle: 1, Start: at(6), Due: at(7), Met: at(7)},
		{Target: TargetResolution, Cycle: 1, Start: t0, Due: at(10)},
	}
	if len(h.Targets) != len(want) {
		t.Fatalf("targets = %+v", h.Targets)
	}
	for i, w := range want {
		g := h.Targets[i]
		if g.Target != w.Target || g.Cycle != w.Cycle || !g.Start.Equal(w.Start) || !g.Due.Equal(w.Due) || !g.Met.Equal(w.Met) {
			t.Errorf("target %d = %+v, want %+v", i, g, w)
		}
	}
	var kinds []string
	for _, e := range h.Events {
		kinds = append(kinds, e.Kind+":"+e.Value+"@"+e.At.Sub(t0).String())
	}
	wantKinds := []string{"created:@0s", "type:TECH@0s", "tier:partner@0s", "policy:std@0s", "assignee:3@0s",
		"stage:NEW@0s", "assignee:5@1h0m0s", "stage:IN_PROCESS@3h0m0s", "answered:first_response@3h0m0s",
		"stage:WAIT@4h0m0s", "paused:@4h0m0s", "stage:IN_PROCESS@5h0m0s", "resumed:@5h30m0s",
		"customer_reply:@6h0m0s", "escalation:std/resolution/0@6h0m0s", "answered:next_response@7h0m0s",
		"stage:CONVERTED@9h0m0s", "closed:CONVERTED@9h0m0s", "stage:NEW@10h0m0s", "reopened:@10h0m0s"}
	if len(kinds) != len(wantKinds) {
		t.Fatalf("events:\n%v\nwant\n%v", kinds, wantKinds)
	}
	for i := range kinds {
		if kinds[i] != wantKinds[i] {
			t.Errorf("event %d = %s, want %s", i, kinds[i], wantKinds[i])
		}
	}

	// Retention: a record closed long ago goes, an open one stays.
	old := ticket.Ticket{LeadID: 8, Type: "TECH", CreatedAt: t0, Status: "CONVERTED", ClosedAt: at(1)}
	if err := s.UpsertTicket(ctx, old, at(1)); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneHistory(ctx, at(1).Add(400*24*time.Hour), 395*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if _, err := s.HistoryTicket(ctx, 8); !errors.Is(err, ErrNotFound) {
		t.Errorf("closed record kept: %v", err)
	}
	if _, err := s.HistoryTicket(ctx, 7); err != nil {
		t.Errorf("open record pruned: %v", err)
	}
	list, err := s.History(ctx, at(-24), at(24))
	if err != nil || len(list) != 1 || list[0].LeadID != 7 || len(list[0].Events) != len(wantKinds) {
		t.Errorf("History = %d records, %v", len(list), err)
	}
}

// BenchmarkUpsertTicketHistory measures one save of a changed ticket (a
// stage change and a met target), the ticket row and its history diff, in
// its own transaction as the desk engine does.
func BenchmarkUpsertTicketHistory(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir(), nopLog())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tk := ticket.Ticket{LeadID: 1, Type: "T", Policy: "p", Status: "NEW", CreatedAt: t0, FirstResponseDue: t0.Add(time.Hour)}
	if err := s.UpsertTicket(ctx, tk, t0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		tk.Status = []string{"NEW", "IN_PROCESS"}[i%2]
		tk.FirstResponseMet = t0.Add(time.Duration(i) * time.Second)
		if err := s.WithTx(ctx, func(tx *Tx) error { return tx.UpsertTicket(ctx, tk, t0) }); err != nil {
			b.Fatal(err)
		}
	}
}
