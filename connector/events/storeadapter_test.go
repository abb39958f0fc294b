package events

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
)

func TestStoreStateWithRealStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := StoreState{Store: st}
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)

	if _, ok, err := s.Get(ctx); err != nil || ok {
		t.Fatalf("fresh mark: ok=%v err=%v", ok, err)
	}
	mark := time.Date(2026, 5, 14, 13, 0, 5, 0, moscow)
	if err := s.Set(ctx, mark); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.Get(ctx); err != nil || !ok || !got.Equal(mark) {
		t.Fatalf("mark = %v %v %v, want %v", got, ok, err, mark)
	}

	for id := int64(1); id <= 3; id++ {
		tk := ticket.Ticket{LeadID: id, CreatedAt: now, LastDateModify: now.Add(time.Duration(id) * time.Second)}
		if id == 2 {
			tk.ClosedAt = now
		}
		if err := st.UpsertTicket(ctx, tk, now); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := s.OpenTicketIDs(ctx)
	if err != nil || !slices.Equal(ids, []int{1, 3}) {
		t.Fatalf("open tickets %v (%v), want [1 3]", ids, err)
	}
	if got, ok, err := s.LastDateModify(ctx, 3); err != nil || !ok || !got.Equal(now.Add(3*time.Second)) {
		t.Fatalf("LastDateModify(3) = %v %v %v", got, ok, err)
	}
	if _, ok, err := s.LastDateModify(ctx, 99); err != nil || ok {
		t.Fatalf("LastDateModify(99): ok=%v err=%v, want unknown", ok, err)
	}
}
