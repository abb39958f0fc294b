package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/store"
)

// Run delivers due rows until ctx ends. It sleeps until the next row is due
// (at most Config.MaxIdle, so that a moved clock is noticed) or Enqueue wakes
// it. It returns nil when ctx ends; a call cut off by ctx leaves its row
// "outcome unknown" (looked up after Config.UnknownDelay). To stop without
// that, use RunUntil.
func (o *Outbox) Run(ctx context.Context) error {
	return o.RunUntil(ctx, nil)
}

// RunUntil is Run with a graceful stop: once stop is closed it returns
// before taking the next row, and never cuts a call short, so the row in
// flight is finished (done, failed or parked) rather than left "outcome
// unknown". ctx still ends everything at once (e.g. at the bound of a
// shutdown drain). A nil stop is never closed. It returns nil.
func (o *Outbox) RunUntil(ctx context.Context, stop <-chan struct{}) error {
	for {
		if stopped(stop) {
			return nil
		}
		n, err := o.round(ctx, o.clk.Now(), stop)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			o.log.Error().Err(err).Msg("outbox round failed")
		}
		if n > 0 && err == nil {
			continue
		}
		wait := o.cfg.MaxIdle
		if next, found, err := o.store.NextOutboxDue(ctx); err == nil && found {
			wait = min(wait, max(next.Sub(o.clk.Now()), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-stop:
		case <-o.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// RunOnce takes the rows due at now (at most Config.Batch, groups in order)
// and tries each once. It returns how many rows it handled.
func (o *Outbox) RunOnce(ctx context.Context, now time.Time) (int, error) {
	return o.round(ctx, now, nil)
}

// round is RunOnce that stops before the next row once stop is closed
// (the rows left are taken again, in order, by the next round). Pending
// rows of command kinds go together in one batch request when the portal
// takes batches, and so do the lookups of rows whose outcome is unknown
// (of kinds with a LookupKind lookup); the others one by one.
func (o *Outbox) round(ctx context.Context, now time.Time, stop <-chan struct{}) (int, error) {
	rows, err := o.store.DueOutbox(ctx, now, o.cfg.Batch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	defer o.flight.end(o.flight.begin())
	bp, batching := o.portal.(BatchPortal)
	var batch, lookups []Row
	handled := 0
	for _, row := range rows {
		if stopped(stop) {
			return handled, nil
		}
		k, _ := o.kind(row.Kind)
		if _, ok := k.(CommandKind); ok && batching && row.State == store.OutboxPending {
			batch = append(batch, row)
			continue
		}
		if _, ok := k.(LookupKind); ok && batching && row.State == store.OutboxUnknown {
			lookups = append(lookups, row)
			continue
		}
		if err := o.process(ctx, row, now); err != nil {
			return handled, err
		}
		handled++
	}
	if len(lookups) > 0 {
		if err := o.lookupBatch(ctx, bp, lookups, now); err != nil {
			return handled, err
		}
		handled += len(lookups)
	}
	if len(batch) > 0 {
		if err := o.sendBatch(ctx, bp, batch, now); err != nil {
			return handled, err
		}
	}
	return len(rows), nil
}

// Flush runs rounds at the clock's current time until no row is due (rows
// delayed into the future stay). For tests and the demo.
func (o *Outbox) Flush(ctx context.Context) error {
	for range 10000 {
		n, err := o.RunOnce(ctx, o.clk.Now())
		if err != nil || n == 0 {
			return err
		}
	}
	return errors.New("outbox flush: rows keep becoming due")
}

// process tries one row once. Its error is a state database failure; portal
// failures are recorded in the row.
func (o *Outbox) process(ctx context.Context, row Row, now time.Time) error {
	kind, _ := o.kind(row.Kind)
	if kind == nil {
		return o.park(ctx, row, now, fmt.Errorf("%w %q", ErrUnknownKind, row.Kind))
	}
	sendRow, wait, err := o.resolve(ctx, row, now)
	if err != nil {
		return o.unsendable(ctx, row, now, err)
	}
	if !wait.IsZero() {
		return o.postpone(ctx, row, now, wait)
	}
	if row.State == store.OutboxUnknown {
		res, found, err := kind.Lookup(ctx, o.portal, sendRow)
		if again, err := o.lookedUp(ctx, row, now, kind, res, found, err); !again {
			return err
		}
	}
	return o.send(ctx, row, sendRow, now, kind)
}

// lookedUp records the answer of a row's lookup after an unknown outcome:
// found, the row is done; the lookup failed, it is retried later; not
// found, a row of a command kind goes out again with the next batch when
// the portal takes batches (a failed batch's rows would else cost a
// request each), another is to be sent now, alone (again).
func (o *Outbox) lookedUp(ctx context.Context, row Row, now time.Time, kind Kind, res json.RawMessage, found bool, err error) (again bool, _ error) {
	log := o.log.With().Int64("row", row.ID).Str("kind", row.Kind).Str("dedupe_key", row.DedupeKey).Logger()
	if err != nil {
		log.Warn().Err(err).Msg("lookup after unknown outcome failed")
		return false, o.failed(ctx, row, now, err, false)
	}
	if found {
		log.Info().Msg("write found in the portal after unknown outcome")
		return false, o.finish(ctx, row, now, res, time.Time{})
	}
	if _, ok := kind.(CommandKind); ok && o.batching() {
		row.State, row.NextAttemptAt = store.OutboxPending, now
		return false, o.store.UpdateOutbox(ctx, row, now)
	}
	return true, nil
}

// send sends a row alone (sendRow: the row with its lead filled in).
func (o *Outbox) send(ctx context.Context, row, sendRow Row, now time.Time, kind Kind) error {
	// Saved before the call: a crash during the call leaves an unknown row
	// that is looked up first.
	row.Attempts++
	row.State = store.OutboxUnknown
	row.NextAttemptAt = now.Add(o.cfg.UnknownDelay)
	if err := o.store.UpdateOutbox(ctx, row, now); err != nil {
		return err
	}
	res, err := kind.Do(ctx, o.portal, sendRow)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the row stays unknown: looked up next time
		}
		o.log.Warn().Err(err).Int64("row", row.ID).Str("kind", row.Kind).Int("attempts", row.Attempts).Msg("portal write failed")
		return o.failed(ctx, row, now, err, true)
	}
	return o.finish(ctx, row, now, res, time.Time{})
}

// batching reports whether the portal takes batch requests.
func (o *Outbox) batching() bool {
	_, ok := o.portal.(BatchPortal)
	return ok
}

// completion is a row done in the portal, to be recorded: its result and,
// for a write of a lead, the lead's DATE_MODIFY read right after it (zero
// when not read).
type completion struct {
	row        Row
	result     json.RawMessage
	dateModify time.Time
}

// finish marks the row done and runs its hooks in one transaction.
func (o *Outbox) finish(ctx context.Context, row Row, now time.Time, result json.RawMessage, dateModify time.Time) error {
	return o.finishAll(ctx, now, []completion{{row: row, result: result, dateModify: dateModify}})
}

// finishAll records completions (the rows done, their kinds' hooks, then
// for a write of a lead the OnLeadWritten hooks) in one transaction; when
// it fails, each row on its own, so that a failing hook holds back only its
// row.
func (o *Outbox) finishAll(ctx context.Context, now time.Time, cs []completion) error {
	if len(cs) == 0 {
		return nil
	}
	err := o.store.WithTx(ctx, func(tx *store.Tx) error {
		for _, c := range cs {
			if err := o.complete(ctx, tx, c, now); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case len(cs) > 1:
		for _, c := range cs {
			if err := o.finishAll(ctx, now, []completion{c}); err != nil {
				return err
			}
		}
		return nil
	}
	// The write happened but its completion did not commit: keep the row
	// unknown so that it is found and completed again later.
	row := cs[0].row
	o.log.Error().Err(err).Int64("row", row.ID).Str("kind", row.Kind).Msg("row done in the portal, completion failed")
	row.State = store.OutboxUnknown
	row.LastError = err.Error()
	row.NextAttemptAt = now.Add(max(o.backoff(row.Attempts), o.cfg.UnknownDelay))
	return o.store.UpdateOutbox(ctx, row, now)
}

// complete records one completion in tx.
func (o *Outbox) complete(ctx context.Context, tx *store.Tx, c completion, now time.Time) error {
	result := c.result
	if len(result) == 0 || !json.Valid(result) {
		result = json.RawMessage("null")
	}
	_, hooks := o.kind(c.row.Kind)
	done := c.row
	done.State, done.LastError, done.Result = store.OutboxDone, "", result
	if err := tx.UpdateOutbox(ctx, done, now); err != nil {
		return err
	}
	for _, h := range hooks {
		if err := h(ctx, tx, done, result); err != nil {
			return fmt.Errorf("completion hook: %w", err)
		}
	}
	if lead := writtenLead(done, result); lead > 0 {
		for _, h := range o.leadHooksList() {
			if err := h(ctx, tx, LeadWrite{Lead: lead, DateModify: c.dateModify, Created: done.Kind == KindLeadAdd}); err != nil {
				return fmt.Errorf("lead written hook: %w", err)
			}
		}
	}
	return nil
}

// failed records a failed call (sent: Do; otherwise a lookup). The wait
// after a sent call counts from when its failure is seen, not from the
// round's start: a call that took longer than the lookup delay (a slow
// portal, request_timeout ≥ lookup_delay) would else be looked up at once,
// while a write still in flight may land, and be sent again.
func (o *Outbox) failed(ctx context.Context, row Row, now time.Time, err error, sent bool) error {
	if seen := o.clk.Now(); sent && seen.After(now) {
		now = seen
	}
	row.LastError = err.Error()
	switch {
	case errors.Is(err, bitrix.ErrRateLimited), errors.Is(err, bitrix.ErrOperatingLimit):
		// Not executed: only a delay, the attempt does not count.
		if sent {
			row.Attempts--
			row.State = store.OutboxPending
		}
		d := o.cfg.LimitDelay
		if errors.Is(err, bitrix.ErrOperatingLimit) {
			d = o.cfg.OperatingDelay
		}
		row.NextAttemptAt = now.Add(d)
	case errors.Is(err, bitrix.ErrOutcomeUnknown):
		row.State = store.OutboxUnknown
		row.NextAttemptAt = now.Add(o.cfg.UnknownDelay)
	case bitrix.Retryable(err), errors.Is(err, bitrix.ErrUnauthorized), errors.Is(err, bitrix.ErrOverloaded):
		if o.cfg.MaxAttempts > 0 && row.Attempts >= o.cfg.MaxAttempts {
			return o.park(ctx, row, now, err)
		}
		// Whether a failed write was applied is for the kind's lookup to
		// say: the row stays unknown when it was sent (lookups of
		// idempotent kinds report "not found" and cost nothing).
		if !sent && row.State == store.OutboxUnknown {
			row.Attempts++ // a failing lookup counts as an attempt
		}
		d := o.backoff(row.Attempts)
		if sent {
			d = max(d, o.cfg.UnknownDelay)
		}
		row.NextAttemptAt = now.Add(d)
	default:
		return o.park(ctx, row, now, err)
	}
	return o.store.UpdateOutbox(ctx, row, now)
}

func (o *Outbox) park(ctx context.Context, row Row, now time.Time, err error) error {
	o.log.Error().Err(err).Int64("row", row.ID).Str("kind", row.Kind).Str("dedupe_key", row.DedupeKey).
		Msg("row parked: it needs an operator (outbox retry/drop)")
	row.State = store.OutboxParked
	row.LastError = err.Error()
	return o.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateOutbox(ctx, row, now); err != nil {
			return err
		}
		return o.alarm(ctx, tx, row)
	})
}

// alarmPrefix starts the dedupe keys of the parked-row notifications.
const alarmPrefix = "outbox.parked:"

// alarm queues one notification of the parked row to each of
// Config.AlertUsers (none for a parked notification of that kind: no loop).
func (o *Outbox) alarm(ctx context.Context, tx *store.Tx, row Row) error {
	if strings.HasPrefix(row.DedupeKey, alarmPrefix) {
		return nil
	}
	id := strconv.FormatInt(row.ID, 10)
	msg := "b24desk: a portal write failed for good and waits for an operator. " + ParkedLine(row) +
		". On the server: b24desk outbox, then b24desk outbox retry " + id + " (after fixing the cause) or drop " + id + "."
	for _, u := range o.cfg.AlertUsers {
		key := alarmPrefix + id + ":" + strconv.FormatInt(u, 10)
		_, _, err := o.Enqueue(ctx, tx, Entry{DedupeKey: key, Payload: Notify{UserID: u, Message: msg,
			Tag: "b24d:parked:" + id, ClientID: OriginatorID}})
		if err != nil {
			return err
		}
	}
	return nil
}

// ParkedLine describes a parked row for people: its ID, kind, ticket and
// error.
func ParkedLine(row Row) string {
	s := fmt.Sprintf("row %d %s", row.ID, row.Kind)
	if t, ok := TicketOfGroup(row.GroupKey); ok {
		s += " of ticket " + t
	}
	return s + ": " + row.LastError
}

func (o *Outbox) backoff(attempts int) time.Duration {
	return delayAfter(o.cfg.Backoff, attempts, o.cfg.Jitter, o.cfg.Rand)
}

// unsendable parks a row that cannot be sent, or drops it when the lead it
// names will never exist.
func (o *Outbox) unsendable(ctx context.Context, row Row, now time.Time, err error) error {
	if errors.Is(err, errLeadDropped) {
		o.log.Warn().Int64("row", row.ID).Str("kind", row.Kind).Msg("row dropped: " + err.Error())
		row.State, row.LastError = store.OutboxDropped, err.Error()
		return o.store.UpdateOutbox(ctx, row, now)
	}
	return o.park(ctx, row, now, err)
}

// postpone makes a row that waits for its ticket's lead due again at
// until, without an attempt.
func (o *Outbox) postpone(ctx context.Context, row Row, now, until time.Time) error {
	row.NextAttemptAt = until
	return o.store.UpdateOutbox(ctx, row, now)
}
