package store

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

func TestPendingThread(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	pending := ThreadEntry{MessageID: "<p@x>", Direction: DirectionIn, OriginID: "m-1"}
	if err := s.PutThread(ctx, pending, t0); err != nil {
		t.Fatal(err)
	}
	e, found, err := s.LookupThread(ctx, "<p@x>")
	if err != nil || !found || !e.Pending() || e.OriginID != "m-1" {
		t.Fatalf("pending lookup = %+v %v %v", e, found, err)
	}
	if err := s.ResolveThread(ctx, "m-1", 42); err != nil {
		t.Fatal(err)
	}
	e, _, _ = s.LookupThread(ctx, "<p@x>")
	if e.Pending() || e.LeadID != 42 {
		t.Fatalf("resolved = %+v", e)
	}
	// A put with a lead also resolves a pending entry, but never moves a
	// resolved one.
	if err := s.PutThread(ctx, ThreadEntry{MessageID: "<q@x>", Direction: DirectionIn, OriginID: "m-2"}, t0); err != nil {
		t.Fatal(err)
	}
	for _, lead := range []int64{7, 8} {
		if err := s.PutThread(ctx, ThreadEntry{MessageID: "<q@x>", LeadID: lead, Direction: DirectionIn}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if e, _, _ := s.LookupThread(ctx, "<q@x>"); e.LeadID != 7 {
		t.Fatalf("entry = %+v, want lead 7", e)
	}
}

func TestDeleteSetting(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if err := s.PutSetting(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // absent is not an error
		if err := s.DeleteSetting(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if _, found, _ := s.Setting(ctx, "k"); found {
		t.Fatal("setting still there")
	}
}

func TestListMessages(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	for i, m := range []Message{
		{DedupeKey: "a1", Mailbox: "a", Raw: []byte("one")},
		{DedupeKey: "b1", Mailbox: "b", Raw: []byte("two")},
		{DedupeKey: "a2", Mailbox: "a", Raw: []byte("three")},
		{DedupeKey: "a3", Mailbox: "a", Raw: []byte("four"), State: MessageDone},
	} {
		if _, _, err := s.SpoolMessage(ctx, m, t0); err != nil {
			t.Fatal(i, err)
		}
	}
	keys := func(ms []Message) (out []string) {
		for _, m := range ms {
			out = append(out, m.DedupeKey+":"+string(m.Raw))
		}
		return out
	}
	for _, tc := range []struct {
		f    MessageFilter
		want string
	}{
		{MessageFilter{State: MessageSpooled}, "[a1: b1: a2:]"},
		{MessageFilter{State: MessageSpooled, Mailbox: "a", WithRaw: true}, "[a1:one a2:three]"},
		{MessageFilter{State: MessageSpooled, Mailbox: "a", Limit: 1}, "[a1:]"},
		{MessageFilter{State: MessageSpooled, AfterID: 1}, "[b1: a2:]"},
		{MessageFilter{State: MessageDone, Mailbox: "b"}, "[]"},
	} {
		got, err := s.ListMessages(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if g := fmtList(keys(got)); g != tc.want {
			t.Errorf("%+v: %s, want %s", tc.f, g, tc.want)
		}
	}
}

func TestAllTickets(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	for id := int64(1); id <= 3; id++ {
		tk := ticket.Ticket{LeadID: id, CreatedAt: t0}
		if id == 2 {
			tk.ClosedAt = t0
		}
		if err := s.UpsertTicket(ctx, tk, t0); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Tickets(ctx, 0, 0)
	if err != nil || len(all) != 3 || all[1].ClosedAt.IsZero() {
		t.Fatalf("all = %+v, %v", all, err)
	}
	page, err := s.Tickets(ctx, 1, 1)
	if err != nil || len(page) != 1 || page[0].LeadID != 2 {
		t.Fatalf("page = %+v, %v", page, err)
	}
	open, _ := s.OpenTickets(ctx, 0, 0)
	if len(open) != 2 {
		t.Fatalf("open = %d, want 2", len(open))
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

func TestOutboxStatusByKey(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	if _, err := s.OutboxStatusByKey(ctx, "none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing row: %v, want ErrNotFound", err)
	}
	if _, _, err := s.EnqueueOutbox(ctx, OutboxRow{Kind: "crm.lead.add", DedupeKey: "k", Payload: []byte(`{"big":"x"}`)}, t0); err != nil {
		t.Fatal(err)
	}
	if st, err := s.OutboxStateByKey(ctx, "k"); err != nil || st != OutboxPending {
		t.Fatalf("state = %q, %v", st, err)
	}
	if _, err := s.OutboxStateByKey(ctx, "none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing row state: %v, want ErrNotFound", err)
	}
	r, err := s.OutboxStatusByKey(ctx, "k")
	if err != nil || r.State != OutboxPending || r.Kind != "crm.lead.add" || r.Payload != nil {
		t.Fatalf("status = %+v, %v", r, err)
	}
}

func TestSettingsWithPrefix(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	for _, k := range []string{"spam.lesson:1", "spam.lesson:2", "spam.lessons", "spam.lesson", "spam.taught:1", "spam.lesson:3"} {
		if err := s.PutSetting(ctx, k, "v"+k); err != nil {
			t.Fatal(err)
		}
	}
	got, err := settingsWithPrefix(ctx, s.q, "spam.lesson:")
	if err != nil {
		t.Fatal(err)
	}
	want := []settingRow{{"spam.lesson:1", "vspam.lesson:1"}, {"spam.lesson:2", "vspam.lesson:2"}, {"spam.lesson:3", "vspam.lesson:3"}}
	if !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
}
