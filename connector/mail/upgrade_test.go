package mail

import (
	"encoding/json"
	"testing"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/connector/store/storetest"
)

// TestDraftAcrossUpgrade: a mail handled by an older binary while the
// portal was down left its ticket's draft and its wait in settings rows
// (as that binary wrote them) and its lead.add queued. Upgraded, the state
// has them in their tables, and when the portal is back the draft becomes
// the ticket of the new lead and the mail is moved.
func TestDraftAcrossUpgrade(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		e := newEnv(t, s, nil)
		e.portal.SetFaults(sim.Faults{Down: true, DownClose: true})
		e.appendMail(corpus(t, "html-only.eml"))
		e.round()
		rows, err := e.st.ListMessages(t.Context(), store.MessageFilter{State: store.MessageTicketed, Mailbox: e.mb.Name})
		if err != nil || len(rows) != 1 {
			t.Fatalf("ticketed rows %d (%v), want the mail waiting for its lead", len(rows), err)
		}
		key := rows[0].DedupeKey
		w, err := e.st.MailWaitOf(t.Context(), key)
		origin, ok := outbox.MailLeadOrigin(w.Outbox)
		if err != nil || !ok {
			t.Fatalf("wait %+v (%v), want the lead.add", w, err)
		}
		d, found, err := e.st.MailDraft(t.Context(), origin)
		if err != nil || !found {
			t.Fatalf("draft: %v %v", found, err)
		}

		// The older binary's rows: the draft and wait structs it marshalled.
		oldDraft, _ := json.Marshal(struct {
			Ticket    ticket.Ticket `json:"ticket"`
			MessageID string        `json:"message_id,omitempty"`
			Row       string        `json:"row"`
		}{d.Ticket, d.MessageID, d.Row})
		oldWait, _ := json.Marshal(struct {
			Outbox     string `json:"outbox,omitempty"`
			Lead       int64  `json:"lead,omitempty"`
			Quarantine bool   `json:"quarantine,omitempty"`
		}{w.Outbox, w.Lead, w.Quarantine})
		e.close()
		storetest.OldLayout(t, e.dir, storetest.BeforeTicketTables, map[string]string{
			"mail.draft:" + origin: string(oldDraft), "mail.wait:" + key: string(oldWait)})
		e.open()
		if got, found, _ := e.st.MailDraft(t.Context(), origin); !found || got.Ticket.Type != d.Ticket.Type || got.Row != key {
			t.Fatalf("draft after the upgrade = %+v %v, want %+v", got, found, d)
		}

		e.portal.SetFaults(sim.Faults{})
		e.clk.Advance(2 * 3600e9)
		e.round()
		if n := e.portal.LeadCount(); n != 1 {
			t.Fatalf("%d leads, want 1", n)
		}
		id := mustInt(t, e.portal.Leads()[0]["ID"])
		tk, err := e.st.Ticket(t.Context(), id)
		if err != nil || tk.OriginID != origin || tk.Type != d.Ticket.Type || tk.Priority != d.Ticket.Priority ||
			tk.Requester != d.Ticket.Requester || !tk.FirstResponseDue.Equal(d.Ticket.FirstResponseDue) {
			t.Fatalf("ticket of lead %d = %+v (%v), want the draft %+v", id, tk, err, d.Ticket)
		}
		if m, err := e.st.Message(t.Context(), key); err != nil || m.State != store.MessageDone || m.LeadID != id {
			t.Errorf("mail row = %+v (%v), want done with lead %d", m, err, id)
		}
		if got := e.counts(); got != "INBOX 0, Processed 1, Quarantine 0" {
			t.Errorf("after: %s", got)
		}
		if _, found, _ := e.st.MailDraft(t.Context(), origin); found {
			t.Error("draft left behind")
		}
		if w, _ := e.st.MailWaitOf(t.Context(), key); w != (store.MailWait{}) {
			t.Errorf("wait left behind: %+v", w)
		}
	})
}
