package desk

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/store"
)

// Batched reads. A change costs one crm.lead.get; at the portal's standard
// limits (2 requests/s) a burst of staff edits, or reconcile finding many
// changed leads after an outage, would be read one request per lead. When
// the events worker drains a batch of due changes it hands them to
// PrefetchLeads first, which reads the leads those changes will read in
// batch requests of up to bitrix.MaxBatch crm.lead.get commands. The reads
// travel in the context the worker passes to LeadChanged for that batch
// only: each is used once, by the first change of its lead that reads it,
// in the same drain, so that no change is applied from a read older than
// its drain; any other read is done alone, as before. Each command's
// result stands alone: a "Not found" is that lead's bitrix.ErrNotFound (its
// ticket is closed), another error or an unreadable result is that
// change's error (it is retried like a failed read); a batch request that
// fails reads nothing and every change is read alone.

// LeadBatcher is the part of the client that sends batch requests
// (*bitrix.Client has it; so does the daemon's portal, behind its
// leadership guard). With a Client without it every lead is read alone.
type LeadBatcher interface {
	Batch(ctx context.Context, cmds []bitrix.BatchCmd, halt bool) ([]bitrix.BatchResult, error)
}

var _ events.Prefetcher = (*Engine)(nil)

// prefetchKey is the context key of a drain's prefetched reads.
type prefetchKey struct{}

// prefetched are the leads one PrefetchLeads read, each handed out once.
type prefetched struct {
	at    time.Time // when the reads were sent (the reads' "now")
	mu    sync.Mutex
	reads map[int64]leadResult
}

// leadResult is one lead's read: the lead, or the read's error.
type leadResult struct {
	lead *bitrix.Lead
	err  error
}

// take hands out the read of the lead, once.
func (p *prefetched) take(id int64) (leadResult, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.reads[id]
	delete(p.reads, id)
	return r, ok
}

// PrefetchLeads reads together the leads that LeadChangedWith would read
// one by one for changes (see Batched reads) and returns the context that
// carries the reads to it. Fewer than two leads to read: nothing is read.
func (e *Engine) PrefetchLeads(ctx context.Context, changes []events.Change) context.Context {
	b, ok := e.o.Client.(LeadBatcher)
	if !ok {
		return ctx
	}
	ids, err := e.leadsToRead(ctx, changes)
	if err != nil {
		e.log.Warn().Err(err).Msg("changed leads not read together: read one by one")
		return ctx
	}
	if len(ids) < 2 {
		return ctx // one request either way
	}
	cmds := make([]bitrix.BatchCmd, len(ids))
	for i, id := range ids {
		cmds[i] = bitrix.LeadGetCommand(id)
		cmds[i].Key = "lead_" + strconv.FormatInt(id, 10)
	}
	p := &prefetched{at: e.o.Clock.Now(), reads: make(map[int64]leadResult, len(ids))}
	res, err := b.Batch(ctx, cmds, false)
	for i, r := range res { // the chunks answered before a failed one count
		lead, rerr := bitrix.LeadOf(r)
		if errors.Is(rerr, bitrix.ErrSkipped) {
			continue // no result for it: read alone
		}
		p.reads[ids[i]] = leadResult{lead: lead, err: rerr}
	}
	if err != nil {
		e.log.Warn().Err(err).Int("leads", len(ids)-len(p.reads)).Msg("changed leads not read together: read one by one")
	}
	if len(p.reads) == 0 {
		return ctx
	}
	return context.WithValue(ctx, prefetchKey{}, p)
}

// leadsToRead are the distinct leads, in order, that LeadChangedWith reads
// for changes: not those of deletes, nor, with SkipEchoes, a lead whose
// every change is an add or update event and that expects at least as many
// echoes of b24desk's own writes (looked at, not used up: ownEcho does
// that per change).
func (e *Engine) leadsToRead(ctx context.Context, changes []events.Change) ([]int64, error) {
	var ids []int64
	writes := map[int64]int{} // add and update events per lead
	other := map[int64]bool{} // a lead with a change that is always read
	for _, c := range changes {
		id := int64(c.LeadID)
		if id <= 0 || c.Event == events.EventLeadDelete || c.Event == events.EventDeleted {
			continue
		}
		if writes[id] == 0 && !other[id] {
			ids = append(ids, id)
		}
		if e.o.SkipEchoes && (c.Event == events.EventLeadAdd || c.Event == events.EventLeadUpdate) {
			writes[id]++
		} else {
			other[id] = true
		}
	}
	if len(writes) == 0 {
		return ids, nil
	}
	// As ownEcho: the event of a write can come before its answer is
	// recorded.
	wait, cancel := context.WithTimeout(ctx, awaitWrites)
	e.o.Outbox.AwaitWrites(wait)
	cancel()
	read := ids[:0:0]
	err := e.o.Store.WithTx(ctx, func(tx *store.Tx) error {
		now := e.o.Clock.Now()
		for _, id := range ids {
			if !other[id] {
				x, err := echoes(ctx, tx, id, now)
				if err != nil {
					return err
				}
				if x.N >= writes[id] {
					continue // every change is an echo: none is read
				}
			}
			read = append(read, id)
		}
		return nil
	})
	return read, err
}

// readLead is the lead for a change seen at now, and when it was read: the
// read PrefetchLeads made for this drain when there is one, else a read of
// its own.
func (e *Engine) readLead(ctx context.Context, id int64, now time.Time) (*bitrix.Lead, time.Time, error) {
	if p, ok := ctx.Value(prefetchKey{}).(*prefetched); ok {
		if r, ok := p.take(id); ok {
			return r.lead, p.at, r.err
		}
	}
	lead, err := e.o.Client.LeadGet(ctx, id)
	return lead, now, err
}
