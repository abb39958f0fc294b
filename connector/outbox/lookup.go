package outbox

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

// lookingUp is a row with an unknown outcome and its lookup.
type lookingUp struct {
	row, send Row // send: the row with its lead filled in
	kind      Kind
	lookup    Lookup
	key       string
}

// lookupBatch looks up rows whose outcome is unknown (of LookupKinds)
// together: their lookups' first pages go in batch requests of up to
// bitrix.MaxBatch commands with halt 0, and each answer is handled on its
// own as the row's single lookup would be (lookedUp). A lookup whose first
// page does not decide reads its further pages alone.
func (o *Outbox) lookupBatch(ctx context.Context, p BatchPortal, rows []Row, now time.Time) error {
	var plan []lookingUp
	for _, row := range rows {
		kind, _ := o.kind(row.Kind)
		send, wait, err := o.resolve(ctx, row, now)
		if err != nil {
			if err := o.unsendable(ctx, row, now, err); err != nil {
				return err
			}
			continue
		}
		if !wait.IsZero() {
			if err := o.postpone(ctx, row, now, wait); err != nil {
				return err
			}
			continue
		}
		l, ok, err := kind.(LookupKind).LookupOf(ctx, send)
		if err != nil || !ok {
			// Nothing to ask the portal: the answer is at hand.
			if err := o.lookedUpThenSend(ctx, lookingUp{row: row, send: send, kind: kind}, now, nil, false, err); err != nil {
				return err
			}
			continue
		}
		plan = append(plan, lookingUp{row: row, send: send, kind: kind, lookup: l, key: "l" + strconv.FormatInt(row.ID, 10)})
	}
	for len(plan) > 0 {
		n := min(len(plan), bitrix.MaxBatch)
		if err := o.lookupChunk(ctx, p, plan[:n], now); err != nil {
			return err
		}
		plan = plan[n:]
	}
	return nil
}

// lookupChunk sends one batch request of lookups and handles the answers.
func (o *Outbox) lookupChunk(ctx context.Context, p BatchPortal, plan []lookingUp, now time.Time) error {
	cmds := make([]bitrix.BatchCmd, len(plan))
	for i, l := range plan {
		cmds[i] = l.lookup.Command()
		cmds[i].Key = l.key
	}
	results, err := p.Batch(ctx, cmds, false)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the rows stay unknown: looked up next time
		}
		o.log.Warn().Err(err).Int("commands", len(cmds)).Msg("portal lookup batch failed")
		for _, l := range plan {
			if err := o.failed(ctx, l.row, now, err, false); err != nil {
				return err
			}
		}
		return nil
	}
	byKey := make(map[string]bitrix.BatchResult, len(results))
	for _, r := range results {
		byKey[r.Key] = r
	}
	for i, l := range plan {
		r, ok := byKey[l.key]
		if !ok {
			r.Err = &bitrix.APIError{Method: cmds[i].Method, Kind: bitrix.ErrSkipped}
		}
		err := r.Err
		var res json.RawMessage
		found := false
		if err == nil {
			var next int
			res, found, next, err = l.lookup.page(r.Result, r.Next, 0)
			if err == nil && !found && next >= 0 && l.lookup.pages > 1 {
				res, found, err = l.lookup.scan(ctx, o.portal, next, l.lookup.pages-1)
			}
		}
		if err := o.lookedUpThenSend(ctx, l, now, res, found, err); err != nil {
			return err
		}
	}
	return nil
}

// lookedUpThenSend records a lookup's answer (lookedUp) and sends the row
// alone when it is to be sent again at once.
func (o *Outbox) lookedUpThenSend(ctx context.Context, l lookingUp, now time.Time, res json.RawMessage, found bool, err error) error {
	again, err := o.lookedUp(ctx, l.row, now, l.kind, res, found, err)
	if !again || err != nil {
		return err
	}
	return o.send(ctx, l.row, l.send, now, l.kind)
}
