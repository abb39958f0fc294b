package sla_test

import (
	"context"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
	"github.com/b24desk/b24desk/connector/store"
)

// BenchmarkTick measures one Tick over a state of 50,000 open tickets: with
// 100 of them due (each fires its first-response breach step and queues its
// writes), and with none due. A tick reads only the due tickets through the
// next-due index, so its cost follows the due tickets, not the state size.
//
//	go test -run '^$' -bench BenchmarkTick -benchtime 20x ./connector/sla/
func BenchmarkTick(b *testing.B) {
	const total, due = 50000, 100
	created := time.Date(2026, 3, 10, 10, 0, 0, 0, msk)
	now := created.Add(150 * time.Minute) // past the 2h first response of the due ones
	e := newClockEnv(b, created)
	ctx := context.Background()
	dueRows := make([]ticket.Ticket, 0, due)
	err := e.st.WithTx(ctx, func(tx *store.Tx) error {
		for i := range total {
			t := newTicket(int64(i+1), created)
			if i%(total/due) != 0 {
				t.NextDueAt = now.Add(24*time.Hour + time.Duration(i)*time.Second)
			} else {
				dueRows = append(dueRows, t)
			}
			if err := tx.UpsertTicket(ctx, t, created); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// reset makes the due tickets due again, with no step done yet.
	reset := func() {
		err := e.st.WithTx(ctx, func(tx *store.Tx) error {
			for _, t := range dueRows {
				if err := tx.ClearSteps(ctx, t.LeadID, ""); err != nil {
					return err
				}
				if err := tx.UpsertTicket(ctx, t, created); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}

	b.Run("100 due of 50000", func(b *testing.B) {
		for i := range b.N {
			b.StopTimer()
			reset()
			b.StartTimer()
			n, err := e.sla.Tick(ctx, now.Add(time.Duration(i)*time.Millisecond))
			if err != nil || n != due {
				b.Fatalf("tick looked at %d tickets (%v), want %d", n, err, due)
			}
		}
		b.ReportMetric(due, "due/tick")
	})
	b.Run("0 due of 50000", func(b *testing.B) {
		for range b.N {
			n, err := e.sla.Tick(ctx, created)
			if err != nil || n != 0 {
				b.Fatalf("tick looked at %d tickets (%v), want 0", n, err)
			}
		}
	})
}
