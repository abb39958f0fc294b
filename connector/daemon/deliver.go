package daemon

import (
	"context"
	"time"
)

// deliverPoll bounds how long the delivery loop sleeps before looking for
// due outbox rows again (rows enqueued by intake, events or the SLA clock).
const deliverPoll = 200 * time.Millisecond

// deliver runs outbox rounds until stop is closed. Unlike outbox.Run it
// never cancels a round in the middle: stopping between rounds lets the
// shutdown drain finish the row in flight instead of leaving it "outcome
// unknown" (looked up only after the lookup delay). ctx ends only at the
// drain's bound. kick wakes it early (the debug clock moved).
func (d *Daemon) deliver(ctx context.Context, stop <-chan struct{}, kick <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		n, err := d.outbox.RunOnce(ctx, d.clk.Now())
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			d.log.Error().Err(err).Msg("outbox round failed")
		}
		if n > 0 && err == nil {
			continue
		}
		wait := deliverPoll
		if next, found, err := d.st.NextOutboxDue(ctx); err == nil && found {
			wait = min(wait, max(next.Sub(d.clk.Now()), time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-stop:
		case <-kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// wakeOutbox makes the delivery loop look for due rows now.
func (d *Daemon) wakeOutbox() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}
