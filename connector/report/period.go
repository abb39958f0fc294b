package report

import (
	"context"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/store"
)

// DefaultDays is the length of the period when none is given: the last
// four weeks, today included.
const DefaultDays = 28

// Period turns the CLI's and the page's dates (YYYY-MM-DD in loc, both
// days included; "" = the default: DefaultDays up to today) into the
// report's [from, to).
func Period(fromDate, toDate string, loc *time.Location, now time.Time) (from, to time.Time, err error) {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := now.In(loc).Date()
	to = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	if toDate != "" {
		t, err := time.ParseInLocation(time.DateOnly, toDate, loc)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("to %q: want a date like 2026-12-31", toDate)
		}
		to = t.AddDate(0, 0, 1)
	}
	from = to.AddDate(0, 0, -DefaultDays)
	if fromDate != "" {
		if from, err = time.ParseInLocation(time.DateOnly, fromDate, loc); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("from %q: want a date like 2026-12-01", fromDate)
		}
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, fmt.Errorf("from %s is after to %s", from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly))
	}
	return from, to, nil
}

// Source is where the history is read from (*store.Store has it).
type Source interface {
	History(ctx context.Context, from, to time.Time) ([]store.HistoryTicket, error)
}

// Load reads the history the options' period needs and computes the
// report: the one I/O step in front of Compute.
func Load(ctx context.Context, src Source, o Options) (*Report, error) {
	list, err := src.History(ctx, o.From, o.To)
	if err != nil {
		return nil, err
	}
	return Compute(list, o)
}
