package store

import (
	"context"
	"fmt"
	"time"
)

// StepDone is an escalation step recorded as done for a ticket's target.
type StepDone struct {
	LeadID int64
	Target string // e.g. "first_response", "resolution"
	Step   string // the ladder step's ID
	DoneAt time.Time
}

// MarkStepDone records the step, and a new one in the ticket's history;
// isNew is false when it was already done (its actions must then not be
// enqueued again).
func (a access) MarkStepDone(ctx context.Context, s StepDone) (isNew bool, err error) {
	res, err := a.q.ExecContext(ctx, `INSERT INTO escalation_steps_done (lead_id, target, step, done_at)
VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, s.LeadID, s.Target, s.Step, tsNN(s.DoneAt))
	if err != nil {
		return false, fmt.Errorf("mark step done: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return false, err
	}
	return true, a.historyEvent(ctx, s.LeadID, HistoryEvent{At: s.DoneAt, Kind: EventEscalation, Value: s.Step})
}

// StepsDone lists the ticket's done steps, oldest first.
func (a access) StepsDone(ctx context.Context, leadID int64) ([]StepDone, error) {
	rows, err := a.q.QueryContext(ctx, `SELECT lead_id, target, step, done_at FROM escalation_steps_done
WHERE lead_id = ? ORDER BY done_at, target, step`, leadID)
	if err != nil {
		return nil, fmt.Errorf("steps done: %w", err)
	}
	defer rows.Close()
	var out []StepDone
	for rows.Next() {
		var s StepDone
		var at int64
		if err := rows.Scan(&s.LeadID, &s.Target, &s.Step, &at); err != nil {
			return nil, fmt.Errorf("steps done: %w", err)
		}
		s.DoneAt = fromTSNN(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// ClearSteps forgets the steps done for the ticket's target ("" = all
// targets), e.g. when a reclassification starts a new policy.
func (a access) ClearSteps(ctx context.Context, leadID int64, target string) error {
	_, err := a.q.ExecContext(ctx, `DELETE FROM escalation_steps_done WHERE lead_id = ? AND (? = '' OR target = ?)`,
		leadID, target, target)
	if err != nil {
		return fmt.Errorf("clear steps: %w", err)
	}
	return nil
}

// SeenEvent records an event key; isNew is false when it was seen before
// (a repeated delivery to ignore).
func (a access) SeenEvent(ctx context.Context, key string, now time.Time) (isNew bool, err error) {
	res, err := a.q.ExecContext(ctx, `INSERT INTO event_dedupe (event_key, seen_at) VALUES (?, ?)
ON CONFLICT DO NOTHING`, key, tsNN(now))
	if err != nil {
		return false, fmt.Errorf("seen event: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
