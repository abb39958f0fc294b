package imapbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// Status is the selected folder's identity and next UID: the intake's
// cursor starts at UIDNext on a first start, and a changed UIDValidity
// means every stored UID is void.
type Status struct {
	UIDValidity uint32
	UIDNext     uint32
	Messages    uint32
}

// EnsureFolders creates the processed and quarantine folders when absent.
func (b *Box) EnsureFolders(ctx context.Context) error {
	defer b.guard(ctx)()
	list, err := b.c.List("", "*", nil).Collect()
	if err != nil {
		return b.ctxErr(ctx, fmt.Errorf("imapbox: list folders: %w", err))
	}
	have := make(map[string]bool, len(list))
	for _, l := range list {
		have[l.Mailbox] = true
	}
	for _, name := range []string{b.cfg.Processed, b.cfg.Quarantine} {
		if have[name] {
			continue
		}
		if err := b.c.Create(name, nil).Wait(); err != nil && !isAlreadyExists(err) {
			return b.ctxErr(ctx, fmt.Errorf("imapbox: create folder %q: %w", name, err))
		}
		b.log.Info().Str("folder", name).Msg("created folder")
	}
	return nil
}

func isAlreadyExists(err error) bool {
	var imapErr *imap.Error
	return errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists
}

// Select opens the intake folder read-write and returns its status.
func (b *Box) Select(ctx context.Context) (Status, error) {
	defer b.guard(ctx)()
	data, err := b.c.Select(b.cfg.Folder, nil).Wait()
	if err != nil {
		b.selected = false
		return Status{}, b.ctxErr(ctx, fmt.Errorf("imapbox: select %q: %w", b.cfg.Folder, err))
	}
	b.selected = true
	return Status{UIDValidity: data.UIDValidity, UIDNext: uint32(data.UIDNext), Messages: data.NumMessages}, nil
}

func (b *Box) requireSelected() error {
	if !b.selected {
		return ErrNotSelected
	}
	return nil
}
