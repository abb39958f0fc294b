package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/b24desk/b24desk/bitrix"
)

// BitrixBuckets keeps the portal client's leaky bucket in the state
// (table limiter_bucket, one row per portal host): it implements
// bitrix.BucketStore, so that the daemon, a daemon restarted after heavy
// work and the CLI commands beside it all draw from one bucket.
//
// Each update is one BEGIN IMMEDIATE transaction (read the row, write it),
// a few hundred microseconds on a local disk (docs/BENCHMARKS.md), next to a
// portal request of tens of milliseconds. SQLite releases the write lock
// of a process that dies, so a crashed holder blocks nobody; a busy lock is
// waited for within the caller's context.
type BitrixBuckets struct {
	s *Store

	once sync.Once
	db   *sql.DB // a writable handle when s is read-only
	err  error
}

var _ bitrix.BucketStore = (*BitrixBuckets)(nil)

// Buckets returns the state's bucket store. On a store opened read-only
// (a CLI command beside the daemon) it opens its own writable connection
// on first use, closed with the store: the bucket is the one thing such a
// command writes.
func (s *Store) Buckets() *BitrixBuckets {
	s.bucketsOnce.Do(func() { s.buckets = &BitrixBuckets{s: s} })
	return s.buckets
}

// handle returns the database to write buckets in.
func (b *BitrixBuckets) handle() (*sql.DB, error) {
	if !b.s.readOnly {
		return b.s.db, nil
	}
	b.once.Do(func() {
		b.db, b.err = openDB(filepath.Join(b.s.dir, DBFileName), false)
		if b.err == nil {
			b.db.SetMaxOpenConns(1)
		}
	})
	return b.db, b.err
}

// close closes the writable handle, if one was opened.
func (b *BitrixBuckets) close() error {
	if b == nil || b.db == nil {
		return nil
	}
	return b.db.Close()
}

// UpdateBucket runs fn on the bucket of portal in one IMMEDIATE
// transaction and stores its answer.
func (b *BitrixBuckets) UpdateBucket(ctx context.Context, portal string, fn func(bitrix.Bucket, bool) bitrix.Bucket) error {
	db, err := b.handle()
	if err != nil {
		return fmt.Errorf("limiter bucket: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil) // _txlock=immediate: BEGIN IMMEDIATE
	if err != nil {
		return fmt.Errorf("limiter bucket: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var (
		cur   bitrix.Bucket
		atNS  int64
		found = true
	)
	err = tx.QueryRowContext(ctx, `SELECT level, at_ns FROM limiter_bucket WHERE portal = ?`, portal).Scan(&cur.Level, &atNS)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		found = false
	case err != nil:
		return fmt.Errorf("limiter bucket: read: %w", err)
	default:
		cur.At = time.Unix(0, atNS)
	}
	next := fn(cur, found)
	_, err = tx.ExecContext(ctx, `INSERT INTO limiter_bucket (portal, level, at_ns) VALUES (?, ?, ?)
ON CONFLICT (portal) DO UPDATE SET level = excluded.level, at_ns = excluded.at_ns`, portal, next.Level, next.At.UnixNano())
	if err != nil {
		return fmt.Errorf("limiter bucket: write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("limiter bucket: commit: %w", err)
	}
	return nil
}

// bucketSchema is the limiter's table (migration "portal request bucket").
const bucketSchema = `
CREATE TABLE limiter_bucket (
	portal TEXT PRIMARY KEY, -- the portal's host[:port]
	level  REAL NOT NULL,    -- requests in the bucket at at_ns
	at_ns  INTEGER NOT NULL  -- wall time of level, unix nanoseconds
);
`
