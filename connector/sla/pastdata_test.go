package sla_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/metrics"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/sla"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// TestPastCalendarData: deadlines computed past the msk calendar's data
// (the default rules import 2026 and 2027) are logged and counted once per
// calendar and day, however many tickets; a schedule inside the data is
// not.
func TestPastCalendarData(t *testing.T) {
	start := time.Date(2027, 12, 27, 12, 0, 0, 0, msk)
	r, _, err := rules.Load("../../config/rules.example.yaml", start)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewManual(start)
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	c, err := sla.New(sla.Options{Store: st, Outbox: outbox.New(st, nil, clk, zerolog.Nop(), outbox.Config{Jitter: -1}),
		Rules: func() *rules.Rules { return r }, Clock: clk, Log: zerolog.New(&logs), Metrics: metrics.New(reg)})
	if err != nil {
		t.Fatal(err)
	}
	add := func(id int64, created time.Time) {
		tk := newTicket(id, created)
		tk.Tier, tk.Policy = "prospect", "prospect" // resolution 10 working days
		if err := st.UpsertTicket(ctx, tk, created); err != nil {
			t.Fatal(err)
		}
	}
	update := func(now time.Time, ids ...int64) {
		for _, id := range ids {
			if err := c.UpdateTicket(ctx, id, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func(want int) {
		t.Helper()
		exp := ""
		if want > 0 {
			exp = `
# HELP b24desk_sla_past_calendar_data_total Days on which an SLA deadline was computed past the end of a calendar's holiday data (once per calendar and day), by calendar.
# TYPE b24desk_sla_past_calendar_data_total counter
b24desk_sla_past_calendar_data_total{calendar="msk"} ` + string(rune('0'+want)) + "\n"
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "b24desk_sla_past_calendar_data_total"); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(logs.String(), "past the calendar's holiday data"); n != want {
			t.Fatalf("%d log lines, want %d:\n%s", n, want, logs.String())
		}
	}

	add(1, time.Date(2027, 6, 1, 12, 0, 0, 0, msk)) // all its deadlines fall in June 2027
	update(start, 1)
	count(0)

	add(2, start) // resolution in January 2028: past the data
	add(3, start)
	update(start, 2, 3)
	update(start.Add(6*time.Hour), 2, 3) // 18:00 the same day
	count(1)
	if !strings.Contains(logs.String(), `"calendar":"msk","data_end":"2027-12-31"`) {
		t.Errorf("the log line lacks the calendar and its data end:\n%s", logs.String())
	}
	update(start.Add(24*time.Hour), 2, 3) // the next day
	count(2)
}
