package desk

import (
	"context"
	"errors"
	"time"

	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// Echoes. Every crm.lead.add or crm.lead.update b24desk sends makes the
// portal send an ONCRMLEADADD/ONCRMLEADUPDATE event back: reading the lead
// for it (crm.lead.get) would cost one request per write and tell nothing
// new. The outbox reads the lead's DATE_MODIFY in the same batch request
// as the write; when the write is done (OnLeadWritten) the engine applies
// it at once, as reading its echo would have (the SLA clock's Update: the
// ticket's fields and to-do), records the DATE_MODIFY of a new lead as
// seen (so that reconcile does not read it again; an update's, being of
// the same second, is not, as for any read: see seenModify) and counts one
// expected echo for the lead. An add or update event of the lead within
// EchoWindow then uses up one expected echo instead of a read. Staff
// changes are still read: their events find no expected echo left, and a
// staff change taken for an echo (it arrived before b24desk's own event,
// or the echo never came) has a DATE_MODIFY other than the one recorded,
// which the next reconcile scan (reconcile.interval) finds and reads. Only
// a staff change of a new lead in the second of its creation could go
// unseen until the lead's next change.

// EchoWindow is how long an expected echo waits for its event.
const EchoWindow = 2 * time.Minute

// awaitWrites bounds the wait for the outbox's writes under way.
const awaitWrites = 10 * time.Second

// leadWritten is the outbox's OnLeadWritten hook (see Echoes).
func (e *Engine) leadWritten(ctx context.Context, tx *store.Tx, w outbox.LeadWrite) error {
	if w.DateModify.IsZero() {
		return nil // not read: the echo is read as any change
	}
	lead := w.Lead
	t, err := tx.Ticket(ctx, lead)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || t.Deleted {
		return err
	}
	now := e.o.Clock.Now()
	// As for a lead read (seenModify): a DATE_MODIFY of this very second
	// is not recorded for an update, so that a staff change saved in the
	// same second is still found by reconcile. A new lead's is: no one
	// could change it before b24desk created it.
	if dm := w.DateModify; dm.After(t.LastDateModify) && (w.Created || now.Sub(dm) >= time.Second) {
		t.LastDateModify = dm
	}
	if err := e.sla.Update(ctx, tx, &t, now); err != nil {
		return err
	}
	x, err := echoes(ctx, tx, lead, now)
	if err != nil {
		return err
	}
	x.N++
	x.Until = now.Add(EchoWindow)
	return tx.PutExpectedEchoes(ctx, lead, x)
}

// echoes reads the lead's expected echoes (none once expired).
func echoes(ctx context.Context, tx *store.Tx, lead int64, now time.Time) (store.Echoes, error) {
	x, err := tx.ExpectedEchoes(ctx, lead)
	if err != nil || !now.Before(x.Until) {
		return store.Echoes{}, err
	}
	return x, nil
}

// ownEcho reports whether the change is the echo of b24desk's own write,
// using up one expected echo of the lead.
func (e *Engine) ownEcho(ctx context.Context, c events.Change) (bool, error) {
	if c.Event != events.EventLeadAdd && c.Event != events.EventLeadUpdate {
		return false, nil
	}
	// The event of a write can come before its answer is recorded.
	wait, cancel := context.WithTimeout(ctx, awaitWrites)
	e.o.Outbox.AwaitWrites(wait)
	cancel()
	own := false
	err := e.o.Store.WithTx(ctx, func(tx *store.Tx) error {
		now := e.o.Clock.Now()
		x, err := echoes(ctx, tx, int64(c.LeadID), now)
		if err != nil || x.N == 0 {
			return err
		}
		own = true
		x.N-- // none left: forgotten
		return tx.PutExpectedEchoes(ctx, int64(c.LeadID), x)
	})
	return own, err
}
