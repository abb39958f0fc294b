package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/b24desk/b24desk/connector/desk/ticket"
)

// BenchmarkStateSize10kTickets fills a state with 10,000 tickets as the
// intake leaves them (the ticket row, its mail with a 20 KB raw copy, one
// delivered outbox write) and reports the state's size on this run's
// engine (docs/scaling.md):
//
//	go test -run '^$' -bench StateSize -benchtime 1x ./connector/store/
func BenchmarkStateSize10kTickets(b *testing.B) {
	const n = 10_000
	// 20 KB of base64 (an attachment's worth): compresses about as badly
	// as real mail does at worst.
	rnd := make([]byte, 15_000)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(rnd)
	raw := []byte(base64.StdEncoding.EncodeToString(rnd))
	ctx := context.Background()
	for b.Loop() {
		dir := b.TempDir()
		s, err := openEngine(b, dir)
		if err != nil {
			b.Fatal(err)
		}
		before := stateBytes(b, s, dir)
		at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
		for i := range n {
			err := s.WithTx(ctx, func(tx *Tx) error {
				key := fmt.Sprintf("support/1/%d", i)
				if _, _, err := tx.SpoolMessage(ctx, Message{DedupeKey: key, Mailbox: "support", UID: uint32(i), MessageID: fmt.Sprintf("<%d@example.com>", i), Raw: raw, LeadID: int64(i + 1), State: MessageDone}, at); err != nil {
					return err
				}
				if err := tx.UpsertTicket(ctx, ticket.Ticket{LeadID: int64(i + 1), OriginID: key, Type: "B24D_TECH", Status: "NEW", Requester: "c@example.com", CreatedAt: at}, at); err != nil {
					return err
				}
				_, _, err := tx.EnqueueOutbox(ctx, OutboxRow{Kind: "lead.update", Payload: json.RawMessage(`{"id":1,"fields":{"UF_CRM_B24D_SLA_STATE":"ok"}}`), DedupeKey: key + "/sla"}, at)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(stateBytes(b, s, dir)-before)/(1<<20), "MiB/10k-tickets")
		_ = s.Close()
	}
}

// stateBytes is the state's size: the SQLite file after a checkpoint, or
// the PostgreSQL database.
func stateBytes(b *testing.B, s *Store, dir string) int64 {
	ctx := context.Background()
	if s.engine == enginePostgres {
		var n int64
		if err := s.db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, DBFileName))
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}
