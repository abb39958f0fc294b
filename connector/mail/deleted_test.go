package mail

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/store"
)

// TestReplyToDeletedTicket: a mail naming the thread of a ticket whose
// lead was deleted (a closed ticket) is handled the same before and after
// retention forgot the ticket's personal data (its thread's Message-IDs
// are kept hashed): outside the reopen window a new ticket linked to the
// old one; inside it a comment on the gone lead, which the portal refuses
// (parked for an operator, the mail waits). A subject tag alone from the
// former requester is threaded to the old ticket only while the state
// knows the requester: once forgotten it is linked like any sender's,
// which outside the reopen window (retention is longer by default) is
// what the requester got anyway.
func TestReplyToDeletedTicket(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		for _, window := range []time.Duration{0, 60 * 24 * time.Hour} {
			for _, forgotten := range []bool{false, true} {
				t.Run(fmt.Sprintf("reopen window %v, forgotten %v", window, forgotten), func(t *testing.T) {
					testReplyToDeletedTicket(t, s, window, forgotten)
				})
			}
		}
	})
}

func testReplyToDeletedTicket(t *testing.T, s *imaptest.Server, window time.Duration, forgotten bool) {
	ctx := t.Context()
	e := newEnv(t, s, nil)
	if window > 0 {
		e.in.opts.Threading.ReopenWindow = window
	}
	e.appendMail(corpus(t, "html-only.eml")) // Message-ID html-1@example.com, from bob@example.com
	e.round()
	id := mustInt(t, e.portal.Leads()[0]["ID"])
	if err := e.portal.DeleteLead(int(id)); err != nil {
		t.Fatal(err)
	}
	err := e.st.WithTx(ctx, func(tx *store.Tx) error { // what desk does when it sees the deletion
		tk, err := tx.Ticket(ctx, id)
		if err != nil {
			return err
		}
		tk.Delete(e.clk.Now())
		return tx.UpsertTicket(ctx, tk, e.clk.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	const retention = 30 * 24 * time.Hour
	e.clk.Advance(retention + time.Hour)
	if forgotten {
		res, err := e.st.Prune(ctx, e.clk.Now(), retention)
		if err != nil || res.PersonalData == 0 {
			t.Fatalf("prune = %+v, %v; want the deleted ticket's personal data forgotten", res, err)
		}
		if tk, err := e.st.Ticket(ctx, id); err != nil || !tk.Deleted || tk.Requester != "" {
			t.Fatalf("deleted ticket after prune: %+v %v", tk, err)
		}
	}
	linked := fmt.Sprintf("Related to ticket #%d", id)
	parkedComments := func() int {
		t.Helper()
		rows, err := e.st.OutboxInState(ctx, store.OutboxParked, 10)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range rows {
			if strings.HasPrefix(r.DedupeKey, "mail.reply:") && strings.Contains(r.LastError, "OWNER_NOT_FOUND") {
				n++
			}
		}
		if n != len(rows) {
			t.Errorf("parked portal writes %+v, want only comments on the gone lead", rows)
		}
		return n
	}

	e.appendMail(corpus(t, "reply-inreplyto.eml")) // References html-1@example.com
	e.round()
	e.round()
	if window == 0 {
		leads := e.portal.Leads()
		if len(leads) != 1 || !strings.Contains(str(leads[0]["COMMENTS"]), linked) || len(e.replies.calls) != 0 {
			t.Errorf("leads %v, CustomerReplied calls %v; want a new ticket linked to #%d", leads, e.replies.calls, id)
		}
		if got := e.counts(); got != "INBOX 0, Processed 2, Quarantine 0" || parkedComments() != 0 {
			t.Errorf("folders: %s, want both mails processed", got)
		}
	} else {
		if n := e.portal.LeadCount(); n != 0 || len(e.replies.calls) != 1 || e.replies.calls[0] != id {
			t.Errorf("%d leads, CustomerReplied calls %v; want the reply threaded to the deleted ticket %d", n, e.replies.calls, id)
		}
		if got := e.counts(); got != "INBOX 1, Processed 1, Quarantine 0" || parkedComments() != 1 {
			t.Errorf("folders: %s, want the reply waiting for its parked comment", got)
		}
		replied, err := e.st.ListMessages(ctx, store.MessageFilter{State: store.MessageReplied, Mailbox: e.mb.Name})
		if err != nil || len(replied) != 1 || replied[0].LeadID != id {
			t.Errorf("replied mail rows %+v, %v; want the reply, on lead %d", replied, err, id)
		}
	}

	// The requester's tag alone, without a known Message-ID.
	leadsBefore, callsBefore := e.portal.LeadCount(), len(e.replies.calls)
	e.appendMail(imaptest.Mail("bob@example.com", "support@example.test", fmt.Sprintf("Re: [#%d] Export fails", id), "Any news?"))
	e.round()
	e.round()
	if window == 0 || forgotten {
		leads := e.portal.Leads()
		if len(leads) != leadsBefore+1 || !strings.Contains(str(leads[len(leads)-1]["COMMENTS"]), linked) {
			t.Errorf("leads %v, want one more: a new ticket linked to #%d", leads, id)
		}
	} else if n, got := e.portal.LeadCount(), e.counts(); n != leadsBefore || len(e.replies.calls) != callsBefore+1 ||
		got != "INBOX 2, Processed 1, Quarantine 0" {
		// Its comment waits behind the parked one (one lead, one queue).
		t.Errorf("%d leads, CustomerReplied calls %v, folders %s; want the tag reply threaded to the deleted ticket, waiting",
			n, e.replies.calls, got)
	}
}
