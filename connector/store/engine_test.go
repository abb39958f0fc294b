package store

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/b24desk/b24desk/connector/store/pgtest"
)

// The store's tests run twice, once per engine: TestMain runs them on
// SQLite, then starts one private PostgreSQL cluster and runs them all
// again with openTest opening a PostgreSQL state (one database per state
// directory a test uses). Tests of SQLite's file handling call sqliteOnly.
var testPG struct {
	cluster *pgtest.Cluster
	mu      sync.Mutex
	dbs     map[string]string // state dir → database URL
}

func TestMain(m *testing.M) {
	fmt.Fprintln(os.Stderr, "store tests: engine sqlite")
	code := m.Run()
	if code != 0 || fuzzing() {
		os.Exit(code)
	}
	cluster, err := pgtest.Start(context.Background())
	if err != nil {
		if pgtest.Required() {
			fmt.Fprintf(os.Stderr, "store tests: PostgreSQL is required (%s=1 or CI=true) but: %v\n", pgtest.RequireVar, err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "store tests: skipping the PostgreSQL run: %v (set %s=1 to fail instead)\n", err, pgtest.RequireVar)
		os.Exit(code)
	}
	testPG.cluster, testPG.dbs = cluster, map[string]string{}
	fmt.Fprintln(os.Stderr, "store tests: engine postgres")
	code = m.Run()
	cluster.Stop()
	os.Exit(code)
}

// fuzzing reports whether this process is a fuzzing run (go test -fuzz)
// or one of its workers. Fuzzing is one pass: a second m.Run would fuzz
// again with no deadline, and each worker would start its own cluster
// (CI's run hung there for its whole 90 minutes).
func fuzzing() bool {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// onPostgres reports whether this run of the suite is the PostgreSQL one.
func onPostgres() bool { return testPG.cluster != nil }

// sqliteOnly skips a test of SQLite's own files (lock, damage, pragmas)
// in the PostgreSQL run.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if onPostgres() {
		t.Skip("tests SQLite's state file; not part of the PostgreSQL run")
	}
}

// testURL is the PostgreSQL database standing for the state directory dir.
func testURL(t testing.TB, dir string) string {
	t.Helper()
	testPG.mu.Lock()
	defer testPG.mu.Unlock()
	if u, ok := testPG.dbs[dir]; ok {
		return u
	}
	u, err := testPG.cluster.NewDatabase(context.Background(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	testPG.dbs[dir] = u
	return u
}

// openEngine opens the state of dir on this run's engine.
func openEngine(t testing.TB, dir string) (*Store, error) {
	t.Helper()
	if onPostgres() {
		return OpenPostgres(context.Background(), testURL(t, dir), zerolog.Nop())
	}
	return Open(context.Background(), dir, zerolog.Nop())
}

// openSharedTest opens the state of dir as a CLI command beside the daemon
// does (OpenReadOnly or OpenShared on SQLite).
func openSharedTest(t testing.TB, dir string, readOnly bool) (*Store, error) {
	t.Helper()
	switch {
	case onPostgres():
		return OpenPostgresShared(context.Background(), testURL(t, dir), zerolog.Nop())
	case readOnly:
		return OpenReadOnly(context.Background(), dir, zerolog.Nop())
	}
	return OpenShared(context.Background(), dir, zerolog.Nop())
}
