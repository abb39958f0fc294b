package ticket_test

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/rules"
)

// enums is a recorded portal schema with the item IDs of the priority
// and SLA state enumerations.
type enums map[string]map[string]string

func (e enums) SchemaMap(_ context.Context, kind string) (map[string]string, error) {
	return e[kind], nil
}

func (enums) Setting(context.Context, string) (string, bool, error) { return "", false, nil }

func openRules(t *testing.T, t0 time.Time) (*rules.Rules, *schema.Map) {
	t.Helper()
	r, _, err := rules.Load("../../../config/rules.example.yaml", t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Types {
		if r.Types[i].Code == "B24D_OUTAGE" {
			r.Types[i].WorkflowTemplate = 7
		}
	}
	m, err := schema.Load(context.Background(), enums{
		"enum:" + schema.FieldPriority: {"critical": "45", "high": "44", "low": "41"},
		"enum:" + schema.FieldSLAState: {schema.StateOK: "51"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, m
}

// outage is a special-tier customer's mail about an outage: type
// B24D_OUTAGE (critical), routed to the incident manager (user 21),
// policy "special 24/7" (24/7 calendar: first response 1 h, resolution
// 8 h, the first step at 50 %).
func outage() ticket.Mail {
	score := 1.5
	return ticket.Mail{Origin: "mail:<a@x>", MessageID: "<a@x>", Row: "msg:1", Mailbox: "support",
		From: "Ivan@Client.ru", FromName: "Иван Петров", Subject: "Спецобращение: сайт не работает", Text: "Портал недоступен",
		Title: "Спецобращение: сайт не работает", FirstName: "Иван", LastName: "Петров", Description: "support",
		Comments: "[p]Портал недоступен[/p]", Files: []bitrix.FileData{{Name: "a.png", Base64: "QUJD"}}, SpamScore: &score}
}

// TestOpen: what a mail opens, decided by the example rules: the lead's
// fields, the drafted ticket with its SLA times and the written-fields
// record, the type's workflow and the live-feed event.
func TestOpen(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	r, m := openRules(t, t0)
	mail := outage()
	d := r.Decide(mail.Input(), rules.RouteState{}, t0)
	tk, p := ticket.Open(r, mail, d, m, t0)

	want := map[string]any{
		"TITLE": mail.Title, "NAME": "Иван", "LAST_NAME": "Петров", "SOURCE_ID": "B24D_OUTAGE", "SOURCE_DESCRIPTION": "support",
		"STATUS_ID": "NEW", schema.FieldTier: "special", "COMMENTS": mail.Comments,
		"EMAIL":               []map[string]string{{"VALUE": "Ivan@Client.ru", "VALUE_TYPE": "WORK"}},
		"ASSIGNED_BY_ID":      21,
		schema.FieldPriority:  "45",
		schema.FieldSLAState:  "51",
		schema.FieldSpamScore: 1.5,
		schema.FieldSLADue:    "2026-03-10T09:00:00Z",
		schema.FieldFiles:     []map[string][2]string{{"fileData": {"a.png", "QUJD"}}},
	}
	if !reflect.DeepEqual(p.Lead, want) {
		t.Errorf("lead fields:\n got %#v\nwant %#v", p.Lead, want)
	}
	if !p.Feed || p.Workflow != 7 {
		t.Errorf("feed %v, workflow %d; want true, 7", p.Feed, p.Workflow)
	}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	wantT := ticket.Ticket{OriginID: "mail:<a@x>", Type: "B24D_OUTAGE", Status: "NEW", Assignee: 21, Tier: "special",
		Priority: "critical", Policy: "special 24/7", Requester: "ivan@client.ru", CreatedAt: t0,
		FirstResponseDue: at(time.Hour), ResolutionDue: at(8 * time.Hour), NextDueAt: at(30 * time.Minute), SLAState: schema.StateOK}
	got := tk
	got.LastWritten = nil
	if !reflect.DeepEqual(got, wantT) {
		t.Errorf("ticket:\n got %+v\nwant %+v", got, wantT)
	}
	w := ticket.ParseWritten(tk.LastWritten)
	wantW := ticket.Written{"STATUS_ID": "NEW", "SOURCE_ID": "B24D_OUTAGE", "ASSIGNED_BY_ID": "21",
		schema.FieldSLADue: "2026-03-10T09:00:00Z", schema.FieldSLAState: "51"}
	if !maps.Equal(w, wantW) {
		t.Errorf("written: got %v, want %v", w, wantW)
	}
}

// TestOpenJunk: a junk mail opens a closed ticket in the junk stage: no
// assignee, no SLA (times, state, due field), no workflow, no live-feed
// event; its type, priority and tier stay.
func TestOpenJunk(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	r, m := openRules(t, t0)
	mail := outage()
	mail.Junk = true
	d := r.Decide(mail.Input(), rules.RouteState{}, t0)
	tk, p := ticket.Open(r, mail, d, m, t0)
	if p.Feed || p.Workflow != 0 {
		t.Errorf("feed %v, workflow %d; want false, 0", p.Feed, p.Workflow)
	}
	for _, f := range []string{"ASSIGNED_BY_ID", schema.FieldSLADue, schema.FieldSLAState} {
		if v, ok := p.Lead[f]; ok {
			t.Errorf("junk lead has %s = %v", f, v)
		}
	}
	if p.Lead["STATUS_ID"] != "JUNK" || p.Lead[schema.FieldPriority] != "45" || p.Lead["SOURCE_ID"] != "B24D_OUTAGE" {
		t.Errorf("junk lead: %v", p.Lead)
	}
	if tk.Status != "JUNK" || !tk.ClosedAt.Equal(t0) || tk.SLAState != "" || tk.Assignee != 0 || tk.Policy != "" ||
		!tk.FirstResponseDue.IsZero() || !tk.ResolutionDue.IsZero() || !tk.NextDueAt.IsZero() ||
		tk.Type != "B24D_OUTAGE" || tk.Priority != "critical" || tk.Tier != "special" {
		t.Errorf("junk ticket: %+v", tk)
	}
	if w := ticket.ParseWritten(tk.LastWritten); w["STATUS_ID"] != "JUNK" || w["ASSIGNED_BY_ID"] != "" || w[schema.FieldSLADue] != "" {
		t.Errorf("junk written: %v", w)
	}
}

// TestOpenNoSLA: with no SLA policy for the mail the ticket has no
// deadlines and the lead no due field; it is still routed, in the SLA
// state ok, and its type's workflow starts. Without a recorded schema no
// enumeration is written.
func TestOpenNoSLA(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	r, _ := openRules(t, t0)
	r.SLA = nil
	mail := outage()
	d := r.Decide(mail.Input(), rules.RouteState{}, t0)
	tk, p := ticket.Open(r, mail, d, nil, t0)
	for _, f := range []string{schema.FieldSLADue, schema.FieldSLAState, schema.FieldPriority} {
		if v, ok := p.Lead[f]; ok {
			t.Errorf("lead has %s = %v", f, v)
		}
	}
	if p.Lead["ASSIGNED_BY_ID"] != 21 || !p.Feed || p.Workflow != 7 {
		t.Errorf("lead %v, feed %v, workflow %d", p.Lead, p.Feed, p.Workflow)
	}
	if tk.Policy != "" || !tk.FirstResponseDue.IsZero() || !tk.ResolutionDue.IsZero() || !tk.NextDueAt.IsZero() ||
		tk.SLAState != schema.StateOK || !tk.ClosedAt.IsZero() || tk.Assignee != 21 {
		t.Errorf("ticket: %+v", tk)
	}
}

// TestTakeIn: an intake lead is adopted with its type, channel, routed
// assignee, priority and tier written; a hand-made lead with an assignee,
// a priority and a tier of its own gets no field written and keeps them.
func TestTakeIn(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	r, m := openRules(t, t0)
	form := &bitrix.Lead{ID: 5, Title: "Спецобращение: сайт не работает", SourceID: "WEBFORM", StatusID: "NEW", AssignedByID: 1}
	in := rules.Input{Subject: form.Title}
	d := r.Decide(in, rules.RouteState{}, t0)
	tk, p := ticket.TakeIn(r, form, in, d, m, true, t0)
	want := map[string]string{"SOURCE_ID": "B24D_OUTAGE", schema.FieldChannel: "WEBFORM", "ASSIGNED_BY_ID": "21",
		schema.FieldPriority: "45", schema.FieldTier: "special"}
	if !maps.Equal(p.Fields, want) || p.Why != "intake" || p.Workflow != 7 || p.WorkflowWhy != "created" {
		t.Errorf("adopted plan: %+v, want fields %v", p, want)
	}
	if tk.LeadID != 5 || tk.OriginID != "lead:5" || tk.Type != "B24D_OUTAGE" || tk.Assignee != 21 || tk.Policy != "special 24/7" ||
		!tk.CreatedAt.Equal(t0) || string(tk.LastWritten) != `{"SOURCE_ID":"WEBFORM","STATUS_ID":"NEW"}` {
		t.Errorf("adopted ticket: %+v (written %s)", tk, tk.LastWritten)
	}

	tier, _ := json.Marshal("enterprise")
	hand := &bitrix.Lead{ID: 6, Title: "Вопрос", SourceID: "B24D_TECH", StatusID: "NEW", AssignedByID: 12,
		Fields: map[string]json.RawMessage{schema.FieldTier: tier}}
	in = rules.Input{Subject: hand.Title, Ticket: rules.Ticket{Type: "B24D_TECH", Priority: "high", Tier: "enterprise", Assignee: "12"}}
	d = r.Decide(in, rules.RouteState{}, t0)
	tk, p = ticket.TakeIn(r, hand, in, d, m, false, t0)
	if len(p.Fields) != 0 || p.Workflow != 0 {
		t.Errorf("hand-made plan: %+v", p)
	}
	if tk.OriginID != "" || tk.Assignee != 12 || tk.Type != "B24D_TECH" || tk.Priority != "high" || tk.Policy != "enterprise" {
		t.Errorf("hand-made ticket: %+v", tk)
	}
}
