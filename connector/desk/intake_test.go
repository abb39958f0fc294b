package desk_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/connector/schema"
)

// TestIntakeSourceAdopted: a lead the site's CRM web form or a callback
// made (SOURCE_ID WEBFORM / CALLBACK, named by the rules' intake_sources)
// is adopted as a ticket (DESIGN.md "Which leads are tickets"): classified
// by the same rules as a mail (title, comments, the lead's e-mail), its
// type written as SOURCE_ID, the channel kept in UF_CRM_B24D_CHANNEL,
// routed away from the webhook's user, given its SLA policy and a to-do.
// A sales lead of another source (CALL) is never touched.
func TestIntakeSourceAdopted(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	ctx := context.Background()
	for _, channel := range []string{"WEBFORM", "CALLBACK"} {
		t.Run(channel, func(t *testing.T) {
			id, err := e.client.LeadAdd(ctx, map[string]any{"TITLE": "Не загружаются фотографии в объявление",
				"COMMENTS": "Ошибка при загрузке файла", "SOURCE_ID": channel, "STATUS_ID": "NEW", "ASSIGNED_BY_ID": 1,
				"EMAIL": []map[string]string{{"VALUE": "ivan@enterprise-client.ru", "VALUE_TYPE": "WORK"}}}, false)
			if err != nil {
				t.Fatal(err)
			}
			e.event(id, events.EventLeadAdd)
			e.event(id, events.EventLeadUpdate) // the echo of b24desk's own writes changes nothing
			tk := e.ticket(id)
			typ := e.field(id, "SOURCE_ID")
			if !e.rules.IsTicketType(typ) || tk.Type != typ {
				t.Fatalf("portal SOURCE_ID %q, ticket type %q: want the classified ticket type", typ, tk.Type)
			}
			if got := e.field(id, schema.FieldChannel); got != channel {
				t.Errorf("channel field %q, want %q", got, channel)
			}
			if tk.Tier != "enterprise" || tk.Policy != "enterprise" || tk.FirstResponseDue.IsZero() {
				t.Errorf("ticket tier %q policy %q first response %v: the lead's e-mail must pick the tier", tk.Tier, tk.Policy, tk.FirstResponseDue)
			}
			if a := e.field(id, "ASSIGNED_BY_ID"); a == "1" || a == "" || a != strconv.FormatInt(tk.Assignee, 10) {
				t.Errorf("portal assignee %q, ticket %d: want routed away from the webhook's user", a, tk.Assignee)
			}
			if e.field(id, schema.FieldSLADue) == "" {
				t.Error("no SLA due written")
			}
			if td := e.todo(id); td.Completed || td.ResponsibleID != int(tk.Assignee) {
				t.Errorf("to-do %+v", td)
			}
			// Classified like a mail, so kept for `rules replay` like a mail.
			raw, err := e.st.ReplayInputs(ctx, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			in, err := replay.Decode(raw[id])
			if err != nil {
				t.Fatalf("replay input of lead %d: %v", id, err)
			}
			if in.Subject != "Не загружаются фотографии в объявление" || in.Body != "Ошибка при загрузке файла" ||
				in.From != "ivan@enterprise-client.ru" || in.Lead["SOURCE_ID"] != channel || in.Lead["COMMENTS"] != "" {
				t.Errorf("replay input %+v", in)
			}
			if c := e.rules.Classify(&in); c.Type != tk.Type || c.Tier != tk.Tier {
				t.Errorf("the kept input classifies as %s/%s, the ticket is %s/%s", c.Type, c.Tier, tk.Type, tk.Tier)
			}
		})
	}

	sales, err := e.client.LeadAdd(ctx, map[string]any{"TITLE": "Не загружаются фотографии", "SOURCE_ID": "CALL",
		"ASSIGNED_BY_ID": 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.portal.ResetCalls()
	e.event(sales, events.EventLeadAdd)
	if _, err := e.st.Ticket(ctx, sales); err == nil {
		t.Fatal("a sales lead became a ticket")
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("writes for a sales lead: %v", w)
	}
}
