package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPruneOutboundMailAndAckCounts(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := start.Add(45 * 24 * time.Hour) // 2026-04-15
	retention := 30 * 24 * time.Hour      // cutoff 2026-03-16 09:00
	mails := []struct {
		key   string
		at    time.Time
		state MailOutState
		kept  bool
	}{
		{"old sent", start, MailSent, false},
		{"old failed", start, MailFailed, false},
		{"old sending", start, MailSending, true}, // unfinished work
		{"new sent", now.Add(-24 * time.Hour), MailSent, true},
		{"just inside", now.Add(-retention).Add(time.Minute), MailSent, true},
	}
	for i, m := range mails {
		if _, err := s.PutMailOut(ctx, MailOut{Key: m.key, LeadID: int64(i + 1), Kind: "reply",
			MessageID: m.key + "@b24desk", State: m.state}, m.at); err != nil {
			t.Fatal(err)
		}
	}
	acks := []struct {
		day  string
		kept bool
	}{
		{"2026-03-01", false},
		{"2026-03-14", false},
		{"2026-03-15", true}, // a day of margin before the cutoff's day
		{"2026-04-15", true},
	}
	for _, a := range acks {
		if ok, err := s.TakeAck(ctx, "c@example.com", a.day, 1); err != nil || !ok {
			t.Fatalf("take ack %s: %v %v", a.day, ok, err)
		}
	}

	echoes := map[int64]Echoes{
		1: {N: 2, Until: now.Add(-time.Second)}, // expired: pruned
		2: {N: 1, Until: now.Add(time.Minute)},  // still awaited: kept
	}
	for lead, x := range echoes {
		if err := s.PutExpectedEchoes(ctx, lead, x); err != nil {
			t.Fatal(err)
		}
	}

	res, err := s.Prune(ctx, now, retention)
	if err != nil {
		t.Fatal(err)
	}
	if res.MailOut != 2 || res.AckCounts != 2 || res.Echoes != 1 {
		t.Errorf("prune = %+v, want 2 mail records, 2 ack counts and 1 echo record", res)
	}
	if x, err := s.ExpectedEchoes(ctx, 1); err != nil || x.N != 0 {
		t.Errorf("expired echoes of lead 1: %+v %v, want none", x, err)
	}
	if x, err := s.ExpectedEchoes(ctx, 2); err != nil || x != (Echoes{N: 1, Until: echoes[2].Until}) {
		t.Errorf("awaited echoes of lead 2: %+v %v, want %+v", x, err, echoes[2])
	}
	for _, m := range mails {
		_, err := s.MailOutByKey(ctx, m.key)
		if kept := err == nil; kept != m.kept {
			t.Errorf("%s: kept = %v, want %v (%v)", m.key, kept, m.kept, err)
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v", m.key, err)
		}
	}
	for _, a := range acks {
		// A kept count (1 of cap 1) refuses another; a pruned one takes it.
		ok, err := s.TakeAck(ctx, "c@example.com", a.day, 1)
		if err != nil {
			t.Fatal(err)
		}
		if kept := !ok; kept != a.kept {
			t.Errorf("ack day %s: kept = %v, want %v", a.day, kept, a.kept)
		}
	}

	again, err := s.Prune(ctx, now, retention)
	if err != nil || again.MailOut != 0 {
		t.Errorf("second prune = %+v, %v; want nothing more of the mail records", again, err)
	}
}
