package mail

import (
	"strings"
	"testing"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/store"
)

func TestReplyBeforeLead(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		for _, sameRound := range []bool{true, false} {
			name := "first mail and reply in one fetch"
			if !sameRound {
				name = "reply in a later fetch"
			}
			t.Run(name, func(t *testing.T) { testReplyBeforeLead(t, s, sameRound) })
		}
	})
}

// testReplyBeforeLead: the portal is down while a first mail and its
// reply arrive; the reply waits (spooled, untouched in the mailbox) until
// the lead exists, then becomes a timeline comment on it.
func testReplyBeforeLead(t *testing.T, s *imaptest.Server, sameRound bool) {
	e := newEnv(t, s, nil)
	e.portal.SetFaults(sim.Faults{Down: true, DownClose: true})
	e.appendMail(corpus(t, "html-only.eml")) // Message-ID html-1@example.com
	if !sameRound {
		e.round()
		e.clk.Advance(10 * 60e9)
	}
	e.appendMail(corpus(t, "reply-inreplyto.eml")) // References html-1@example.com
	for range 3 {
		e.round()
		e.clk.Advance(10 * 60e9)
	}
	if n := e.portal.LeadCount(); n != 0 {
		t.Fatalf("%d leads while the portal is down", n)
	}
	if got := e.counts(); got != "INBOX 2, Processed 0, Quarantine 0" {
		t.Fatalf("while down: %s", got)
	}
	for _, m := range e.folder("INBOX") {
		if len(m.Flags) > 0 {
			t.Errorf("mail flagged while waiting: %v", m.Flags)
		}
	}
	spooled, err := e.st.ListMessages(t.Context(), store.MessageFilter{State: store.MessageSpooled, Mailbox: e.mb.Name})
	if err != nil || len(spooled) != 1 {
		t.Fatalf("spooled rows %d (%v), want the waiting reply", len(spooled), err)
	}

	e.portal.SetFaults(sim.Faults{})
	e.clk.Advance(2 * 3600e9)
	e.round() // the lead is created; the reply is queued as a comment
	e.round() // the comment is written; both mails are moved
	if n := e.portal.LeadCount(); n != 1 {
		t.Fatalf("%d leads, want 1", n)
	}
	id := int(mustInt(t, e.portal.Leads()[0]["ID"]))
	comments := e.portal.Comments(id)
	if len(comments) != 1 || !strings.Contains(comments[0].Text, "Customer reply") {
		t.Fatalf("comments on lead %d: %+v, want the reply", id, comments)
	}
	if len(e.replies.calls) != 1 || e.replies.calls[0] != int64(id) {
		t.Errorf("CustomerReplied calls %v, want [%d]", e.replies.calls, id)
	}
	if got := e.counts(); got != "INBOX 0, Processed 2, Quarantine 0" {
		t.Errorf("after: %s", got)
	}
	if e2, found, _ := e.st.LookupThread(t.Context(), "html-1@example.com"); !found || e2.LeadID != int64(id) {
		t.Errorf("thread entry %+v, want lead %d", e2, id)
	}
	origin := str(e.portal.Leads()[0]["ORIGIN_ID"])
	if _, found, err := e.st.MailDraft(t.Context(), origin); found || err != nil {
		t.Errorf("draft of %s left behind (%v), want it deleted", origin, err)
	}
	done, _ := e.st.ListMessages(t.Context(), store.MessageFilter{State: store.MessageDone, Mailbox: e.mb.Name})
	if len(done) != 2 {
		t.Errorf("%d rows done, want 2", len(done))
	}
	for _, m := range done {
		if w, err := e.st.MailWaitOf(t.Context(), m.DedupeKey); w != (store.MailWait{}) || err != nil {
			t.Errorf("wait of %s left behind: %+v %v, want it deleted", m.DedupeKey, w, err)
		}
	}
}
