package daemon

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/b24desk/b24desk/bitrix/sim"
)

// apiCalls reads b24desk_api_calls_total{method,result} and the number of
// limiter wait observations from reg.
func apiCalls(t *testing.T, reg *prometheus.Registry, method, result string) (calls float64, waits uint64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "b24desk_api_calls_total":
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["method"] == method && labels["result"] == result {
					calls += m.GetCounter().GetValue()
				}
			}
		case "b24desk_limiter_wait_seconds":
			for _, m := range mf.GetMetric() {
				waits += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return calls, waits
}

// TestAPICallsCountedPerRequest: each HTTP request of the client is counted
// once, by the client's observer, whichever part of the daemon made it.
func TestAPICallsCountedPerRequest(t *testing.T) {
	f := newFixture(t, true, "")
	o := f.options()
	o.Registry = newRegistry()
	d, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, waits0 := apiCalls(t, o.Registry, "", "")
	f.portal.SetFaults(sim.Faults{Error500Rate: 1})
	if _, err := d.portal.Call(ctx, "crm.lead.list", nil); err == nil {
		t.Fatal("call during a 500 fault succeeded")
	}
	f.portal.SetFaults(sim.Faults{})
	if _, err := d.portal.Call(ctx, "scope", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.portal.LeadGet(ctx, 999999); err == nil {
		t.Fatal("reading a missing lead succeeded")
	}
	for _, c := range []struct {
		method, result string
		want           float64
	}{
		{"crm.lead.list", "transient", 1},
		{"scope", "ok", 1},
		{"crm.lead.get", "not_found", 1},
	} {
		if got, _ := apiCalls(t, o.Registry, c.method, c.result); got != c.want {
			t.Errorf("%s %s: counted %v, want %v", c.method, c.result, got, c.want)
		}
	}
	if _, waits := apiCalls(t, o.Registry, "", ""); waits-waits0 != 3 {
		t.Errorf("%d limiter wait observations for 3 requests", waits-waits0)
	}
	if d.portal.LastOK().IsZero() {
		t.Error("portal answers not recorded for readiness")
	}
}
