package store

import (
	"context"
	"fmt"
	"time"
)

// PruneResult says what a retention run removed.
type PruneResult struct {
	RawMails      int64 // spooled raw copies deleted (the message rows stay)
	OutboxHistory int64 // done/dropped outbox rows deleted
	EventKeys     int64 // event dedupe keys forgotten
}

// Prune deletes personal data and history older than olderThan before now:
// the raw copies of mails whose handling finished (a mail still spooled is
// work, never deleted), finished outbox rows, and event dedupe keys.
func (s *Store) Prune(ctx context.Context, now time.Time, olderThan time.Duration) (PruneResult, error) {
	cutoff := tsNN(now.Add(-olderThan))
	var r PruneResult
	err := s.WithTx(ctx, func(tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE messages SET raw = NULL
WHERE raw IS NOT NULL AND state != 'spooled' AND created_at < ?`, cutoff)
		if err != nil {
			return fmt.Errorf("prune mail: %w", err)
		}
		r.RawMails, _ = res.RowsAffected()
		res, err = tx.q.ExecContext(ctx, `DELETE FROM outbox WHERE state IN ('done', 'dropped') AND updated_at < ?`, cutoff)
		if err != nil {
			return fmt.Errorf("prune outbox: %w", err)
		}
		r.OutboxHistory, _ = res.RowsAffected()
		res, err = tx.q.ExecContext(ctx, `DELETE FROM event_dedupe WHERE seen_at < ?`, cutoff)
		if err != nil {
			return fmt.Errorf("prune events: %w", err)
		}
		r.EventKeys, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return PruneResult{}, err
	}
	s.log.Info().Int64("raw_mails", r.RawMails).Int64("outbox_rows", r.OutboxHistory).
		Int64("event_keys", r.EventKeys).Msg("retention prune")
	return r, nil
}
