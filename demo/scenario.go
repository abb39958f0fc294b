package demo

// The demo's story: mails arrive, staff act in the portal, the clock runs
// through a working day and into the next, and the SLA clock warns and
// escalates.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix/sim"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/store"
)

// errDemoStep names the step of the scenario that did not happen in time.
var errDemoStep = errors.New("the scenario stalled")

func (d *demo) scenario(ctx context.Context) error {
	letters := demoLetters()
	byKey := map[string]demoLetter{}
	want := 0
	for _, l := range letters {
		byKey[l.key] = l
		if l.wantType != "" {
			want++
		}
	}
	if err := d.waitTickets(ctx, letters, want); err != nil {
		return err
	}
	for _, l := range letters {
		id, ok := d.tickets[l.key]
		if !ok {
			d.say("%-42q → no ticket (auto-reply: loop protection)", l.subject)
			continue
		}
		t, _ := d.st.Ticket(ctx, id)
		d.say("%-42q → ticket #%d %s, %s, policy %q, first response due %s", l.subject, id, t.Type,
			staffName(t.Assignee), t.Policy, d.hm(t.FirstResponseDue))
	}
	if err := d.showSpam(ctx); err != nil {
		return err
	}

	day := demoStart(d.loc)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h-10)*time.Hour + time.Duration(m)*time.Minute) }
	steps := []struct {
		at  time.Time
		act func(context.Context) error
	}{
		{at(10, 15), d.takeMap},
		{at(10, 30), d.answerTech},
		{at(10, 40), d.rateAnswer},
		{at(10, 45), d.todoDone},
		{at(11, 0), d.waitForCustomer},
		{at(11, 30), func(ctx context.Context) error { return d.customerReplies(ctx, byKey["map"]) }},
		{at(12, 30), d.reclassify},
		{at(13, 0), d.closeProfanity},
	}
	// The clock runs in 15-minute steps through the working day, staff acting
	// at their times, then jumps to the next morning.
	next := 0
	for t := at(10, 15); !t.After(at(18, 0)); t = t.Add(15 * time.Minute) {
		if err := d.advance(ctx, t); err != nil {
			return err
		}
		for next < len(steps) && !steps[next].at.After(t) {
			if err := steps[next].act(ctx); err != nil {
				return err
			}
			next++
		}
	}
	for _, t := range []time.Time{day.Add(23 * time.Hour), day.Add(26 * time.Hour)} {
		if err := d.advance(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// deliverFirst puts the first mails into the mailbox before the daemon
// starts (its first start imports mail since import_since).
func (d *demo) deliverFirst(ctx context.Context) error {
	letters := append(demoLetters(), demoSpamLetter())
	for _, l := range letters {
		if err := d.env.deliver(ctx, l.raw(demoMailUser, d.clk.Now()), d.clk.Now()); err != nil {
			return fmt.Errorf("deliver a mail: %w", err)
		}
	}
	d.say("%d customer mails are waiting in %s", len(letters), demoMailUser)
	return nil
}

// advance moves the clock and prints the escalations that happened.
func (d *demo) advance(ctx context.Context, t time.Time) error {
	before := len(d.env.portal.Notifications())
	if err := d.setClock(ctx, t); err != nil {
		return err
	}
	notes := d.env.portal.Notifications()
	for _, n := range notes[before:] {
		d.say("notification to %s: %s", staffName(int64(n.UserID)), oneLine(n.Message, 110))
	}
	return nil
}

// waitTickets waits until every expected ticket is in the state with its
// policy and no mail is left spooled.
func (d *demo) waitTickets(ctx context.Context, letters []demoLetter, want int) error {
	d.tickets = map[string]int64{}
	err := waitUntil(ctx, demoWait, func() bool {
		for _, l := range letters {
			if _, ok := d.tickets[l.key]; ok || l.wantType == "" {
				continue
			}
			if id := d.leadBySubject(l.subject); id > 0 {
				if t, err := d.st.Ticket(ctx, id); err == nil && t.Policy != "" {
					d.tickets[l.key] = id
				}
			}
		}
		spooled, err := d.st.MessagesInState(ctx, store.MessageSpooled, 10)
		return len(d.tickets) == want && err == nil && len(spooled) == 0
	})
	if err != nil {
		return fmt.Errorf("%w: %d of %d tickets made from the mails", errDemoStep, len(d.tickets), want)
	}
	return d.settle(ctx)
}

// leadBySubject finds the b24desk lead whose title is the subject.
func (d *demo) leadBySubject(subject string) int64 {
	for _, l := range d.env.portal.Leads() {
		if fmt.Sprint(l["ORIGINATOR_ID"]) == "b24desk" && strings.Contains(fmt.Sprint(l["TITLE"]), subject) {
			var id int64
			_, _ = fmt.Sscan(fmt.Sprint(l["ID"]), &id)
			return id
		}
	}
	return 0
}

// staffAct changes a lead as a staff member would in the portal, then
// waits until the daemon has seen the change.
func (d *demo) staffAct(ctx context.Context, key string, fields map[string]any, seen func(ticket.Ticket) bool, what string) error {
	id := d.tickets[key]
	// Staff act a second after the clock step, so that their change is not
	// in the same second (event ts, DATE_MODIFY) as a write the daemon made
	// at the step: the daemon takes a second event of a lead in the same
	// second as a repeat and drops it, and reconcile then sees no newer
	// DATE_MODIFY either.
	d.clk.Advance(time.Second)
	if err := d.env.portal.SetLeadFields(int(id), fields); err != nil {
		return fmt.Errorf("staff action on #%d: %w", id, err)
	}
	err := waitUntil(ctx, demoWait, func() bool {
		t, err := d.st.Ticket(ctx, id)
		return err == nil && seen(t)
	})
	if err != nil {
		return fmt.Errorf("%w: the daemon did not see %q on #%d", errDemoStep, what, id)
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	d.say("staff: %s (#%d)", what, id)
	return nil
}

func (d *demo) takeMap(ctx context.Context) error {
	return d.staffAct(ctx, "map", map[string]any{"ASSIGNED_BY_ID": 12, "STATUS_ID": "IN_PROCESS"},
		func(t ticket.Ticket) bool { return !t.FirstResponseMet.IsZero() },
		"Борис Кузнецов takes the map question: stage В работе, first response met")
}

func (d *demo) answerTech(ctx context.Context) error {
	sentBefore := len(d.env.sent.list())
	fields := map[string]any{"STATUS_ID": "IN_PROCESS",
		"UF_CRM_B24D_REPLY": "Ограничение — 10 МБ на файл; ошибка была в проверке размера, мы её исправили."}
	what := "the technical question is answered in the reply field (UF_CRM_B24D_REPLY)"
	// The canned answer «resolved» of the rules, by the item ID setup recorded.
	if id, ok, err := d.st.SchemaValue(ctx, "enum:UF_CRM_B24D_CANNED", "resolved"); err == nil && ok {
		fields["UF_CRM_B24D_CANNED"] = id
		what = "the technical question is answered: canned answer «resolved» + a line in the reply field"
	}
	err := d.staffAct(ctx, "tech", fields,
		func(t ticket.Ticket) bool { return !t.FirstResponseMet.IsZero() }, what)
	if err != nil {
		return err
	}
	// The daemon's outbound mail sends the answer through the demo's SMTP
	// server once it has read the lead.
	if err := waitUntil(ctx, demoWait, func() bool { return len(d.env.sent.list()) > sentBefore }); err != nil {
		return fmt.Errorf("%w: the answer to #%d did not reach the SMTP server", errDemoStep, d.tickets["tech"])
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	d.answers = "the answer to #" + strconv.FormatInt(d.tickets["tech"], 10)
	d.showMail(d.env.sent.list()[sentBefore])
	return nil
}

// showMail prints a mail b24desk sent: recipient, subject and the text
// down to the signature, indented.
func (d *demo) showMail(m demoMail) {
	msg, err := mimeparse.Parse(m.Data, mimeparse.Options{})
	if err != nil {
		d.say("mail sent to %s (unreadable: %v)", strings.Join(m.To, ", "), err)
		return
	}
	d.say("mail sent to %s: %q", strings.Join(m.To, ", "), msg.Subject)
	text := strings.ReplaceAll(msg.Text, "\r\n", "\n")
	if i := strings.Index(text, "\n-- \n"); i >= 0 {
		text = text[:i]
	}
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		fmt.Fprintln(d.out, strings.TrimRight("           | "+l, " "))
	}
}

func (d *demo) waitForCustomer(ctx context.Context) error {
	return d.staffAct(ctx, "map", map[string]any{"STATUS_ID": "B24D_WAIT"},
		func(t ticket.Ticket) bool { return !t.PausedSince.IsZero() },
		"the map ticket waits for the customer's address: SLA paused")
}

func (d *demo) customerReplies(ctx context.Context, original demoLetter) error {
	id := d.tickets["map"]
	reply := demoReply(id, original)
	if err := d.env.deliver(ctx, reply.raw(demoMailUser, d.clk.Now()), d.clk.Now()); err != nil {
		return err
	}
	err := waitUntil(ctx, demoWait, func() bool {
		t, err := d.st.Ticket(ctx, id)
		return err == nil && t.PausedSince.IsZero()
	})
	if err != nil {
		return fmt.Errorf("%w: the customer's reply did not resume #%d", errDemoStep, id)
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	d.say("customer replied %q: added to #%d, back to В работе, SLA running again", reply.subject, id)
	// The deadline moved (next response): the to-do marked done is gone for
	// b24desk, so a new one carries the deadline.
	var td sim.Todo
	if err := waitUntil(ctx, demoWait, func() (ok bool) { td, ok = d.openTodo(id); return ok }); err != nil {
		return fmt.Errorf("%w: no new to-do on #%d after its deadline moved", errDemoStep, id)
	}
	d.say("a new to-do for %s due %s on #%d (the one marked done is not touched)",
		staffName(int64(td.ResponsibleID)), d.hm(td.Deadline), id)
	return nil
}

// openTodo returns the ticket's open to-do in the portal.
func (d *demo) openTodo(id int64) (sim.Todo, bool) {
	for _, td := range d.env.portal.Todos() {
		if td.LeadID == int(id) && !td.Completed {
			return td, true
		}
	}
	return sim.Todo{}, false
}

// todoDone: the map ticket's assignee clicks "Done" on its SLA to-do in the
// portal, as staff do. The SLA does not change (it follows stages and
// answers); the next deadline comes with a new to-do.
func (d *demo) todoDone(ctx context.Context) error {
	id := d.tickets["map"]
	td, ok := d.openTodo(id)
	if !ok {
		return fmt.Errorf("%w: #%d has no open to-do", errDemoStep, id)
	}
	if err := d.env.portal.CompleteTodo(td.ID); err != nil {
		return err
	}
	d.say("staff: %s marks the to-do of #%d done in the portal; the SLA is measured by stages and answers, not by it",
		staffName(int64(td.ResponsibleID)), id)
	return nil
}

func (d *demo) reclassify(ctx context.Context) error {
	return d.staffAct(ctx, "outage", map[string]any{"SOURCE_ID": "B24D_INCIDENT"},
		func(t ticket.Ticket) bool { return t.Type == "B24D_INCIDENT" },
		"the incident manager reclassifies the outage as Инцидент (B24D_INCIDENT)")
}

func (d *demo) closeProfanity(ctx context.Context) error {
	return d.staffAct(ctx, "profanity", map[string]any{"STATUS_ID": "JUNK"},
		func(t ticket.Ticket) bool { return !t.ClosedAt.IsZero() },
		"the profanity ticket is closed as junk")
}

// hm formats a due time on the demo's clock ("-" when unset).
func (d *demo) hm(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t = t.In(d.loc)
	if t.YearDay() == demoStart(d.loc).YearDay() {
		return t.Format("15:04")
	}
	return t.Format("Mon 01-02 15:04")
}

// staffName names a portal user of the demo.
func staffName(id int64) string {
	names := map[int64]string{1: "admin", 11: "Анна Смирнова", 12: "Борис Кузнецов", 13: "Вера Попова",
		21: "Дмитрий Волков", 31: "Елена Соколова", 41: "Игорь Лебедев", 51: "Кирилл Новиков",
		61: "Лидия Морозова", 71: "Максим Павлов"}
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf("user %d", id)
}

// sortedTickets lists the scenario's ticket numbers in order.
func (d *demo) sortedTickets() []int64 {
	ids := make([]int64, 0, len(d.tickets))
	for _, id := range d.tickets {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
