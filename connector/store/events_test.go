package store

import (
	"context"
	"testing"
	"time"
)

func TestEventQueue(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	t0 := time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)
	dm := t0.Add(-time.Second)

	for i, c := range []struct {
		key  string
		lead int64
		want bool
	}{{"webhook:a", 7, true}, {"webhook:a", 7, false}, {"webhook:b", 8, true}} {
		isNew, err := s.RecordEvent(ctx, QueuedEvent{LeadID: c.lead, Event: "ONCRMLEADUPDATE", At: t0, DateModify: dm}, c.key)
		if err != nil || isNew != c.want {
			t.Fatalf("record %d: isNew %v err %v, want %v", i, isNew, err, c.want)
		}
	}
	got, err := s.PendingEvents(ctx, t0, 10)
	if err != nil || len(got) != 2 || got[0].LeadID != 7 || got[1].LeadID != 8 || !got[0].DateModify.Equal(dm) || !got[0].At.Equal(t0) {
		t.Fatalf("pending: %+v %v", got, err)
	}
	if err := s.RetryEvent(ctx, got[0].ID, t0.Add(time.Minute), "portal down"); err != nil {
		t.Fatal(err)
	}
	if err := s.DoneEvent(ctx, got[1].ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingEvents(ctx, t0, 10); len(p) != 0 {
		t.Fatalf("due before the retry time: %+v", p)
	}
	p, _ := s.PendingEvents(ctx, t0.Add(time.Minute), 10)
	if len(p) != 1 || p[0].Attempts != 1 || p[0].LastError != "portal down" {
		t.Fatalf("after retry: %+v", p)
	}
	// A done change's key is forgotten: the same key may carry a later change
	// made in the same second, so it is queued again.
	if isNew, _ := s.RecordEvent(ctx, QueuedEvent{LeadID: 8, Event: "ONCRMLEADUPDATE", At: t0}, "webhook:b"); !isNew {
		t.Fatal("a change with a done change's key was dropped")
	}
	if p, _ := s.PendingEvents(ctx, t0, 10); len(p) != 1 || p[0].LeadID != 8 {
		t.Fatalf("the new change is not due: %+v", p)
	} else if err := s.DoneEvent(ctx, p[0].ID); err != nil {
		t.Fatal(err)
	}
	// The queue survives a restart.
	_ = s.Close()
	s2 := openTest(t, dir)
	if n, err := s2.EventQueueLen(ctx); err != nil || n != 1 {
		t.Fatalf("after reopen: %d %v", n, err)
	}
}

// A repeat that arrives while its change is being processed (the engine may
// have read the lead before the new change) re-arms the change; one that
// arrives while it still waits is dropped.
func TestEventRepeatDuringProcessing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	t0 := time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)
	rec := func() bool {
		isNew, err := s.RecordEvent(ctx, QueuedEvent{LeadID: 7, Event: "ONCRMLEADUPDATE", At: t0}, "webhook:k")
		if err != nil {
			t.Fatal(err)
		}
		return isNew
	}
	if !rec() || rec() {
		t.Fatal("first record must be new, a repeat while queued must not")
	}
	p, err := s.PendingEvents(ctx, t0, 10)
	if err != nil || len(p) != 1 {
		t.Fatalf("pending: %+v %v", p, err)
	}
	rec() // arrives while p[0] is processed
	if err := s.DoneEvent(ctx, p[0].ID); err != nil {
		t.Fatal(err)
	}
	again, _ := s.PendingEvents(ctx, t0, 10)
	if len(again) != 1 || again[0].ID != p[0].ID {
		t.Fatalf("the re-armed change is not due again: %+v", again)
	}
	if err := s.DoneEvent(ctx, again[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.EventQueueLen(ctx); n != 0 {
		t.Fatalf("%d changes left after processing", n)
	}
}
