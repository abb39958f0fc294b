package mail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/store"
)

// Results of handling one mail, for logs and the mail metric.
const (
	ResultTicket      = "ticket"      // a new ticket
	ResultDuplicate   = "duplicate"   // the mail's ticket already exists (e.g. from another mailbox)
	ResultReply       = "reply"       // added to an existing ticket
	ResultRating      = "rating"      // a reply read as the customer's rating of an answer
	ResultBounce      = "bounce"      // a bounce of our mail, noted on its ticket
	ResultAutomatic   = "automatic"   // automatic mail: no ticket
	ResultSpam        = "spam"        // spam skipped (X-Spam-Flag, spam: skip)
	ResultJunk        = "junk"        // a new ticket created in the junk stage
	ResultQuarantined = "quarantined" // nothing usable came out of it
	ResultError       = "error"       // a state failure; retried
)

// truncatedHeader is what imapbox puts on a mail fetched above the size cap.
const truncatedHeader = "X-B24desk-Truncated"

// wait is what a handled mail waits for before it is finished in the
// mailbox (kept in the state until then).
type wait = store.MailWait

// outcome is the decision for one mail.
type outcome struct {
	state  store.MessageState
	wait   wait
	result string
	note   string // kept in the message row's error column
	ticket string // the new ticket's type, for the metric
}

// processPage is how many spooled mails one transaction handles, and
// processPageBytes how much raw mail they may add up to (a page ends at
// the mail that reaches it): with large mails a page is smaller, so the
// memory of one page stays near processPageBytes plus one mail.
const (
	processPage      = 50
	processPageBytes = 32 << 20
)

// errWaitLead says a mail answers a ticket whose lead.add is not done yet:
// the mail stays spooled (nothing flagged or moved) until the lead exists.
var errWaitLead = errors.New("the ticket it answers is not created yet")

// ProcessSpooled handles every spooled mail of this mailbox: it is called
// after each fetch and on start, to resume after a crash. The decisions
// and outbox rows of a page of mails are one transaction. It returns only
// state failures; a mail that cannot be used is quarantined, a reply to a
// ticket not created yet stays spooled for a later call.
func (i *Intake) ProcessSpooled(ctx context.Context) error {
	i.procMu.Lock()
	defer i.procMu.Unlock()
	var after int64
	for {
		rows, err := i.opts.Store.ListMessages(ctx, store.MessageFilter{
			State: store.MessageSpooled, Mailbox: i.name, AfterID: after, Limit: processPage, WithRaw: true,
			MaxRawBytes: processPageBytes})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		after = rows[len(rows)-1].ID
		if err := i.processPage(ctx, rows); err != nil {
			i.opts.Metrics.Mail(i.name, ResultError)
			return err
		}
		if len(rows) < processPage && raw(rows) < processPageBytes {
			return nil
		}
	}
}

// raw is the size of the rows' raw copies.
func raw(rows []store.Message) int {
	n := 0
	for _, r := range rows {
		n += len(r.Raw)
	}
	return n
}

// handled is one mail of a page: its parse and its decision.
type handled struct {
	row     store.Message
	msg     *mimeparse.Message
	out     outcome
	waiting bool
	spam    verdict
}

// processPage handles spooled mails in one transaction: parsing happens
// before it, logging after it.
func (i *Intake) processPage(ctx context.Context, rows []store.Message) error {
	now := i.clk.Now()
	page := make([]handled, len(rows))
	perrs := make([]error, len(rows))
	for n, row := range rows {
		page[n].row = row
		page[n].msg, perrs[n] = mimeparse.Parse(row.Raw, mimeparse.Options{MaxSize: int(i.opts.Mailbox.MaxSize)})
	}
	i.checkSpam(ctx, page)
	err := i.opts.Store.WithTx(ctx, func(tx *store.Tx) error {
		for n := range page {
			h := &page[n]
			h.waiting = false
			if perrs[n] != nil {
				h.out = outcome{state: store.MessageQuarantined, result: ResultQuarantined, note: perrs[n].Error()}
			} else {
				out, err := i.handle(ctx, tx, h.row, h.msg, h.spam, now)
				if errors.Is(err, errWaitLead) {
					h.waiting = true // nothing was written for it
					continue
				}
				if err != nil {
					return fmt.Errorf("handle mail %s: %w", h.row.DedupeKey, err)
				}
				h.out = out
			}
			if h.out.wait != (wait{}) {
				if err := tx.PutMailWait(ctx, h.row.DedupeKey, h.out.wait); err != nil {
					return err
				}
			}
			if err := tx.MarkMessage(ctx, h.row.DedupeKey, h.out.state, h.out.wait.Lead, h.out.note, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	i.opts.Outbox.Wake()
	for _, h := range page {
		i.logHandled(h)
	}
	return nil
}

// logHandled logs and counts one handled mail.
func (i *Intake) logHandled(h handled) {
	log := i.log.With().Uint32("uid", h.row.UID).Str("row", h.row.DedupeKey).Logger()
	if h.waiting {
		ev := log.Debug()
		if h.msg != nil {
			ev = ev.Str("message_id", h.msg.MessageID)
		}
		ev.Msg("reply waits for its ticket's lead")
		return
	}
	out := h.out
	i.opts.Metrics.Mail(i.name, out.result)
	ev := log.Info()
	if out.result == ResultQuarantined {
		ev = log.Warn().Str("reason", out.note)
	}
	if h.msg != nil {
		ev = ev.Str("message_id", h.msg.MessageID).Str("auto", h.msg.Auto.String())
	}
	if out.wait.Lead > 0 {
		ev = ev.Int64("lead", out.wait.Lead)
	}
	if out.ticket != "" {
		i.opts.Metrics.TicketCreated(out.ticket, "mail")
		ev = ev.Str("type", out.ticket)
	}
	if h.spam.checked {
		ev = ev.Float64("spam_score", h.spam.res.Score).Bool("spam", h.spam.spam)
	} else if h.spam.unchecked != "" {
		ev = ev.Str("spam_check", h.spam.unchecked)
	}
	ev.Str("result", out.result).Msg("mail handled")
}

// handle decides what one parsed mail becomes, inside tx.
func (i *Intake) handle(ctx context.Context, tx *store.Tx, row store.Message, msg *mimeparse.Message, v verdict, now time.Time) (outcome, error) {
	origin := mimeparse.DedupeKey(msg)
	oversize := row.Error == errOversize || msg.Oversize || len(msg.Header[truncatedHeader]) > 0
	if msg.Auto == mimeparse.AutoBounce {
		if out, ok, err := i.bounce(ctx, tx, msg, origin); err != nil || ok {
			return out, err
		}
	}
	if msg.Auto != mimeparse.AutoNone {
		return outcome{state: store.MessageReplied, result: ResultAutomatic, note: "automatic: " + msg.AutoReason}, nil
	}
	if msg.Spam && i.opts.Mailbox.Spam != "junk" {
		return outcome{state: store.MessageReplied, result: ResultSpam, note: "spam skipped"}, nil
	}
	lead, related, err := i.thread(ctx, tx, msg)
	if err != nil {
		return outcome{}, err
	}
	if lead > 0 && v.spam {
		// A spam "reply" (check_replies) reopens nothing: a junk ticket
		// linked to the one it claims to answer.
		lead, related = 0, lead
	}
	if lead > 0 {
		t, err := tx.Ticket(ctx, lead)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return i.reply(ctx, tx, lead, msg, origin, now)
		case err != nil:
			return outcome{}, err
		case t.ClosedAt.IsZero() || now.Sub(t.ClosedAt) <= i.opts.Threading.ReopenWindow:
			return i.reply(ctx, tx, lead, msg, origin, now)
		default:
			related = lead // closed too long ago: a new ticket linked to it
		}
	}
	return i.newTicket(ctx, tx, msg, origin, related, oversize, row, v, now)
}
