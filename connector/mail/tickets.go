package mail

import (
	"context"
	"time"

	"github.com/b24desk/b24desk/connector/store"
)

// Tickets is what the intake tells the ticket engine (the daemon's SLA
// engine implements it). CustomerReplied runs inside the transaction that
// queues the reply comment: the engine starts the next-response target,
// moves a waiting ticket to the rules' on_customer_reply stage and reopens
// a closed ticket (the intake calls it for closed tickets only within the
// reopen window).
type Tickets interface {
	CustomerReplied(ctx context.Context, tx *store.Tx, leadID int64, at time.Time) error
}

// Ratings reads a customer's reply as a rating of one of our answers
// (ids: the reply's In-Reply-To and References; firstLine: its first
// line), recording it in the intake's transaction; false: an ordinary
// reply.
type Ratings interface {
	RateReply(ctx context.Context, tx *store.Tx, lead int64, ids []string, firstLine string) (bool, error)
}
