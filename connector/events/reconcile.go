package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// ReconcilerOptions configures NewReconciler.
type ReconcilerOptions struct {
	Client   Client   // required
	Sink     Sink     // required
	Known    Known    // required
	Cursor   Cursor   // required
	IsTicket IsTicket // required
	// OpenTickets is needed by Sweep only.
	OpenTickets OpenTickets
	// Margin is subtracted from the high-water mark (default 60s): the
	// portal's clock, its event queue and second-resolution DATE_MODIFY
	// make the boundary fuzzy.
	Margin time.Duration
	// InitialLookback is how far back the first run (no mark yet) looks
	// (default 24h).
	InitialLookback time.Duration
	// Location formats filter dates (default: UTC, with explicit offset).
	// Set it to the portal's time zone for nicer logs; either is correct.
	Location *time.Location
	Logger   zerolog.Logger
	Metrics  Metrics // default NopMetrics
}

// Reconciler finds the changes the portal's events missed: RunOnce scans
// leads by DATE_MODIFY, Sweep looks at every open ticket by ID. Both are
// driven by a scheduler elsewhere; each runs one at a time.
type Reconciler struct {
	o       ReconcilerOptions
	log     zerolog.Logger
	metrics Metrics
	runMu   sync.Mutex
	sweepMu sync.Mutex
}

// NewReconciler checks the options and returns a reconciler.
func NewReconciler(o ReconcilerOptions) (*Reconciler, error) {
	if o.Client == nil || o.Sink == nil || o.Known == nil || o.Cursor == nil || o.IsTicket == nil {
		return nil, errors.New("events: reconciler needs a client, a sink, known, a cursor and IsTicket")
	}
	if o.Margin <= 0 {
		o.Margin = 60 * time.Second
	}
	if o.InitialLookback <= 0 {
		o.InitialLookback = 24 * time.Hour
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	r := &Reconciler{o: o, log: o.Logger.With().Str("component", "reconcile").Logger(), metrics: o.Metrics}
	if r.metrics == nil {
		r.metrics = NopMetrics{}
	}
	return r, nil
}

// scanMode is the filter of the next page of a reconcile scan.
type scanMode int

const (
	scanFrom  scanMode = iota // DATE_MODIFY >= dm, rows up to (dm, lastID) already seen
	scanTies                  // DATE_MODIFY = dm and ID > lastID
	scanAfter                 // DATE_MODIFY > dm
)

// RunOnce lists the leads modified since the high-water mark minus the
// margin, in (DATE_MODIFY, ID) order, and hands each ticket whose
// DATE_MODIFY differs from the one last processed to the Sink as a
// "reconcile" change. Leads that are not tickets (by IsTicket) and not
// known either are skipped without a write; a known ticket whose type was
// changed to a non-ticket source still reaches the Sink, which decides. The mark then moves to the greatest DATE_MODIFY seen; when the
// Sink refuses a change, the scan stops and the mark moves only up to the
// rows before it, so the next run looks at that row again. It returns how
// many changes the Sink accepted.
//
// Pages are read by keyset (from the last row's DATE_MODIFY, skipping the
// rows of that second already seen; by ID when a whole page shares one
// second), not by offset: a lead modified during the scan moves to the end
// of the order, and an offset would then skip a row.
func (r *Reconciler) RunOnce(ctx context.Context, now time.Time) (int, error) {
	r.runMu.Lock()
	defer r.runMu.Unlock()

	mark, ok, err := r.o.Cursor.Get(ctx)
	if err != nil {
		return 0, fmt.Errorf("reconcile: read mark: %w", err)
	}
	from := now.Add(-r.o.InitialLookback)
	if ok {
		from = mark.Add(-r.o.Margin)
	}
	from = from.Truncate(time.Second)

	found := 0
	newMark := mark
	dm, lastID, mode := from, 0, scanFrom
	defer func() {
		r.metrics.ReconcileFound(EventReconcile, found)
	}()
	for {
		filter := map[string]any{}
		switch mode {
		case scanFrom:
			filter[">=DATE_MODIFY"] = formatPortalTime(dm, r.o.Location)
		case scanTies:
			filter["=DATE_MODIFY"] = formatPortalTime(dm, r.o.Location)
			filter[">ID"] = lastID
		case scanAfter:
			filter[">DATE_MODIFY"] = formatPortalTime(dm, r.o.Location)
		}
		page, err := listLeads(ctx, r.o.Client, filter, map[string]string{"DATE_MODIFY": "ASC", "ID": "ASC"})
		if err != nil {
			return found, r.finish(ctx, mark, newMark, fmt.Errorf("reconcile: %w", err))
		}
		seen := func(row leadRow) bool { // on the previous page
			return mode == scanFrom && row.DateModify.Equal(dm) && int(row.ID) <= lastID
		}
		var changes []Change
		for _, row := range page {
			if c, ok, err := r.changeOf(ctx, row, now); err == nil && ok && !seen(row) {
				changes = append(changes, c)
			}
		}
		pctx := prefetch(ctx, r.o.Sink, changes)
		for _, row := range page {
			if seen(row) {
				continue
			}
			accepted, err := r.consider(pctx, row, now)
			if err != nil {
				return found, r.finish(ctx, mark, newMark, err)
			}
			if accepted {
				found++
			}
			if row.DateModify.After(newMark) {
				newMark = row.DateModify.Time
			}
		}
		switch {
		case len(page) >= listPageSize:
			// Go on from the last row. When the whole page shares one second,
			// more rows of that second may follow: read them by ID, since
			// a >= filter would return the same page again.
			first, last := page[0], page[len(page)-1]
			dm, lastID, mode = last.DateModify.Time, int(last.ID), scanFrom
			if first.DateModify.Equal(last.DateModify.Time) {
				mode = scanTies
			}
		case mode == scanTies:
			mode = scanAfter // the second dm is done
		default:
			return found, r.finish(ctx, mark, newMark, nil)
		}
		if err := ctx.Err(); err != nil {
			return found, r.finish(ctx, mark, newMark, err)
		}
	}
}

// consider hands one row to the Sink when it is a ticket whose DATE_MODIFY
// differs from the one last processed; accepted reports whether it did.
func (r *Reconciler) consider(ctx context.Context, row leadRow, now time.Time) (accepted bool, err error) {
	c, ok, err := r.changeOf(ctx, row, now)
	if err != nil || !ok {
		return false, err
	}
	if err := r.o.Sink.LeadChanged(ctx, c); err != nil {
		return false, fmt.Errorf("reconcile: lead %d not accepted: %w", c.LeadID, err)
	}
	r.log.Info().Int("lead", c.LeadID).Time("date_modify", row.DateModify.Time).Msg("change found by reconcile")
	return true, nil
}

// changeOf is the change to hand to the Sink for a row; ok is false when
// the row is not a ticket whose DATE_MODIFY differs from the one last
// processed.
func (r *Reconciler) changeOf(ctx context.Context, row leadRow, now time.Time) (c Change, ok bool, err error) {
	id := int(row.ID)
	if id <= 0 {
		return Change{}, false, nil
	}
	last, known, err := r.o.Known.LastDateModify(ctx, id)
	if err != nil {
		return Change{}, false, fmt.Errorf("reconcile: lead %d: %w", id, err)
	}
	if !known && !r.o.IsTicket(string(row.SourceID), string(row.OriginatorID)) {
		return Change{}, false, nil // not a ticket, and never was one
	}
	if known && !last.IsZero() && last.Equal(row.DateModify.Time) {
		return Change{}, false, nil
	}
	return Change{LeadID: id, Event: EventReconcile, At: now, DateModify: row.DateModify.Time}, true, nil
}

// finish stores the new mark when it moved forward and returns err (joined
// with a failure to store the mark).
func (r *Reconciler) finish(ctx context.Context, old, mark time.Time, err error) error {
	if mark.After(old) {
		if serr := r.o.Cursor.Set(context.WithoutCancel(ctx), mark); serr != nil {
			err = errors.Join(err, fmt.Errorf("reconcile: store mark: %w", serr))
		}
	}
	return err
}
