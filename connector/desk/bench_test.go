package desk_test

import (
	"testing"

	"github.com/b24desk/b24desk/connector/events"
)

// BenchmarkStaffEditBurst: 200 staff edits of 200 tickets' leads queued
// (an outage's backlog, a bulk edit) drained by the events worker, one
// lead read per change (one_by_one: a Sink that cannot prefetch) or the
// drained batches read together. It reports the portal requests the
// drain's reads took per change, as the simulator counted them, and the
// seconds 200 changes' reads take at the portal's standard 2 requests/s
// (the client's burst of 50 not counted).
func BenchmarkStaffEditBurst(b *testing.B) {
	const n = 200
	for _, mode := range []string{"one_by_one", "together"} {
		b.Run(mode, func(b *testing.B) {
			reads := 0
			for range b.N {
				b.StopTimer()
				e := newEnv(b, at(10, 10, 0))
				e.serveVia(nil)
				q := events.NewMemoryQueue()
				e.burst(q, n)
				var sink events.Sink = e.eng
				if mode == "one_by_one" {
					sink = events.SinkFunc(e.eng.LeadChanged)
				}
				b.StartTimer()
				got, batches, single := e.drain(q, sink)
				if got != n {
					b.Fatalf("%d changes accepted, want %d", got, n)
				}
				reads += batches + single
			}
			perChange := float64(reads) / float64(b.N*n)
			b.ReportMetric(perChange, "reads/change")
			b.ReportMetric(perChange*n/2, "s-at-2rps/200-changes")
		})
	}
}
