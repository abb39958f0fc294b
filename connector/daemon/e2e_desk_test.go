package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
)

// desk is the end-to-end scene of the ticket lifecycle: a rig with a real
// Dovecot mailbox, workflow templates and an incident policy in the rules.
type desk struct {
	*rig
	imap       *imaptest.Server
	user, pass string
	client     *bitrix.Client
	schema     *schema.Map
	techWF     int
	incidentWF int
}

func newDesk(t *testing.T) *desk { t.Helper(); return newDeskWith(t, "") }

// newDeskWith is newDesk with more keys of the mailbox (YAML indented by
// four spaces).
func newDeskWith(t *testing.T, mailboxYAML string) *desk {
	t.Helper()
	imap := imaptest.StartDovecot(t)
	user, pass := imap.NewUser(t)
	mbox := supportMailbox(imap, user, pass) + mailboxYAML
	r := newRig(t, e2eStart, mbox)
	d := &desk{rig: r, imap: imap, user: user, pass: pass}
	d.techWF = r.portal.AddTemplate(sim.Template{Name: "Технический вопрос"})
	d.incidentWF = r.portal.AddTemplate(sim.Template{Name: "Инцидент"})
	r.editRules(func(s string) string {
		s = withWorkflow(s, "B24D_TECH", d.techWF)
		s = withWorkflow(s, "B24D_INCIDENT", d.incidentWF)
		return strings.Replace(s, "\nsla:\n", "\nsla:\n  - name: incident\n    when: {type: B24D_INCIDENT}\n"+
			"    calendar: always\n    first_response: 30m\n    resolution: 4h\n", 1)
	})
	c, err := bitrix.New(bitrix.Config{WebhookURL: r.portal.WebhookURL(r.simURL), Rate: 1000, Burst: 10000, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	d.client = c
	return d
}

// supportMailbox is the config of the support mailbox on the server,
// polled every second (more keys of it may follow, indented by four).
func supportMailbox(imap *imaptest.Server, user, pass string) string {
	return fmt.Sprintf("mailboxes:\n  - name: support\n    address: support@example.com\n"+
		"    imap: {host: 127.0.0.1, port: %s, security: plain, username: %s, password: %s, auth: login}\n"+
		"    poll_interval: 1s\n", strings.Split(imap.Addr, ":")[1], user, pass)
}

// startChecked starts the daemon and waits until it has checked the
// mailbox once (mail present before the first check is not imported).
func (d *desk) startChecked() {
	d.t.Helper()
	d.start()
	d.waitFor("the first mailbox check", 20*time.Second, func() bool {
		return d.metric(`b24desk_mailbox_last_check_timestamp_seconds{mailbox="support"}`) > 0
	})
}

// loadSchema reads the schema map setup recorded (enumeration item IDs).
func (d *desk) loadSchema() {
	d.t.Helper()
	st, err := store.OpenReadOnly(context.Background(), filepath.Join(d.dir, "state"), zerolog.Nop())
	if err != nil {
		d.t.Fatal(err)
	}
	defer st.Close()
	m, err := schema.Load(context.Background(), st)
	if err != nil {
		d.t.Fatal(err)
	}
	d.schema = m
}

// mail delivers a customer mail into the support mailbox.
func (d *desk) mail(from, subject, body string) {
	d.t.Helper()
	d.imap.Append(d.t, d.user, d.pass, "INBOX", imaptest.Mail(from, "support@example.com", subject, body))
}

// lead returns the simulator's lead, or nil.
func (d *desk) lead(id int) map[string]any {
	l, ok := d.portal.Lead(id)
	if !ok {
		return nil
	}
	return l
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// slaState reads the lead's UF_CRM_B24D_SLA_STATE as its value (ok, warning...).
func (d *desk) slaState(id int) string {
	v := str(d.lead(id)[schema.FieldSLAState])
	s, _ := d.schema.EnumValue(schema.FieldSLAState, v)
	return s
}

// slaDue reads the lead's UF_CRM_B24D_SLA_DUE.
func (d *desk) slaDue(id int) time.Time {
	t, _ := time.Parse(time.RFC3339, str(d.lead(id)[schema.FieldSLADue]))
	return t
}

// ticketBySubject waits for the lead b24desk created for a mail subject.
func (d *desk) ticketBySubject(subject string) int {
	d.t.Helper()
	var id int
	d.waitFor("a ticket for "+subject, 20*time.Second, func() bool {
		for _, l := range d.portal.Leads() {
			if str(l["ORIGINATOR_ID"]) == "b24desk" && strings.Contains(str(l["TITLE"]), subject) {
				id, _ = strconv.Atoi(str(l["ID"]))
				return true
			}
		}
		return false
	})
	return id
}

// notifications returns the recipients of a lead's SLA step notifications,
// by step ("first_response:0"; the tag also names the recipient).
func (d *desk) notifications(leadID int) map[string][]int {
	out := map[string][]int{}
	prefix := fmt.Sprintf("b24d:%d:", leadID)
	for _, n := range d.portal.Notifications() {
		if strings.HasPrefix(n.Tag, prefix) {
			step := strings.TrimPrefix(n.Tag, prefix)
			step = step[:strings.LastIndex(step, ":")]
			out[step] = append(out[step], n.UserID)
		}
	}
	return out
}

func (d *desk) workflowsOf(leadID, template int) int {
	n := 0
	for _, w := range d.portal.WorkflowStarts() {
		if w.LeadID == leadID && w.TemplateID == template {
			n++
		}
	}
	return n
}

// portalState is everything b24desk writes in the portal, as JSON: the
// leads (their DATE_MODIFY moves with any update, even one that changes
// nothing), their comments, the notifications, workflow starts and to-dos.
// Reads, single or in a batch, leave it as it is.
func (d *desk) portalState() string {
	leads := d.portal.Leads()
	comments := map[string][]sim.Comment{}
	for _, l := range leads {
		id, _ := strconv.Atoi(str(l["ID"]))
		comments[str(l["ID"])] = d.portal.Comments(id)
	}
	b, err := json.Marshal(map[string]any{
		"leads": leads, "comments": comments, "notifications": d.portal.Notifications(),
		"workflows": d.portal.WorkflowStarts(), "todos": d.portal.Todos(),
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return string(b)
}

// calls counts the successful calls of a method so far.
func (d *desk) calls(method string) int {
	n := 0
	for _, c := range d.portal.Calls() {
		if c.Method == method && c.Code == "" {
			n++
		}
	}
	return n
}

// staff changes a lead as a person in the portal does (the update event fires).
func (d *desk) staff(id int, fields map[string]any) {
	d.t.Helper()
	if err := d.portal.SetLeadFields(id, fields); err != nil {
		d.t.Fatal(err)
	}
}

// TestDeskEndToEnd follows tickets through the whole product: mail → ticket
// → workflow → warning and breach at business times → downtime firing only
// the latest step → restart keeping state → staff actions → events → SLA
// states; reclassification to Инцидент; a dropped event recovered by
// reconcile; a deleted lead found by the sweep; a hand-made lead routed and
// a sales lead left alone; the echo of b24desk's writes causing no writes.
func TestDeskEndToEnd(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	d.setup()
	d.loadSchema()
	d.startChecked()
	at := func(hhmm string) time.Time {
		h, _ := strconv.Atoi(hhmm[:2])
		m, _ := strconv.Atoi(hhmm[3:])
		return time.Date(2026, 3, 10, h, m, 0, 0, e2eStart.Location())
	}

	// Mail → ticket A (enterprise tier: first response 2h on the msk calendar).
	d.mail("alice@enterprise-client.ru", "Не загружаются фотографии", "Добрый день! Фото не загружаются.")
	a := d.ticketBySubject("Не загружаются фотографии")
	d.waitFor("ticket A's SLA fields", 20*time.Second, func() bool {
		return d.slaState(a) == schema.StateOK && d.slaDue(a).Equal(at("12:00"))
	})
	if l := d.lead(a); str(l["SOURCE_ID"]) != "B24D_TECH" {
		t.Errorf("ticket A type %v, want B24D_TECH", l["SOURCE_ID"])
	}
	d.waitFor("ticket A's workflow", 10*time.Second, func() bool { return d.workflowsOf(a, d.techWF) == 1 })
	assigneeA, _ := strconv.Atoi(str(d.lead(a)["ASSIGNED_BY_ID"]))
	if assigneeA != 11 && assigneeA != 12 && assigneeA != 13 {
		t.Errorf("ticket A assigned to %d, want an l1-operator", assigneeA)
	}

	// A sales lead and a hand-made ticket.
	ctx := context.Background()
	sales, err := d.client.LeadAdd(ctx, map[string]any{"TITLE": "Хочу купить", "SOURCE_ID": "CALL", "ASSIGNED_BY_ID": 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	hand, err := d.client.LeadAdd(ctx, map[string]any{"TITLE": "Метка не на месте", "SOURCE_ID": "B24D_MAP", "ASSIGNED_BY_ID": 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	d.waitFor("the hand-made lead routed and given an SLA", 20*time.Second, func() bool {
		l := d.lead(int(hand))
		return str(l["ASSIGNED_BY_ID"]) != "1" && d.slaState(int(hand)) == schema.StateOK
	})

	// 80% of the first response: 11:36 business time.
	d.setTime(at("11:35"))
	if n := d.notifications(a); len(n) != 0 {
		t.Fatalf("notifications before 80%%: %v", n)
	}
	d.setTime(at("11:36"))
	d.waitFor("the 80% warning of ticket A", 10*time.Second, func() bool {
		return len(d.notifications(a)["first_response:0"]) == 1
	})
	d.waitFor("ticket A in warning", 10*time.Second, func() bool { return d.slaState(a) == schema.StateWarning })

	// 100%: 12:00 → breach to the assignee and the incident managers.
	d.setTime(at("12:00"))
	d.waitFor("the breach of ticket A", 10*time.Second, func() bool {
		return len(d.notifications(a)["first_response:1"]) == 2 && d.slaState(a) == schema.StateBreached
	})

	// Ticket B at 12:00 (due 14:00, 80% at 13:36), then downtime across both steps.
	d.mail("bob@enterprise-client.ru", "Ошибка при сохранении", "Не сохраняется объявление.")
	b := d.ticketBySubject("Ошибка при сохранении")
	d.waitFor("ticket B's SLA fields", 20*time.Second, func() bool { return d.slaDue(b).Equal(at("14:00")) })
	if code := d.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	before := d.notifications(a)
	d.clk.Set(at("14:30"))
	d.startChecked()
	d.setTime(at("14:30"))
	d.waitFor("ticket B's breach after downtime", 15*time.Second, func() bool {
		return len(d.notifications(b)["first_response:1"]) == 2
	})
	if n := d.notifications(b); len(n["first_response:0"]) != 0 {
		t.Errorf("after downtime the 80%% step fired too: %v", n)
	}
	if after := d.notifications(a); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("restart changed ticket A's notifications: %v → %v", before, after)
	}
	if d.slaState(a) != schema.StateBreached {
		t.Errorf("ticket A after restart: %q, want breached", d.slaState(a))
	}

	// Staff take ticket A: first response met (late); the resolution clock runs.
	d.staff(a, map[string]any{"STATUS_ID": "IN_PROCESS"})
	d.waitFor("ticket A answered", 10*time.Second, func() bool { return d.slaState(a) == schema.StateOK })
	dueBefore := d.slaDue(a) // the resolution deadline
	if !dueBefore.After(at("14:30")) {
		t.Fatalf("ticket A's resolution due %v, want later than now", dueBefore)
	}
	// Waiting for the customer pauses, answering resumes: the deadline moves
	// by the paused hour of working time.
	d.staff(a, map[string]any{"STATUS_ID": "B24D_WAIT"})
	d.waitFor("ticket A paused", 10*time.Second, func() bool { return d.slaState(a) == schema.StatePaused })
	d.setTime(at("15:30"))
	d.staff(a, map[string]any{"STATUS_ID": "IN_PROCESS"})
	d.waitFor("ticket A resumed, its deadline one hour later", 10*time.Second, func() bool {
		return d.slaState(a) == schema.StateOK && d.slaDue(a).Equal(dueBefore.Add(time.Hour))
	})

	// Reclassification of B to Инцидент: incident managers, the incident
	// policy (24/7, 30 min from 12:00: already past → breached at once).
	d.staff(b, map[string]any{"SOURCE_ID": "B24D_INCIDENT"})
	d.waitFor("ticket B rerouted under the incident policy", 15*time.Second, func() bool {
		return str(d.lead(b)["ASSIGNED_BY_ID"]) == "21" && d.slaDue(b).Equal(at("12:30")) && d.workflowsOf(b, d.incidentWF) == 1
	})

	// A dropped event: the change is found by reconcile.
	d.drop.Store(true)
	d.staff(a, map[string]any{"STATUS_ID": "B24D_WAIT"})
	d.waitFor("the event dropped", 5*time.Second, func() bool { return d.dropped.Load() > 0 })
	d.waitFor("ticket A paused by reconcile", 15*time.Second, func() bool { return d.slaState(a) == schema.StatePaused })

	// A deleted lead (its event dropped too) is found by the sweep.
	if err := d.portal.DeleteLead(int(hand)); err != nil {
		t.Fatal(err)
	}
	d.waitFor("the sweep finding the deleted lead", 15*time.Second, func() bool {
		return d.metric(`b24desk_reconcile_finds_total{kind="deleted"}`) >= 1
	})
	d.drop.Store(false)

	// Closing ticket A: resolution met.
	d.staff(a, map[string]any{"STATUS_ID": "PROCESSED"})
	d.waitFor("ticket A closed, SLA met", 10*time.Second, func() bool { return d.slaState(a) == schema.StateMet })

	// Echo: once settled, two reconcile rounds later nothing more was written.
	d.waitFor("an empty outbox", 10*time.Second, func() bool { return d.metric("b24desk_outbox_pending ") == 0 })
	s0, calls0 := d.portalState(), len(d.portal.Calls())
	l0 := d.calls("crm.lead.list")
	d.waitFor("two more reconcile rounds", 15*time.Second, func() bool { return d.calls("crm.lead.list") >= l0+2 })
	if s := d.portalState(); s != s0 {
		var late []string
		for _, c := range d.portal.Calls()[calls0:] {
			late = append(late, c.Method)
		}
		t.Errorf("the echo of b24desk's own writes changed the portal; calls since: %v\nbefore: %s\nafter:  %s", late, s0, s)
	}

	// The sales lead was never written.
	if l := d.lead(int(sales)); str(l["ASSIGNED_BY_ID"]) != "1" || str(l[schema.FieldSLAState]) != "" || len(d.portal.Comments(int(sales))) != 0 {
		t.Errorf("the sales lead was touched: %v", l)
	}

	// Both mails were moved to the processed folder once their tickets existed.
	if n := len(d.imap.List(t, d.user, d.pass, "Processed")); n != 2 {
		t.Errorf("%d mails in Processed, want 2", n)
	}

	if code := d.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
}

// withWorkflow adds a workflow template to a type's one-line entry.
func withWorkflow(rulesText, code string, template int) string {
	re := regexp.MustCompile(`(?m)^(  - \{code: ` + code + `,.*)\}$`)
	return re.ReplaceAllString(rulesText, fmt.Sprintf("${1}, workflow: {template_id: %d}}", template))
}

// editRules rewrites the rig's rules file before setup.
func (r *rig) editRules(edit func(string) string) {
	r.t.Helper()
	b, err := os.ReadFile(r.rules)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(r.rules, []byte(edit(string(b))), 0o600); err != nil {
		r.t.Fatal(err)
	}
}
