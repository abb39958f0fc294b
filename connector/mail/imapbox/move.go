package imapbox

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Done finishes a handled mail: it marks it \Seen and, unless leaveInPlace,
// moves it to the processed folder. Call it only after the mail's ticket
// work is durably recorded. A mail no longer there is not an error.
func (b *Box) Done(ctx context.Context, uid uint32, leaveInPlace bool) error {
	return b.DoneMany(ctx, []uint32{uid}, leaveInPlace)
}

// DoneMany is Done for many mails at once: one UID STORE and one UID MOVE
// (or COPY + EXPUNGE) of the whole set.
func (b *Box) DoneMany(ctx context.Context, uids []uint32, leaveInPlace bool) error {
	if err := b.requireSelected(); err != nil {
		return err
	}
	if len(uids) == 0 {
		return nil
	}
	defer b.guard(ctx)()
	set := uidSet(uids)
	if err := b.addFlags(set, imap.FlagSeen); err != nil {
		return b.ctxErr(ctx, err)
	}
	if leaveInPlace {
		return nil
	}
	return b.ctxErr(ctx, b.move(set, len(uids), b.cfg.Processed))
}

// Quarantine moves a mail that cannot become a ticket to the quarantine
// folder. It stays unread there, so whoever reviews the quarantine sees
// what is new.
func (b *Box) Quarantine(ctx context.Context, uid uint32) error {
	return b.QuarantineMany(ctx, []uint32{uid})
}

// QuarantineMany is Quarantine for many mails at once (one MOVE).
func (b *Box) QuarantineMany(ctx context.Context, uids []uint32) error {
	if err := b.requireSelected(); err != nil {
		return err
	}
	if len(uids) == 0 {
		return nil
	}
	defer b.guard(ctx)()
	return b.ctxErr(ctx, b.move(uidSet(uids), len(uids), b.cfg.Quarantine))
}

func uidSet(uids []uint32) imap.UIDSet {
	var set imap.UIDSet
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	return set
}

func (b *Box) addFlags(set imap.UIDSet, flags ...imap.Flag) error {
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}
	if err := b.c.Store(set, store, nil).Close(); err != nil {
		return fmt.Errorf("imapbox: flag UIDs %s %v: %w", set, flags, err)
	}
	return nil
}

// move uses MOVE when offered (and allowed), else COPY + \Deleted + UID
// EXPUNGE. Without UIDPLUS the fallback's plain EXPUNGE also removes other
// mail already flagged \Deleted in the folder.
func (b *Box) move(set imap.UIDSet, n int, folder string) error {
	if b.hasMove() {
		if _, err := b.c.Move(set, folder).Wait(); err != nil {
			return fmt.Errorf("imapbox: move UIDs %s to %q: %w", set, folder, err)
		}
		b.log.Debug().Stringer("uids", set).Int("mails", n).Str("folder", folder).Msg("moved")
		return nil
	}
	if _, err := b.c.Copy(set, folder).Wait(); err != nil {
		return fmt.Errorf("imapbox: copy UIDs %s to %q: %w", set, folder, err)
	}
	if err := b.addFlags(set, imap.FlagDeleted); err != nil {
		return err
	}
	var err error
	if b.hasUIDPlus() {
		err = b.c.UIDExpunge(set).Close()
	} else {
		err = b.c.Expunge().Close()
	}
	if err != nil {
		return fmt.Errorf("imapbox: expunge UIDs %s after copy to %q: %w", set, folder, err)
	}
	b.log.Debug().Stringer("uids", set).Int("mails", n).Str("folder", folder).Msg("copied and expunged")
	return nil
}

// Append stores raw in folder with the given flags (e.g. `\Seen`) and
// returns its UID when the server says it (UIDPLUS), else 0; for keeping a
// copy of sent replies.
func (b *Box) Append(ctx context.Context, folder string, raw []byte, flags []string, date time.Time) (uint32, error) {
	defer b.guard(ctx)()
	opts := &imap.AppendOptions{Time: date}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, imap.Flag(f))
	}
	cmd := b.c.Append(folder, int64(len(raw)), opts)
	if _, err := cmd.Write(raw); err != nil {
		return 0, b.ctxErr(ctx, fmt.Errorf("imapbox: append to %q: %w", folder, err))
	}
	if err := cmd.Close(); err != nil {
		return 0, b.ctxErr(ctx, fmt.Errorf("imapbox: append to %q: %w", folder, err))
	}
	data, err := cmd.Wait()
	if err != nil {
		return 0, b.ctxErr(ctx, fmt.Errorf("imapbox: append to %q: %w", folder, err))
	}
	return uint32(data.UID), nil
}
