// Package storetest has helpers for tests that need a state in a given
// condition.
package storetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/b24desk/b24desk/connector/store"
)

// HoldWriteLock takes the write lock of the state in dir through a second
// connection, as another process would (an open sqlite3 shell in a write
// transaction), and returns the function that lets it go. Until then every
// write of the state waits and fails.
func HoldWriteLock(t *testing.T, dir string) (release func()) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBFileName)+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"BEGIN EXCLUSIVE", "INSERT INTO settings (key, value) VALUES ('storetest.held', 'x')"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Error(err)
		}
		_ = conn.Close()
		_ = db.Close()
	}
	t.Cleanup(release)
	return release
}
