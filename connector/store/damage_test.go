package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// populated builds a closed state in a new directory holding n spooled
// mails of about 4 KiB each (so the file has many pages) and returns the
// directory.
func populated(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 4000)
	for i := range n {
		m := Message{DedupeKey: fmt.Sprintf("k%d", i), Mailbox: "support", UID: uint32(i + 1), Raw: body}
		if _, _, err := s.SpoolMessage(ctx, m, time.Unix(1_700_000_000, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, DBFileName+"-wal")); err == nil {
		t.Fatal("the write-ahead log is still there after Close")
	}
	return dir
}

// TestDamagedStateIsNeverReset: every kind of damaged state file makes
// Open fail with ErrDamaged and a message saying to restore the backup,
// and the file is left exactly as it was.
func TestDamagedStateIsNeverReset(t *testing.T) {
	sqliteOnly(t)
	garbage := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
		reason string
	}{
		{"empty", func(t *testing.T, path string) { write(t, path, nil) }, "empty (0 bytes)"},
		{"shorter than a header", func(t *testing.T, path string) { write(t, path, sqliteMagic) }, "shorter than a database header"},
		{"garbage", func(t *testing.T, path string) { write(t, path, garbage) }, "not an SQLite database"},
		{"truncated", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"truncated mid-page", func(t *testing.T, path string) {
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()-100); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"corrupt middle pages", func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Pages from a third to a half of the file: table and index
			// pages of the messages, in the middle of the tree.
			for i := len(b) / 3; i < len(b)/2; i++ {
				b[i] = 0xA5
			}
			write(t, path, b)
		}, "integrity check failed"},
		{"no b24desk schema", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("CREATE TABLE other (x)"); err != nil {
				t.Fatal(err)
			}
			_ = db.Close()
		}, "no b24desk schema"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := populated(t, 300)
			path := filepath.Join(dir, DBFileName)
			c.damage(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, open := range []struct {
				name string
				fn   func(context.Context, string, zerolog.Logger) (*Store, error)
			}{{"Open", Open}, {"OpenShared", OpenShared}, {"OpenReadOnly", OpenReadOnly}} {
				s, err := open.fn(context.Background(), dir, zerolog.Nop())
				if err == nil {
					_ = s.Close()
					t.Fatalf("%s: a damaged state (%s) was opened", open.name, c.name)
				}
				if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), c.reason) || !strings.Contains(err.Error(), "restore the backup") {
					t.Fatalf("%s: err = %v; want ErrDamaged saying %q and to restore the backup", open.name, err, c.reason)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatal("the damaged file was changed")
			}
			if _, err := os.Stat(path + ".new"); err == nil {
				t.Fatal("a new state was built next to the damaged one")
			}
		})
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNewStateOnlyWhereNoFile: a new state is created where no file
// exists, completely (no temporary file left), and opened again as is.
func TestNewStateOnlyWhereNoFile(t *testing.T) {
	sqliteOnly(t)
	dir := filepath.Join(t.TempDir(), "state")
	s := openTest(t, dir)
	ctx := context.Background()
	if err := s.PutSetting(ctx, "kept", "yes"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, DBFileName+".new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	// A temporary file left by a crash during creation is built again.
	if err := os.MkdirAll(filepath.Join(dir, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "x", DBFileName+".new"), []byte("half-made"))
	s2 := openTest(t, filepath.Join(dir, "x"))
	_ = s2.Close()
	s = openTest(t, dir)
	if v, ok, err := s.Setting(ctx, "kept"); err != nil || !ok || v != "yes" {
		t.Fatalf("kept = %q %v %v", v, ok, err)
	}
}

// TestLockedByAnotherDaemon: a second Open of a state in use fails with
// ErrLocked and changes nothing.
func TestLockedByAnotherDaemon(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	_ = openTest(t, dir)
	_, err := Open(context.Background(), dir, zerolog.Nop())
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Open: %v; want ErrLocked naming the directory", err)
	}
}

// TestReadOnlyStateRefused: a state the process cannot write is refused at
// Open with ErrNotWritable. As root (which ignores file modes) the check
// runs in a child process with the nobody user's ID.
func TestReadOnlyStateRefused(t *testing.T) {
	sqliteOnly(t)
	if dir := os.Getenv("B24DESK_TEST_OPEN_STATE"); dir != "" {
		s, err := Open(context.Background(), dir, zerolog.Nop())
		if err == nil {
			_ = s.Close()
			fmt.Println("RESULT opened")
			return
		}
		fmt.Printf("RESULT notwritable=%v err=%v\n", errors.Is(err, ErrNotWritable), err)
		return
	}
	for _, c := range []struct {
		name      string
		dirMode   os.FileMode
		fileModes os.FileMode
	}{
		{"database file read-only", 0o777, 0o444},
		{"directory and database read-only", 0o555, 0o444},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := populated(t, 10)
			path := filepath.Join(dir, DBFileName)
			before, _ := os.ReadFile(path)
			if err := os.Chmod(path, c.fileModes); err != nil {
				t.Fatal(err)
			}
			// The lock can be taken: only the state itself is read-only.
			if err := os.Chmod(filepath.Join(dir, LockFileName), 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, c.dirMode); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
			var out string
			if os.Geteuid() != 0 {
				s, err := Open(context.Background(), dir, zerolog.Nop())
				if err == nil {
					_ = s.Close()
					out = "RESULT opened"
				} else {
					out = fmt.Sprintf("RESULT notwritable=%v err=%v", errors.Is(err, ErrNotWritable), err)
				}
			} else {
				out = runAsNobody(t, "TestReadOnlyStateRefused", "B24DESK_TEST_OPEN_STATE="+dir, dir)
			}
			if !strings.Contains(out, "RESULT notwritable=true") {
				t.Fatalf("read-only state: %s; want ErrNotWritable", out)
			}
			t.Log(strings.SplitN(out, "\n", 2)[0])
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatal("the read-only state was changed")
			}
		})
	}
}

// runAsNobody runs one test of this test binary in a child process as
// the nobody user (65534) and returns its output. The binary is copied
// where nobody can run it, and dir's parents are opened for traversal.
func runAsNobody(t *testing.T, test, env, dir string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	binDir, err := os.MkdirTemp("", "b24desk-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(binDir) })
	copyPath := filepath.Join(binDir, "store.test")
	if err := os.WriteFile(copyPath, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{binDir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(copyPath, "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env, "HOME="+binDir, "GOCOVERDIR=")
	cmd.Dir = binDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	return string(out)
}

// TestFullDisk: on a file system that is full (a 1 MiB tmpfs, mounted
// when the test runs as root and may mount; skipped otherwise), a failing
// write is reported by WriteHealth even though a small write check still
// fits.
func TestFullDisk(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	ctx := context.Background()
	state := filepath.Join(dir, "state")
	s, err := Open(ctx, state, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 64<<10)
	var werr error
	for i := 0; i < 100 && werr == nil; i++ {
		werr = s.PutSetting(ctx, fmt.Sprintf("fill%d", i), big)
	}
	if werr == nil || !storageFailure(werr) {
		t.Fatalf("filling 1 MiB: %v; want a storage failure", werr)
	}
	if err := s.WriteHealth(ctx); !errors.Is(err, ErrNotWritable) {
		t.Fatalf("WriteHealth on a full disk: %v", err)
	}
	_ = s.Close()
	// Open on a disk that has no byte left is not tested: SQLite maps its
	// shared-memory file, and a tmpfs without room answers that with
	// SIGBUS, not an error.
}
