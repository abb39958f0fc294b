package bitrix_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/bitrix/sim"
)

// These benchmarks run against the simulator with its default limits (2
// requests/s, burst 50) after the burst is spent, so they measure the
// sustained rate. Each iteration takes about a minute: run them with
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bitrix/
//
// A real portal also bounds scans by its server time (operating limits),
// so these are client-side figures.

// spendBurst sends 50 cheap requests through the client's limiter.
func spendBurst(b *testing.B, c *bitrix.Client) {
	b.Helper()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := c.Call(context.Background(), "crm.settings.mode.get", nil); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkFullScan200k(b *testing.B) {
	const n = 200_000
	p, _, c := startSim(b, sim.Options{}, bitrix.Config{})
	p.SeedLeads(n, nil)
	for b.Loop() {
		spendBurst(b, c)
		p.ResetCalls()
		start := time.Now()
		rows := 0
		err := c.Scan(context.Background(), "crm.lead.list", map[string]any{"select": []string{"ID", "TITLE"}}, func(json.RawMessage) error {
			rows++
			return nil
		})
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if rows != n {
			b.Fatalf("scanned %d rows, want %d", rows, n)
		}
		rate := float64(rows) / elapsed.Seconds()
		b.ReportMetric(rate, "rows/s")
		b.ReportMetric(rate/5000, "of_ceiling")
		b.ReportMetric(float64(len(p.Calls())), "requests")
		b.ReportMetric(float64(countCalls(p, "", "QUERY_LIMIT_EXCEEDED")), "QLE")
	}
}

func BenchmarkBulkCreate5000(b *testing.B) {
	const n = 5000
	p, _, c := startSim(b, sim.Options{}, bitrix.Config{})
	for b.Loop() {
		spendBurst(b, c)
		p.ResetCalls()
		cmds := make([]bitrix.BatchCmd, n)
		for i := range cmds {
			cmds[i] = bitrix.BatchCmd{Method: "crm.lead.add", Params: map[string]any{"fields": map[string]any{
				"TITLE": fmt.Sprintf("Bulk %d", i), "ORIGIN_ID": fmt.Sprintf("bulk-%d", i), "ORIGINATOR_ID": "b24desk",
			}}}
		}
		start := time.Now()
		res, err := c.Batch(context.Background(), cmds, false)
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		rate := float64(len(res)) / elapsed.Seconds()
		b.ReportMetric(rate, "leads/s")
		b.ReportMetric(rate/100, "of_ceiling")
		b.ReportMetric(float64(len(p.Calls())), "requests")
		b.ReportMetric(float64(countCalls(p, "", "QUERY_LIMIT_EXCEEDED")), "QLE")
	}
}
