package outbound

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/desk"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/rules"
)

// plainSink hides the engine's LeadChangedWith: a Next that only is an
// events.Sink, as before the engine returned the lead it read.
type plainSink struct{ next events.Sink }

func (p plainSink) LeadChanged(ctx context.Context, c events.Change) error {
	return p.next.LeadChanged(ctx, c)
}

// TestSinkReadsTheLeadOnce counts crm.lead.get per change with the real
// ticket engine as Next: the answer is taken from the lead the engine read.
func TestSinkReadsTheLeadOnce(t *testing.T) {
	e := newEnv(t, imaptest.StartMemory(t), nil)
	e.customerMail("Анна Петрова <anna@example.com>", "Не открывается карта", "Карта не грузится.", "once@example.com")
	e.round()
	lead := e.onlyLead()
	engine, err := desk.New(desk.Options{Store: e.st, Outbox: e.ob, Client: e.client,
		Rules:  func() *rules.Rules { return e.rules },
		Schema: func() *schema.Map { return e.schema }, Clock: e.clk, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		next   events.Sink
		fields map[string]any
		gets   int
		mails  int // mails received in total after the change
	}{
		{"engine: change without an answer", engine, map[string]any{"COMMENTS": "x"}, 1, 0},
		{"engine: staff answer", engine, map[string]any{schema.FieldReply: "Очистите кэш."}, 1, 1},
		{"plain sink reads again", plainSink{engine}, map[string]any{schema.FieldReply: "Ещё ответ."}, 2, 2},
	}
	for _, tc := range tests {
		e.sink = Sink{Next: tc.next, Out: e.out}
		e.portal.ResetCalls()
		e.staff(lead, tc.fields)
		gets := 0
		for _, c := range e.portal.Calls() {
			if c.Method == "crm.lead.get" {
				gets++
			}
		}
		if gets != tc.gets {
			t.Errorf("%s: %d crm.lead.get for one change, want %d", tc.name, gets, tc.gets)
		}
		e.flush()
		if n := len(e.smtp.Received()); n != tc.mails {
			t.Errorf("%s: %d mails received, want %d", tc.name, n, tc.mails)
		}
	}
}
