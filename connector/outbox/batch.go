package outbox

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/store"
)

// BatchPortal is a Portal that also sends batch requests (*bitrix.Client
// does). With one, the worker sends the due rows of command kinds together.
type BatchPortal interface {
	Portal
	Batch(ctx context.Context, cmds []bitrix.BatchCmd, halt bool) ([]bitrix.BatchResult, error)
}

// batched is one row of a batch.
type batched struct {
	row  Row
	kind CommandKind
	cmd  bitrix.BatchCmd
	dep  int // index of the lead.add in the same batch that the row needs; -1: none
	// read: the batch also reads the lead's DATE_MODIFY right after the
	// write (a command keyed "m" + the row ID), for OnLeadWritten.
	read bool
}

// readKey is the key of a row's DATE_MODIFY read.
func readKey(b batched) string { return "m" + strconv.FormatInt(b.row.ID, 10) }

// sendBatch sends pending rows of command kinds (at most one per group, as
// DueOutbox returns them, so each ticket's order is kept) in one batch
// request with halt 0: every command's outcome is handled on its own, as
// a row sent alone would be. A row that names the lead of a lead.add in
// the same batch refers to it with $result[...]: the lead's dependent
// writes ride along. Lead.adds go first, so that the references point
// back.
func (o *Outbox) sendBatch(ctx context.Context, p BatchPortal, rows []Row, now time.Time) error {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b Row) int {
		return boolInt(b.Kind == KindLeadAdd) - boolInt(a.Kind == KindLeadAdd)
	})
	var plan []batched
	size := 0 // commands planned
	// add plans one row; dep ≥ 0 is the index of the lead.add in plan
	// whose lead the row names. A row that does not fit in the batch is
	// left for the next round.
	add := func(row Row, dep int) error {
		k, _ := o.kind(row.Kind)
		ck, ok := k.(CommandKind)
		need := 1 + boolInt(writesLead(row.Kind))
		if !ok || size+need > bitrix.MaxBatch {
			return nil
		}
		send := row
		if dep >= 0 {
			send.Payload = fillLead(row.Payload, bitrix.ResultOf(plan[dep].cmd.Key))
		} else {
			var wait time.Time
			var err error
			if send, wait, err = o.resolve(ctx, row, now); err != nil {
				return o.unsendable(ctx, row, now, err)
			}
			if !wait.IsZero() {
				return o.postpone(ctx, row, now, wait)
			}
		}
		cmd, err := ck.Command(ctx, send)
		if err != nil {
			return o.failed(ctx, row, now, err, false)
		}
		cmd.Key = "r" + strconv.FormatInt(row.ID, 10)
		plan = append(plan, batched{row: row, kind: ck, cmd: cmd, dep: dep, read: need == 2})
		size += need
		return nil
	}
	for _, row := range rows {
		if err := add(row, -1); err != nil {
			return err
		}
	}
	// A new lead's side writes (its workflow, say) ride along.
	for i := 0; i < len(plan) && plan[i].row.Kind == KindLeadAdd; i++ {
		if plan[i].row.GroupKey == "" || size >= bitrix.MaxBatch {
			continue
		}
		heads, err := o.store.DueLaneHeads(ctx, o.laneGroups(plan[i].row.GroupKey), now)
		if err != nil {
			return err
		}
		for _, h := range heads {
			if size >= bitrix.MaxBatch {
				break
			}
			if err := add(h, i); err != nil {
				return err
			}
		}
	}
	if len(plan) == 0 {
		return nil
	}
	// Saved before the call, as for a row sent alone.
	cmds := make([]bitrix.BatchCmd, 0, size)
	err := o.store.WithTx(ctx, func(tx *store.Tx) error {
		for i := range plan {
			r := &plan[i].row
			r.Attempts++
			r.State = store.OutboxUnknown
			r.NextAttemptAt = now.Add(o.cfg.UnknownDelay)
			if err := tx.UpdateOutbox(ctx, *r, now); err != nil {
				return err
			}
			cmds = append(cmds, plan[i].cmd)
			if plan[i].read {
				id := plan[i].cmd.Params["id"]
				if plan[i].row.Kind == KindLeadAdd {
					id = bitrix.ResultOf(plan[i].cmd.Key).Param()
				}
				read := dateModifyCommand(id)
				read.Key = readKey(plan[i])
				cmds = append(cmds, read)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	results, err := p.Batch(ctx, cmds, false)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the rows stay unknown: looked up next time
		}
		o.log.Warn().Err(err).Int("commands", len(cmds)).Msg("portal batch failed")
		for _, b := range plan {
			if err := o.failed(ctx, b.row, now, err, true); err != nil {
				return err
			}
		}
		return nil
	}
	byKey := make(map[string]bitrix.BatchResult, len(results))
	for _, r := range results {
		byKey[r.Key] = r
	}
	var done []completion
	for _, b := range plan {
		r, ok := byKey[b.cmd.Key]
		if !ok {
			r.Err = &bitrix.APIError{Method: b.cmd.Method, Kind: bitrix.ErrSkipped}
		}
		if b.dep >= 0 {
			if add := byKey[plan[b.dep].cmd.Key]; add.Err != nil {
				// Its lead was not created: the command named nothing.
				r.Err = &bitrix.APIError{Method: b.cmd.Method, Kind: bitrix.ErrSkipped}
			}
		}
		var dm time.Time
		if b.read {
			dm = dateModify(byKey[readKey(b)])
		}
		c, ok, err := o.outcome(ctx, b, r, now, dm)
		if err != nil {
			return err
		}
		if ok {
			done = append(done, c)
		}
	}
	return o.finishAll(ctx, now, done)
}

// outcome records one command's failure, or returns its completion (ok)
// for finishAll.
func (o *Outbox) outcome(ctx context.Context, b batched, r bitrix.BatchResult, now, dateModify time.Time) (completion, bool, error) {
	row := b.row
	if errors.Is(r.Err, bitrix.ErrSkipped) {
		// Not executed: due again, the attempt does not count.
		row.Attempts--
		row.State, row.NextAttemptAt = store.OutboxPending, now
		return completion{}, false, o.store.UpdateOutbox(ctx, row, now)
	}
	if r.Err != nil {
		o.log.Warn().Err(r.Err).Int64("row", row.ID).Str("kind", row.Kind).Int("attempts", row.Attempts).Msg("portal write failed")
		return completion{}, false, o.failed(ctx, row, now, r.Err, true)
	}
	res, err := b.kind.Result(r.Result)
	if err != nil {
		return completion{}, false, o.failed(ctx, row, now, err, true)
	}
	return completion{row: row, result: res, dateModify: dateModify}, true, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
