package mail

import (
	"context"
	"time"

	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// keepForReplay stores what `rules replay` needs to classify the new
// ticket again under other rules (body cut to limits.body_bytes, a few headers),
// in the same transaction as the ticket's lead.add.
func keepForReplay(ctx context.Context, tx *store.Tx, r *rules.Rules, origin string, in rules.Input, now time.Time) error {
	b, err := replay.Keep(r, in)
	if err != nil {
		return err
	}
	return tx.PutReplayInput(ctx, origin, now, b)
}
