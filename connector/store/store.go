package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

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
	db       *sql.DB
	lock     *dirLock
	log      zerolog.Logger
	dir      string
	health   *writeHealth
	probes   atomic.Int64 // makes every write check change its row
	readOnly bool
	engine   engine
	pgLock   *sql.Conn // holds OpenPostgres's session lock
	fence    *atomic.Pointer[Lease]
	node     string // PostgreSQL: this process's application_name

	bucketsOnce sync.Once
	buckets     *BitrixBuckets // the limiter's shared bucket (Buckets)
}

// Tx is a transaction opened by WithTx. It has the same typed methods as
// Store; they take effect when the WithTx function returns nil.
type Tx struct {
	access
}

// Open opens the state in dir, takes the directory's exclusive lock (a
// second opener gets ErrLocked naming the directory), applies pending
// migrations and checks that the state can be written (ErrNotWritable).
// A new state is created only where no state file exists, and appears
// complete or not at all (built under a temporary name, then renamed); an
// existing file that is empty, truncated, not SQLite or fails SQLite's
// integrity check is ErrDamaged and is left untouched. Close releases the
// lock.
func Open(ctx context.Context, dir string, log zerolog.Logger) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, DBFileName)
	switch _, err := os.Lstat(path); {
	case errors.Is(err, os.ErrNotExist):
		err = create(ctx, dir, log)
		if err == nil {
			break
		}
		_ = lock.release()
		return nil, err
	case err != nil:
		_ = lock.release()
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	s, err := openExisting(ctx, dir, path, false, log)
	if err != nil {
		_ = lock.release()
		return nil, err
	}
	s.lock = lock
	if err := s.migrate(ctx, len(migrations)); err != nil {
		_ = s.Close()
		if storageFailure(err) {
			return nil, fmt.Errorf("%w: %w", ErrNotWritable, err)
		}
		return nil, err
	}
	if err := s.CheckWritable(ctx, 10*time.Second); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// create builds a new state file: migrated under a temporary name, closed,
// then renamed into place, so a crash never leaves a half-made state
// behind (a temporary file left over is simply built again).
func create(ctx context.Context, dir string, log zerolog.Logger) error {
	path := filepath.Join(dir, DBFileName)
	tmp := path + ".new"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %s: %w", ErrNotWritable, dir, err)
		}
	}
	db, err := openDB(tmp, false)
	if err != nil {
		return err
	}
	s := &Store{db: db, dir: dir, log: log.With().Str("component", "store").Logger(), health: &writeHealth{}}
	s.access = access{q: tracked{querier: db, health: s.health}}
	err = s.migrate(ctx, len(migrations))
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if storageFailure(err) {
			return fmt.Errorf("%w: create %s: %w", ErrNotWritable, path, err)
		}
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%w: create %s: %w", ErrNotWritable, path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	s.log.Info().Str("path", path).Msg("new state created")
	return nil
}

// openExisting opens an existing state file after checking that it is
// an intact SQLite database holding a b24desk schema (ErrDamaged if not).
func openExisting(ctx context.Context, dir, path string, readOnly bool, log zerolog.Logger) (*Store, error) {
	if err := inspectFile(path); err != nil {
		return nil, err
	}
	// The check reads through a query-only handle first: the writable
	// one switches the file to WAL mode, a change to a damaged file.
	check, err := openDB(path, true)
	if err != nil {
		return nil, err
	}
	s := &Store{db: check, dir: dir, log: log.With().Str("component", "store").Logger(), health: &writeHealth{}}
	err = s.checkIntegrity(ctx, path)
	if cerr := check.Close(); err == nil && cerr != nil {
		err = s.openError(path, cerr)
	}
	if err != nil {
		return nil, err
	}
	db, err := openDB(path, readOnly)
	if err != nil {
		return nil, err
	}
	s.db = db
	s.access = access{q: tracked{querier: db, health: s.health}}
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
	s, err := openExisting(ctx, dir, path, readOnly, log)
	if err != nil {
		return nil, err
	}
	s.readOnly = readOnly
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
	if s.pgLock != nil {
		_, _ = s.pgLock.ExecContext(context.Background(), `SELECT pg_advisory_unlock_all()`)
		_ = s.pgLock.Close()
	}
	err := s.db.Close()
	if berr := s.buckets.close(); err == nil {
		err = berr
	}
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
		s.health.note(err)
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{access: access{q: tracked{querier: sqlTx, health: s.health}}}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	err = sqlTx.Commit()
	s.health.note(err)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) version(ctx context.Context) (int, error) {
	if s.engine == enginePostgres {
		v, err := pgVersion(ctx, s.db)
		if err != nil {
			return 0, fmt.Errorf("read schema version: %w", err)
		}
		return v, nil
	}
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
		if s.engine == enginePostgres {
			err := s.WithTx(ctx, func(tx *Tx) error {
				// Another node may have migrated while this one waited
				// for the write lock.
				if now, err := pgVersion(ctx, tx.q); err != nil || now > i {
					return err
				}
				ddl := m.postgres
				if ddl == "" {
					ddl = pgDDL(m.sql)
				}
				if _, err := tx.q.ExecContext(ctx, ddl); err != nil {
					return err
				}
				if err := m.move(ctx, tx, s.log); err != nil {
					return err
				}
				return pgSetVersion(ctx, tx.q, i+1)
			})
			if err != nil {
				return fmt.Errorf("migration %d (%s): %w", i+1, m.name, err)
			}
			s.log.Info().Int("version", i+1).Str("migration", m.name).Msg("schema migrated")
			continue
		}
		err := s.WithTx(ctx, func(tx *Tx) error {
			if _, err := tx.q.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if err := m.move(ctx, tx, s.log); err != nil {
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
