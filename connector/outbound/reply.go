package outbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// Sink wraps the ticket engine's events.Sink: after Next has handled a
// change, a staff answer waiting in the lead's fields is sent. Both steps
// are safe to repeat for the same change. When Next also returns the lead
// it read (LeadReader, as *desk.Engine does), the answer is taken from that
// lead: one crm.lead.get per change.
type Sink struct {
	Next events.Sink
	Out  *Outbound
}

// LeadReader is an events.Sink that returns the lead it read for a change
// (nil when it read none: a delete, a lead that is gone, a failed read).
type LeadReader interface {
	LeadChangedWith(ctx context.Context, c events.Change) (*bitrix.Lead, error)
}

// LeadChanged passes the change on, then sends the lead's staff answer.
func (s Sink) LeadChanged(ctx context.Context, c events.Change) error {
	deleted := c.Event == events.EventLeadDelete || c.Event == events.EventDeleted
	if lr, ok := s.Next.(LeadReader); ok {
		lead, err := lr.LeadChangedWith(ctx, c)
		if deleted || lead == nil || s.Out == nil {
			return err
		}
		return errors.Join(err, s.Out.StaffAnswerLead(ctx, lead))
	}
	var err error
	if s.Next != nil {
		err = s.Next.LeadChanged(ctx, c)
	}
	if deleted || s.Out == nil {
		return err
	}
	return errors.Join(err, s.Out.StaffAnswer(ctx, int64(c.LeadID)))
}

// PrefetchLeads lets Next read the leads of a drained batch together
// (events.Prefetcher); the staff answers are taken from those reads.
func (s Sink) PrefetchLeads(ctx context.Context, changes []events.Change) context.Context {
	if p, ok := s.Next.(events.Prefetcher); ok {
		return p.PrefetchLeads(ctx, changes)
	}
	return ctx
}

// StaffAnswer reads the lead and, when UF_CRM_B24D_REPLY or
// UF_CRM_B24D_CANNED holds an answer that was not sent yet, queues the
// mail to the requester (see StaffAnswerLead).
func (o *Outbound) StaffAnswer(ctx context.Context, leadID int64) error {
	if _, ok := o.replyMailbox(""); !ok {
		return nil // no outbound mail configured: the lead is not read
	}
	lead, err := o.opts.Portal.LeadGet(ctx, leadID)
	if errors.Is(err, bitrix.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read lead %d: %w", leadID, err)
	}
	return o.StaffAnswerLead(ctx, lead)
}

// StaffAnswerLead queues the staff answer held by a lead just read (its
// UF_CRM_B24D_REPLY and UF_CRM_B24D_CANNED) as a mail to the requester.
// The send is keyed by lead, content and DATE_MODIFY; while an answer with
// the same content is on its way (not yet sent and cleared) it is not
// queued again. A lead that is not a recorded ticket sends nothing.
func (o *Outbound) StaffAnswerLead(ctx context.Context, lead *bitrix.Lead) error {
	if lead == nil {
		return nil
	}
	if _, ok := o.replyMailbox(""); !ok {
		return nil // no outbound mail configured
	}
	leadID := lead.ID
	text := strings.TrimSpace(fieldString(lead.Fields[schema.FieldReply]))
	cannedID := fieldString(lead.Fields[schema.FieldCanned])
	canned := ""
	if cannedID != "" && cannedID != "0" {
		canned = cannedID
		if m := o.opts.Schema(); m != nil {
			if v, ok := m.EnumValue(schema.FieldCanned, cannedID); ok {
				canned = v
			}
		}
	}
	if text == "" && canned == "" {
		return nil
	}
	t, err := o.opts.Store.Ticket(ctx, leadID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // not a ticket (yet): the engine records it first
	}
	if err != nil {
		return err
	}
	staff := o.staffName(ctx, lead)
	a := answer{lead: lead, ticket: t, text: text, canned: canned, staff: staff}
	return o.queueAnswer(ctx, a)
}

// answer is a staff answer read from a lead.
type answer struct {
	lead   *bitrix.Lead
	ticket ticket.Ticket
	text   string // free text
	canned string // canned answer name
	staff  string // staff member's name
}

func (a answer) contentHash() string {
	sum := sha256.Sum256([]byte(a.text + "\x00" + a.canned))
	return hex.EncodeToString(sum[:8])
}

// queueAnswer queues the answer's mail (or a note why it cannot be sent) in one
// transaction.
func (o *Outbound) queueAnswer(ctx context.Context, a answer) error {
	lead := a.lead.ID
	hash := a.contentHash()
	key := fmt.Sprintf("reply:%d:%s:%d", lead, hash, a.lead.DateModify.Unix())
	now := o.clk.Now()
	r := o.opts.Rules()
	if r == nil {
		return errors.New("no rules loaded")
	}
	// The worker is woken once the transaction has committed: a wake-up from
	// inside it could find nothing to do yet.
	defer o.opts.Outbox.Wake()
	return o.opts.Store.WithTx(ctx, func(tx *store.Tx) error {
		if busy, err := o.inFlight(ctx, tx, lead, hash); err != nil || busy {
			return err
		}
		msgs, err := tx.MessagesOfLead(ctx, lead, 5)
		if err != nil {
			return err
		}
		mbName := ""
		var last *mimeparse.Message
		for _, m := range msgs {
			if mbName == "" {
				mbName = m.Mailbox
			}
			if last == nil && len(m.Raw) > 0 {
				last, _ = mimeparse.Parse(m.Raw, mimeparse.Options{})
			}
		}
		group := outbox.LeadGroup(lead)
		notSent := func(reason string) error {
			mo := store.MailOut{Key: key, LeadID: lead, Kind: KindReply, Content: hash, MessageID: "-" + key,
				State: store.MailFailed, Error: reason}
			if _, err := tx.PutMailOut(ctx, mo, now); err != nil {
				return err
			}
			o.log.Warn().Int64("lead", lead).Msg("staff answer not sent: see the ticket's timeline")
			_, _, err := o.opts.Outbox.Enqueue(ctx, tx, comment("mail.notsent:"+key, group, lead,
				escape("Ответ не отправлен / Answer not sent: "+reason)))
			return err
		}
		mb, ok := o.replyMailbox(mbName)
		if !ok {
			return notSent("no mailbox has smtp configured")
		}
		to := a.ticket.Requester
		if to == "" && len(a.lead.Emails) > 0 {
			to = a.lead.Emails[0].Value
		}
		switch {
		case to == "":
			return notSent("the ticket has no requester address")
		case Automatic(to):
			return notSent("the requester address " + to + " is automatic (no-reply, mailer-daemon)")
		}
		var tpl rules.Template
		if a.canned != "" {
			if tpl, ok = r.TemplateByName(a.canned); !ok {
				return notSent("canned answer " + strconv.Quote(a.canned) + " is not in the rules file")
			}
		}
		vars := o.vars(r, a.lead, a.ticket, mb.DisplayName, a.staff, to)
		body, subject := a.text, ""
		if a.canned != "" {
			cs, ct := tpl.Render(vars)
			subject = cs
			if body != "" {
				body += "\n\n"
			}
			body += strings.TrimSpace(ct)
		}
		tag := mimeparse.FormatTag(o.opts.TagFormat, int(lead))
		subject = replySubject(subject, a.lead.Title, tag, o.opts.TagFormat)
		if bounced, err := tx.Bounced(ctx, to); err != nil {
			return err
		} else if !bounced.IsZero() {
			warn := fmt.Sprintf("Внимание / Warning: письма на %s уже возвращались (%s); ответ всё равно отправляется.",
				to, bounced.In(o.opts.Location).Format("02.01.2006 15:04"))
			if _, _, err := o.opts.Outbox.Enqueue(ctx, tx, comment("mail.bounced:"+key, group, lead, escape(warn))); err != nil {
				return err
			}
		}
		rating, answerID := "", ""
		if o.opts.Rating != nil {
			rating, answerID = o.opts.Rating(lead, key)
		}
		if rating != "" {
			rating = "\n\n" + strings.TrimRight(rating, "\n")
		}
		m := Mail{
			From:    Address{Name: mb.DisplayName, Address: mb.Address},
			To:      []Address{{Name: strings.TrimSpace(a.lead.Name + " " + a.lead.LastName), Address: to}},
			Subject: subject, Date: now, Loop: mb.Name,
			Text: body + rating + signature(a.staff, mb.DisplayName),
		}
		if mb.CCParticipants && last != nil {
			m.Cc = participants(last, to, o.ourAddress)
		}
		o.thread(ctx, tx, lead, &m)
		stage := ""
		if r.StateOf(a.lead.StatusID) == rules.StateNew && len(r.Statuses.Answered) > 0 {
			stage = r.Statuses.Answered[0]
		}
		who := a.staff
		if who == "" {
			who = "?"
		}
		note := fmt.Sprintf("Ответ отправлен / Answer sent by %s → %s\n\n%s", who, to, body)
		if rating != "" {
			note = fmt.Sprintf("Ответ %s отправлен / Answer %s sent by %s → %s\n\n%s", answerID, answerID, who, to, body)
		}
		return o.queue(ctx, tx, queued{mail: m, key: key, kind: KindReply, lead: lead, mailbox: mb.Name,
			content: hash, comment: escape(note), fields: clearFields(stage)})
	})
}

// inFlight reports whether an answer with the same content is still on
// its way: queued, refused, or sent but its fields not yet cleared.
func (o *Outbound) inFlight(ctx context.Context, tx *store.Tx, lead int64, hash string) (bool, error) {
	rows, err := tx.MailOutByContent(ctx, lead, hash)
	if err != nil {
		return false, err
	}
	for _, m := range rows {
		switch m.State {
		case store.MailSending, store.MailFailed:
			return true, nil
		case store.MailSent:
			r, err := tx.OutboxRowByKey(ctx, clearKey(m.Key))
			if errors.Is(err, store.ErrNotFound) {
				continue // answer without fields to clear
			}
			if err != nil {
				return false, err
			}
			if r.State != store.OutboxDone && r.State != store.OutboxDropped {
				return true, nil
			}
		}
	}
	return false, nil
}

// thread sets In-Reply-To (the customer's last mail) and References (the
// ticket's Message-IDs, oldest first).
func (o *Outbound) thread(ctx context.Context, tx *store.Tx, lead int64, m *Mail) {
	entries, err := tx.ThreadOf(ctx, lead, 20)
	if err != nil {
		o.log.Warn().Err(err).Int64("lead", lead).Msg("read the ticket's thread")
		return
	}
	for _, e := range entries {
		m.References = append(m.References, e.MessageID)
		if e.Direction == store.DirectionIn {
			m.InReplyTo = e.MessageID
		}
	}
	if m.InReplyTo == "" && len(m.References) > 0 {
		m.InReplyTo = m.References[len(m.References)-1]
	}
}

// queued is a rendered mail ready for the outbox.
type queued struct {
	mail    Mail
	key     string
	kind    string
	lead    int64
	mailbox string
	content string
	comment string
	fields  map[string]any
}

// queue renders the mail and records it: the mail.send row in the
// ticket's mail group, the mail_out row (sending) and the Message-ID in the
// thread index (direction out).
func (o *Outbound) queue(ctx context.Context, tx *store.Tx, q queued) error {
	now := o.clk.Now()
	installation, err := tx.InstallationID(ctx)
	if err != nil {
		return err
	}
	q.mail.MessageID = MessageID(installation, q.key, q.mail.From.Address)
	raw, err := q.mail.Bytes()
	if err != nil {
		return err
	}
	var rcpt []string
	for _, a := range append(append([]Address{}, q.mail.To...), q.mail.Cc...) {
		rcpt = append(rcpt, a.Address)
	}
	p := sendPayload{Mailbox: q.mailbox, Key: q.key, Kind: q.kind, Lead: q.lead, From: q.mail.From.Address,
		Rcpt: rcpt, MessageID: q.mail.MessageID, Raw: raw, Comment: q.comment, Fields: q.fields}
	_, created, err := o.opts.Outbox.Enqueue(ctx, tx, outbox.Entry{
		Kind: KindMailSend, DedupeKey: "mail.send:" + q.key,
		// The ticket's mails leave in order, and a refused (parked) mail
		// holds back only the ticket's later mails, not its other writes.
		GroupKey: outbox.MailGroup(q.lead), Payload: p,
	})
	if err != nil || !created {
		return err
	}
	mo := store.MailOut{Key: q.key, LeadID: q.lead, Kind: q.kind, Content: q.content,
		MessageID: q.mail.MessageID, Rcpt: strings.Join(rcpt, ", ")}
	if _, err := tx.PutMailOut(ctx, mo, now); err != nil {
		return err
	}
	return tx.PutThread(ctx, store.ThreadEntry{MessageID: q.mail.MessageID, LeadID: q.lead, Direction: store.DirectionOut}, now)
}

// staffName is the name of the user who saved the lead (MODIFY_BY_ID,
// else the assignee), "" when the portal does not say.
func (o *Outbound) staffName(ctx context.Context, lead *bitrix.Lead) string {
	id := fieldString(lead.Fields["MODIFY_BY_ID"])
	if id == "" || id == "0" {
		id = strconv.FormatInt(lead.AssignedByID, 10)
	}
	u, found, err := o.opts.Portal.UserByID(ctx, id)
	if err != nil {
		o.log.Warn().Err(err).Str("user", id).Msg("read the staff member's name")
		return ""
	}
	if !found {
		return ""
	}
	return strings.TrimSpace(string(u.Name) + " " + string(u.LastName))
}

// vars are the template variables for a ticket.
func (o *Outbound) vars(r *rules.Rules, lead *bitrix.Lead, t ticket.Ticket, team, staff, requester string) map[string]string {
	customer := strings.TrimSpace(lead.Name + " " + lead.LastName)
	if customer == "" {
		customer = requester
	}
	typeName := lead.SourceID
	if ty, ok := r.TypeByCode(lead.SourceID); ok {
		typeName = ty.Name
	}
	due := t.NextResponseDue
	if due.IsZero() || !t.NextResponseMet.IsZero() {
		due = t.FirstResponseDue
	}
	return map[string]string{
		rules.VarTicket:   strconv.FormatInt(lead.ID, 10),
		rules.VarTag:      mimeparse.FormatTag(o.opts.TagFormat, int(lead.ID)),
		rules.VarCustomer: customer,
		rules.VarType:     typeName,
		rules.VarSubject:  mimeparse.CleanSubjectTag(lead.Title, o.opts.TagFormat),
		rules.VarDue:      DueWords(due, o.clk.Now(), o.opts.Location),
		rules.VarStaff:    staff,
		rules.VarTeam:     team,
	}
}

// replySubject is the template's subject when it has one (the tag added
// when missing), else "Re: [#ID] original subject".
func replySubject(tplSubject, title, tag, tagFormat string) string {
	if s := strings.TrimSpace(tplSubject); s != "" {
		if !strings.Contains(s, tag) {
			s = tag + " " + s
		}
		return s
	}
	clean := mimeparse.CleanSubjectTag(title, tagFormat)
	if clean == "" {
		clean = mimeparse.NoSubject
	}
	return "Re: " + tag + " " + clean
}

// signature closes an answer with the staff member's and the team's names.
func signature(staff, team string) string {
	var lines []string
	for _, s := range []string{staff, team} {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "\n\n-- \n" + strings.Join(lines, "\n")
}

// fieldString reads a lead field sent as a string, a number, or a list
// (the first element); null and false read as "".
func fieldString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		if len(list) == 0 {
			return ""
		}
		return fieldString(list[0])
	}
	v := strings.TrimSpace(string(raw))
	if v == "null" || v == "false" || v == "" {
		return ""
	}
	return strings.Trim(v, `"`)
}
