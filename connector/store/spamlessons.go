package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Spam filter lessons (connector/spam): a ticket's first mail waiting to be
// taught to the filter as spam or ham (the last decision counts), and the
// class it was last taught as (once per mail; a changed mind teaches
// again).
const spamLessonsSchema = `
CREATE TABLE spam_lessons (
	lead_id   INTEGER PRIMARY KEY,
	class     TEXT NOT NULL,
	queued_at INTEGER NOT NULL
);
CREATE TABLE spam_taught (
	lead_id INTEGER PRIMARY KEY,
	class   TEXT NOT NULL
);
`

// SpamLesson is a lesson waiting to be given: teach the ticket's first
// mail as Class.
type SpamLesson struct {
	Lead     int64
	Class    string
	QueuedAt time.Time
}

// QueueSpamLesson queues the lesson, replacing one of the lead not given
// yet.
func (a access) QueueSpamLesson(ctx context.Context, l SpamLesson) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO spam_lessons (lead_id, class, queued_at) VALUES (?, ?, ?)
ON CONFLICT(lead_id) DO UPDATE SET class = excluded.class, queued_at = excluded.queued_at`,
		l.Lead, l.Class, tsNN(l.QueuedAt))
	if err != nil {
		return fmt.Errorf("queue spam lesson of lead %d: %w", l.Lead, err)
	}
	return nil
}

// SpamLessons returns up to limit queued lessons, by lead.
func (a access) SpamLessons(ctx context.Context, limit int) ([]SpamLesson, error) {
	rows, err := a.q.QueryContext(ctx, `SELECT lead_id, class, queued_at FROM spam_lessons ORDER BY lead_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("spam lessons: %w", err)
	}
	defer rows.Close()
	var out []SpamLesson
	for rows.Next() {
		var l SpamLesson
		var at int64
		if err := rows.Scan(&l.Lead, &l.Class, &at); err != nil {
			return nil, fmt.Errorf("spam lessons: %w", err)
		}
		l.QueuedAt = fromTSNN(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// SpamLessonOf returns the lesson queued for the lead (found false: none).
func (a access) SpamLessonOf(ctx context.Context, lead int64) (l SpamLesson, found bool, err error) {
	var at int64
	err = a.q.QueryRowContext(ctx, `SELECT lead_id, class, queued_at FROM spam_lessons WHERE lead_id = ?`, lead).
		Scan(&l.Lead, &l.Class, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return SpamLesson{}, false, nil
	}
	if err != nil {
		return SpamLesson{}, false, fmt.Errorf("spam lesson of lead %d: %w", lead, err)
	}
	l.QueuedAt = fromTSNN(at)
	return l, true, nil
}

// DeleteSpamLesson removes the lead's queued lesson (absent is not an
// error).
func (a access) DeleteSpamLesson(ctx context.Context, lead int64) error {
	if _, err := a.q.ExecContext(ctx, `DELETE FROM spam_lessons WHERE lead_id = ?`, lead); err != nil {
		return fmt.Errorf("delete spam lesson of lead %d: %w", lead, err)
	}
	return nil
}

// SpamTaught returns the class the lead's first mail was last taught as
// ("" when never).
func (a access) SpamTaught(ctx context.Context, lead int64) (string, error) {
	var class string
	err := a.q.QueryRowContext(ctx, `SELECT class FROM spam_taught WHERE lead_id = ?`, lead).Scan(&class)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("spam class taught of lead %d: %w", lead, err)
	}
	return class, nil
}

// PutSpamTaught records the class the lead's first mail was taught as.
func (a access) PutSpamTaught(ctx context.Context, lead int64, class string) error {
	_, err := a.q.ExecContext(ctx, `INSERT INTO spam_taught (lead_id, class) VALUES (?, ?)
ON CONFLICT(lead_id) DO UPDATE SET class = excluded.class`, lead, class)
	if err != nil {
		return fmt.Errorf("put spam class taught of lead %d: %w", lead, err)
	}
	return nil
}
