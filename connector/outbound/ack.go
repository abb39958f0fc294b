package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// intakeLeadPrefix is the dedupe key prefix of the intake's lead.add rows
// (connector/mail leadAddKey): only tickets made from mail are acknowledged.
const intakeLeadPrefix = "mail.lead:"

// ackHook runs when a lead.add is done, after the intake's hook recorded
// the ticket: when the mail's mailbox acknowledges, it queues the
// acknowledgement from the mailbox's template. Never to automatic mail or
// addresses, never for spam, at most ack.daily_cap per sender and day.
func (o *Outbound) ackHook(ctx context.Context, tx *store.Tx, row outbox.Row, result json.RawMessage) error {
	if !strings.HasPrefix(row.DedupeKey, intakeLeadPrefix) {
		return nil
	}
	lead, err := outbox.LeadIDFromResult(result)
	if err != nil {
		return nil // the intake's hook reports it
	}
	msgs, err := tx.MessagesOfLead(ctx, lead, 1)
	if err != nil || len(msgs) == 0 || len(msgs[0].Raw) == 0 {
		return err
	}
	mb, ok := o.mailbox(msgs[0].Mailbox)
	if !ok || !mb.Ack.Enabled || !mb.SMTP.Enabled() {
		return nil
	}
	log := o.log.With().Int64("lead", lead).Str("mailbox", mb.Name).Logger()
	msg, err := mimeparse.Parse(msgs[0].Raw, mimeparse.Options{})
	if err != nil {
		return nil
	}
	to := msg.From.Addr
	if len(msg.ReplyTo) > 0 {
		to = msg.ReplyTo[0].Addr
	}
	switch {
	case msg.Auto != mimeparse.AutoNone, msg.SuppressAutoReply, msg.Spam:
		log.Debug().Str("auto", msg.Auto.String()).Msg("no acknowledgement: automatic or spam mail")
		return nil
	case to == "" || Automatic(to) || o.ourAddress(to):
		log.Debug().Msg("no acknowledgement: automatic address")
		return nil
	}
	t, err := tx.Ticket(ctx, lead)
	if errors.Is(err, store.ErrNotFound) {
		t = store.Ticket{LeadID: lead}
	} else if err != nil {
		return err
	}
	r := o.opts.Rules()
	if r == nil {
		return nil
	}
	tpl, ok := r.TemplateByName(mb.Ack.Template)
	if !ok {
		log.Warn().Str("template", mb.Ack.Template).Msg("no acknowledgement: the template is not in the rules file")
		return nil
	}
	now := o.clk.Now()
	today := now.In(o.opts.Location)
	// Counts of earlier days are not needed any more.
	if err := tx.PruneAcks(ctx, today.AddDate(0, 0, -2).Format(time.DateOnly)); err != nil {
		return err
	}
	taken, err := tx.TakeAck(ctx, to, today.Format(time.DateOnly), max(mb.Ack.DailyCap, 1))
	if err != nil {
		return err
	}
	if !taken {
		log.Info().Msg("no acknowledgement: daily cap for the sender reached")
		return nil
	}
	fields := leadAddFields(row.Payload)
	fields.ID = lead
	if fields.Name == "" && fields.LastName == "" {
		fields.Name = msg.From.Name
	}
	vars := o.vars(r, &fields, t, mb.DisplayName, "", to)
	subject, text := tpl.Render(vars)
	tag := mimeparse.FormatTag(o.opts.TagFormat, int(lead))
	m := Mail{
		From:    Address{Name: mb.DisplayName, Address: mb.Address},
		To:      []Address{{Name: msg.From.Name, Address: to}},
		Subject: replySubject(subject, msg.Subject, tag, o.opts.TagFormat),
		Date:    now, Loop: mb.Name, AutoReplied: true,
		Text: strings.TrimSpace(text) + signature("", mb.DisplayName),
	}
	if msg.MessageID != "" {
		m.InReplyTo, m.References = msg.MessageID, append(append([]string{}, msg.References...), msg.MessageID)
	}
	return o.queue(ctx, tx, queued{mail: m, key: "ack:" + strconv.FormatInt(lead, 10), kind: KindAck, lead: lead, mailbox: mb.Name})
}

// bounceHook notes the requester's address as bounced when the intake's
// bounce comment (key prefix "mail.bounce:") is done on a ticket: the next
// staff answer to it is flagged.
func (o *Outbound) bounceHook(ctx context.Context, tx *store.Tx, row outbox.Row, _ json.RawMessage) error {
	if !strings.HasPrefix(row.DedupeKey, "mail.bounce:") {
		return nil
	}
	var p struct {
		Fields struct {
			EntityID json.RawMessage `json:"ENTITY_ID"`
			Comment  string          `json:"COMMENT"`
		} `json:"fields"`
	}
	if json.Unmarshal(row.Payload, &p) != nil {
		return nil
	}
	lead, err := outbox.LeadIDFromResult(p.Fields.EntityID)
	if err != nil {
		return nil
	}
	t, err := tx.Ticket(ctx, lead)
	if err != nil || t.Requester == "" {
		return nil
	}
	text := strings.ToLower(p.Fields.Comment)
	if strings.Contains(text, strings.ToLower(t.Requester)) || !strings.Contains(text, "@") {
		return tx.PutBounced(ctx, t.Requester, lead, o.clk.Now())
	}
	return nil
}

// leadAddFields reads the lead fields of a lead.add payload (TITLE, NAME,
// SOURCE_ID...); an unreadable payload gives an empty lead.
func leadAddFields(payload json.RawMessage) bitrix.Lead {
	var p struct {
		Fields json.RawMessage `json:"fields"`
	}
	var l bitrix.Lead
	if json.Unmarshal(payload, &p) == nil && len(p.Fields) > 0 {
		_ = json.Unmarshal(p.Fields, &l)
	}
	return l
}
