package daemon

import "context"

// deliver runs the outbox worker until stop is closed or ctx ends. Closing
// stop lets the call in flight finish (its row ends done or failed, never
// "outcome unknown") before the shutdown drain flushes what is left; ctx
// ends only at the drain's bound. Enqueue and wakeOutbox wake it early.
func (d *Daemon) deliver(ctx context.Context, stop <-chan struct{}) {
	_ = d.outbox.RunUntil(ctx, stop)
}

// wakeOutbox makes the outbox worker look for due rows now (the debug
// clock moved).
func (d *Daemon) wakeOutbox() { d.outbox.Wake() }
