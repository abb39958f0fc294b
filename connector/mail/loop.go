package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/b24desk/b24desk/connector/mail/imapbox"
	"github.com/b24desk/b24desk/connector/store"
)

// Run reads the mailbox until ctx ends: it first resumes spooled work, then
// connects, reads new mail, processes it, finishes handled mail and waits
// (IDLE or poll); after any error it reconnects with a capped, jittered
// backoff. It returns nil when ctx ends.
func (i *Intake) Run(ctx context.Context) error {
	if err := i.ProcessSpooled(ctx); err != nil && ctx.Err() == nil {
		i.log.Error().Err(err).Msg("resume spooled mail")
	}
	attempt := 0
	for {
		selected, err := i.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if selected {
			attempt = 0
		}
		delay := i.opts.Backoff.Delay(attempt)
		attempt++
		i.opts.Metrics.Mail(i.name, "connect_error")
		i.log.Warn().Err(err).Dur("retry_in", delay).Msg("mailbox connection failed")
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// session is one connection's life; selected says whether it got as far
// as selecting the folder (the backoff then starts over).
func (i *Intake) session(ctx context.Context) (selected bool, err error) {
	cfg := BoxConfig(i.opts.Mailbox, i.log)
	if i.opts.BoxConfig != nil {
		i.opts.BoxConfig(&cfg)
	}
	box, err := imapbox.Dial(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer box.Close()
	if err := box.EnsureFolders(ctx); err != nil {
		return false, err
	}
	st, err := box.Select(ctx)
	if err != nil {
		return false, err
	}
	cur, err := i.startCursor(ctx, box, st)
	if err != nil {
		return true, err
	}
	i.log.Info().Uint32("uidvalidity", cur.UIDValidity).Uint32("last_uid", cur.LastUID).Bool("idle", box.HasIDLE()).Msg("mailbox open")
	for {
		full, err := i.Poll(ctx, box, &cur)
		if err != nil {
			return true, err
		}
		if full {
			continue
		}
		wait := imapbox.MaxIdle
		if pending, err := i.hasUnfinished(ctx); err != nil {
			return true, err
		} else if pending {
			wait = i.opts.Recheck
		}
		if err := box.Wait(ctx, wait); err != nil {
			return true, err
		}
	}
}

// startCursor returns the cursor to read from: the stored one; on a first
// start UIDNEXT−1 (old mail is not imported) or, with import_since, just
// before the first mail received since that date; after a UIDVALIDITY
// change 0 (everything is read again and dedupe keeps tickets single).
func (i *Intake) startCursor(ctx context.Context, box *imapbox.Box, st imapbox.Status) (store.Cursor, error) {
	cur, found, err := i.opts.Store.Cursor(ctx, i.name)
	if err != nil {
		return cur, err
	}
	switch {
	case found && cur.UIDValidity == st.UIDValidity:
		return cur, nil
	case found:
		i.log.Warn().Uint32("old", cur.UIDValidity).Uint32("new", st.UIDValidity).Msg("UIDVALIDITY changed: reading the folder again, dedupe keeps tickets single")
		cur = store.Cursor{Mailbox: i.name, UIDValidity: st.UIDValidity, LastOKAt: cur.LastOKAt}
	default:
		cur = store.Cursor{Mailbox: i.name, UIDValidity: st.UIDValidity}
		if st.UIDNext > 0 {
			cur.LastUID = st.UIDNext - 1
		}
		if since := i.opts.Mailbox.ImportSince; !since.IsZero() {
			uids, err := box.UIDsSince(ctx, since)
			if err != nil {
				return cur, err
			}
			if len(uids) > 0 {
				cur.LastUID = uids[0] - 1
			}
			i.log.Info().Time("import_since", since).Int("mails", len(uids)).Msg("first start: importing mail since the date")
		} else {
			i.log.Info().Uint32("uidnext", st.UIDNext).Msg("first start: old mail is not imported")
		}
	}
	return cur, i.opts.Store.SetCursor(ctx, cur)
}

// Poll does one round on an open, selected box: fetch a batch of new mail
// and spool it with the cursor moved past it (one transaction), process
// spooled mail, finish mail whose work is done, and record the successful
// check. full reports that the batch was full (more may wait; finishing
// may then wait for a later call).
func (i *Intake) Poll(ctx context.Context, box *imapbox.Box, cur *store.Cursor) (full bool, err error) {
	mails, err := box.FetchSince(ctx, cur.LastUID, i.opts.Batch)
	if err != nil {
		return false, err
	}
	if len(mails) > 0 {
		if err := i.spool(ctx, cur, mails); err != nil {
			return false, err
		}
	}
	if err := i.ProcessSpooled(ctx); err != nil {
		return false, err
	}
	full = len(mails) >= i.opts.Batch
	// While batches come full the caller polls again at once: finishing
	// then would look at the same waiting mail each round, so finish on
	// the last batch, or every finishEvery full ones under a steady flood.
	if i.fullPolls++; !full || i.fullPolls >= finishEvery {
		i.fullPolls = 0
		if err := i.finish(ctx, box, cur.UIDValidity); err != nil {
			return false, err
		}
	}
	now := i.clk.Now()
	cur.LastOKAt = now
	if err := i.opts.Store.SetCursor(ctx, *cur); err != nil {
		return false, err
	}
	i.setOK(now)
	return full, nil
}

// finishEvery bounds the full batches read before handled mail is
// finished.
const finishEvery = 10

// spool saves the raw mails and moves the cursor past them in one
// transaction: a mail is never behind the cursor without its copy.
func (i *Intake) spool(ctx context.Context, cur *store.Cursor, mails []imapbox.Fetched) error {
	now := i.clk.Now()
	next := *cur
	err := i.opts.Store.WithTx(ctx, func(tx *store.Tx) error {
		for _, f := range mails {
			m := store.Message{
				DedupeKey: rowKey(i.name, cur.UIDValidity, f.UID), Mailbox: i.name,
				UIDValidity: cur.UIDValidity, UID: f.UID, Raw: f.Raw,
			}
			if f.Truncated {
				m.Error = errOversize
			}
			if _, _, err := tx.SpoolMessage(ctx, m, now); err != nil {
				return err
			}
			next.LastUID = max(next.LastUID, f.UID)
		}
		return tx.SetCursor(ctx, next)
	})
	if err != nil {
		return fmt.Errorf("spool %d mails: %w", len(mails), err)
	}
	*cur = next
	i.log.Debug().Int("mails", len(mails)).Uint32("last_uid", next.LastUID).Msg("spooled")
	return nil
}

// errOversize marks a spooled mail that was fetched truncated (above the
// size cap).
const errOversize = "oversize: fetched header and first text part only"

// rowKey is a spooled mail's key in the state: one row per mailbox copy.
// The same mail in two mailboxes gets two rows and one ticket (the outbox
// and the tickets table hold the mail's dedupe key under UNIQUE).
func rowKey(mailbox string, uidValidity, uid uint32) string {
	return fmt.Sprintf("mbox:%s/%d/%d", mailbox, uidValidity, uid)
}
