package metrics

import "github.com/prometheus/client_golang/prometheus"

// spamMetrics count the spam filter's work.
type spamMetrics struct {
	checks *prometheus.CounterVec
	taught *prometheus.CounterVec
}

func newSpamMetrics(reg prometheus.Registerer) spamMetrics {
	s := spamMetrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_spam_checks_total",
			Help: "Mails checked by spamd, by result (ham, spam, error: spamd unreachable or failed, skipped: not asked during an outage, too_large).",
		}, []string{"result"}),
		taught: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "b24desk_spam_taught_total",
			Help: "Mails taught to spamd's Bayes filter from staff decisions, by class (spam, ham) and result (learned, known, error, gone: raw mail pruned).",
		}, []string{"class", "result"}),
	}
	reg.MustRegister(s.checks, s.taught)
	return s
}

// SpamCheck counts one spam check by result.
func (m *Metrics) SpamCheck(result string) {
	if m != nil {
		m.spam.checks.WithLabelValues(result).Inc()
	}
}

// SpamTaught counts one mail taught to the spam filter.
func (m *Metrics) SpamTaught(class, result string) {
	if m != nil {
		m.spam.taught.WithLabelValues(class, result).Inc()
	}
}
