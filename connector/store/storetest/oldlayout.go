package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/b24desk/b24desk/connector/store"
)

// OldLayout turns the closed SQLite state in dir back into the layout of
// the older schema version, as an older binary would have left it: the
// tables made by later migrations are dropped (with their rows), the
// version is set back and the settings rows are written (the state that
// version kept there). It fits versions after which migrations only added
// tables; the next Open migrates the state again.
func OldLayout(t testing.TB, dir string, version int, settings map[string]string) {
	t.Helper()
	ctx := context.Background()
	ref := t.TempDir()
	if err := store.BuildOldState(ctx, ref, version, nil); err != nil {
		t.Fatal(err)
	}
	old := tables(t, filepath.Join(ref, store.DBFileName))
	path := filepath.Join(dir, store.DBFileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, name := range tables(t, path) {
		if !slices.Contains(old, name) {
			if _, err := tx.ExecContext(ctx, `DROP TABLE `+name); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k, v := range settings {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// tables lists the tables of the SQLite database at path.
func tables(t testing.TB, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// BeforeTicketTables is the schema version of the binaries that kept the
// per-ticket state (timelines, to-dos, echoes, mail drafts and waits, spam
// lessons) in settings rows; the next one moved it to tables of its own.
const BeforeTicketTables = 13
