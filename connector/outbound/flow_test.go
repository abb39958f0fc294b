package outbound

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
)

func TestOutbound(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		t.Run("staff answer round trip", func(t *testing.T) { testRoundTrip(t, s) })
		t.Run("canned answer with variables", func(t *testing.T) { testCanned(t, s) })
		t.Run("crash between send and record", func(t *testing.T) { testCrash(t, s) })
		t.Run("acknowledgements", func(t *testing.T) { testAcks(t, s) })
		t.Run("5xx parked and shown", func(t *testing.T) { testRefused(t, s) })
		t.Run("never to automatic addresses", func(t *testing.T) { testAutomaticRequester(t, s) })
		t.Run("bounced requester flagged", func(t *testing.T) { testBounced(t, s) })
		t.Run("ratings by link", func(t *testing.T) { testRatings(t, s) })
		t.Run("rating by reply", func(t *testing.T) { testRatingByReply(t, s) })
	})
}

func testRoundTrip(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, func(mb *config.Mailbox) { mb.SentFolder = "Sent" })
	e.customerMail("Анна Петрова <anna@example.com>", "Не открывается карта", "Карта не грузится.", "q1@example.com",
		"Cc: boss@example.com, noreply@example.com")
	e.round()
	lead := e.onlyLead()
	if n := len(e.smtp.Received()); n != 0 {
		t.Fatalf("%d mails sent before any answer (acknowledgements are off)", n)
	}

	e.staff(lead, map[string]any{schema.FieldReply: "Очистите кэш браузера.\n[URL]x[/URL]"})
	e.flush()
	msg, env := e.received(0)
	tag := "[#" + strconv.Itoa(lead) + "]"
	checks := []struct{ name, got, want string }{
		{"From", msg.From.String(), "Служба поддержки <" + e.user + ">"},
		{"To", msg.To[0].Addr, "anna@example.com"},
		{"Subject", msg.Subject, "Re: " + tag + " Не открывается карта"},
		{"In-Reply-To", msg.InReplyTo, "q1@example.com"},
		{"References", strings.Join(msg.References, " "), "q1@example.com"},
		{"Cc", addrs(msg.Cc), "boss@example.com"},
		{"envelope", strings.Join(env.To, ","), "anna@example.com,boss@example.com"},
		{"loop", strings.Join(msg.Header[mimeparse.LoopHeader], ""), "support"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	for _, want := range []string{"Очистите кэш браузера.", "Admin Portal", "Служба поддержки"} {
		if !strings.Contains(msg.Text, want) || !strings.Contains(msg.HTML, want) {
			t.Errorf("text or HTML part lacks %q:\n%s\n%s", want, msg.Text, msg.HTML)
		}
	}
	l, _ := e.portal.Lead(lead)
	if str(l[schema.FieldReply]) != "" || str(l["STATUS_ID"]) != "IN_PROCESS" {
		t.Errorf("after sending: reply field %q, stage %q; want cleared and IN_PROCESS", str(l[schema.FieldReply]), str(l["STATUS_ID"]))
	}
	cs := e.comments(lead)
	if !strings.Contains(cs, "Answer sent by Admin Portal") || strings.Contains(cs, "[URL]x") {
		t.Errorf("comment missing or not escaped:\n%s", cs)
	}
	if _, staff := e.tickets.counts(); staff != 1 {
		t.Errorf("StaffReplied called %d times", staff)
	}
	if sent := e.imap.List(t, e.user, e.pass, "Sent"); len(sent) != 1 {
		t.Errorf("Sent folder holds %d mails", len(sent))
	}

	// The same change again (event + reconcile), and the clearing echo.
	e.staff(lead, map[string]any{})
	e.flush()
	if n := len(e.smtp.Received()); n != 1 {
		t.Fatalf("%d mails after repeated changes, want 1", n)
	}

	// The customer answers our mail: it threads into the same ticket.
	e.clk.Advance(time.Hour)
	e.customerMail("anna@example.com", "Re: "+tag+" Не открывается карта", "Не помогло.", "q2@example.com",
		"In-Reply-To: <"+msg.MessageID+">")
	e.round()
	if e.portal.LeadCount() != 1 {
		t.Fatalf("the customer's answer made a new lead")
	}
	if customer, _ := e.tickets.counts(); customer != 1 {
		t.Errorf("CustomerReplied called %d times, want 1 (next response target)", customer)
	}
	if !strings.Contains(e.comments(lead), "Не помогло.") {
		t.Errorf("customer answer not on the ticket:\n%s", e.comments(lead))
	}

	// The next staff answer replies to the customer's last mail.
	e.staff(lead, map[string]any{schema.FieldReply: "Попробуйте другой браузер."})
	e.flush()
	next, _ := e.received(1)
	if next.InReplyTo != "q2@example.com" || len(next.References) != 3 {
		t.Errorf("second answer In-Reply-To %q References %v", next.InReplyTo, next.References)
	}
}

func addrs(as []mimeparse.Address) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Addr)
	}
	return strings.Join(out, ",")
}

func testCanned(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.customerMail("Анна <anna@example.com>", "Где найти инструкцию", "Подскажите.", "c1@example.com")
	e.round()
	lead := e.onlyLead()
	id, ok := e.schema.EnumID(schema.FieldCanned, "need-details")
	if !ok {
		t.Fatal("canned item not in the schema")
	}
	e.staff(lead, map[string]any{schema.FieldReply: "Спасибо за письмо.", schema.FieldCanned: id})
	e.flush()
	msg, _ := e.received(0)
	text := msg.Text
	free, canned := strings.Index(text, "Спасибо за письмо."), strings.Index(text, "Чтобы разобраться с обращением "+strconv.Itoa(lead))
	if free < 0 || canned < 0 || free > canned {
		t.Fatalf("want free text then the rendered canned answer:\n%s", text)
	}
	if !strings.Contains(text, "Здравствуйте, Анна!") || strings.Contains(text, "{{") {
		t.Errorf("variables not filled:\n%s", text)
	}
	l, _ := e.portal.Lead(lead)
	if v := str(l[schema.FieldCanned]); v != "" && v != "0" {
		t.Errorf("canned field not cleared: %q", v)
	}
}

// crashingSent copies to the real Sent folder, then "crashes" the process:
// the context ends before the outbox records the row done.
type crashingSent struct {
	SentFolder
	cancel context.CancelFunc
}

func (c crashingSent) Append(ctx context.Context, raw []byte, at time.Time) error {
	err := c.SentFolder.Append(context.Background(), raw, at)
	c.cancel()
	return err
}

func testCrash(t *testing.T, s *imaptest.Server) {
	for _, withSent := range []bool{true, false} {
		t.Run("sent folder "+strconv.FormatBool(withSent), func(t *testing.T) {
			e := newEnv(t, s, func(mb *config.Mailbox) {
				if withSent {
					mb.SentFolder = "Sent"
				}
			})
			e.customerMail("anna@example.com", "Crash", "Body.", "k1@example.com")
			e.round()
			lead := e.onlyLead()
			ctx, cancel := context.WithCancel(context.Background())
			e.sent = func(sf SentFolder) SentFolder { return crashingSent{SentFolder: sf, cancel: cancel} }
			e.close()
			e.open()
			e.staff(lead, map[string]any{schema.FieldReply: "Answer."})
			if withSent {
				_ = e.ob.Flush(ctx) // the process dies after SMTP and the Sent copy
			} else {
				// No Sent folder: the crash comes right after SMTP.
				e.smtp.afterData = cancel
				_ = e.ob.Flush(ctx)
			}
			if n := len(e.smtp.Received()); n != 1 {
				t.Fatalf("%d mails before the restart", n)
			}
			mo := mailOut(t, e, lead)
			if mo.State != store.MailSending {
				t.Fatalf("mail_out state %s before the restart, want sending", mo.State)
			}
			e.sent, e.smtp.afterData = nil, nil
			e.close()
			e.open()
			e.clk.Advance(5 * time.Minute) // past the outbox's lookup delay
			e.flush()
			want := 1
			if !withSent {
				want = 2 // the documented window: without a Sent copy it goes again
			}
			if n := len(e.smtp.Received()); n != want {
				t.Errorf("%d mails after the restart, want %d", n, want)
			}
			if mo := mailOut(t, e, lead); mo.State != store.MailSent {
				t.Errorf("mail_out state %s after the restart", mo.State)
			}
			l, _ := e.portal.Lead(lead)
			if str(l[schema.FieldReply]) != "" {
				t.Error("reply field not cleared after the restart")
			}
		})
	}
}

func mailOut(t *testing.T, e *env, lead int) store.MailOut {
	t.Helper()
	var found store.MailOut
	err := e.st.WithTx(context.Background(), func(tx *store.Tx) error {
		l, _ := e.portal.Lead(lead)
		a := answer{text: str(l[schema.FieldReply])}
		if a.text == "" {
			a.text = "Answer."
		}
		rows, err := tx.MailOutByContent(context.Background(), int64(lead), a.contentHash())
		if err == nil && len(rows) > 0 {
			found = rows[0]
		}
		return err
	})
	if err != nil || found.Key == "" {
		t.Fatalf("no mail_out row: %v", err)
	}
	return found
}

func testAcks(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, func(mb *config.Mailbox) { mb.Ack.Enabled, mb.Ack.DailyCap = true, 2 })
	e.customerMail("Анна <anna@example.com>", "Вопрос один", "Текст.", "a1@example.com")
	e.customerMail("vacation@example.com", "Automatic reply: Out of office", "Я в отпуске.", "a2@example.com",
		"Auto-Submitted: auto-replied")
	e.customerMail("noreply@shop.example.com", "Ваш заказ", "Заказ оформлен.", "a3@example.com")
	e.round()
	got := e.smtp.Received()
	if len(got) != 1 {
		t.Fatalf("%d acknowledgements, want 1 (none to an auto-reply or a no-reply address)", len(got))
	}
	msg, _ := e.received(0)
	if msg.To[0].Addr != "anna@example.com" || msg.Auto != mimeparse.AutoReply && msg.Auto != mimeparse.AutoLoop {
		t.Errorf("ack to %s, auto %s", msg.To[0].Addr, msg.Auto)
	}
	if !strings.Contains(string(got[0].Raw), "Auto-Submitted: auto-replied") || msg.InReplyTo != "a1@example.com" {
		t.Errorf("ack headers: In-Reply-To %q\n%s", msg.InReplyTo, got[0].Raw)
	}
	if !strings.Contains(msg.Subject, "[#") || !strings.Contains(msg.Text, "Мы ответим до ") {
		t.Errorf("ack subject %q text:\n%s", msg.Subject, msg.Text)
	}
	// The daily cap: two more mails the same day get one more ack.
	e.customerMail("anna@example.com", "Вопрос два", "Текст 2.", "a4@example.com")
	e.customerMail("anna@example.com", "Вопрос три", "Текст 3.", "a5@example.com")
	e.round()
	if n := len(e.smtp.Received()); n != 2 {
		t.Errorf("%d acknowledgements after the cap of 2, want 2", n)
	}
	// The next day the sender is acknowledged again.
	e.clk.Advance(24 * time.Hour)
	e.customerMail("anna@example.com", "Вопрос четыре", "Текст 4.", "a6@example.com")
	e.round()
	if n := len(e.smtp.Received()); n != 3 {
		t.Errorf("%d acknowledgements the next day, want 3", n)
	}
}

func testRefused(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.customerMail("anna@example.com", "Refused", "Body.", "r1@example.com")
	e.round()
	lead := e.onlyLead()
	e.smtp.Reject(550, "mailbox unavailable")
	e.staff(lead, map[string]any{schema.FieldReply: "Answer."})
	e.flush()
	parked, err := e.ob.List(context.Background(), store.OutboxParked, 10)
	if err != nil || len(parked) != 1 || parked[0].Kind != KindMailSend || !strings.Contains(parked[0].LastError, "mailbox unavailable") {
		t.Fatalf("parked rows %+v, %v", parked, err)
	}
	if mo := mailOut(t, e, lead); mo.State != store.MailFailed || !strings.Contains(mo.Error, "550") {
		t.Errorf("mail_out %+v", mo)
	}
	if cs := e.comments(lead); !strings.Contains(cs, "Mail not sent") || !strings.Contains(cs, "mailbox unavailable") {
		t.Errorf("no failure comment:\n%s", cs)
	}
	if l, _ := e.portal.Lead(lead); str(l[schema.FieldReply]) != "Answer." {
		t.Error("the refused answer was cleared from the lead")
	}
	// An operator fixes it and retries the row.
	e.smtp.Reject(0, "")
	if err := e.ob.Retry(context.Background(), parked[0].ID); err != nil {
		t.Fatal(err)
	}
	e.flush()
	if n := len(e.smtp.Received()); n != 1 {
		t.Errorf("%d mails after the retry", n)
	}
	if mo := mailOut(t, e, lead); mo.State != store.MailSent {
		t.Errorf("mail_out after retry: %s", mo.State)
	}
}

func testAutomaticRequester(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.customerMail("no-reply@service.example.com", "Notification", "Body.", "n1@example.com")
	e.round()
	if e.portal.LeadCount() == 0 {
		t.Skip("the intake made no ticket from a no-reply sender")
	}
	lead := e.onlyLead()
	e.staff(lead, map[string]any{schema.FieldReply: "Answer."})
	e.flush()
	if n := len(e.smtp.Received()); n != 0 {
		t.Errorf("%d mails to an automatic address", n)
	}
	if cs := e.comments(lead); !strings.Contains(cs, "Answer not sent") {
		t.Errorf("no note on the ticket:\n%s", cs)
	}
}

func testBounced(t *testing.T, s *imaptest.Server) {
	e := newEnv(t, s, nil)
	e.customerMail("anna@example.com", "Bounce", "Body.", "b1@example.com")
	e.round()
	lead := e.onlyLead()
	e.staff(lead, map[string]any{schema.FieldReply: "First answer."})
	e.flush()
	ours, _ := e.received(0)
	bounce := "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: " + e.user +
		"\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"rep\"\r\n\r\n--rep\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n" +
		"--rep\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; anna@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n\r\n" +
		"--rep\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + ours.MessageID + ">\r\nSubject: x\r\n\r\n--rep--\r\n"
	e.imap.Append(t, e.user, e.pass, "INBOX", []byte(bounce))
	e.round()
	if !strings.Contains(e.comments(lead), "not delivered") {
		t.Fatalf("the intake did not note the bounce:\n%s", e.comments(lead))
	}
	e.staff(lead, map[string]any{schema.FieldReply: "Second answer."})
	e.flush()
	if n := len(e.smtp.Received()); n != 2 {
		t.Errorf("%d mails, want 2 (a bounced address is flagged, not skipped)", n)
	}
	if cs := e.comments(lead); !strings.Contains(cs, "anna@example.com уже возвращались") {
		t.Errorf("no bounce warning on the second answer:\n%s", cs)
	}
}
