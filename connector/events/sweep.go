package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

// Sweep looks up every open ticket by ID, 50 per crm.lead.list request
// (filter @ID). A ticket whose DATE_MODIFY differs from the one last
// processed goes to the Sink as a "sweep" change. A ticket missing from the
// list is confirmed with crm.lead.get: "Not found" sends a "deleted" change;
// any other answer (access denied, a transient error) stops the sweep
// without concluding anything. It returns how many changes the Sink
// accepted.
func (r *Reconciler) Sweep(ctx context.Context, now time.Time) (int, error) {
	if r.o.OpenTickets == nil {
		return 0, errors.New("sweep: no open-tickets source configured")
	}
	r.sweepMu.Lock()
	defer r.sweepMu.Unlock()

	ids, err := r.o.OpenTickets.OpenTicketIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep: list open tickets: %w", err)
	}
	changed, deleted := 0, 0
	defer func() {
		r.metrics.ReconcileFound(EventSweep, changed)
		r.metrics.ReconcileFound(EventDeleted, deleted)
	}()
	for start := 0; start < len(ids); start += listPageSize {
		chunk := ids[start:min(start+listPageSize, len(ids))]
		c, d, err := r.sweepChunk(ctx, chunk, now)
		changed += c
		deleted += d
		if err != nil {
			return changed + deleted, err
		}
	}
	return changed + deleted, nil
}

func (r *Reconciler) sweepChunk(ctx context.Context, ids []int, now time.Time) (changed, deleted int, err error) {
	rows, err := listLeads(ctx, r.o.Client, map[string]any{"@ID": ids}, map[string]string{"ID": "ASC"})
	if err != nil {
		return 0, 0, fmt.Errorf("sweep: %w", err)
	}
	present := make(map[int]leadRow, len(rows))
	var changes []Change
	for _, row := range rows {
		present[int(row.ID)] = row
		if c, ok, err := r.sweepChange(ctx, row, now); err == nil && ok {
			changes = append(changes, c)
		}
	}
	pctx := prefetch(ctx, r.o.Sink, changes)
	for _, id := range ids {
		row, ok := present[id]
		if !ok {
			gone, err := r.confirmDeleted(ctx, id)
			if err != nil {
				return changed, deleted, err
			}
			if !gone {
				continue // listed elsewhere or hidden: the next sweep looks again
			}
			c := Change{LeadID: id, Event: EventDeleted, At: now}
			if err := r.o.Sink.LeadChanged(ctx, c); err != nil {
				return changed, deleted, fmt.Errorf("sweep: lead %d not accepted: %w", id, err)
			}
			r.log.Info().Int("lead", id).Msg("ticket's lead deleted in the portal")
			deleted++
			continue
		}
		c, ok, err := r.sweepChange(pctx, row, now)
		if err != nil {
			return changed, deleted, err
		}
		if !ok {
			continue
		}
		if err := r.o.Sink.LeadChanged(pctx, c); err != nil {
			return changed, deleted, fmt.Errorf("sweep: lead %d not accepted: %w", id, err)
		}
		r.log.Info().Int("lead", id).Time("date_modify", row.DateModify.Time).Msg("change found by sweep")
		changed++
	}
	return changed, deleted, nil
}

// sweepChange is the change to hand to the Sink for a listed open ticket;
// ok is false when its DATE_MODIFY is the one last processed.
func (r *Reconciler) sweepChange(ctx context.Context, row leadRow, now time.Time) (c Change, ok bool, err error) {
	id := int(row.ID)
	last, known, err := r.o.Known.LastDateModify(ctx, id)
	if err != nil {
		return Change{}, false, fmt.Errorf("sweep: lead %d: %w", id, err)
	}
	if known && !last.IsZero() && last.Equal(row.DateModify.Time) {
		return Change{}, false, nil
	}
	return Change{LeadID: id, Event: EventSweep, At: now, DateModify: row.DateModify.Time}, true, nil
}

// confirmDeleted asks crm.lead.get about a lead the list did not return:
// true only for "Not found".
func (r *Reconciler) confirmDeleted(ctx context.Context, id int) (bool, error) {
	_, err := r.o.Client.LeadGet(ctx, int64(id))
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, bitrix.ErrNotFound):
		return true, nil
	}
	return false, fmt.Errorf("sweep: confirm lead %d: %w", id, err)
}
