package daemon

import (
	"time"

	"github.com/b24desk/b24desk/connector/events"
	"github.com/b24desk/b24desk/connector/metrics"
)

// eventMetrics feeds the events package's counters into the daemon's
// collectors (events.Metrics).
type eventMetrics struct{ m *metrics.Metrics }

var _ events.Metrics = eventMetrics{}

// EventReceived counts an accepted lead event, new or repeated.
func (e eventMetrics) EventReceived(_, _ string, isNew bool) {
	if isNew {
		e.m.Event("recorded")
		return
	}
	e.m.Event("duplicate")
}

// EventIgnored counts an event that is not about leads.
func (e eventMetrics) EventIgnored(string) { e.m.Event("ignored") }

// EventRejected counts a refused webhook post.
func (e eventMetrics) EventRejected(string) { e.m.Event("rejected") }

// EventLag observes the delay of one event.
func (e eventMetrics) EventLag(d time.Duration) { e.m.EventLag(d) }

// ReconcileFound counts changes reconcile or sweep found.
func (e eventMetrics) ReconcileFound(kind string, n int) {
	name := "modified"
	if kind == events.EventDeleted {
		name = "deleted"
	}
	for range n {
		e.m.ReconcileFind(name)
	}
}
