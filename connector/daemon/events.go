package daemon

import (
	"fmt"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/events"
)

// eventParts are the pieces of portal event intake the mode asks for. The
// queue is durable (the state's event_queue): a change the portal was told
// 200 for survives a crash.
type eventParts struct {
	queue      events.Queue
	worker     *events.Worker        // nil without an engine
	handler    *events.Handler       // webhook mode
	poller     *events.OfflinePoller // offline mode
	reconciler *events.Reconciler    // nil without an engine
}

// buildEvents builds the queue, the worker, the mode's intake and the
// reconciler.
func (d *Daemon) buildEvents() (*eventParts, error) {
	log := d.opts.Logger.With().Str("component", "events").Logger()
	p := &eventParts{queue: events.StoreQueue{Store: d.st}}
	notify := func() {}
	if d.core.sink != nil {
		w, err := events.NewWorker(events.WorkerOptions{Queue: p.queue, Sink: d.core.sink, Clock: d.clk, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("events worker: %w", err)
		}
		p.worker, notify = w, w.Notify
		state := events.StoreState{Store: d.st}
		r, err := events.NewReconciler(events.ReconcilerOptions{
			Client: d.portal, Sink: d.core.sink, Known: state, Cursor: state, OpenTickets: state,
			IsTicket: d.isTicket, Margin: d.cfg.Reconcile.Margin, Location: d.cfg.Portal.Location,
			Logger: log, Metrics: d.eventsMetrics(),
		})
		if err != nil {
			return nil, fmt.Errorf("reconcile: %w", err)
		}
		p.reconciler = r
	}
	switch d.cfg.Events.Mode {
	case config.EventsWebhook:
		h, err := events.NewHandler(events.HandlerOptions{
			Token: d.cfg.HTTP.ApplicationToken.Value(), Recorder: p.queue, Notify: notify,
			Clock: d.clk, Logger: log, Metrics: d.eventsMetrics(),
		})
		if err != nil {
			return nil, fmt.Errorf("events handler: %w", err)
		}
		p.handler = h
	case config.EventsOffline:
		op, err := events.NewOfflinePoller(events.OfflinePollerOptions{
			Client: d.portal, Recorder: p.queue, Notify: notify, Clock: d.clk, Logger: log, Metrics: d.eventsMetrics(),
		})
		if err != nil {
			return nil, fmt.Errorf("offline events: %w", err)
		}
		p.poller = op
	}
	return p, nil
}
