package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/rs/zerolog"
)

// BuildOldState makes a SQLite state in dir as an older binary left it:
// the schema at version, holding the given settings rows. It is for tests
// of upgrades: Open then migrates it as it would a real one.
func BuildOldState(ctx context.Context, dir string, version int, settings map[string]string) error {
	if version < 1 || version > len(migrations) {
		return fmt.Errorf("build old state: no schema version %d (1…%d)", version, len(migrations))
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	db, err := openDB(filepath.Join(dir, DBFileName), false)
	if err != nil {
		return errors.Join(err, lock.release())
	}
	s := &Store{access: access{q: db}, db: db, lock: lock, dir: dir, log: zerolog.Nop()}
	return errors.Join(fillOld(ctx, s, version, settings), s.Close())
}

// fillOld migrates s to version and writes the settings rows.
func fillOld(ctx context.Context, s *Store, version int, settings map[string]string) error {
	if err := s.migrate(ctx, version); err != nil {
		return fmt.Errorf("build old state: %w", err)
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		for k, v := range settings {
			if err := tx.PutSetting(ctx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}
