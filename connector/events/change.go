package events

import (
	"context"
	"time"
)

// Event names a Change carries in Change.Event.
const (
	EventLeadAdd    = "ONCRMLEADADD"
	EventLeadUpdate = "ONCRMLEADUPDATE"
	EventLeadDelete = "ONCRMLEADDELETE"
	// EventReconcile: the reconcile scan found a ticket whose DATE_MODIFY
	// differs from the one last processed.
	EventReconcile = "reconcile"
	// EventSweep: the sweep of open tickets found one whose DATE_MODIFY
	// differs from the one last processed.
	EventSweep = "sweep"
	// EventDeleted: the sweep found that an open ticket's lead no longer
	// exists in the portal ("Not found").
	EventDeleted = "deleted"
)

// Change is one notice that a lead may have changed. The Sink fetches the
// lead to learn what changed.
type Change struct {
	LeadID int
	// Event is one of the Event* constants.
	Event string
	// At is when the change was noticed: the event's timestamp for portal
	// events, the clock's time for reconcile and sweep.
	At time.Time
	// DateModify is the lead's DATE_MODIFY when known (reconcile, sweep),
	// else zero.
	DateModify time.Time
}

// Sink is the daemon core: it acts on a change (fetch the lead, update the
// SLA state, route). It must be safe to call twice for the same change.
type Sink interface {
	LeadChanged(ctx context.Context, c Change) error
}

// Prefetcher is a Sink that reads the leads of a batch of due changes
// together (one batch request of up to 50 crm.lead.get instead of one
// request per change). The Worker calls PrefetchLeads with the batch it is
// about to drain and hands the returned context to LeadChanged for each
// change of that batch, and for nothing else: a lead read there is used
// once, by the change it was read for, in that drain. Reconcile and sweep
// do the same with the changes of each page of leads they list. A prefetch that fails
// reads nothing; the changes are then read one by one, as without it.
type Prefetcher interface {
	PrefetchLeads(ctx context.Context, changes []Change) context.Context
}

// prefetch lets a Prefetcher sink read the leads of changes together just
// before they are handed to it; the context it returns is for handing
// these changes only.
func prefetch(ctx context.Context, sink Sink, changes []Change) context.Context {
	p, ok := sink.(Prefetcher)
	if !ok || len(changes) == 0 {
		return ctx
	}
	return p.PrefetchLeads(ctx, changes)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, c Change) error

// LeadChanged calls f.
func (f SinkFunc) LeadChanged(ctx context.Context, c Change) error { return f(ctx, c) }

// Recorder stores a change durably before the portal gets its answer.
// isNew is false when a change with the same dedupeKey is already queued (a
// repeated delivery), in which case nothing new is stored.
type Recorder interface {
	Record(ctx context.Context, c Change, dedupeKey string) (isNew bool, err error)
}

// Queued is a recorded change waiting for the Sink.
type Queued struct {
	ID       int64
	Change   Change
	Attempts int
}

// Queue is the durable queue of recorded changes that a Worker drains.
type Queue interface {
	Recorder
	// Pending returns up to limit changes whose next attempt is due at now,
	// oldest first.
	Pending(ctx context.Context, now time.Time, limit int) ([]Queued, error)
	// Done removes a change the Sink accepted.
	Done(ctx context.Context, id int64) error
	// Retry keeps a change the Sink refused and sets its next attempt.
	Retry(ctx context.Context, id int64, next time.Time, reason string) error
}

// IsTicket reports whether a lead with these SOURCE_ID and ORIGINATOR_ID is
// a ticket (DESIGN.md: ORIGINATOR_ID is b24desk or SOURCE_ID is a type code).
type IsTicket func(sourceID, originatorID string) bool

// Known tells what was last processed for a lead.
type Known interface {
	// LastDateModify returns the DATE_MODIFY of the lead state last
	// processed; ok is false when the lead is unknown. DATE_MODIFY has
	// second resolution: an implementation that read the lead within the
	// same second as its DATE_MODIFY should report ok=false (or a zero
	// time) so that a later change in that second is looked at again.
	LastDateModify(ctx context.Context, leadID int) (t time.Time, ok bool, err error)
}

// Cursor is the reconcile's persisted high-water mark: the greatest
// DATE_MODIFY (portal time) the Sink accepted.
type Cursor interface {
	// Get returns the mark; ok is false when none was ever set.
	Get(ctx context.Context) (t time.Time, ok bool, err error)
	Set(ctx context.Context, t time.Time) error
}

// OpenTickets lists the lead IDs of the tickets neither closed nor deleted.
type OpenTickets interface {
	OpenTicketIDs(ctx context.Context) ([]int, error)
}
