package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsRecord(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.Mail("support", "ticket")
	m.Mail("support", "ticket")
	m.Escalation("enterprise", "first_response", "breach")
	m.Outbox(3, 1, 90*time.Second)
	want := `
# HELP b24desk_mails_total Mails handled, by mailbox and result (ticket, reply, automatic, bounce, quarantine, duplicate, spam).
# TYPE b24desk_mails_total counter
b24desk_mails_total{mailbox="support",result="ticket"} 2
# HELP b24desk_outbox_oldest_age_seconds Age of the oldest pending outbox write (0 when empty).
# TYPE b24desk_outbox_oldest_age_seconds gauge
b24desk_outbox_oldest_age_seconds 90
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "b24desk_mails_total", "b24desk_outbox_oldest_age_seconds"); err != nil {
		t.Fatal(err)
	}
}

func TestNilMetricsIsSafe(t *testing.T) {
	var m *Metrics
	m.Mail("x", "y")
	m.Outbox(1, 0, 0)
	m.MailboxChecked("x", time.Unix(0, 0))
}
