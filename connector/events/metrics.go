package events

import "time"

// Metrics receives the counters of event intake and reconcile. Methods must
// be cheap and safe for concurrent use.
type Metrics interface {
	// EventReceived counts a lead event accepted (new or repeated); source is
	// "webhook" or "offline".
	EventReceived(source, event string, isNew bool)
	// EventIgnored counts an event that is not about leads.
	EventIgnored(source string)
	// EventRejected counts a refused request; reason is one of "method",
	// "too_large", "media_type", "malformed", "token".
	EventRejected(reason string)
	// EventLag observes now − the event's timestamp.
	EventLag(d time.Duration)
	// ReconcileFound counts changes reconcile or sweep handed to the Sink;
	// kind is EventReconcile, EventSweep or EventDeleted.
	ReconcileFound(kind string, n int)
}

// NopMetrics discards everything.
type NopMetrics struct{}

// EventReceived does nothing.
func (NopMetrics) EventReceived(string, string, bool) {}

// EventIgnored does nothing.
func (NopMetrics) EventIgnored(string) {}

// EventRejected does nothing.
func (NopMetrics) EventRejected(string) {}

// EventLag does nothing.
func (NopMetrics) EventLag(time.Duration) {}

// ReconcileFound does nothing.
func (NopMetrics) ReconcileFound(string, int) {}
