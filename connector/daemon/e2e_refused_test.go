package daemon_test

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
)

// todoMethods are the to-do writes (the simulator's lower-case names).
var todoMethods = []string{"crm.activity.todo.add", "crm.activity.todo.updatedeadline",
	"crm.activity.todo.updateresponsibleuser", "crm.activity.update"}

// TestRefusedTodosDoNotStopTheTicket: a portal that refuses every to-do
// write parks the ticket's to-do, loudly, and the ticket still takes a
// staff answer (mailed, the reply field cleared), a customer reply (on the
// timeline) and a reclassification (re-routed, its workflow started). Once
// the portal takes to-dos again, `b24desk outbox drop` of the parked to-do
// leaves no row waiting on it: the next to-do write adds a new to-do.
func TestRefusedTodosDoNotStopTheTicket(t *testing.T) {
	t.Parallel()
	var sent atomic.Int64
	smtpHost, smtpPort, _ := net.SplitHostPort(startSMTPSink(t, &sent))
	d := newDeskWith(t, "    smtp: {host: "+smtpHost+", port: "+smtpPort+", security: plain}\n")
	d.setup()
	d.loadSchema()
	d.portal.SetFaults(sim.Faults{Refuse: todoMethods})
	d.startChecked()

	d.mail("boris@small-client.ru", "Не работает поиск", "Добрый день! Поиск по карте не работает.")
	id := d.ticketBySubject("Не работает поиск")
	d.waitFor("the refused to-do parked and listed by /readyz", 20*time.Second, func() bool {
		code, body := d.get("/readyz")
		return code == 200 && strings.Contains(body, `"parked":["row `) && strings.Contains(body, "todo.add of ticket "+strconv.Itoa(id))
	})

	// A staff answer: mailed, and the reply field cleared.
	d.staff(id, map[string]any{schema.FieldReply: "Исправили индекс поиска, проверьте, пожалуйста."})
	d.waitFor("the staff answer mailed and the reply field cleared", 20*time.Second, func() bool {
		return sent.Load() >= 1 && str(d.lead(id)[schema.FieldReply]) == ""
	})

	// A customer reply reaches the lead's timeline.
	d.mail("boris@small-client.ru", "Re: [#"+strconv.Itoa(id)+"] Не работает поиск", "Спасибо, теперь работает.")
	d.waitFor("the customer's reply on the timeline", 20*time.Second, func() bool {
		for _, c := range d.portal.Comments(id) {
			if strings.Contains(c.Text, "теперь работает") {
				return true
			}
		}
		return false
	})

	// A reclassification re-routes the ticket and starts its workflow.
	d.staff(id, map[string]any{"SOURCE_ID": "B24D_INCIDENT"})
	d.waitFor("the ticket re-routed to the incident managers", 20*time.Second, func() bool {
		return str(d.lead(id)["ASSIGNED_BY_ID"]) == "21" && d.workflowsOf(id, d.incidentWF) == 1
	})
	if n := len(d.portal.Todos()); n != 0 {
		t.Fatalf("%d to-dos in a portal that refuses them", n)
	}

	// The portal takes to-dos again; the operator drops the parked row.
	d.portal.SetFaults(sim.Faults{})
	for _, r := range d.rows(store.OutboxParked) {
		if code, out := d.command("outbox", "drop", strconv.FormatInt(r.ID, 10), "--config", d.config); code != 0 {
			t.Fatalf("outbox drop %d: exit %d\n%s", r.ID, code, out)
		}
	}
	d.waitFor("an empty outbox and a new to-do", 30*time.Second, func() bool {
		return d.metric("b24desk_outbox_pending ") == 0 && len(d.portal.Todos()) == 1
	})
	if parked := d.rows(store.OutboxParked); len(parked) != 0 {
		t.Fatalf("rows parked after the drop: %+v", parked)
	}
	if todo := d.portal.Todos()[0]; todo.LeadID != id || todo.ResponsibleID != 21 {
		t.Fatalf("to-do %+v, want one on lead %d for the incident manager 21", todo, id)
	}
}

// rows lists the outbox rows in the state (read-only, beside the daemon).
func (d *desk) rows(state store.OutboxState) []store.OutboxRow {
	d.t.Helper()
	st, err := store.OpenReadOnly(context.Background(), filepath.Join(d.dir, "state"), zerolog.Nop())
	if err != nil {
		d.t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.OutboxInState(context.Background(), state, 0)
	if err != nil {
		d.t.Fatal(err)
	}
	return rows
}
