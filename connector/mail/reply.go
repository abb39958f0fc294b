package mail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// thread finds the ticket a mail answers: a Message-ID of In-Reply-To or
// References that b24desk received or sent, else a subject tag when the
// sender is the ticket's requester. A stranger with a valid tag gets
// related set instead (a new ticket linked to that one).
func (i *Intake) thread(ctx context.Context, tx *store.Tx, msg *mimeparse.Message) (lead, related int64, err error) {
	ids := []string{msg.InReplyTo}
	refs := slices.Clone(msg.References)
	slices.Reverse(refs)
	ids = append(ids, refs...)
	e, found, err := tx.LookupThread(ctx, ids...)
	if err != nil {
		return 0, 0, err
	}
	if found && e.LeadID > 0 {
		return e.LeadID, 0, nil
	}
	if found && e.Pending() {
		lead, err := i.pendingLead(ctx, tx, e.OriginID)
		if err != nil || lead > 0 {
			return lead, 0, err
		}
		// Its lead.add was given up: the mail is threaded as if unknown.
	}
	id, ok := mimeparse.FindTag(msg.Subject, i.opts.Threading.TagFormat)
	if !ok {
		return 0, 0, nil
	}
	t, err := tx.Ticket(ctx, int64(id))
	if errors.Is(err, store.ErrNotFound) {
		return 0, 0, nil // not a ticket b24desk knows: an ordinary new mail
	}
	if err != nil {
		return 0, 0, err
	}
	if t.Requester != "" && strings.EqualFold(t.Requester, msg.From.Addr) {
		return t.LeadID, 0, nil
	}
	return 0, t.LeadID, nil
}

// pendingLead resolves a pending thread entry: the lead ID once the
// ticket's lead.add is done, errWaitLead while it is not, 0 when it was
// dropped by an operator.
func (i *Intake) pendingLead(ctx context.Context, tx *store.Tx, origin string) (int64, error) {
	t, err := tx.TicketByOrigin(ctx, origin)
	if err == nil {
		return t.LeadID, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	r, err := tx.OutboxStatusByKey(ctx, outbox.MailLeadKey(origin))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	switch r.State {
	case store.OutboxDone:
		lead, err := outbox.LeadIDFromResult(r.Result)
		if err != nil {
			return 0, nil
		}
		return lead, nil
	case store.OutboxDropped:
		return 0, nil
	default:
		return 0, errWaitLead
	}
}

// reply queues the mail as a timeline comment on its ticket (quoted
// history cut, text BBCode-escaped, attachments as comment files) and tells
// the ticket engine the customer replied.
func (i *Intake) reply(ctx context.Context, tx *store.Tx, lead int64, msg *mimeparse.Message, origin string, now time.Time) (outcome, error) {
	if i.opts.Ratings != nil {
		rated, err := i.opts.Ratings.RateReply(ctx, tx, lead, append([]string{msg.InReplyTo}, msg.References...), firstLine(msg.Reply()))
		if err != nil {
			return outcome{}, err
		}
		if rated {
			if msg.MessageID != "" {
				if err := tx.PutThread(ctx, store.ThreadEntry{MessageID: msg.MessageID, LeadID: lead, Direction: store.DirectionIn}, now); err != nil {
					return outcome{}, err
				}
			}
			return outcome{state: store.MessageReplied, result: ResultRating, wait: wait{Lead: lead}}, nil
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Ответ клиента / Customer reply: %s\n\n", mimeparse.EscapeBBCode(msg.From.String()))
	b.WriteString(mimeparse.EscapeBBCode(strings.TrimSpace(msg.Reply())))
	data, left := i.files(msg, nil)
	if len(left) > 0 {
		b.WriteString("\n\n" + mimeparse.EscapeBBCode(leftOutNote(left)))
	}
	key := "mail.reply:" + origin
	_, created, err := i.opts.Outbox.Enqueue(ctx, tx, outbox.Entry{
		DedupeKey: key, GroupKey: outbox.LeadGroup(lead),
		Payload: outbox.Comment(outbox.LeadOf(lead), b.String(), data),
	})
	if err != nil {
		return outcome{}, err
	}
	if msg.MessageID != "" {
		if err := tx.PutThread(ctx, store.ThreadEntry{MessageID: msg.MessageID, LeadID: lead, Direction: store.DirectionIn}, now); err != nil {
			return outcome{}, err
		}
	}
	result := ResultReply
	if !created {
		result = ResultDuplicate
	} else if err := i.opts.Tickets.CustomerReplied(ctx, tx, lead, now); err != nil {
		return outcome{}, fmt.Errorf("customer replied on ticket %d: %w", lead, err)
	}
	return outcome{state: store.MessageReplied, result: result, wait: wait{Outbox: key, Lead: lead}}, nil
}

// bounce notes a bounce of a mail b24desk sent on its ticket; ok is false
// when the bounced mail is not ours (the mail is then automatic).
func (i *Intake) bounce(ctx context.Context, tx *store.Tx, msg *mimeparse.Message, origin string) (outcome, bool, error) {
	var ids []string
	var status string
	var rcpts []string
	if msg.Bounce != nil {
		ids = append(ids, msg.Bounce.OriginalMessageID)
		status, rcpts = msg.Bounce.Status, msg.Bounce.Recipients
	}
	ids = append(ids, msg.AttachedMessageID)
	e, found, err := tx.LookupThread(ctx, ids...)
	if err != nil || !found || e.Direction != store.DirectionOut {
		return outcome{}, false, err
	}
	text := fmt.Sprintf("Письмо клиенту не доставлено / Our mail was not delivered: %s (status %s)",
		strings.Join(rcpts, ", "), status)
	key := outbox.BounceKey(origin)
	_, _, err = i.opts.Outbox.Enqueue(ctx, tx, outbox.Entry{
		DedupeKey: key, GroupKey: outbox.LeadGroup(e.LeadID),
		Payload: outbox.Comment(outbox.LeadOf(e.LeadID), mimeparse.EscapeBBCode(text), nil),
	})
	if err != nil {
		return outcome{}, false, err
	}
	return outcome{state: store.MessageReplied, result: ResultBounce, wait: wait{Outbox: key, Lead: e.LeadID}}, true, nil
}

// firstLine is the first line of a text that is not blank.
func firstLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
