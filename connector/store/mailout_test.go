package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestMailOutOnceAndStates(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	m := MailOut{Key: "reply:7:abc:1", LeadID: 7, Kind: "reply", Content: "abc", MessageID: "x@b24desk", Rcpt: "c@example.com"}
	tests := []struct {
		name    string
		m       MailOut
		created bool
	}{
		{"first", m, true},
		{"same key again", m, false},
		{"other key", MailOut{Key: "reply:7:abc:2", LeadID: 7, Kind: "reply", Content: "abc", MessageID: "y@b24desk"}, true},
	}
	for _, tc := range tests {
		created, err := s.PutMailOut(ctx, tc.m, now)
		if err != nil || created != tc.created {
			t.Fatalf("%s: created=%v err=%v, want %v", tc.name, created, err, tc.created)
		}
	}
	if _, err := s.PutMailOut(ctx, MailOut{Key: "k"}, now); err == nil {
		t.Error("a row without Message-ID was accepted")
	}
	if err := s.MarkMailOut(ctx, m.Key, MailSent, "", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.MailOutByKey(ctx, m.Key)
	if err != nil || got.State != MailSent || got.MessageID != "x@b24desk" || !got.UpdatedAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("MailOutByKey = %+v, %v", got, err)
	}
	list, err := s.MailOutByContent(ctx, 7, "abc")
	if err != nil || len(list) != 2 || list[0].Key != "reply:7:abc:2" {
		t.Fatalf("MailOutByContent = %+v, %v", list, err)
	}
	if err := s.MarkMailOut(ctx, "missing", MailSent, "", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("mark missing: %v", err)
	}
	if n, err := s.PruneMailOut(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("PruneMailOut removed %d, %v; want the sent row only", n, err)
	}
	if _, err := s.MailOutByKey(ctx, "reply:7:abc:2"); err != nil {
		t.Errorf("a sending row was pruned: %v", err)
	}
}

func TestTakeAckCapsPerSenderAndDay(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	steps := []struct {
		sender, day string
		want        bool
	}{
		{"a@x.ru", "2026-03-10", true},
		{"A@X.RU", "2026-03-10", true},
		{"a@x.ru", "2026-03-10", false},
		{"b@x.ru", "2026-03-10", true},
		{"a@x.ru", "2026-03-11", true},
	}
	for i, st := range steps {
		ok, err := s.TakeAck(ctx, st.sender, st.day, 2)
		if err != nil || ok != st.want {
			t.Fatalf("step %d: ok=%v err=%v, want %v", i, ok, err, st.want)
		}
	}
	if err := s.PruneAcks(ctx, "2026-03-11"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.TakeAck(ctx, "a@x.ru", "2026-03-10", 2); !ok {
		t.Error("pruned day still counted")
	}
}

func TestThreadOfAndBounced(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for i, id := range []string{"a@x", "b@y", "c@x"} {
		dir := DirectionIn
		if i == 1 {
			dir = DirectionOut
		}
		if err := s.PutThread(ctx, ThreadEntry{MessageID: id, LeadID: 5, Direction: dir}, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.PutThread(ctx, ThreadEntry{MessageID: "other", LeadID: 6, Direction: DirectionIn}, t0)
	got, err := s.ThreadOf(ctx, 5, 2)
	if err != nil || len(got) != 2 || got[0].MessageID != "b@y" || got[1].MessageID != "c@x" {
		t.Fatalf("ThreadOf = %+v, %v", got, err)
	}
	if at, err := s.Bounced(ctx, "c@example.com"); err != nil || !at.IsZero() {
		t.Fatalf("Bounced before = %v, %v", at, err)
	}
	if err := s.PutBounced(ctx, "C@Example.com", 5, t0); err != nil {
		t.Fatal(err)
	}
	if at, err := s.Bounced(ctx, "c@example.com"); err != nil || !at.Equal(t0) {
		t.Fatalf("Bounced after = %v, %v", at, err)
	}
}
