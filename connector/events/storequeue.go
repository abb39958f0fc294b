package events

import (
	"context"
	"time"

	"github.com/b24desk/b24desk/connector/store"
)

// StoreQueue is the durable Queue in the SQLite state: a change recorded
// before the portal got its answer survives a crash. A repeat is dropped
// while its change waits, re-arms it while it is processed, and is queued
// anew once it is done (store.RecordEvent says why).
type StoreQueue struct {
	Store *store.Store
}

var _ Queue = StoreQueue{}

// Record queues c unless a change with dedupeKey is already queued.
func (q StoreQueue) Record(ctx context.Context, c Change, dedupeKey string) (bool, error) {
	return q.Store.RecordEvent(ctx, store.QueuedEvent{
		LeadID: int64(c.LeadID), Event: c.Event, At: c.At, DateModify: c.DateModify,
	}, dedupeKey)
}

// Pending returns up to limit changes due at now, oldest first.
func (q StoreQueue) Pending(ctx context.Context, now time.Time, limit int) ([]Queued, error) {
	rows, err := q.Store.PendingEvents(ctx, now, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Queued, len(rows))
	for i, r := range rows {
		out[i] = Queued{ID: r.ID, Attempts: r.Attempts,
			Change: Change{LeadID: int(r.LeadID), Event: r.Event, At: r.At, DateModify: r.DateModify}}
	}
	return out, nil
}

// Done removes a change the Sink accepted.
func (q StoreQueue) Done(ctx context.Context, id int64) error { return q.Store.DoneEvent(ctx, id) }

// Retry keeps a refused change and sets its next attempt.
func (q StoreQueue) Retry(ctx context.Context, id int64, next time.Time, reason string) error {
	return q.Store.RetryEvent(ctx, id, next, reason)
}
