package mail

import (
	"context"
	"encoding/json"
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
	ResultBounce      = "bounce"      // a bounce of our mail, noted on its ticket
	ResultAutomatic   = "automatic"   // automatic mail: no ticket
	ResultSpam        = "spam"        // spam skipped
	ResultQuarantined = "quarantined" // nothing usable came out of it
	ResultError       = "error"       // a state failure; retried
)

// truncatedHeader is what imapbox puts on a mail fetched above the size cap.
const truncatedHeader = "X-B24desk-Truncated"

// waitPrefix keys the state setting that says what a handled mail waits
// for before it is moved; draftPrefix keys the ticket drafted for a
// lead.add, read by the lead.add hook.
const (
	waitPrefix  = "mail.wait:"
	draftPrefix = "mail.draft:"
)

// wait is what a handled mail waits for before it is finished in the
// mailbox.
type wait struct {
	// Outbox is the dedupe key of the outbox row that must be done ("":
	// nothing to wait for).
	Outbox string `json:"outbox,omitempty"`
	// Lead is the ticket the mail went to, when known already.
	Lead int64 `json:"lead,omitempty"`
	// Quarantine moves the mail to the quarantine folder instead of the
	// processed one (an oversize original).
	Quarantine bool `json:"quarantine,omitempty"`
}

// outcome is the decision for one mail.
type outcome struct {
	state  store.MessageState
	wait   wait
	result string
	note   string // kept in the message row's error column
	ticket string // the new ticket's type, for the metric
}

// ProcessSpooled handles every spooled mail of this mailbox: it is called
// after each fetch and on start, to resume after a crash. Each mail's
// decision and its outbox rows are one transaction. It returns only state
// failures; a mail that cannot be used is quarantined.
func (i *Intake) ProcessSpooled(ctx context.Context) error {
	i.procMu.Lock()
	defer i.procMu.Unlock()
	const page = 100
	for {
		rows, err := i.opts.Store.MessagesInState(ctx, store.MessageSpooled, page)
		if err != nil {
			return err
		}
		mine := 0
		for _, row := range rows {
			if row.Mailbox != i.name {
				continue
			}
			mine++
			if err := i.process(ctx, row); err != nil {
				i.opts.Metrics.Mail(i.name, ResultError)
				return err
			}
		}
		if len(rows) < page || mine == 0 {
			return nil
		}
	}
}

// process handles one spooled mail.
func (i *Intake) process(ctx context.Context, row store.Message) error {
	now := i.clk.Now()
	log := i.log.With().Uint32("uid", row.UID).Str("row", row.DedupeKey).Logger()
	msg, perr := mimeparse.Parse(row.Raw, mimeparse.Options{MaxSize: int(i.opts.Mailbox.MaxSize)})
	var out outcome
	err := i.opts.Store.WithTx(ctx, func(tx *store.Tx) error {
		var err error
		if perr != nil {
			out = outcome{state: store.MessageQuarantined, result: ResultQuarantined, note: perr.Error()}
		} else {
			out, err = i.handle(ctx, tx, row, msg, now)
			if err != nil {
				return err
			}
		}
		if err := putJSON(ctx, tx, waitPrefix+row.DedupeKey, out.wait); err != nil {
			return err
		}
		return tx.MarkMessage(ctx, row.DedupeKey, out.state, out.wait.Lead, out.note, now)
	})
	if err != nil {
		return fmt.Errorf("handle mail %s: %w", row.DedupeKey, err)
	}
	i.opts.Outbox.Wake()
	i.opts.Metrics.Mail(i.name, out.result)
	ev := log.Info()
	if out.result == ResultQuarantined {
		ev = log.Warn().Str("reason", out.note)
	}
	if msg != nil {
		ev = ev.Str("message_id", msg.MessageID).Str("auto", msg.Auto.String())
	}
	if out.wait.Lead > 0 {
		ev = ev.Int64("lead", out.wait.Lead)
	}
	if out.ticket != "" {
		i.opts.Metrics.TicketCreated(out.ticket, "mail")
		ev = ev.Str("type", out.ticket)
	}
	ev.Str("result", out.result).Msg("mail handled")
	return nil
}

// handle decides what one parsed mail becomes, inside tx.
func (i *Intake) handle(ctx context.Context, tx *store.Tx, row store.Message, msg *mimeparse.Message, now time.Time) (outcome, error) {
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
	return i.newTicket(ctx, tx, msg, origin, related, oversize, row, now)
}

func putJSON(ctx context.Context, tx *store.Tx, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.PutSetting(ctx, key, string(b))
}
