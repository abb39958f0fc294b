package sim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/clock"
)

// BenchmarkSeedLeads measures seeding (the benchmarks' setup of 200,000 leads).
func BenchmarkSeedLeads(b *testing.B) {
	for b.Loop() {
		p := New(Options{NoLimits: true, Clock: clock.System{}})
		p.SeedLeads(200000, nil)
		p.Close()
	}
}

// BenchmarkChainedScanBatch measures the simulator's own cost of one batch
// of 50 chained list pages (2,500 rows) over 200,000 leads, to show it is
// far from the 2 requests/s the bucket allows.
func BenchmarkChainedScanBatch(b *testing.B) {
	p := New(Options{NoLimits: true})
	defer p.Close()
	p.SeedLeads(200000, nil)
	cmd := map[string]any{}
	for i := range 50 {
		last := "100000"
		if i > 0 {
			last = fmt.Sprintf("$result[c%02d][49][ID]", i-1)
		}
		cmd[fmt.Sprintf("c%02d", i)] = "crm.lead.list?" + bitrix.EncodeQuery(map[string]any{
			"order": map[string]any{"ID": "ASC"}, "filter": map[string]any{">ID": last}, "start": -1})
	}
	body := bitrix.EncodeQuery(map[string]any{"cmd": cmd})
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, p.WebhookURL("http://sim")+"batch", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
	b.ReportMetric(float64(2500*b.N)/b.Elapsed().Seconds(), "rows/s")
}
