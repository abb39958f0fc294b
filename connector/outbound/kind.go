package outbound

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/schema"
	"github.com/b24desk/b24desk/connector/store"
)

// KindMailSend is the outbox kind that hands one rendered mail to SMTP.
const KindMailSend = "mail.send"

// Mail kinds of the mail_out table.
const (
	KindReply = "reply"
	KindAck   = "ack"
)

// sendPayload is a mail.send row: the mail as rendered once, and what to
// do when it is sent.
type sendPayload struct {
	Mailbox   string   `json:"mailbox"`
	Key       string   `json:"key"` // the mail_out key
	Kind      string   `json:"kind"`
	Lead      int64    `json:"lead"`
	From      string   `json:"from"`
	Rcpt      []string `json:"rcpt"`
	MessageID string   `json:"message_id"`
	Raw       []byte   `json:"raw"`
	// Replies only: the timeline comment (BBCode-escaped) and the lead
	// fields to write once sent (the cleared answer fields, a stage).
	Comment string         `json:"comment,omitempty"`
	Fields  map[string]any `json:"fields,omitempty"`
}

func decodeSend(row outbox.Row) (sendPayload, error) {
	var p sendPayload
	if err := json.Unmarshal(row.Payload, &p); err != nil || p.Key == "" || len(p.Raw) == 0 {
		return p, fmt.Errorf("%s payload is unreadable", KindMailSend)
	}
	return p, nil
}

// sendKind delivers mail.send rows. A 4xx or network failure is transient
// for the outbox (retried with its backoff); a 5xx parks the row, marks the
// mail failed and comments on the ticket. After an unknown outcome the
// Sent folder, when configured, is searched for the Message-ID.
type sendKind struct{ o *Outbound }

func (k sendKind) Do(ctx context.Context, _ outbox.Portal, row outbox.Row) (json.RawMessage, error) {
	p, err := decodeSend(row)
	if err != nil {
		return nil, err
	}
	s, err := k.o.sender(p.Mailbox)
	if err != nil {
		return nil, err // parked: an operator fixes the config and retries
	}
	if err := s.Send(ctx, p.From, p.Rcpt, p.Raw); err != nil {
		if !Permanent(err) {
			return nil, fmt.Errorf("%w: %w", bitrix.ErrTransient, err)
		}
		k.o.failed(ctx, p, err)
		return nil, err
	}
	if sf := k.o.sentFolder(p.Mailbox); sf != nil {
		if err := sf.Append(ctx, p.Raw, k.o.clk.Now()); err != nil {
			k.o.log.Warn().Err(err).Int64("lead", p.Lead).Str("message_id", p.MessageID).Msg("mail sent, copy to the Sent folder failed")
		}
	}
	k.o.log.Info().Int64("lead", p.Lead).Str("kind", p.Kind).Str("message_id", p.MessageID).Msg("mail sent")
	return sentResult(p), nil
}

func (k sendKind) Lookup(ctx context.Context, _ outbox.Portal, row outbox.Row) (json.RawMessage, bool, error) {
	p, err := decodeSend(row)
	if err != nil {
		return nil, false, err
	}
	sf := k.o.sentFolder(p.Mailbox)
	if sf == nil {
		return nil, false, nil // no copy to look at: send again
	}
	found, err := sf.Contains(ctx, p.MessageID)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", bitrix.ErrTransient, err)
	}
	if found {
		k.o.log.Info().Int64("lead", p.Lead).Str("message_id", p.MessageID).Msg("mail found in the Sent folder: not sent again")
		return sentResult(p), true, nil
	}
	return nil, false, nil
}

func sentResult(p sendPayload) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"message_id": p.MessageID})
	return b
}

// failed records a permanent SMTP refusal: the mail_out row is failed and
// the ticket gets a comment (the parked row holds back only the ticket's
// mail group).
func (o *Outbound) failed(ctx context.Context, p sendPayload, sendErr error) {
	now := o.clk.Now()
	text := fmt.Sprintf("Письмо клиенту не отправлено / Mail not sent: %s\nПочтовый сервер отказал; исправьте адрес или настройки и повторите (b24desk outbox retry).", escape(sendErr.Error()))
	err := o.opts.Store.WithTx(ctx, func(tx *store.Tx) error {
		if err := tx.MarkMailOut(ctx, p.Key, store.MailFailed, sendErr.Error(), now); err != nil {
			return err
		}
		_, _, err := o.opts.Outbox.Enqueue(ctx, tx, comment("mail.failed:"+p.Key, outbox.LeadGroup(p.Lead), p.Lead, text))
		return err
	})
	if err != nil {
		o.log.Error().Err(err).Int64("lead", p.Lead).Msg("record the refused mail")
	}
	o.opts.Outbox.Wake()
	o.log.Warn().Err(sendErr).Int64("lead", p.Lead).Str("message_id", p.MessageID).Msg("mail refused by the SMTP server: parked")
}

// sentHook runs when a mail.send row is done: the mail is recorded sent
// and, for a staff answer, the comment, the field clearing and the stage
// move are queued in the ticket's group and the response target is met.
func (o *Outbound) sentHook(ctx context.Context, tx *store.Tx, row outbox.Row, _ json.RawMessage) error {
	p, err := decodeSend(row)
	if err != nil {
		return nil // not ours to complete
	}
	now := o.clk.Now()
	if err := tx.MarkMailOut(ctx, p.Key, store.MailSent, "", now); err != nil {
		return err
	}
	if p.Kind != KindReply {
		return nil
	}
	group := outbox.LeadGroup(p.Lead)
	if p.Comment != "" {
		if _, _, err := o.opts.Outbox.Enqueue(ctx, tx, comment("mail.sent:"+p.Key, group, p.Lead, p.Comment)); err != nil {
			return err
		}
	}
	if len(p.Fields) > 0 {
		_, _, err := o.opts.Outbox.Enqueue(ctx, tx, outbox.Entry{
			DedupeKey: clearKey(p.Key), GroupKey: group,
			Payload: outbox.LeadUpdate{ID: outbox.LeadOf(p.Lead), Fields: p.Fields, Params: outbox.Feed(false)},
		})
		if err != nil {
			return err
		}
	}
	if o.opts.Tickets != nil {
		if err := o.opts.Tickets.StaffReplied(ctx, tx, p.Lead, now); err != nil {
			return fmt.Errorf("staff replied on ticket %d: %w", p.Lead, err)
		}
	}
	return nil
}

// clearKey is the dedupe key of the lead.update that clears the answer
// fields after the mail with the key was sent.
func clearKey(key string) string { return "mail.clear:" + key }

// clearFields are the lead fields written after a staff answer is sent.
func clearFields(stage string) map[string]any {
	f := map[string]any{schema.FieldReply: "", schema.FieldCanned: ""}
	if stage != "" {
		f["STATUS_ID"] = stage
	}
	return f
}

// comment is a timeline comment entry on the lead (text already escaped).
func comment(key, group string, lead int64, text string) outbox.Entry {
	return outbox.Entry{
		DedupeKey: key, GroupKey: group,
		Payload: outbox.Comment(outbox.LeadOf(lead), text, nil),
	}
}

// escape makes staff or customer text safe in a timeline comment.
func escape(s string) string { return mimeparse.EscapeBBCode(s) }
