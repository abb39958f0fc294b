package store

import (
	"database/sql"
	"time"
)

// ts converts a time to its stored form: Unix nanoseconds, NULL for zero.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// tsNN is ts for NOT NULL columns (zero time stored as 0).
func tsNN(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromTS converts a stored time back (UTC); NULL and 0 give the zero time.
func fromTS(n sql.NullInt64) time.Time {
	if !n.Valid || n.Int64 == 0 {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func fromTSNN(n int64) time.Time {
	return fromTS(sql.NullInt64{Int64: n, Valid: true})
}
