package outbound

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
)

// responder answers each acknowledgement it gets; n counts its answers.
// It returns the answer's From, Subject, body and extra header lines.
type responder func(n int, ack *mimeparse.Message, raw []byte) (from, subject, body string, headers []string)

// loopOutcome is what a mail loop left behind.
type loopOutcome struct {
	acks, tickets, rounds int
}

// runLoop sends a first mail from first@loop.example and lets the
// responder answer every acknowledgement until a round brings no new
// acknowledgement (the loop stopped) or 60 rounds pass (it did not). The
// clock moves a minute per round.
func runLoop(t *testing.T, e *env, answer responder) loopOutcome {
	t.Helper()
	e.customerMail("first@loop.example", "Не работает поиск", "Поиск не находит объекты.", "loop0@loop.example")
	seen := 0
	for round := 1; round <= 60; round++ {
		e.round()
		got := e.smtp.Received()
		if len(got) == seen {
			return loopOutcome{acks: len(got), tickets: len(e.portal.Leads()), rounds: round}
		}
		for i := seen; i < len(got); i++ {
			ack, _ := e.received(i)
			from, subject, body, headers := answer(i+1, ack, got[i].Raw)
			e.customerMail(from, subject, body, fmt.Sprintf("loop%d@responder.example", i+1), headers...)
		}
		seen = len(got)
		e.clk.Advance(time.Minute)
	}
	t.Fatalf("the loop did not stop in 60 rounds: %d acknowledgements, %d tickets", len(e.smtp.Received()), len(e.portal.Leads()))
	return loopOutcome{}
}

// TestMailLoopBounded: an auto-responder that answers each acknowledgement
// from a new address (loop+1@, loop+2@…), without Auto-Submitted and
// without our tag, gets a bounded number of acknowledgements and tickets
// however it answers (the bound of docs/mail.md, "Mail loops").
func TestMailLoopBounded(t *testing.T) {
	imaptest.ForEach(t, func(t *testing.T, s *imaptest.Server) {
		const domainCap, hourlyCap = 3, 5
		caps := func(mb *config.Mailbox) {
			mb.Ack.Enabled, mb.Ack.DailyCap, mb.Ack.DomainHourlyCap, mb.Ack.HourlyCap = true, 3, domainCap, hourlyCap
		}
		stripTag := func(subject string) string { return mimeparse.CleanSubject(subject) }
		cases := []struct {
			name        string
			answer      responder
			acks, leads int
		}{
			{"subject with the tag stripped", func(n int, ack *mimeparse.Message, _ []byte) (string, string, string, []string) {
				return fmt.Sprintf("loop+%d@loop.example", n), "Re: " + stripTag(ack.Subject), "Спасибо, ваше письмо получено.", nil
			}, 1, 2},
			{"auto-reply prefix, tag stripped", func(n int, ack *mimeparse.Message, _ []byte) (string, string, string, []string) {
				return fmt.Sprintf("loop+%d@loop.example", n), "Автоответ: " + stripTag(ack.Subject), "Я в отпуске.", nil
			}, 1, 2},
			{"In-Reply-To our acknowledgement", func(n int, ack *mimeparse.Message, _ []byte) (string, string, string, []string) {
				return fmt.Sprintf("loop+%d@loop.example", n), "Received", "Получено.", []string{"In-Reply-To: <" + ack.MessageID + ">"}
			}, 1, 1}, // threaded as a reply to the ticket
			{"References our acknowledgement, another subject", func(n int, ack *mimeparse.Message, _ []byte) (string, string, string, []string) {
				return fmt.Sprintf("loop+%d@other%d.example", n, n), fmt.Sprintf("Ticket %d received", n), "Получено.",
					[]string{"References: <unknown@x.example> <" + ack.MessageID + ">"}
			}, 1, 1},
			{"our headers quoted back", func(n int, _ *mimeparse.Message, raw []byte) (string, string, string, []string) {
				head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
				return fmt.Sprintf("loop+%d@loop.example", n), fmt.Sprintf("Your message %d", n),
					"Your message was received.\r\n\r\n> " + strings.ReplaceAll(head, "\r\n", "\r\n> "), nil
			}, 1, 1}, // automatic: no ticket
			{"unrecognisable, one domain: the domain cap", func(n int, _ *mimeparse.Message, _ []byte) (string, string, string, []string) {
				return fmt.Sprintf("loop+%d@loop.example", n), fmt.Sprintf("Заявка %d принята", n), "Ваша заявка принята.", nil
			}, domainCap, domainCap + 1},
			{"unrecognisable, a new domain each time: the mailbox cap", func(n int, _ *mimeparse.Message, _ []byte) (string, string, string, []string) {
				return fmt.Sprintf("loop@d%d.example", n), fmt.Sprintf("Заявка %d принята", n), "Ваша заявка принята.", nil
			}, hourlyCap, hourlyCap + 1},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := newEnv(t, s, caps)
				got := runLoop(t, e, c.answer)
				t.Logf("%d acknowledgements, %d tickets, stopped after %d rounds", got.acks, got.tickets, got.rounds)
				if got.acks != c.acks || got.tickets != c.leads {
					t.Fatalf("%d acknowledgements and %d tickets; want %d and %d", got.acks, got.tickets, c.acks, c.leads)
				}
			})
		}
	})
}

// TestAckCapsPerHour: the domain and mailbox caps count per clock hour;
// the next hour a domain is acknowledged again.
func TestAckCapsPerHour(t *testing.T) {
	s := imaptest.StartMemory(t)
	e := newEnv(t, s, func(mb *config.Mailbox) { mb.Ack.Enabled, mb.Ack.DomainHourlyCap = true, 2 })
	for i := range 3 {
		e.customerMail(fmt.Sprintf("user%d@corp.example", i), fmt.Sprintf("Вопрос %d", i), "Текст.", fmt.Sprintf("c%d@corp.example", i))
	}
	e.round()
	if n := len(e.smtp.Received()); n != 2 {
		t.Fatalf("%d acknowledgements to one domain in an hour, want 2", n)
	}
	e.clk.Advance(time.Hour)
	e.customerMail("user9@corp.example", "Вопрос 9", "Текст.", "c9@corp.example")
	e.round()
	if n := len(e.smtp.Received()); n != 3 {
		t.Fatalf("%d acknowledgements after the hour turned, want 3", n)
	}
	if n := len(e.portal.Leads()); n != 4 {
		t.Fatalf("%d tickets, want 4 (the cap limits acknowledgements, not tickets)", n)
	}
}
