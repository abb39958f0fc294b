package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/b24desk/b24desk/connector/mail/imaptest"
	"github.com/b24desk/b24desk/connector/outbox"
	"github.com/b24desk/b24desk/connector/store"
)

// BenchmarkLatency measures the time from an APPEND to Dovecot (its
// completion) to the lead's creation (the lead.add done in the outbox),
// with the intake's Run loop waiting in IDLE and the outbox's Run loop,
// under a steady 50 appends/s of about 5 KB mails (simulator limits off).
// p50-ms and p99-ms are the figures to report (goal p99 < 1 s).
func BenchmarkLatency(b *testing.B) {
	const rate, n, size = 50, 500, 5_000
	s := imaptest.StartDovecot(b)
	var all []time.Duration
	for b.Loop() {
		all = append(all, latencyRun(b, s, rate, n, size)...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(0, "ns/op")
}

// latencyRun appends n mails at rate per second and returns each one's
// latency to its lead.
func latencyRun(b *testing.B, s *imaptest.Server, rate, n, size int) []time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	e := newEnv(b, s, nil)
	defer e.close()
	var mu sync.Mutex
	created := make(map[int]time.Time, n)
	e.ob.OnDone(outbox.KindLeadAdd, func(_ context.Context, _ *store.Tx, row outbox.Row, _ json.RawMessage) error {
		var p struct {
			Fields struct {
				Title string `json:"TITLE"`
			} `json:"fields"`
		}
		if json.Unmarshal(row.Payload, &p) == nil {
			if i, err := strconv.Atoi(strings.TrimPrefix(p.Fields.Title, "Latency ")); err == nil {
				mu.Lock()
				created[i] = time.Now()
				mu.Unlock()
			}
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { _ = e.ob.Run(ctx) })
	wg.Go(func() { _ = e.in.Run(ctx) })
	for e.in.Health().IsZero() { // the intake is in its loop
		time.Sleep(5 * time.Millisecond)
	}
	c := s.Dial(b, e.user, e.pass)
	defer c.Close()
	b.StartTimer()
	appended := make([]time.Time, n)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for i := range n {
		<-tick.C
		raw := imaptest.Mail(fmt.Sprintf("c%d@example.com", i), "support@example.test", fmt.Sprintf("Latency %d", i),
			strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", size/58))
		cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{})
		if _, err := cmd.Write(raw); err != nil {
			b.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			b.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		appended[i] = time.Now()
	}
	tick.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		got := len(created)
		mu.Unlock()
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d leads after 60 s", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	out := make([]time.Duration, n)
	mu.Lock()
	for i := range n {
		out[i] = created[i].Sub(appended[i])
	}
	mu.Unlock()
	return out
}
