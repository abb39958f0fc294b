package mail

import (
	"context"
	"fmt"
	"github.com/b24desk/b24desk/connector/store"
	"sync"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
)

func TestFirstStartConcurrent(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) { testFirstStartConcurrent(t, s) })
}

// appended is one mail the test appended during the first start.
type appended struct {
	uid uint32
	// afterCursor: the cursor was already stored when the APPEND began.
	afterCursor bool
}

// testFirstStartConcurrent appends mail while Run starts on an empty state:
// mail behind the first cursor is old by design, but every mail above it,
// and so every mail appended after the cursor was stored, becomes a ticket.
func testFirstStartConcurrent(t *testing.T, s *imaptest.Server) {
	const n = 40
	e := newEnv(t, s, nil)
	e.close()
	e.dir = t.TempDir()
	e.openState() // no cursor yet: Run makes the first start
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	mails := make([]appended, 0, n)
	appendDone := make(chan struct{})
	go func() {
		defer close(appendDone)
		for i := range n {
			_, stored, err := e.st.Cursor(ctx, e.mb.Name)
			if err != nil {
				t.Error(err)
				return
			}
			raw := imaptest.Mail("c@example.com", "support@example.test", fmt.Sprintf("Start %d", i), "body")
			uid := e.s.Append(t, e.user, e.pass, "INBOX", raw)
			mails = append(mails, appended{uid: uid, afterCursor: stored})
			time.Sleep(3 * time.Millisecond)
		}
	}()
	wg.Go(func() { _ = e.ob.Run(ctx) })
	wg.Go(func() { _ = e.in.Run(ctx) })
	<-appendDone

	// Wait (bounded) until the intake is idle: every mail appended after
	// the cursor was stored has a ticket and nothing is half-way.
	titles := map[string]bool{}
	var after int
	deadline := time.Now().Add(90 * time.Second)
	for {
		clear(titles)
		for _, l := range e.portal.Leads() {
			titles[str(l["TITLE"])] = true
		}
		after = 0
		missing := 0
		for i, m := range mails {
			if m.afterCursor {
				after++
				if !titles[fmt.Sprintf("Start %d", i)] {
					missing++
				}
			}
		}
		busy, err := e.in.hasUnfinished(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if missing == 0 && !busy && len(e.folder("Processed")) == len(titles) {
			break
		}
		if time.Now().After(deadline) {
			for _, st := range []store.OutboxState{store.OutboxPending, store.OutboxUnknown, store.OutboxParked} {
				rows, _ := e.st.OutboxInState(ctx, st, 0)
				for _, r := range rows {
					t.Logf("outbox %s %s %s next %v err %q", r.State, r.Kind, r.DedupeKey, r.NextAttemptAt, r.LastError)
				}
			}
			for _, ms := range []store.MessageState{store.MessageSpooled, store.MessageTicketed, store.MessageReplied} {
				rows, _ := e.st.ListMessages(ctx, store.MessageFilter{State: ms, Limit: 100})
				for _, r := range rows {
					t.Logf("message %s %s lead %d", r.State, r.DedupeKey, r.LeadID)
				}
			}
			t.Fatalf("after 90s: %d of %d mails appended after the cursor was stored have no ticket (busy %v)", missing, after, busy)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if after == 0 {
		t.Fatal("no mail was appended after the cursor was stored: the test proved nothing")
	}
	// The mail left in the INBOX is old mail: a run of the lowest UIDs,
	// never a mail skipped between two that became tickets.
	inbox := e.folder("INBOX")
	for _, m := range inbox {
		for i, a := range mails {
			if titles[fmt.Sprintf("Start %d", i)] && a.uid < m.UID {
				t.Errorf("UID %d left in the INBOX although UID %d before it became a ticket", m.UID, a.uid)
			}
		}
	}
	if got := len(inbox) + len(titles); got != n {
		t.Errorf("%d mails left + %d tickets, want %d", len(inbox), len(titles), n)
	}
	t.Logf("%d mails: %d old, %d tickets, %d appended after the cursor was stored", n, len(inbox), len(titles), after)
}
