package imapbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
)

func TestBatchAndVisibility(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		t.Run("done and quarantine many", func(t *testing.T) { testDoneMany(t, s) })
		t.Run("fetch sees mail appended by another session", func(t *testing.T) { testFetchSeesAppend(t, s) })
		t.Run("idle wakes after copy and expunge", func(t *testing.T) { testIdleAfterExpunge(t, s) })
	})
}

func testDoneMany(t *testing.T, s *imaptest.Server) {
	for _, disableMove := range []bool{false, true} {
		user, pass := s.NewUser(t)
		var uids []uint32
		for i := range 6 {
			uids = append(uids, s.Append(t, user, pass, "INBOX", mail(i)))
		}
		cfg := testConfig(s, user, pass, nil)
		cfg.DisableMove = disableMove
		box := dial(t, cfg)
		// Not contiguous: 0, 2, 3 processed; 5 quarantined; 1, 4 stay.
		if err := box.DoneMany(t.Context(), []uint32{uids[0], uids[2], uids[3]}, false); err != nil {
			t.Fatalf("DoneMany: %v", err)
		}
		if err := box.QuarantineMany(t.Context(), []uint32{uids[5]}); err != nil {
			t.Fatalf("QuarantineMany: %v", err)
		}
		if err := box.DoneMany(t.Context(), nil, false); err != nil {
			t.Fatalf("DoneMany(nothing): %v", err)
		}
		var inbox []uint32
		for _, m := range s.List(t, user, pass, "INBOX") {
			inbox = append(inbox, m.UID)
			if m.HasFlag(`\Seen`) {
				t.Errorf("untouched UID %d flagged %v", m.UID, m.Flags)
			}
		}
		if !slices.Equal(inbox, []uint32{uids[1], uids[4]}) {
			t.Errorf("move %v: INBOX UIDs %v, want %v", !disableMove, inbox, []uint32{uids[1], uids[4]})
		}
		processed := s.List(t, user, pass, imapbox.DefaultProcessed)
		if len(processed) != 3 {
			t.Errorf("move %v: %d processed, want 3", !disableMove, len(processed))
		}
		for _, m := range processed {
			if !m.HasFlag(`\Seen`) {
				t.Errorf("processed mail not \\Seen: %v", m.Flags)
			}
		}
		if q := s.List(t, user, pass, imapbox.DefaultQuarantine); len(q) != 1 || q[0].HasFlag(`\Seen`) {
			t.Errorf("move %v: quarantine %+v, want one unread mail", !disableMove, q)
		}
	}
}

// testFetchSeesAppend: a single FetchSince (no IDLE, no second call) sees
// mail that another session appended after this one's last command.
func testFetchSeesAppend(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	box := dial(t, testConfig(s, user, pass, nil))
	for i := range 3 {
		uid := s.Append(t, user, pass, "INBOX", mail(i))
		got, err := box.FetchSince(t.Context(), uid-1, 10)
		if err != nil {
			t.Fatalf("FetchSince: %v", err)
		}
		if !slices.Equal(fetchedUIDs(got), []uint32{uid}) {
			t.Fatalf("round %d: fetched %v, want [%d]", i, fetchedUIDs(got), uid)
		}
	}
}

// testIdleAfterExpunge: after mail was moved away without MOVE (our own
// UID EXPUNGE, whose responses the client keeps to itself), one new mail
// (a message count no higher than before) still wakes IDLE.
func testIdleAfterExpunge(t *testing.T, s *imaptest.Server) {
	user, pass := s.NewUser(t)
	cfg := testConfig(s, user, pass, nil)
	cfg.DisableMove = true
	var uids []uint32
	for i := range 3 {
		uids = append(uids, s.Append(t, user, pass, "INBOX", mail(i)))
	}
	box := dial(t, cfg)
	if _, err := box.FetchSince(t.Context(), 0, 10); err != nil {
		t.Fatal(err)
	}
	if err := box.DoneMany(t.Context(), uids, false); err != nil {
		t.Fatal(err)
	}
	woke := make(chan error, 1)
	go func() { woke <- box.Wait(context.Background(), time.Hour) }()
	uid := s.Append(t, user, pass, "INBOX", mail(9))
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
	case <-time.After(generous):
		t.Fatal("Wait did not return after an APPEND")
	}
	got, err := box.FetchSince(t.Context(), uids[2], 10)
	if err != nil || !slices.Equal(fetchedUIDs(got), []uint32{uid}) {
		t.Fatalf("after wake: %v, %v; want [%d]", fetchedUIDs(got), err, uid)
	}
}
