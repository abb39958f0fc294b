package outbound

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/store"
)

// TestAckAdopted: a lead adopted from a portal channel (a CRM web form:
// rules intake_sources) is acknowledged like a mail's ticket, to the
// lead's e-mail, with the mailbox's template and the ticket's tag; a lead
// with an automatic address gets nothing.
func TestAckAdopted(t *testing.T) {
	e := newEnv(t, imaptest.StartMemory(t), func(mb *config.Mailbox) { mb.Ack.Enabled = true })
	ctx := context.Background()
	adopt := func(email string) int64 {
		t.Helper()
		id, err := e.client.LeadAdd(ctx, map[string]any{"TITLE": "Не работает поиск на сайте", "NAME": "Иван",
			"SOURCE_ID": "B24D_TECH", "EMAIL": []map[string]string{{"VALUE": email, "VALUE_TYPE": "WORK"}}}, false)
		if err != nil {
			t.Fatal(err)
		}
		lead, err := e.client.LeadGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		err = e.st.WithTx(ctx, func(tx *store.Tx) error {
			return e.out.AckAdopted(ctx, tx, lead, ticket.Ticket{LeadID: id, Type: "B24D_TECH", CreatedAt: e.clk.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.flush()
		return id
	}
	id := adopt("ivan@client.example")
	if n := len(e.smtp.Received()); n != 1 {
		t.Fatalf("%d mails, want the acknowledgement", n)
	}
	m, r := e.received(0)
	if !strings.Contains(strings.Join(r.To, ","), "ivan@client.example") || !strings.Contains(m.Subject, "#"+strconv.FormatInt(id, 10)) ||
		!strings.Contains(m.Subject, "Не работает поиск на сайте") {
		t.Fatalf("acknowledgement to %v subject %q", r.To, m.Subject)
	}
	adopt("noreply@client.example")
	if n := len(e.smtp.Received()); n != 1 {
		t.Fatalf("%d mails: an automatic address was acknowledged", n)
	}
}
