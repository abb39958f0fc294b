package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/store"
)

// DefaultCursorKey is the settings key of the reconcile high-water mark.
const DefaultCursorKey = "events.reconcile.mark"

// StoreState adapts the SQLite state to Known, Cursor and OpenTickets.
type StoreState struct {
	Store *store.Store
	// CursorKey is the settings key of the mark (default DefaultCursorKey).
	CursorKey string
}

// LastDateModify returns the ticket's last DATE_MODIFY; ok is false for a
// lead that is not a ticket or whose DATE_MODIFY was never recorded.
func (s StoreState) LastDateModify(ctx context.Context, leadID int) (time.Time, bool, error) {
	t, err := s.Store.Ticket(ctx, int64(leadID))
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return t.LastDateModify, !t.LastDateModify.IsZero(), nil
}

// Get reads the reconcile mark.
func (s StoreState) Get(ctx context.Context) (time.Time, bool, error) {
	v, ok, err := s.Store.Setting(ctx, s.key())
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reconcile mark %q: %w", v, err)
	}
	return t, true, nil
}

// Set stores the reconcile mark.
func (s StoreState) Set(ctx context.Context, t time.Time) error {
	return s.Store.PutSetting(ctx, s.key(), t.Format(time.RFC3339Nano))
}

// OpenTicketIDs lists the open tickets' lead IDs, paging through the store.
func (s StoreState) OpenTicketIDs(ctx context.Context) ([]int, error) {
	var ids []int
	after := int64(0)
	for {
		page, err := s.Store.OpenTickets(ctx, after, 500)
		if err != nil {
			return ids, err
		}
		for _, t := range page {
			ids = append(ids, int(t.LeadID))
			after = t.LeadID
		}
		if len(page) < 500 {
			return ids, nil
		}
	}
}

func (s StoreState) key() string {
	if s.CursorKey == "" {
		return DefaultCursorKey
	}
	return s.CursorKey
}
