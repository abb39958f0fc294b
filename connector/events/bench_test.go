package events

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/clock"
)

// BenchmarkHandler measures one event POST through the handler into the
// in-memory queue (parse, token check, record), without the network.
func BenchmarkHandler(b *testing.B) {
	q := NewMemoryQueue()
	h, err := NewHandler(HandlerOptions{Token: testToken, Recorder: q,
		Clock: clock.NewManual(time.Unix(1766047126, 0)), Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		body := eventBody("ONCRMLEADUPDATE", strconv.Itoa(i%100000+1), strconv.Itoa(1766047000+i), testToken)
		req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
		req.Header.Set("Content-Type", form)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkReconcile measures a reconcile scan of 5,000 changed tickets
// against the in-memory fake portal (the scan logic, not the network; most
// of the time is the fake's filtering). It reports list requests per scan:
// the ideal is 100 (50 rows a page).
func BenchmarkReconcile(b *testing.B) {
	portal := newFakePortal()
	base := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	for id := 1; id <= 5000; id++ {
		portal.put(id, base.Add(time.Duration(id/3)*time.Second), "B24D_TECH", "")
	}
	runs := 0
	for b.Loop() {
		runs++
		st := newMemState()
		r, err := NewReconciler(ReconcilerOptions{Client: portal, Sink: &coreSink{state: st}, Known: st, Cursor: st,
			IsTicket: ticketTypes("B24D_TECH"), Logger: zerolog.Nop()})
		if err != nil {
			b.Fatal(err)
		}
		n, err := r.RunOnce(context.Background(), base.Add(time.Hour))
		if err != nil || n != 5000 {
			b.Fatalf("found %d, err %v", n, err)
		}
	}
	b.ReportMetric(float64(portal.nList)/float64(runs), "requests/scan")
}
