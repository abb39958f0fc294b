package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// Errors about the state file itself; the CLI exits 2 on both (the
// operator must act: restore a backup, fix permissions or free space).
var (
	// ErrDamaged: the state file exists but is not a usable b24desk state
	// (empty, truncated, not an SQLite database, failed the integrity
	// check, or holds no b24desk schema). It is never replaced by a new
	// state: restore the backup.
	ErrDamaged = errors.New("state file is damaged")
	// ErrNotWritable: the state could not be written (read-only file or
	// file system, permissions, full disk, I/O error).
	ErrNotWritable = errors.New("state cannot be written")
)

// sqliteMagic starts every SQLite database file (the file format's
// header, https://www.sqlite.org/fileformat.html §1.3).
var sqliteMagic = []byte("SQLite format 3\x00")

// inspectFile looks at an existing state file before SQLite opens it: a
// zero-byte file, a file that is not SQLite, or one shorter than its
// header says (truncated) is damaged. SQLite itself would treat a zero-byte
// file as a new, empty database, which is exactly the silent reset this
// check prevents.
func inspectFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open state file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open state file %s: %w", path, err)
	}
	if fi.Size() == 0 {
		return damaged(path, "the file is empty (0 bytes)")
	}
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return damaged(path, fmt.Sprintf("the file is %d bytes, shorter than a database header", fi.Size()))
	}
	if !bytes.Equal(h[:16], sqliteMagic) {
		return damaged(path, "the file is not an SQLite database")
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return damaged(path, fmt.Sprintf("the header's page size %d is invalid", pageSize))
	}
	// With a write-ahead log holding frames, the main file may lag its
	// header until the next checkpoint: only a file without one is held
	// to its header's page count.
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		return nil
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	valid := binary.BigEndian.Uint32(h[24:28]) == binary.BigEndian.Uint32(h[92:96])
	if fi.Size()%pageSize != 0 || valid && pages > 0 && fi.Size() < pages*pageSize {
		return damaged(path, fmt.Sprintf("the file is truncated: %d bytes, the header says %d pages of %d", fi.Size(), pages, pageSize))
	}
	return nil
}

// damaged builds the ErrDamaged error, saying what to do.
func damaged(path, why string) error {
	return fmt.Errorf("%w: %s: %s; restore the backup (docs/operations.md, \"State file\"); b24desk does not create a new state over an existing file", ErrDamaged, path, why)
}

// checkIntegrity runs SQLite's quick_check (every page of every table and
// index is read and its structure checked) and checks that the file holds
// a b24desk schema.
func (s *Store) checkIntegrity(ctx context.Context, path string) error {
	rows, err := s.db.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return s.openError(path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return s.openError(path, err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return s.openError(path, err)
	}
	if len(problems) > 0 {
		return damaged(path, "the integrity check failed: "+strings.Join(problems, "; "))
	}
	v, err := s.version(ctx)
	if err != nil {
		return s.openError(path, err)
	}
	if v == 0 {
		return damaged(path, "the file holds no b24desk schema (schema version 0)")
	}
	return nil
}

// openError sorts an error met while reading an existing file: SQLite's
// "not a database" and "corrupt" become ErrDamaged, read-only and I/O
// failures ErrNotWritable.
func (s *Store) openError(path string, err error) error {
	switch sqliteCode(err) {
	case sqliteCorrupt, sqliteNotADB:
		return damaged(path, err.Error())
	case sqliteReadOnly, sqliteCantOpen, sqliteIOErr, sqliteFull:
		return fmt.Errorf("%w: %s: %w", ErrNotWritable, path, err)
	}
	return fmt.Errorf("read state file %s: %w", path, err)
}

// SQLite primary result codes (https://www.sqlite.org/rescode.html).
const (
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteReadOnly = 8
	sqliteNotADB   = 26
)

// sqliteCode is the primary result code of an SQLite error, 0 for others.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// storageFailure reports whether err says the state file cannot be
// written or read (as opposed to a constraint, a missing row or a
// cancelled context).
func storageFailure(err error) bool {
	if pgStorageFailure(err) {
		return true
	}
	switch sqliteCode(err) {
	case sqliteReadOnly, sqliteIOErr, sqliteCorrupt, sqliteFull, sqliteCantOpen, sqliteNotADB:
		return true
	}
	return false
}

// writeHealth remembers the last storage failure of a write until a
// write succeeds again (for readiness).
type writeHealth struct {
	mu  sync.Mutex
	err error
	at  time.Time
}

func (h *writeHealth) note(err error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.err = nil
	case storageFailure(err):
		h.err, h.at = err, time.Now()
	}
}

func (h *writeHealth) last() error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// probeKey is the settings row the write check updates.
const probeKey = "state.write_check"

// CheckWritable writes one small row and commits it: the start-up check
// and the readiness probe that the state can still be written. It returns
// an error wrapping ErrNotWritable when it cannot; timeout bounds the wait
// for the write lock. Its outcome is not what WriteHealth remembers: a
// small probe may fit where a mail does not.
func (s *Store) CheckWritable(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT(key) DO UPDATE SET value = excluded.value`, probeKey, fmt.Sprint(s.probes.Add(1))); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNotWritable, s.dir, err)
	}
	return nil
}

// WriteHealth is the readiness view of the state: nil when a write check
// succeeds now and the last write that failed for a storage reason (read-
// only, full, I/O error) was followed by a successful one.
func (s *Store) WriteHealth(ctx context.Context) error {
	if err := s.CheckWritable(ctx, 3*time.Second); err != nil {
		return err
	}
	if err := s.health.last(); err != nil {
		return fmt.Errorf("%w: the last write failed: %w", ErrNotWritable, err)
	}
	return nil
}

// tracked is a querier that notes the outcome of every write in health.
type tracked struct {
	querier
	health *writeHealth
}

func (t tracked) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.querier.ExecContext(ctx, query, args...)
	t.health.note(err)
	return res, err
}
