// Package metrics holds b24desk's Prometheus collectors. One Metrics value is
// built by the daemon's wiring and passed to each part through its
// constructor; there is no global registry. Every method is safe on a nil
// *Metrics, so parts can be built without metrics in tests.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the daemon's collectors.
type Metrics struct {
	mails          *prometheus.CounterVec
	tickets        *prometheus.CounterVec
	apiCalls       *prometheus.CounterVec
	limiterWait    prometheus.Histogram
	outboxDepth    prometheus.Gauge
	outboxParked   prometheus.Gauge
	outboxOldest   prometheus.Gauge
	slaEvents      *prometheus.CounterVec
	events         *prometheus.CounterVec
	eventLag       prometheus.Histogram
	reconcileFinds *prometheus.CounterVec
	rulesReloads   *prometheus.CounterVec
	mailboxCheck   *prometheus.GaugeVec
	pastCalendar   *prometheus.CounterVec
	acks           *prometheus.CounterVec
	spam           spamMetrics
}

// New builds the collectors and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_mails_total", Help: "Mails handled, by mailbox and result (ticket, reply, automatic, bounce, quarantine, duplicate, spam).",
		}, []string{"mailbox", "result"}),
		tickets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_tickets_created_total", Help: "Tickets created, by type and origin (mail, portal).",
		}, []string{"type", "origin"}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_api_calls_total", Help: "Bitrix24 REST calls, by method and result (ok or the error class).",
		}, []string{"method", "result"}),
		limiterWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "b24desk_limiter_wait_seconds", Help: "Time calls waited in the client's leaky bucket before being sent.",
			Buckets: []float64{0.001, 0.01, 0.1, 0.5, 1, 2, 5, 10, 30},
		}),
		outboxDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "b24desk_outbox_pending", Help: "Portal writes waiting in the outbox (pending or outcome unknown).",
		}),
		outboxParked: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "b24desk_outbox_parked", Help: "Portal writes that failed for good and wait for an operator.",
		}),
		outboxOldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "b24desk_outbox_oldest_age_seconds", Help: "Age of the oldest pending outbox write (0 when empty).",
		}),
		slaEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_sla_escalations_total", Help: "SLA escalation steps fired, by policy, target and kind (warning, breach).",
		}, []string{"policy", "target", "kind"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_portal_events_total", Help: "Portal events received, by result (recorded, duplicate, ignored, rejected).",
		}, []string{"result"}),
		eventLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "b24desk_portal_event_lag_seconds", Help: "Delay between a portal event's timestamp and its arrival.",
			Buckets: []float64{0.5, 1, 2, 5, 10, 30, 60, 300},
		}),
		reconcileFinds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_reconcile_finds_total", Help: "Changes found by reconcile that no event had delivered, by kind (modified, deleted).",
		}, []string{"kind"}),
		rulesReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_rules_reloads_total", Help: "Rules file reloads, by result (ok, invalid).",
		}, []string{"result"}),
		mailboxCheck: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "b24desk_mailbox_last_check_timestamp_seconds", Help: "Unix time of each mailbox's last successful check.",
		}, []string{"mailbox"}),
		pastCalendar: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_sla_past_calendar_data_total",
			Help: "Days on which an SLA deadline was computed past the end of a calendar's holiday data (once per calendar and day), by calendar.",
		}, []string{"calendar"}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_acks_total", Help: "Acknowledgements of new tickets, by mailbox and result (queued, or why none: loop, sender_daily_cap, domain_hourly_cap, hourly_cap).",
		}, []string{"mailbox", "result"}),
	}
	reg.MustRegister(m.mails, m.tickets, m.apiCalls, m.limiterWait, m.outboxDepth, m.outboxParked,
		m.outboxOldest, m.slaEvents, m.events, m.eventLag, m.reconcileFinds, m.rulesReloads, m.mailboxCheck,
		m.pastCalendar, m.acks)
	m.spam = newSpamMetrics(reg)
	return m
}

// Mail counts one handled mail.
func (m *Metrics) Mail(mailbox, result string) {
	if m != nil {
		m.mails.WithLabelValues(mailbox, result).Inc()
	}
}

// TicketCreated counts one new ticket.
func (m *Metrics) TicketCreated(typ, origin string) {
	if m != nil {
		m.tickets.WithLabelValues(typ, origin).Inc()
	}
}

// APICall counts one REST call; result is "ok" or an error class.
func (m *Metrics) APICall(method, result string) {
	if m != nil {
		m.apiCalls.WithLabelValues(method, result).Inc()
	}
}

// LimiterWait records how long a call waited for the limiter.
func (m *Metrics) LimiterWait(d time.Duration) {
	if m != nil {
		m.limiterWait.Observe(d.Seconds())
	}
}

// Outbox sets the outbox gauges.
func (m *Metrics) Outbox(pending, parked int, oldestAge time.Duration) {
	if m != nil {
		m.outboxDepth.Set(float64(pending))
		m.outboxParked.Set(float64(parked))
		m.outboxOldest.Set(oldestAge.Seconds())
	}
}

// Escalation counts one fired escalation step; kind is "warning" or "breach".
func (m *Metrics) Escalation(policy, target, kind string) {
	if m != nil {
		m.slaEvents.WithLabelValues(policy, target, kind).Inc()
	}
}

// Event counts one portal event by result.
func (m *Metrics) Event(result string) {
	if m != nil {
		m.events.WithLabelValues(result).Inc()
	}
}

// EventLag records the delay of one portal event.
func (m *Metrics) EventLag(d time.Duration) {
	if m != nil {
		m.eventLag.Observe(d.Seconds())
	}
}

// ReconcileFind counts a change reconcile found; kind is "modified" or "deleted".
func (m *Metrics) ReconcileFind(kind string) {
	if m != nil {
		m.reconcileFinds.WithLabelValues(kind).Inc()
	}
}

// RulesReload counts a rules reload; result is "ok" or "invalid".
func (m *Metrics) RulesReload(result string) {
	if m != nil {
		m.rulesReloads.WithLabelValues(result).Inc()
	}
}

// MailboxChecked records a mailbox's successful check.
func (m *Metrics) MailboxChecked(mailbox string, at time.Time) {
	if m != nil {
		m.mailboxCheck.WithLabelValues(mailbox).Set(float64(at.Unix()))
	}
}

// PastCalendarData counts a day on which an SLA was computed past the end
// of the calendar's holiday data.
func (m *Metrics) PastCalendarData(calendar string) {
	if m != nil {
		m.pastCalendar.WithLabelValues(calendar).Inc()
	}
}

// Ack counts one acknowledgement decision; result is "queued" or why none
// was sent (loop, sender_daily_cap, domain_hourly_cap, hourly_cap).
func (m *Metrics) Ack(mailbox, result string) {
	if m != nil {
		m.acks.WithLabelValues(mailbox, result).Inc()
	}
}
