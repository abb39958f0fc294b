package store

import (
	"context"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

// BenchmarkDueTickets measures the SLA tick's read over 50,000 tickets of
// which a few are due: it must use the next-due index, not scan.
func BenchmarkDueTickets(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir(), nopLog())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	err = s.WithTx(ctx, func(tx *Tx) error {
		for i := range 50000 {
			tk := ticket.Ticket{LeadID: int64(i + 1), Type: "T", CreatedAt: t0, NextDueAt: t0.Add(time.Duration(i) * time.Minute)}
			if err := tx.UpsertTicket(ctx, tk, t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		due, err := s.DueTickets(ctx, t0.Add(10*time.Minute), 100)
		if err != nil || len(due) != 11 {
			b.Fatalf("%d due, %v", len(due), err)
		}
	}
}

func TestDueTicketsUsesIndex(t *testing.T) {
	sqliteOnly(t)
	s := openTest(t, t.TempDir())
	rows, err := s.db.Query(`EXPLAIN QUERY PLAN SELECT lead_id FROM tickets
WHERE next_due_at IS NOT NULL AND next_due_at <= 1 AND closed_at IS NULL AND deleted = 0
ORDER BY next_due_at, lead_id LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "\n"
	}
	if !containsAll(plan, "tickets_next_due") {
		t.Fatalf("due tickets query does not use the next-due index:\n%s", plan)
	}
}
