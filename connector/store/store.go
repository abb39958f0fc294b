package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DBFileName is the database file created in the state directory.
const DBFileName = "b24desk.db"

// Errors callers act on.
var (
	// ErrSchemaTooNew: the database was written by a newer b24desk.
	ErrSchemaTooNew = errors.New("state schema is newer than this binary")
	// ErrSchemaOutdated: a read-only open met a database that still needs
	// migrations (only the daemon, which holds the lock, migrates).
	ErrSchemaOutdated = errors.New("state schema is older than this binary")
	// ErrNotFound: the requested row does not exist.
	ErrNotFound = errors.New("not found")
)

// Store is the open state database. Its typed methods each run as one
// auto-committed statement; use WithTx to group changes.
type Store struct {
	access
	db   *sql.DB
	lock *dirLock
	log  zerolog.Logger
	dir  string
}

// Tx is a transaction opened by WithTx. It has the same typed methods as
// Store; they take effect when the WithTx function returns nil.
type Tx struct {
	access
}

// Open opens (creating if needed) the state in dir, takes the directory's
// exclusive lock (a second opener gets ErrLocked naming the directory) and
// applies pending migrations. Close releases the lock.
func Open(ctx context.Context, dir string, log zerolog.Logger) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	db, err := openDB(filepath.Join(dir, DBFileName), false)
	if err != nil {
		_ = lock.release()
		return nil, err
	}
	s := &Store{access: access{q: db}, db: db, lock: lock, dir: dir,
		log: log.With().Str("component", "store").Logger()}
	if err := s.migrate(ctx, len(migrations)); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens the state in dir for inspection (CLI commands) without
// taking the lock and without migrating: it can run next to a running daemon.
// It refuses a schema other than the one this binary writes.
func OpenReadOnly(ctx context.Context, dir string, log zerolog.Logger) (*Store, error) {
	return openUnlocked(ctx, dir, log, true)
}

// OpenShared opens the state in dir for a CLI command that runs next to the
// daemon and must write a little (an OAuth token refresh, the schema map
// recorded by setup): no lock and no migration; SQLite's own locking keeps
// the writes safe. It refuses a schema other than the one this binary writes.
func OpenShared(ctx context.Context, dir string, log zerolog.Logger) (*Store, error) {
	return openUnlocked(ctx, dir, log, false)
}

// openUnlocked opens an existing, current state without the directory lock.
func openUnlocked(ctx context.Context, dir string, log zerolog.Logger, readOnly bool) (*Store, error) {
	path := filepath.Join(dir, DBFileName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open state %s: %w", dir, err)
	}
	db, err := openDB(path, readOnly)
	if err != nil {
		return nil, err
	}
	s := &Store{access: access{q: db}, db: db, dir: dir,
		log: log.With().Str("component", "store").Logger()}
	if err := s.checkCurrent(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) checkCurrent(ctx context.Context) error {
	v, err := s.version(ctx)
	if err != nil {
		return err
	}
	switch {
	case v > len(migrations):
		return fmt.Errorf("state dir %s: %w (schema %d, binary knows %d)", s.dir, ErrSchemaTooNew, v, len(migrations))
	case v < len(migrations):
		return fmt.Errorf("state dir %s: %w (schema %d, binary writes %d; run the daemon once)", s.dir, ErrSchemaOutdated, v, len(migrations))
	}
	return nil
}

func openDB(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open state database %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	return db, nil
}

// Dir is the state directory.
func (s *Store) Dir() string { return s.dir }

// Close closes the database and releases the directory lock.
func (s *Store) Close() error {
	err := s.db.Close()
	if lerr := s.lock.release(); err == nil {
		err = lerr
	}
	return err
}

// Ping checks that the database answers (for readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// WithTx runs fn in one transaction (BEGIN IMMEDIATE: it takes the write lock
// at once, so concurrent writers wait instead of failing). fn's error rolls
// everything back and is returned as is.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{access: access{q: sqlTx}}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) version(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate brings the schema to version target (target ≤ len(migrations)).
func (s *Store) migrate(ctx context.Context, target int) error {
	v, err := s.version(ctx)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("state dir %s: %w (schema %d, binary knows %d)", s.dir, ErrSchemaTooNew, v, len(migrations))
	}
	for i := v; i < target; i++ {
		m := migrations[i]
		err := s.WithTx(ctx, func(tx *Tx) error {
			if _, err := tx.q.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.q.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", i+1, m.name, err)
		}
		s.log.Info().Int("version", i+1).Str("migration", m.name).Msg("schema migrated")
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// access carries the typed methods shared by Store and Tx.
type access struct {
	q querier
}
