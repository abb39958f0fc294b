package outbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// ackHook runs when a lead.add is done, after desk's hook recorded
// the ticket: when the mail's mailbox acknowledges, it queues the
// acknowledgement from the mailbox's template. Never to automatic mail or
// addresses, never for spam, never to a mail that answers one of our
// acknowledgements (answersOurAck), and within the caps (takeAck).
func (o *Outbound) ackHook(ctx context.Context, tx *store.Tx, row outbox.Row, result json.RawMessage) error {
	if _, ok := outbox.MailLeadOrigin(row.DedupeKey); !ok {
		return nil // only tickets made from mail are acknowledged
	}
	lead, err := outbox.LeadIDFromResult(result)
	if err != nil {
		return nil // desk's hook (desk.RegisterHooks) reports it
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
		t = ticket.Ticket{LeadID: lead}
	} else if err != nil {
		return err
	}
	fields := leadAddFields(row.Payload)
	fields.ID = lead
	if fields.Name == "" && fields.LastName == "" {
		fields.Name = msg.From.Name
	}
	return o.acknowledge(ctx, tx, mb, ackTo{lead: &fields, ticket: t, to: to, name: msg.From.Name, mail: msg}, log)
}

// ackTo is an acknowledgement to send: the ticket's lead and ticket, the
// address and name, and the customer's mail when it came by mail (nil for
// a lead adopted from a portal channel).
type ackTo struct {
	lead     *bitrix.Lead
	ticket   ticket.Ticket
	to, name string
	mail     *mimeparse.Message
}

// AckAdopted acknowledges a lead adopted from a portal channel (a web form,
// a callback: rules intake_sources) like a mail's ticket: to the lead's
// first e-mail, from the first mailbox that acknowledges, with its
// template, within the same caps. No e-mail, an automatic or our own
// address, or no acknowledging mailbox: nothing is sent.
func (o *Outbound) AckAdopted(ctx context.Context, tx *store.Tx, lead *bitrix.Lead, t ticket.Ticket) error {
	var mb config.Mailbox
	for _, m := range o.opts.Mailboxes {
		if m.Ack.Enabled && m.SMTP.Enabled() {
			mb = m
			break
		}
	}
	to := ""
	for _, e := range lead.Emails {
		if e.Value != "" {
			to = strings.ToLower(strings.TrimSpace(e.Value))
			break
		}
	}
	if mb.Name == "" || to == "" || Automatic(to) || o.ourAddress(to) {
		return nil
	}
	name := strings.TrimSpace(lead.Name + " " + lead.LastName)
	log := o.log.With().Int64("lead", lead.ID).Str("mailbox", mb.Name).Logger()
	return o.acknowledge(ctx, tx, mb, ackTo{lead: lead, ticket: t, to: to, name: name}, log)
}

// acknowledge queues the acknowledgement from the mailbox's template,
// unless it answers one of our acknowledgements (a mail only) or a cap is
// reached.
func (o *Outbound) acknowledge(ctx context.Context, tx *store.Tx, mb config.Mailbox, a ackTo, log zerolog.Logger) error {
	r := o.opts.Rules()
	if r == nil {
		return nil
	}
	if st := a.ticket.Status; st != "" && r.StateOf(st) == rules.StateClosed {
		log.Debug().Str("stage", st).Msg("no acknowledgement: created closed (junk)")
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
	if a.mail != nil {
		if why, err := o.answersOurAck(ctx, tx, a.mail, today); err != nil || why != "" {
			if why != "" {
				o.opts.Metrics.Ack(mb.Name, ackLoop)
				log.Warn().Str("message_id", a.mail.MessageID).Str("why", why).Msg("no acknowledgement: the mail answers our own acknowledgement (mail loop)")
			}
			return err
		}
	}
	to := a.to
	if result, err := o.takeAck(ctx, tx, mb, to, today); err != nil || result != ackQueued {
		if result != "" {
			o.opts.Metrics.Ack(mb.Name, result)
			ev := log.Warn() // a domain or the whole mailbox at its cap: a loop or a flood
			if result == ackSenderCap {
				ev = log.Info()
			}
			ev.Str("cap", result).Str("domain", domainOf(to)).Msg("no acknowledgement: cap reached")
		}
		return err
	}
	lead := a.lead.ID
	vars := o.vars(r, a.lead, a.ticket, mb.DisplayName, "", to)
	subject, text := tpl.Render(vars)
	tag := mimeparse.FormatTag(o.opts.TagFormat, int(lead))
	original := a.lead.Title
	if a.mail != nil {
		original = a.mail.Subject
	}
	m := Mail{
		From:    Address{Name: mb.DisplayName, Address: mb.Address},
		To:      []Address{{Name: a.name, Address: to}},
		Subject: replySubject(subject, original, tag, o.opts.TagFormat),
		Date:    now, Loop: mb.Name, AutoReplied: true,
		Text: strings.TrimSpace(text) + signature("", mb.DisplayName),
	}
	if a.mail != nil && a.mail.MessageID != "" {
		m.InReplyTo, m.References = a.mail.MessageID, append(append([]string{}, a.mail.References...), a.mail.MessageID)
	}
	if err := o.queue(ctx, tx, queued{mail: m, key: "ack:" + strconv.FormatInt(lead, 10), kind: KindAck, lead: lead, mailbox: mb.Name}); err != nil {
		return err
	}
	// Remember the subject: an auto-responder that strips our tag and
	// answers from another address is still recognised.
	if _, err := tx.TakeAcks(ctx, []store.AckQuota{{Key: ackSubjectKey(m.Subject, o.opts.TagFormat), Period: today.Format(time.DateOnly), Limit: math.MaxInt}}); err != nil {
		return err
	}
	o.opts.Metrics.Ack(mb.Name, ackQueued)
	return nil
}

// Acknowledgement results (the b24desk_acks_total metric).
const (
	ackQueued     = "queued"
	ackLoop       = "loop"
	ackSenderCap  = "sender_daily_cap"
	ackDomainCap  = "domain_hourly_cap"
	ackMailboxCap = "hourly_cap"
)

// answersOurAck says why a new ticket's mail looks like an answer to one
// of our acknowledgements ("" when it does not): it names one of them in
// In-Reply-To, References, an attached or quoted header, or its subject is
// the subject of an acknowledgement sent today or yesterday with our tag
// stripped. Such a mail still makes a ticket (a person may be writing) but
// is never acknowledged, so a responder that answers acknowledgements from
// ever new addresses gets one round, not a loop.
func (o *Outbound) answersOurAck(ctx context.Context, tx *store.Tx, msg *mimeparse.Message, today time.Time) (string, error) {
	ids := append([]string{msg.InReplyTo, msg.AttachedMessageID, mimeparse.QuotedMessageID(msg.Text)}, msg.References...)
	out, found, err := tx.MailOutByMessageID(ctx, ids...)
	if err != nil {
		return "", err
	}
	if found && out.Kind == KindAck {
		return "names our acknowledgement " + out.MessageID, nil
	}
	n, err := tx.AckCount(ctx, ackSubjectKey(msg.Subject, o.opts.TagFormat), today.AddDate(0, 0, -1).Format(time.DateOnly))
	if err != nil || n == 0 {
		return "", err
	}
	return "the subject of our acknowledgement with the tag stripped", nil
}

// ackSubjectKey is the ack_count key remembering an acknowledgement's
// subject (hashed: the counts hold no mail content).
func ackSubjectKey(subject, tagFormat string) string {
	sum := sha256.Sum256([]byte(mimeparse.LoopSubject(subject, tagFormat)))
	return "subject:" + hex.EncodeToString(sum[:12])
}

// takeAck takes the acknowledgement's counts: per sender and day
// (ack.daily_cap), per sender domain and clock hour (ack.domain_hourly_cap)
// and per mailbox and clock hour (ack.hourly_cap); all or none. It returns
// ackQueued, or the cap that was reached.
func (o *Outbound) takeAck(ctx context.Context, tx *store.Tx, mb config.Mailbox, to string, today time.Time) (string, error) {
	day, hour := today.Format(time.DateOnly), today.Format("2006-01-02T15")
	full, err := tx.TakeAcks(ctx, []store.AckQuota{
		{Key: strings.ToLower(to), Period: day, Limit: capOr(mb.Ack.DailyCap, config.DefaultAckDailyCap)},
		{Key: "domain:" + mb.Name + ":" + domainOf(to), Period: hour, Limit: capOr(mb.Ack.DomainHourlyCap, config.DefaultAckDomainHourlyCap)},
		{Key: "all:" + mb.Name, Period: hour, Limit: capOr(mb.Ack.HourlyCap, config.DefaultAckHourlyCap)},
	})
	if err != nil {
		return "", err
	}
	if full < 0 {
		return ackQueued, nil
	}
	return []string{ackSenderCap, ackDomainCap, ackMailboxCap}[full], nil
}

// capOr is a configured cap, or def when it is not set.
func capOr(n, def int) int {
	if n < 1 {
		return def
	}
	return n
}

// domainOf is an address's domain, lower case.
func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return strings.ToLower(d)
}

// bounceHook notes the requester's address as bounced when the intake's
// bounce comment (outbox.BounceKey) is done on a ticket: the next
// staff answer to it is flagged.
func (o *Outbound) bounceHook(ctx context.Context, tx *store.Tx, row outbox.Row, _ json.RawMessage) error {
	if !outbox.IsBounceKey(row.DedupeKey) {
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
