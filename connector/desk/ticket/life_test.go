package ticket_test

import (
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/rules"
)

// TestLife walks a ticket through its transitions: answered, waiting
// (paused), the customer's reply (resumed, on_customer_reply stage),
// closed (resolution met, clock stopped), a reply within the reopen
// window (reopened) and one after it (stays closed).
func TestLife(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	r, _, err := rules.Load("../../../config/rules.example.yaml", t0)
	if err != nil {
		t.Fatal(err)
	}
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	tk := ticket.Ticket{LeadID: 1, Status: "NEW", CreatedAt: t0, NextDueAt: at(2)}
	tl := rules.Timeline{Created: t0}

	tk.EnterStage(r, &tl, "IN_PROCESS", at(1))
	if !tk.FirstResponseMet.Equal(at(1)) || !tk.NextResponseMet.IsZero() {
		t.Fatalf("answered: first %v next %v", tk.FirstResponseMet, tk.NextResponseMet)
	}
	tk.EnterStage(r, &tl, "B24D_WAIT", at(2))
	if !tk.PausedSince.Equal(at(2)) || len(tl.Paused) != 1 || !tl.Paused[0].End.IsZero() {
		t.Fatalf("waiting: paused since %v, spans %v", tk.PausedSince, tl.Paused)
	}
	if p := tk.CustomerReplied(r, &tl, at(5), 14*24*time.Hour); p.Fields["STATUS_ID"] != "IN_PROCESS" || tk.Status != "IN_PROCESS" {
		t.Fatalf("reply while waiting: plan %+v, status %q", p, tk.Status)
	}
	if !tk.PausedSince.IsZero() || tk.PausedTotal != 3*time.Hour || !tl.Paused[0].End.Equal(at(5)) || !tl.CustomerReply.Equal(at(5)) {
		t.Fatalf("resumed: paused since %v total %v spans %v reply %v", tk.PausedSince, tk.PausedTotal, tl.Paused, tl.CustomerReply)
	}
	tk.Answered(&tl, at(6))
	if !tk.FirstResponseMet.Equal(at(1)) || !tk.NextResponseMet.Equal(at(6)) {
		t.Fatalf("answered again: first %v next %v", tk.FirstResponseMet, tk.NextResponseMet)
	}
	tk.EnterStage(r, &tl, "PROCESSED", at(7))
	if !tk.ClosedAt.Equal(at(7)) || !tk.ResolutionMet.Equal(at(7)) || !tk.NextDueAt.IsZero() {
		t.Fatalf("closed: %+v", tk)
	}
	late := tk
	if p := late.CustomerReplied(r, &rules.Timeline{}, at(7+15*24), 14*24*time.Hour); p.Fields != nil || late.ClosedAt.IsZero() {
		t.Errorf("reply after the reopen window: plan %+v, closed %v", p, late.ClosedAt)
	}
	if p := tk.CustomerReplied(r, &tl, at(8), 14*24*time.Hour); p.Fields["STATUS_ID"] != "IN_PROCESS" || p.Why != "reply:IN_PROCESS" ||
		!tk.ClosedAt.IsZero() || !tk.ResolutionMet.IsZero() {
		t.Errorf("reply within the reopen window: plan %+v, closed %v, resolution %v", p, tk.ClosedAt, tk.ResolutionMet)
	}
	tk.NextDueAt = at(9)
	tk.Delete(at(8))
	if !tk.Deleted || !tk.ClosedAt.Equal(at(8)) || !tk.NextDueAt.IsZero() {
		t.Errorf("deleted: %+v", tk)
	}
	late.Delete(at(7 + 16*24))
	if !late.ClosedAt.Equal(at(7)) {
		t.Errorf("deleted after closing: closed %v, want the closing time kept", late.ClosedAt)
	}
}
