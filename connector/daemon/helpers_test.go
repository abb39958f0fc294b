package daemon

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/b24desk/b24desk/connector/outbox"
)

func newRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

// outboxEntry is a write for readiness tests.
func outboxEntry() outbox.Entry {
	return outbox.Entry{Kind: outbox.KindNotify, DedupeKey: "test:notify", GroupKey: "test",
		Payload: map[string]any{"USER_ID": 1, "MESSAGE": "x", "TAG": "test"}}
}
