package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := openEngine(t, dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// buildAtVersion makes a database in dir holding the first k migrations.
func buildAtVersion(t *testing.T, dir string, k int) {
	t.Helper()
	if err := BuildOldState(context.Background(), dir, k, map[string]string{"kept": "yes"}); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateFromEveryVersion(t *testing.T) {
	sqliteOnly(t)
	for k := 1; k <= len(migrations); k++ {
		t.Run(migrationName(k), func(t *testing.T) {
			dir := t.TempDir()
			buildAtVersion(t, dir, k)
			s := openTest(t, dir)
			ctx := context.Background()
			v, err := s.version(ctx)
			if err != nil || v != SchemaVersion() {
				t.Fatalf("version = %d, %v; want %d", v, err, SchemaVersion())
			}
			if k >= 1 {
				if got, ok, err := s.Setting(ctx, "kept"); err != nil || !ok || got != "yes" {
					t.Fatalf("data written at version %d lost: %q %v %v", k, got, ok, err)
				}
			}
			// Every table the binary knows is usable.
			if _, err := s.OutboxStats(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.LoadToken(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenTickets(ctx, 0, 0); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func migrationName(k int) string {
	if k == 0 {
		return "empty"
	}
	return strings.Fields(migrations[k-1].name)[0] + "_v" + string(rune('0'+k))
}

func TestRefuseNewerSchema(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	s := openTest(t, dir)
	if _, err := s.db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), dir, zerolog.Nop())
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open newer schema: err = %v, want ErrSchemaTooNew", err)
	}
	_, err = OpenReadOnly(context.Background(), dir, zerolog.Nop())
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("OpenReadOnly newer schema: err = %v, want ErrSchemaTooNew", err)
	}
	// The refused open released the lock: a fixed binary could open it.
	l, err := lockDir(dir)
	if err != nil {
		t.Fatalf("lock kept after refused open: %v", err)
	}
	_ = l.release()
}

func TestLock(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	s := openTest(t, dir)
	_, err := Open(context.Background(), dir, zerolog.Nop())
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "another b24desk") {
		t.Fatalf("lock error does not name the directory: %v", err)
	}
	// Inspection works next to the daemon.
	ro, err := OpenReadOnly(context.Background(), dir, zerolog.Nop())
	if err != nil {
		t.Fatalf("OpenReadOnly beside a holder: %v", err)
	}
	if err := ro.PutSetting(context.Background(), "x", "y"); err == nil {
		t.Fatal("read-only store accepted a write")
	}
	_ = ro.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(context.Background(), dir, zerolog.Nop())
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	_ = s2.Close()
}

func TestOpenReadOnlyMissingAndOutdated(t *testing.T) {
	sqliteOnly(t)
	if _, err := OpenReadOnly(context.Background(), t.TempDir(), zerolog.Nop()); err == nil {
		t.Fatal("OpenReadOnly of an empty dir succeeded")
	}
	dir := t.TempDir()
	buildAtVersion(t, dir, 1)
	if _, err := OpenReadOnly(context.Background(), dir, zerolog.Nop()); !errors.Is(err, ErrSchemaOutdated) {
		t.Fatalf("err = %v, want ErrSchemaOutdated", err)
	}
}

func TestWithTxRollsBack(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.WithTx(ctx, func(tx *Tx) error {
		if err := tx.PutSetting(ctx, "a", "1"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, ok, _ := s.Setting(ctx, "a"); ok {
		t.Fatal("rolled back write is visible")
	}
}

func nopLog() zerolog.Logger { return zerolog.Nop() }

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestInstallationIDPerState: every state gets its own random installation
// ID when it is made, kept as long as the state lives, so identifiers
// derived from it (outgoing Message-IDs) differ between installations.
func TestInstallationIDPerState(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	a := openTest(t, dirA)
	idA, err := a.InstallationID(ctx)
	if err != nil || len(idA) != 32 {
		t.Fatalf("installation ID %q, %v", idA, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openTest(t, dirB)
	idB, err := b.InstallationID(ctx)
	if err != nil || idB == idA {
		t.Fatalf("two states, IDs %q and %q (%v)", idA, idB, err)
	}
	again := openTest(t, dirA)
	if id, err := again.InstallationID(ctx); err != nil || id != idA {
		t.Fatalf("reopened state: ID %q, want %q (%v)", id, idA, err)
	}
}
