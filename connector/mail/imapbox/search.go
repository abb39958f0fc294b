package imapbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
)

// UIDsSince returns the UIDs of the intake folder's mail received on or
// after date's day (IMAP SEARCH SINCE compares internal dates by day, in
// the server's time zone), in ascending order. It serves import_since.
func (b *Box) UIDsSince(ctx context.Context, date time.Time) ([]uint32, error) {
	if err := b.requireSelected(); err != nil {
		return nil, err
	}
	defer b.guard(ctx)()
	data, err := b.c.UIDSearch(&imap.SearchCriteria{Since: date}, nil).Wait()
	if err != nil {
		return nil, b.ctxErr(ctx, fmt.Errorf("imapbox: search %q since %s: %w", b.cfg.Folder, date.Format(time.DateOnly), err))
	}
	uids := data.AllUIDs()
	out := make([]uint32, len(uids))
	for i, u := range uids {
		out[i] = uint32(u)
	}
	slices.Sort(out)
	return out, nil
}

// CountSince returns how many mails UIDsSince would return: what an
// import_since would take in (for `b24desk check`).
func (b *Box) CountSince(ctx context.Context, date time.Time) (int, error) {
	uids, err := b.UIDsSince(ctx, date)
	return len(uids), err
}
