package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"
)

// TableCount is the number of rows of one table copied by CopyFromSQLite.
type TableCount struct {
	Table string
	Rows  int64
}

// ErrNotEmpty: the PostgreSQL state to copy into already holds data.
var ErrNotEmpty = errors.New("the PostgreSQL state is not empty")

// CopyFromSQLite copies every row of the SQLite state at src (the state
// directory or its b24desk.db) into dst, a PostgreSQL state that holds
// nothing yet, in one transaction, and returns the rows per table. The
// SQLite state is opened read-only under its directory's lock (a daemon
// still running on it gets ErrLocked) and must have this binary's schema.
// With dryRun everything is copied and then rolled back: the counts say
// what a real run would copy.
func CopyFromSQLite(ctx context.Context, src string, dst *Store, dryRun bool, log zerolog.Logger) ([]TableCount, error) {
	if dst.engine != enginePostgres {
		return nil, errors.New("copy state: the destination is not a PostgreSQL state (set state.postgres_url)")
	}
	dir, path := src, filepath.Join(src, DBFileName)
	if fi, err := os.Stat(src); err == nil && !fi.IsDir() {
		dir, path = filepath.Dir(src), src
		if filepath.Base(src) != DBFileName {
			return nil, fmt.Errorf("copy state: %s: want a state directory or its %s", src, DBFileName)
		}
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("copy state: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lock.release() }()
	from, err := openExisting(ctx, dir, path, true, log)
	if err != nil {
		return nil, err
	}
	defer from.db.Close()
	if err := from.checkCurrent(ctx); err != nil {
		return nil, err
	}
	tables, err := sqliteTables(ctx, from.db)
	if err != nil {
		return nil, fmt.Errorf("copy state: list tables: %w", err)
	}
	var counts []TableCount
	errRollback := errors.New("dry run")
	err = dst.WithTx(ctx, func(tx *Tx) error {
		for _, t := range tables {
			var n int64
			q := `SELECT COUNT(*) FROM ` + t
			if t == "settings" {
				q += ` WHERE key NOT IN ('` + probeKey + `', '` + InstallationIDKey + `')`
			}
			if err := tx.q.QueryRowContext(ctx, q).Scan(&n); err != nil {
				return fmt.Errorf("count %s in the PostgreSQL state: %w", t, err)
			}
			if n > 0 {
				return fmt.Errorf("%w: table %s has %d rows; copy into a new, empty database", ErrNotEmpty, t, n)
			}
		}
		// The installation keeps its ID: the SQLite state's replaces the
		// one the new database was made with.
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM settings WHERE key IN (?, ?)`, probeKey, InstallationIDKey); err != nil {
			return err
		}
		for _, t := range tables {
			n, err := copyTable(ctx, from.db, tx.q, t)
			if err != nil {
				return fmt.Errorf("copy table %s: %w", t, err)
			}
			counts = append(counts, TableCount{Table: t, Rows: n})
		}
		if err := resetIdentities(ctx, tx.q); err != nil {
			return err
		}
		if dryRun {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return counts, fmt.Errorf("copy state into %s: %w", dst.dir, err)
	}
	return counts, nil
}

// sqliteTables lists the b24desk tables of an SQLite state.
func sqliteTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// copyTable copies every row of table, column by column as SQLite has them.
func copyTable(ctx context.Context, from *sql.DB, to querier, table string) (int64, error) {
	rows, err := from.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	insert := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "),
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if _, err := to.ExecContext(ctx, insert, vals...); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	return n, rows.Err()
}

// resetIdentities moves every identity column's sequence past the largest
// copied value, so that new rows get new keys.
func resetIdentities(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND is_identity = 'YES' AND column_name <> 'rowid'`)
	if err != nil {
		return fmt.Errorf("list identity columns: %w", err)
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, tc := range cols {
		q2 := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s`, tc[0], tc[1], tc[1], tc[0])
		if _, err := q.ExecContext(ctx, q2); err != nil {
			return fmt.Errorf("reset the key of %s: %w", tc[0], err)
		}
	}
	return nil
}
