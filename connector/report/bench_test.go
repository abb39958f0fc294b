package report

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	deskticket "github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// BenchmarkReport measures one report (the history read and Compute) over
// a quarter of 5,000 tickets, each created, answered, paused, resumed and
// closed (about 12 history events each), on the fixture's calendar.
func BenchmarkReport(b *testing.B) {
	ctx := context.Background()
	r, _, err := rules.Parse("rules.yaml", []byte(fixtureRules), time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, b.TempDir(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := at(9, 1, 10, 0)
	err = st.WithTx(ctx, func(tx *store.Tx) error {
		for i := range 5000 {
			c := start.Add(time.Duration(i) * 26 * time.Minute)
			tk := deskticket.Ticket{LeadID: int64(i + 1), Type: []string{"TECH", "INCIDENT"}[i%2], Assignee: int64(10 + i%7),
				Policy: "std", Status: "NEW", CreatedAt: c, FirstResponseDue: c.Add(4 * time.Hour), ResolutionDue: c.Add(30 * time.Hour)}
			steps := []func(){
				func() { tk.Status, tk.FirstResponseMet = "IN_PROCESS", c.Add(time.Duration(i%300)*time.Minute) },
				func() { tk.Status, tk.PausedSince = "WAIT", c.Add(6*time.Hour) },
				func() { tk.Status, tk.PausedSince, tk.PausedTotal = "IN_PROCESS", time.Time{}, 2*time.Hour },
				func() {
					tk.Status, tk.ClosedAt, tk.ResolutionMet = "CONVERTED", c.Add(20*time.Hour), c.Add(20*time.Hour)
				},
			}
			if err := tx.UpsertTicket(ctx, tk, c); err != nil {
				return err
			}
			for _, s := range steps {
				s()
				if err := tx.UpsertTicket(ctx, tk, c); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	from, to := at(9, 1, 0, 0), at(12, 1, 0, 0)
	b.ResetTimer()
	for range b.N {
		rep, err := Load(ctx, st, Options{From: from, To: to, By: ByWeek, Now: to, Rules: r, Location: msk})
		if err != nil || rep.Total.Opened != 5000 {
			b.Fatalf("opened %d, %v", rep.Total.Opened, err)
		}
	}
}
