package mail

import (
	"context"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
)

// Tickets is the ticket engine as the intake hands it mail
// (*desk.Engine). Both run inside the intake's transaction. NewTicket
// opens a ticket from a new mail: it decides it with the rules and queues
// its lead.add. CustomerReplied runs in the transaction that queues the
// reply comment: the engine starts the next-response target, moves a
// waiting ticket to the rules' on_customer_reply stage and reopens a
// closed ticket (the intake calls it for closed tickets only within the
// reopen window).
type Tickets interface {
	NewTicket(ctx context.Context, tx *store.Tx, m ticket.Mail, now time.Time) (ticket.Opened, error)
	CustomerReplied(ctx context.Context, tx *store.Tx, leadID int64, at time.Time) error
}

// Ratings reads a customer's reply as a rating of one of our answers
// (ids: the reply's In-Reply-To and References; firstLine: its first
// line), recording it in the intake's transaction; false: an ordinary
// reply.
type Ratings interface {
	RateReply(ctx context.Context, tx *store.Tx, lead int64, ids []string, firstLine string) (bool, error)
}
