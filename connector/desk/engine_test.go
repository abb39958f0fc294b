package desk_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
)

func countContaining(list []string, sub string) int {
	n := 0
	for _, s := range list {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// TestEscalationsAtBusinessTimes: an enterprise ticket (2h first response
// on the msk calendar) warns at 80% and breaches at 100% at the right
// business times, each once, with notifications replaced by TAG.
func TestEscalationsAtBusinessTimes(t *testing.T) {
	tests := []struct {
		name            string
		created         time.Time
		warn, breach    time.Time
		beforeWarnCheck time.Time
	}{
		{name: "Tuesday morning", created: at(10, 10, 0), warn: at(10, 11, 36), breach: at(10, 12, 0), beforeWarnCheck: at(10, 11, 35)},
		{name: "Friday evening", created: at(13, 18, 30), warn: at(16, 11, 6), breach: at(16, 11, 30), beforeWarnCheck: at(14, 12, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.created)
			id := e.mailTicket("enterprise", 11)
			if got := e.ticket(id).FirstResponseDue; !got.Equal(tt.breach) {
				t.Fatalf("first response due %v, want %v", got.In(msk), tt.breach)
			}
			if got := e.enumValue(id, schema.FieldSLAState); got != schema.StateOK {
				t.Fatalf("SLA state %q, want ok", got)
			}
			e.clk.Set(tt.beforeWarnCheck)
			e.tick()
			if n := countContaining(e.comments(id), "SLA:"); n != 0 {
				t.Fatalf("%d escalation comments before 80%%", n)
			}
			e.clk.Set(tt.warn)
			e.tick()
			c := e.comments(id)
			if countContaining(c, "(80%)") != 1 || countContaining(c, "(100%)") != 0 {
				t.Fatalf("comments at 80%%: %q", c)
			}
			if got := e.enumValue(id, schema.FieldSLAState); got != schema.StateWarning {
				t.Fatalf("SLA state %q, want warning", got)
			}
			e.tick() // a repeated tick does nothing
			e.clk.Set(tt.breach)
			e.tick()
			e.tick()
			c = e.comments(id)
			if countContaining(c, "(80%)") != 1 || countContaining(c, "(100%)") != 1 {
				t.Fatalf("comments at 100%%: %q", c)
			}
			if got := e.enumValue(id, schema.FieldSLAState); got != schema.StateBreached {
				t.Fatalf("SLA state %q, want breached", got)
			}
			if got := e.enumValue(id, schema.FieldPriority); got != schema.PriorityHigh {
				t.Fatalf("priority %q, want high (set by the 100%% step)", got)
			}
			// Assignee 11 got the 80% and the 100% notification (two
			// tags), user 21 of pool incident-managers the 100% one.
			notes := e.notes(id)
			perUser := map[int]int{}
			for _, n := range notes {
				perUser[n.UserID]++
			}
			if perUser[11] != 2 || perUser[21] != 1 || len(notes) != 3 {
				t.Fatalf("notifications %+v", notes)
			}
			todos := e.portal.Todos()
			if len(todos) != 1 || todos[0].ResponsibleID != 11 || !todos[0].Deadline.Equal(tt.breach) {
				t.Fatalf("to-dos %+v, want one for user 11 due %v", todos, tt.breach)
			}
			if nd := e.ticket(id).NextDueAt; nd.IsZero() || !nd.After(tt.breach) {
				t.Fatalf("next due %v after the breach, want the resolution ladder ahead", nd)
			}
		})
	}
}

// TestDowntimeFiresOnlyLatestStep: after downtime across 80% and 100% only
// the 100% step fires.
func TestDowntimeFiresOnlyLatestStep(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	id := e.mailTicket("enterprise", 11)
	e.clk.Set(at(10, 12, 30))
	e.tick()
	c := e.comments(id)
	if countContaining(c, "(80%)") != 0 || countContaining(c, "(100%)") != 1 {
		t.Fatalf("comments after downtime: %q", c)
	}
	if n := len(e.notes(id)); n != 2 { // assignee + incident manager, 100% only
		t.Fatalf("%d notifications, want 2", n)
	}
}

// TestStaffActions: take, wait, answer, close in the portal move the SLA:
// the wait pauses the clock and moves the deadline by the paused span.
func TestStaffActions(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	id := e.mailTicket("enterprise", 11)

	e.clk.Set(at(10, 10, 20))
	e.staff(id, map[string]any{"ASSIGNED_BY_ID": 12}) // taken by another operator
	if got := e.ticket(id).Assignee; got != 12 {
		t.Fatalf("assignee %d, want 12 recorded", got)
	}
	e.clk.Set(at(10, 10, 30))
	e.staff(id, map[string]any{"STATUS_ID": "B24D_WAIT"})
	tk := e.ticket(id)
	if tk.PausedSince.IsZero() || e.enumValue(id, schema.FieldSLAState) != schema.StatePaused {
		t.Fatalf("not paused: since %v, state %q", tk.PausedSince, e.enumValue(id, schema.FieldSLAState))
	}
	e.clk.Set(at(10, 12, 30)) // past the original deadline, but paused
	e.tick()
	if n := countContaining(e.comments(id), "SLA:"); n != 0 {
		t.Fatalf("escalation while paused: %q", e.comments(id))
	}
	e.staff(id, map[string]any{"STATUS_ID": "NEW"})
	tk = e.ticket(id)
	if !tk.PausedSince.IsZero() || tk.PausedTotal != 2*time.Hour {
		t.Fatalf("after resume: since %v total %v", tk.PausedSince, tk.PausedTotal)
	}
	if want := at(10, 14, 0); !tk.FirstResponseDue.Equal(want) {
		t.Fatalf("first response due %v, want %v (moved by the 2h pause)", tk.FirstResponseDue.In(msk), want)
	}
	e.clk.Set(at(10, 13, 0))
	e.staff(id, map[string]any{"STATUS_ID": "IN_PROCESS"})
	tk = e.ticket(id)
	if !tk.FirstResponseMet.Equal(at(10, 13, 0)) {
		t.Fatalf("first response met %v", tk.FirstResponseMet)
	}
	e.clk.Set(at(11, 11, 0))
	e.staff(id, map[string]any{"STATUS_ID": "PROCESSED"})
	tk = e.ticket(id)
	if tk.ClosedAt.IsZero() || tk.ResolutionMet.IsZero() || !tk.NextDueAt.IsZero() || tk.SLAState != schema.StateMet {
		t.Fatalf("after close: %+v", tk)
	}
	if got := e.enumValue(id, schema.FieldSLAState); got != schema.StateMet {
		t.Fatalf("SLA state %q, want met", got)
	}
	// Nothing fires later for a closed ticket.
	e.portal.ResetCalls()
	e.clk.Set(at(20, 12, 0))
	e.tick()
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("writes for a closed ticket: %v", w)
	}

	// Restart keeps every state.
	e.restart()
	if got := e.ticket(id); !got.ClosedAt.Equal(tk.ClosedAt) || got.PausedTotal != tk.PausedTotal ||
		!got.FirstResponseMet.Equal(tk.FirstResponseMet) || got.SLAState != schema.StateMet {
		t.Fatalf("after restart %+v, want %+v", got, tk)
	}
}

// TestReclassification: a person makes an enterprise ticket an incident;
// the incident policy (1h on the 24/7 calendar, counting from creation)
// is already past, so the ticket is breached at once and only the latest
// step fires; it is routed to the incident manager.
func TestReclassification(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	id := e.mailTicket("enterprise", 11)
	e.clk.Set(at(10, 11, 30))
	e.staff(id, map[string]any{"SOURCE_ID": "B24D_INCIDENT"})
	tk := e.ticket(id)
	if tk.Policy != "incident" || tk.Type != "B24D_INCIDENT" || tk.Assignee != 21 {
		t.Fatalf("after reclassification: policy %q type %q assignee %d", tk.Policy, tk.Type, tk.Assignee)
	}
	if want := at(10, 11, 0); !tk.FirstResponseDue.Equal(want) {
		t.Fatalf("first response due %v, want %v", tk.FirstResponseDue.In(msk), want)
	}
	if got := e.field(id, "ASSIGNED_BY_ID"); got != "21" {
		t.Fatalf("portal assignee %q, want 21", got)
	}
	if got := e.enumValue(id, schema.FieldSLAState); got != schema.StateBreached {
		t.Fatalf("SLA state %q, want breached", got)
	}
	c := e.comments(id)
	if countContaining(c, "(50%)") != 0 || countContaining(c, "(100%)") != 1 || countContaining(c, "incident") != 1 {
		t.Fatalf("comments %q: want only the incident policy's 100%% step", c)
	}
	if got := e.enumValue(id, schema.FieldPriority); got != schema.PriorityCritical {
		t.Fatalf("priority %q, want critical", got)
	}
	// The echo of the engine's own writes changes nothing more.
	e.portal.ResetCalls()
	e.event(id, events.EventLeadUpdate)
	e.tick()
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("echo caused writes: %v", w)
	}
}

// TestHandMadeLead: a lead made by hand with a ticket type and assigned to
// the webhook's user is classified, routed and given an SLA.
func TestHandMadeLead(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	id, err := e.client.LeadAdd(context.Background(), map[string]any{"TITLE": "Вопрос по карте",
		"SOURCE_ID": "B24D_MAP", "STATUS_ID": "NEW", "ASSIGNED_BY_ID": 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.event(id, events.EventLeadAdd)
	tk := e.ticket(id)
	if tk.Type != "B24D_MAP" || tk.Assignee != 11 || tk.Policy != "prospect" {
		t.Fatalf("ticket %+v", tk)
	}
	if got := e.field(id, "ASSIGNED_BY_ID"); got != "11" {
		t.Fatalf("portal assignee %q, want 11", got)
	}
	if e.field(id, schema.FieldSLADue) == "" || e.enumValue(id, schema.FieldSLAState) != schema.StateOK {
		t.Fatalf("SLA fields not written: due %q state %q", e.field(id, schema.FieldSLADue), e.field(id, schema.FieldSLAState))
	}
	// The add event again, then the update events of our own writes.
	e.portal.ResetCalls()
	e.event(id, events.EventLeadAdd)
	e.event(id, events.EventLeadUpdate)
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("repeated events caused writes: %v", w)
	}
}

// TestOutOfScope: a sales lead and a b24desk lead not recorded yet are left
// alone, without a write and without a ticket.
func TestOutOfScope(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	ctx := context.Background()
	sales, err := e.client.LeadAdd(ctx, map[string]any{"TITLE": "Купить лицензию", "SOURCE_ID": "CALL", "ASSIGNED_BY_ID": 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	own, err := e.client.LeadAdd(ctx, map[string]any{"TITLE": "Письмо", "SOURCE_ID": "B24D_TECH",
		"ORIGINATOR_ID": "b24desk", "ORIGIN_ID": "mail:early", "ASSIGNED_BY_ID": 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.portal.ResetCalls()
	for _, id := range []int64{sales, own} {
		e.event(id, events.EventLeadAdd)
		e.event(id, events.EventLeadUpdate)
		if _, err := e.st.Ticket(ctx, id); err == nil {
			t.Fatalf("lead %d became a ticket", id)
		}
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("writes: %v", w)
	}
}

// TestDeletedLead: a deleted lead's ticket is closed as deleted and its
// clock stops.
func TestDeletedLead(t *testing.T) {
	for _, ev := range []string{events.EventLeadDelete, events.EventLeadUpdate, events.EventDeleted} {
		t.Run(ev, func(t *testing.T) {
			e := newEnv(t, at(10, 10, 0))
			id := e.mailTicket("enterprise", 11)
			if err := e.portal.DeleteLead(int(id)); err != nil {
				t.Fatal(err)
			}
			e.event(id, ev)
			tk := e.ticket(id)
			if !tk.Deleted || tk.ClosedAt.IsZero() || !tk.NextDueAt.IsZero() {
				t.Fatalf("ticket %+v", tk)
			}
			due, err := e.st.DueTickets(context.Background(), at(30, 0, 0), 10)
			if err != nil || len(due) != 0 {
				t.Fatalf("due tickets %v %v", due, err)
			}
		})
	}
}

// TestCustomerReply: a customer reply to a waiting ticket moves it to the
// on_customer_reply stage and resumes the clock; to a closed ticket within
// the reopen window it reopens it; the next-response target starts.
func TestCustomerReply(t *testing.T) {
	e := newEnv(t, at(10, 10, 0))
	ctx := context.Background()
	id := e.mailTicket("enterprise", 11)
	e.clk.Set(at(10, 10, 30))
	e.staff(id, map[string]any{"STATUS_ID": "IN_PROCESS"})
	e.clk.Set(at(10, 11, 0))
	e.staff(id, map[string]any{"STATUS_ID": "B24D_WAIT"})
	e.clk.Set(at(10, 12, 0))
	reply := func() {
		if err := e.st.WithTx(ctx, func(tx *store.Tx) error {
			return e.eng.CustomerReplied(ctx, tx, id, e.clk.Now())
		}); err != nil {
			t.Fatal(err)
		}
		e.flush()
	}
	reply()
	tk := e.ticket(id)
	if tk.Status != "IN_PROCESS" || !tk.PausedSince.IsZero() || e.field(id, "STATUS_ID") != "IN_PROCESS" {
		t.Fatalf("after reply while waiting: status %q paused %v portal %q", tk.Status, tk.PausedSince, e.field(id, "STATUS_ID"))
	}
	if want := at(10, 16, 0); !tk.NextResponseDue.Equal(want) {
		t.Fatalf("next response due %v, want %v", tk.NextResponseDue.In(msk), want)
	}
	e.portal.ResetCalls()
	e.event(id, events.EventLeadUpdate) // echo of the stage write
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("echo caused writes: %v", w)
	}
	e.clk.Set(at(10, 13, 0))
	e.staff(id, map[string]any{"STATUS_ID": "PROCESSED"})
	if tk = e.ticket(id); tk.ClosedAt.IsZero() || tk.NextResponseMet.IsZero() {
		t.Fatalf("not closed: %+v", tk)
	}
	e.clk.Set(at(11, 10, 0))
	reply()
	tk = e.ticket(id)
	if !tk.ClosedAt.IsZero() || tk.Status != "IN_PROCESS" || e.field(id, "STATUS_ID") != "IN_PROCESS" || tk.NextDueAt.IsZero() {
		t.Fatalf("not reopened: %+v", tk)
	}
}

// TestAutostartTemplateNotStartedAgain: a template the portal starts by
// itself for every new lead (AUTO_EXECUTE 1) is never started by b24desk,
// not even when a reclassification names it as the new type's workflow:
// it already ran once on the lead (bitrix24-api.md §9;
// api-reference/bizproc/template/bizproc-workflow-template-list.md, AUTO_EXECUTE).
func TestAutostartTemplateNotStartedAgain(t *testing.T) {
	const template = 1 // the simulator's first template
	e := newEnvRules(t, at(10, 10, 0), func(s string) string {
		i := strings.Index(s, "code: B24D_INCIDENT,")
		end := i + strings.Index(s[i:], "}")
		return s[:end] + ", workflow: {template_id: " + strconv.Itoa(template) + "}" + s[end:]
	})
	if id := e.portal.AddTemplate(sim.Template{Name: "Инцидент", AutoExecute: 1}); id != template {
		t.Fatalf("template ID %d", id)
	}
	rep, err := schema.Ensure(context.Background(), e.client, e.rules, schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.schema = rep.Map
	id := e.mailTicket("enterprise", 11)
	e.clk.Set(at(10, 11, 30))
	e.staff(id, map[string]any{"SOURCE_ID": "B24D_INCIDENT"})
	if tk := e.ticket(id); tk.Type != "B24D_INCIDENT" {
		t.Fatalf("not reclassified: %+v", tk)
	}
	auto, byUs := 0, 0
	for _, w := range e.portal.WorkflowStarts() {
		switch {
		case w.LeadID != int(id) || w.TemplateID != template:
		case w.Auto:
			auto++
		default:
			byUs++
		}
	}
	if auto != 1 || byUs != 0 {
		t.Fatalf("template started %d time(s) by the portal and %d by b24desk, want 1 and 0", auto, byUs)
	}
}

// TestEscalationStepStartsWorkflow: a step with `workflow:` starts that
// business process on the lead once, when the step fires, through the
// engine's one workflow start (the SLA clock does not write it itself).
func TestEscalationStepStartsWorkflow(t *testing.T) {
	const template = 1 // the simulator's first template
	e := newEnvRules(t, at(10, 10, 0), func(s string) string {
		step := "- {at: 100%, notify: [assignee, pool:incident-managers], set: {priority: high}}"
		if !strings.Contains(s, step) {
			t.Fatal("the enterprise policy's 100% step is not in the example rules")
		}
		return strings.Replace(s, step, strings.TrimSuffix(step, "}")+", workflow: "+strconv.Itoa(template)+"}", 1)
	})
	if id := e.portal.AddTemplate(sim.Template{Name: "Эскалация"}); id != template {
		t.Fatalf("template ID %d", id)
	}
	id := e.mailTicket("enterprise", 11)
	started := func() int {
		n := 0
		for _, w := range e.portal.WorkflowStarts() {
			if w.LeadID == int(id) && w.TemplateID == template && !w.Auto {
				n++
			}
		}
		return n
	}
	e.clk.Set(at(10, 11, 40)) // the 80% step: no workflow
	e.tick()
	if n := started(); n != 0 {
		t.Fatalf("%d workflow starts at 80%%, want 0", n)
	}
	e.clk.Set(at(10, 12, 0)) // the 100% step
	e.tick()
	e.tick()
	if n := started(); n != 1 {
		t.Fatalf("%d workflow starts after the 100%% step, want 1", n)
	}
}
