package store

import (
	"context"
	"fmt"
	"time"
)

// replayInputSchema keeps, per mail ticket (and adopted intake lead, under
// its ticket's lead:ID origin), what the rules classified it
// by (sender, subject, body cut to the rules' limits.body_bytes, a few headers),
// so that `rules replay` can classify it again under other rules. The
// record is opaque to the store (connector/replay encodes it); it is keyed
// by the lead's ORIGIN_ID because the lead does not exist yet at intake.
// PruneReplayInputs deletes it with the ticket's history.
const replayInputSchema = `
CREATE TABLE replay_inputs (
	origin_id  TEXT PRIMARY KEY,
	created_at INTEGER NOT NULL,
	input      TEXT NOT NULL
);
CREATE INDEX replay_inputs_created ON replay_inputs(created_at);
`

// PutReplayInput keeps a new ticket's classification inputs (first
// write wins: a mail seen again keeps the record of its first intake).
func (a access) PutReplayInput(ctx context.Context, originID string, at time.Time, input []byte) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO replay_inputs (origin_id, created_at, input) VALUES (?, ?, ?)
ON CONFLICT(origin_id) DO NOTHING`, originID, tsNN(at), string(input))
	if err != nil {
		return fmt.Errorf("replay input: %w", err)
	}
	return nil
}

// ReplayInputs returns the classification inputs of the tickets created
// in [from, to) (to zero: no end) by lead ID; tickets without a record
// (hand-made leads, or older than the record) are absent.
func (a access) ReplayInputs(ctx context.Context, from, to time.Time) (map[int64][]byte, error) {
	toTS := int64(1<<63 - 1)
	if !to.IsZero() {
		toTS = tsNN(to)
	}
	rows, err := a.q.QueryContext(ctx, `SELECT t.lead_id, r.input FROM replay_inputs r
JOIN tickets t ON t.origin_id = r.origin_id WHERE t.created_at >= ? AND t.created_at < ?`, tsNN(from), toTS)
	if err != nil {
		return nil, fmt.Errorf("read replay inputs: %w", err)
	}
	defer rows.Close()
	out := map[int64][]byte{}
	for rows.Next() {
		var id int64
		var input string
		if err := rows.Scan(&id, &input); err != nil {
			return nil, fmt.Errorf("read replay inputs: %w", err)
		}
		out[id] = []byte(input)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read replay inputs: %w", err)
	}
	return out, nil
}

// PruneReplayInputs deletes the classification inputs older than
// olderThan before now whose ticket has no history any more (pruned by
// PruneHistory, or the lead was never created): the inputs live exactly
// as long as the history they are replayed with.
func (s *Store) PruneReplayInputs(ctx context.Context, now time.Time, olderThan time.Duration) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM replay_inputs WHERE created_at < ? AND origin_id NOT IN (
	SELECT t.origin_id FROM tickets t JOIN history_tickets h ON h.lead_id = t.lead_id WHERE t.origin_id IS NOT NULL)`,
		tsNN(now.Add(-olderThan)))
	if err != nil {
		return 0, fmt.Errorf("prune replay inputs: %w", err)
	}
	n, _ := res.RowsAffected()
	s.log.Info().Int64("inputs", n).Msg("replay inputs retention prune")
	return n, nil
}
